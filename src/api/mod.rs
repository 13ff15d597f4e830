//! The HTTP API: routes, shared state and the request-level middleware.
pub mod access;
mod acl;
pub mod auth;
mod content;
mod diffs;
mod document_list;
mod documents;
mod error;
mod form;
mod live;
mod locks;
pub mod openapi;
mod ops;
mod previews;
mod projects;
mod public;
mod retention;
mod revisions;
mod room;
mod search;
mod shares;
mod signin;
mod tokens;
mod ui;
mod uploads;

use actix_web::{HttpRequest, web};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use stockage_events::EventMeta;

pub use error::Problem;
use stockage_store::EventStore;

use crate::error::Error;
use crate::identity::{AuthUser, Identity};
use crate::permissions::gate::{self, DocumentAccess, Need};
use crate::storage::BlobStore;

/// What every handler can reach.
pub struct AppState {
    pub store: EventStore,
    pub blobs: BlobStore,
    pub diffs: crate::versions::diff::Differ,
    pub previews: crate::preview::Previews,
    pub max_upload_bytes: u64,
    pub uploads: crate::uploads::Uploads,
    pub identity: Identity,
    /// OpenID Connect sign-in, when configured.
    pub oidc: Option<crate::identity::oidc::Oidc>,
    pub metrics: PrometheusHandle,
    pub live: crate::live::Hub,
    pub live_limits: crate::live::Limits,
    /// Failed share-link passwords per link (this node's count).
    pub share_throttle: crate::shares::Throttle,
    /// Purges, the retention scheduler's interval and the blob grace period.
    pub retention: crate::retention::RetentionConfig,
    /// The storage quota check of every upload path.
    pub quota: crate::retention::quota::Quota,
    /// Turns true when the server starts shutting down.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// The gate's answers kept for each caller's next metadata change.
    pub kept: crate::permissions::kept::Kept,
}

impl AppState {
    pub fn pool(&self) -> &PgPool {
        self.store.pool()
    }

    /// Purges write through this node's store and remove from its blobs.
    pub fn purger(&self) -> crate::retention::purge::Purger<'_> {
        crate::retention::purge::Purger {
            store: &self.store,
            blobs: &self.blobs,
            grace: self.retention.blob_grace,
        }
    }

    /// The live document `id` of project `slug`, if `user` may `need` it:
    /// the one gate of every document path (see [`gate::live_document`]).
    pub async fn document(
        &self,
        user: &AuthUser,
        slug: &str,
        id: &str,
        need: Need,
        action: &'static str,
    ) -> Result<DocumentAccess, Error> {
        gate::live_document(self.pool(), slug, id, &user.id, need, action).await
    }
}

/// Who caused the events of this request, and the request's id.
pub fn meta(user: &AuthUser, request: &HttpRequest) -> EventMeta {
    let correlation_id = access::RequestId::correlation(request);
    EventMeta {
        actor: user.id.clone(),
        correlation_id,
        causation_id: None,
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().error_handler(|e, _| json_error(e)))
        .app_data(web::QueryConfig::default().error_handler(|e, _| bad_body(e.to_string())))
        .app_data(
            web::PathConfig::default().error_handler(|e, _| Error::NotFound(e.to_string()).into()),
        )
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .service(
            web::scope("/api/v1")
                .route("/openapi.json", web::get().to(openapi::serve))
                .configure(projects::routes)
                .configure(documents::routes)
                .configure(acl::routes)
                .configure(locks::routes)
                .configure(revisions::routes)
                .configure(diffs::routes)
                .configure(retention::routes)
                .configure(previews::routes)
                .configure(search::routes)
                .configure(live::routes)
                .configure(uploads::routes)
                .configure(tokens::routes)
                .configure(shares::routes)
                .route("/policy", web::get().to(ops::policy)),
        )
        .configure(signin::routes)
        .configure(ui::routes)
        .configure(public::routes)
        .default_service(web::to(ops::no_route));
}

fn bad_body(message: String) -> actix_web::Error {
    Error::Invalid(message).into()
}

/// A JSON body of the wrong media type is 415, one too large 413; any
/// other fault in it 400, saying what was wrong.
fn json_error(error: actix_web::error::JsonPayloadError) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as Json;
    match error {
        Json::ContentType => Error::UnsupportedType(
            "the body must be JSON: send Content-Type: application/json".into(),
        ),
        Json::OverflowKnownLength { .. } | Json::Overflow { .. } => {
            Error::TooLarge(error.to_string())
        }
        other => Error::Invalid(other.to_string()),
    }
    .into()
}
