//! One error type for every handler, rendered as RFC 9457 problem+json.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::DomainError;
use crate::store::AppendError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// 412: `If-Match` named a revision that is no longer the latest.
    #[error("{detail}")]
    Stale {
        detail: String,
        current_revision: u32,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed, but the content could not be processed.
    #[error("{0}")]
    UnprocessableContent(String),
    /// Infrastructure failure: the cause is logged, the caller gets a plain sentence.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Bad request",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "Not found",
            ApiError::Conflict(_) => "Conflict",
            ApiError::Stale { .. } => "Precondition failed",
            ApiError::PayloadTooLarge(_) => "Payload too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::UnprocessableContent(_) => "Unprocessable content",
            ApiError::Internal(_) => "Internal server error",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Stale { .. } => "stale-revision",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::UnprocessableContent(_) => "unprocessable-content",
            ApiError::Internal(_) => "internal",
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
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::UnprocessableContent(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            ApiError::Internal(cause) => {
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
        response
            .content_type("application/problem+json")
            .json(Problem {
                kind: format!("https://stockage.dev/problems/{}", self.slug()),
                title: self.title().into(),
                status: status.as_u16(),
                detail,
                current_revision: match self {
                    ApiError::Stale {
                        current_revision, ..
                    } => Some(*current_revision),
                    _ => None,
                },
            })
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound(m) => ApiError::NotFound(m),
            DomainError::AlreadyExists(m) | DomainError::Conflict(m) => ApiError::Conflict(m),
            DomainError::Forbidden(m) => ApiError::Forbidden(m),
            DomainError::WrongType(m) => ApiError::UnsupportedMediaType(m),
            DomainError::Stale { current, .. } => ApiError::Stale {
                detail: error.to_string(),
                current_revision: current,
            },
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict { .. } => ApiError::Conflict(
                "someone else changed this at the same moment; please retry".into(),
            ),
            AppendError::Rejected(why) => ApiError::Conflict(why),
            AppendError::Closed | AppendError::Database(_) => ApiError::internal(error),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::internal(error)
    }
}
