//! Failures answered as RFC 9457 problem+json, with the status code of
//! their kind.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::Error;

/// How each kind of failure is answered.
trait Kind {
    fn title(&self) -> &'static str;
    fn slug(&self) -> &'static str;
}

impl Kind for Error {
    fn title(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "Bad request",
            Error::Unauthenticated(_) => "Unauthorized",
            Error::Forbidden(_) => "Forbidden",
            Error::NotFound(_) => "Not found",
            Error::MethodNotAllowed { .. } => "Method not allowed",
            Error::Conflict(_) => "Conflict",
            Error::Stale { .. } => "Precondition failed",
            Error::TooLarge(_) => "Payload too large",
            Error::UnsupportedType(_) => "Unsupported media type",
            Error::Unprocessable(_) => "Unprocessable content",
            Error::Locked { .. } => "Locked",
            Error::AlreadyLocked { .. } => "Conflict",
            Error::Precondition(_) => "Precondition failed",
            Error::Gone(_) => "Gone",
            Error::ChecksumMismatch(_) => "Checksum mismatch",
            Error::TooManyRequests { .. } => "Too many requests",
            Error::InsufficientStorage(_) => "Insufficient storage",
            Error::Unavailable { .. } => "Service unavailable",
            Error::Internal(_) => "Internal server error",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "bad-request",
            Error::Unauthenticated(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not-found",
            Error::MethodNotAllowed { .. } => "method-not-allowed",
            Error::Conflict(_) => "conflict",
            Error::Stale { .. } => "stale-revision",
            Error::TooLarge(_) => "payload-too-large",
            Error::UnsupportedType(_) => "unsupported-media-type",
            Error::Unprocessable(_) => "unprocessable-content",
            Error::Locked { .. } => "locked",
            Error::AlreadyLocked { .. } => "already-locked",
            Error::Precondition(_) => "precondition-failed",
            Error::Gone(_) => "gone",
            Error::ChecksumMismatch(_) => "checksum-mismatch",
            Error::TooManyRequests { .. } => "too-many-requests",
            Error::InsufficientStorage(_) => "insufficient-storage",
            Error::Unavailable { .. } => "unavailable",
            Error::Internal(_) => "internal",
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// With 412: the document's latest revision now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<u32>,
    /// With 423 and 409 on a lock: who holds the document's lock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    /// With 423 and 409 on a lock: when the lock expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Invalid(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Locked { .. } => StatusCode::LOCKED,
            Error::AlreadyLocked { .. } => StatusCode::CONFLICT,
            Error::Precondition(_) => StatusCode::PRECONDITION_FAILED,
            Error::Gone(_) => StatusCode::GONE,
            // tus 1.0 checksum extension: "460 Checksum Mismatch".
            Error::ChecksumMismatch(_) => {
                StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
            }
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            Error::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                "Something went wrong on our side; it has been logged. Please try again.".to_owned()
            }
            other => other.to_string(),
        };
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Error::MethodNotAllowed { allow, .. } = self {
            response.insert_header(("Allow", allow.as_str()));
        }
        if let Error::TooManyRequests { retry_after, .. } | Error::Unavailable { retry_after, .. } =
            self
        {
            response.insert_header(("Retry-After", retry_after.to_string()));
        }
        let (locked_by, expires_at) = match self {
            Error::Locked {
                locked_by,
                expires_at,
                ..
            }
            | Error::AlreadyLocked {
                locked_by,
                expires_at,
                ..
            } => (Some(locked_by.clone()), Some(expires_at.clone())),
            _ => (None, None),
        };
        response
            .content_type("application/problem+json")
            .json(Problem {
                kind: format!("https://stockage.dev/problems/{}", self.slug()),
                title: self.title().into(),
                status: status.as_u16(),
                detail,
                current_revision: match self {
                    Error::Stale {
                        current_revision, ..
                    } => Some(*current_revision),
                    _ => None,
                },
                locked_by,
                expires_at,
            })
    }
}
