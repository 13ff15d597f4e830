//! The request span of every log line. Share links carry their secret in
//! the path, so `/s/…` requests are logged with the token cut out; every
//! other request gets tracing-actix-web's usual span.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, root_span};

pub struct RedactedSpans;

/// `/s/<token>/content` → `/s/…/content`; `None` for other paths.
pub fn redacted(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/s/")?;
    let tail = rest.find('/').map_or("", |i| &rest[i..]);
    Some(format!("/s/…{tail}"))
}

impl RootSpanBuilder for RedactedSpans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let Some(target) = redacted(request.path()) else {
            return root_span!(request);
        };
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_default(),
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn share_paths_lose_their_token() {
        assert_eq!(
            redacted("/s/abcDEF123/content").as_deref(),
            Some("/s/…/content")
        );
        assert_eq!(redacted("/s/abcDEF123").as_deref(), Some("/s/…"));
        assert_eq!(redacted("/api/v1/projects"), None);
    }
}
