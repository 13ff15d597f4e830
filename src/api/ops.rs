//! Operations endpoints: liveness, readiness, metrics.
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::auth::AuthUser;
use crate::error::Error;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "process up")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database and the blob store answer.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "a dependency is unreachable", body = super::Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = sqlx::query("SELECT 1")
        .execute(state.pool())
        .await
        .map(drop)
        .map_err(|e| e.to_string());
    let blobs = state.blobs.check().await.map_err(|e| e.to_string());
    match (database, blobs) {
        (Ok(()), Ok(())) => HttpResponse::Ok()
            .json(json!({"status": "ready", "database": "ok", "blob_store": "ok"})),
        (database, blobs) => {
            tracing::warn!(?database, ?blobs, "not ready");
            HttpResponse::ServiceUnavailable()
                .content_type("application/problem+json")
                .json(json!({
                    "type": "https://stockage.dev/problems/not-ready",
                    "title": "Service unavailable",
                    "status": 503,
                    "detail": format!(
                        "database: {}; blob store: {}",
                        if database.is_ok() { "ok" } else { "unreachable" },
                        if blobs.is_ok() { "ok" } else { "unreachable" },
                    ),
                }))
        }
    }
}

/// Prometheus text exposition; needs a valid token like every data endpoint.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn metrics(_: AuthUser, state: web::Data<AppState>) -> HttpResponse {
    // Gauges read at scrape time; a database hiccup leaves them as they
    // were and the rest is still answered.
    if let Err(error) = crate::telemetry::collect(state.pool()).await {
        tracing::warn!(%error, "metrics: could not read projector lag");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

/// No route took the request: 405 with `Allow` when the path is one of the
/// API's with other methods, else 404.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, Error> {
    if let Some(wrong) = wrong_method(&req, &[]) {
        return Err(wrong);
    }
    Err(Error::NotFound(format!(
        "no such endpoint: {} {}",
        req.method(),
        req.path()
    )))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Policy {
    /// Largest accepted upload, in bytes.
    max_upload_bytes: u64,
    /// File name extensions accepted, with the leading dot.
    extensions: Vec<&'static str>,
    /// The same, as a sentence for messages.
    allowed: &'static str,
}

/// The upload policy, so clients can check a file before sending it.
#[utoipa::path(get, path = "/api/v1/policy", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = Policy), (status = 401, body = super::Problem)))]
pub async fn policy(_user: AuthUser, state: web::Data<AppState>) -> web::Json<Policy> {
    web::Json(Policy {
        max_upload_bytes: state.max_upload_bytes,
        extensions: crate::storage::policy::EXTENSIONS.to_vec(),
        allowed: crate::storage::policy::ALLOWED,
    })
}

/// 405 naming the methods the API answers at the request's path (from the
/// OpenAPI document, else `known`, the router's own list); `None` when it
/// answers none.
pub fn wrong_method(req: &HttpRequest, known: &[&str]) -> Option<Error> {
    let mut allowed = super::openapi::methods_at(req.path());
    if allowed.is_empty() {
        allowed = known.to_vec();
        if allowed.contains(&"GET") && !allowed.contains(&"HEAD") {
            allowed.insert(1, "HEAD");
        }
    }
    if allowed.is_empty() {
        return None;
    }
    let allow = allowed.join(", ");
    Some(Error::MethodNotAllowed {
        detail: format!(
            "{} is not allowed on {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
        allow,
    })
}
