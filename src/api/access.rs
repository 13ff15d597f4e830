//! The request-level middleware: the request's id, one access-log line per
//! request, the HTTP metrics, and `HEAD` answered by every `GET` route.
use std::time::Instant;

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use uuid::Uuid;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id: the client's `X-Request-Id` when it is sane, else a
/// new UUID. Events caused by the request carry `correlation`.
#[derive(Clone, Debug)]
pub struct RequestId {
    pub text: String,
    pub correlation: Uuid,
}

impl RequestId {
    fn of(request: &ServiceRequest) -> Self {
        let sent = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|text| sane(text));
        match sent {
            Some(text) => RequestId {
                text: text.to_owned(),
                correlation: Uuid::parse_str(text).unwrap_or_else(|_| Uuid::now_v7()),
            },
            None => {
                let correlation = Uuid::now_v7();
                RequestId {
                    text: correlation.to_string(),
                    correlation,
                }
            }
        }
    }

    /// The id of the request being answered (a new one outside a request).
    pub fn correlation(request: &HttpRequest) -> Uuid {
        request
            .extensions()
            .get::<RequestId>()
            .map_or_else(Uuid::now_v7, |id| id.correlation)
    }
}

/// Up to 128 visible ASCII characters of a plain alphabet: nothing that
/// could forge a log line or a header.
fn sane(text: &str) -> bool {
    (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Marks a HEAD request answered by a GET route (a share link does not
/// count it as a download).
#[derive(Clone, Copy, Debug)]
pub struct AnsweringHead;

/// Who made the request, once authenticated; read by the access log.
#[derive(Clone, Debug)]
pub struct Caller(pub String);

pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = RequestId::of(&req);
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    // HEAD is answered by the GET route; the server sends the headers
    // (Content-Length included) and never the body.
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(AnsweringHead);
    }
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let mut response = next.call(req).await?.map_into_boxed_body();
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response = problem_for_wrong_method(response);
    }
    let status = response.status();
    let elapsed = started.elapsed();
    let user = response
        .request()
        .extensions()
        .get::<Caller>()
        .map_or_else(|| "-".to_owned(), |caller| caller.0.clone());
    let ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(target: "stockage::access", %method, %route, status = status.as_u16(), ms, %user, request_id = %id.text, "request");
    } else {
        tracing::info!(target: "stockage::access", %method, %route, status = status.as_u16(), ms, %user, request_id = %id.text, "request");
    }
    let method = method.to_string();
    metrics::counter!("stockage_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string())
        .increment(1);
    metrics::histogram!("stockage_http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id.text) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// The router answers a wrong method on a known resource with a bare 405;
/// users get the same problem+json and `Allow` (with HEAD) as everywhere.
fn problem_for_wrong_method(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let is_problem = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return response;
    }
    let known: Vec<String> = response
        .headers()
        .get(ALLOW)
        .and_then(|value| value.to_str().ok())
        .map(|list| list.split(',').map(|m| m.trim().to_owned()).collect())
        .unwrap_or_default();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    match super::ops::wrong_method(response.request(), &known) {
        Some(error) => {
            let answer = error.error_response();
            response.into_response(answer)
        }
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn request_ids_that_could_forge_a_line_are_not_kept() {
        assert!(sane("0194f3c2-6b1d-7a3e-9c55-3f1d2b7a9e01"));
        assert!(sane("req_42.a:b"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane("x\ny"));
        assert!(!sane("<script>"));
        assert!(!sane(&"a".repeat(129)));
    }
}
