//! The project's event stream: over HTTP for clients that poll, over a
//! WebSocket for clients that want it pushed. Both show only what the
//! caller may read.
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::Event;
use stockage_store::log::{self, Filter};
use time::OffsetDateTime;
use tokio::sync::broadcast;

use super::AppState;
use super::auth::{self, AuthUser};
use crate::documents::projects;
use crate::error::Error;
use crate::identity::Via;
use crate::live::{EventItem, LiveEvent, Viewer, run_session, snapshot};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{slug}/events", web::get().to(list))
        .route("/projects/{slug}/ws", web::get().to(subscribe));
}

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1_000;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct EventsQuery {
    /// Only events after this log position (default 0: from the start).
    after: Option<i64>,
    /// At most this many events are scanned (default 100, at most 1000).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventPage {
    items: Vec<EventItem>,
    /// Pass as `after` for the next page: the last position scanned, which
    /// may be past the last item when later events are not yours to see.
    next_after: i64,
}

fn position(after: Option<i64>) -> Result<i64, Error> {
    match after {
        Some(after) if after < 0 => Err(Error::Invalid(format!(
            "after={after} is not a log position (0 or more)"
        ))),
        other => Ok(other.unwrap_or(0)),
    }
}

/// The project's events after a position, oldest first, filtered by what
/// the caller may read now.
#[utoipa::path(get, operation_id = "list_events", path = "/api/v1/projects/{slug}/events", tag = "events",
    security(("bearer" = [])), params(("slug" = String, Path), EventsQuery),
    responses((status = 200, body = EventPage), (status = 400, body = super::Problem),
        (status = 401, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<EventsQuery>,
) -> Result<web::Json<EventPage>, Error> {
    let after = position(query.after)?;
    let limit = match query.limit {
        Some(limit) if !(1..=MAX_LIMIT).contains(&limit) => {
            return Err(Error::Invalid(format!(
                "limit={limit} must be between 1 and {MAX_LIMIT}"
            )));
        }
        other => other.unwrap_or(DEFAULT_LIMIT),
    };
    let project = projects::membership(state.pool(), &slug, &user.id)
        .await?
        .project;
    let mut tx = snapshot(state.pool()).await?;
    let mut viewer = Viewer::load(&mut tx, project.id, &user.id).await?;
    let filter = Filter {
        project_id: Some(project.id),
        ..Filter::default()
    };
    let page = log::read_filtered(&mut tx, &filter, after, limit).await?;
    tx.commit().await?;
    let next_after = page.last().map_or(after, |e| e.position);
    let items = LiveEvent::decode_all(&page)
        .into_iter()
        .filter_map(|event| viewer.admit(&event).then(|| viewer.shown(&event).0.clone()))
        .collect();
    Ok(web::Json(EventPage { items, next_after }))
}

#[derive(Deserialize)]
pub struct SubscribeQuery {
    after: Option<i64>,
}

/// WebSocket: `{"type":"event",...}` frames after `after` (catch-up, then
/// live), `{"type":"resync","after":N}` before closing a client that fell
/// behind. The token may come as `?access_token=`.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/ws", tag = "events",
    security(("bearer" = [])),
    params(("slug" = String, Path), ("after" = Option<i64>, Query,
        description = "resume after this log position (default: only new events)"),
        ("access_token" = Option<String>, Query, description = "the bearer token, for clients that cannot set headers")),
    responses((status = 101, description = "WebSocket of event frames"),
        (status = 400, body = super::Problem), (status = 401, body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn subscribe(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<SubscribeQuery>,
) -> Result<HttpResponse, Error> {
    let user = auth::websocket_user(&request).await?;
    let project = projects::membership(state.pool(), &slug, &user.id)
        .await?
        .project;
    let mut tx = snapshot(state.pool()).await?;
    let viewer = Viewer::load(&mut tx, project.id, &user.id).await?;
    tx.commit().await?;
    let head = viewer.as_of();
    let after = match query.after {
        None => head,
        Some(after) if after > head => {
            return Err(Error::Invalid(format!(
                "after={after} is past the newest event"
            )));
        }
        after => position(after)?,
    };
    let (response, session, messages) =
        actix_ws::handle(&request, body).map_err(|e| Error::Invalid(e.to_string()))?;
    let revocations = state.live.all();
    let feed = state.live.feed(project.id, after);
    let ends = credential_ends(state.clone().into_inner(), user, revocations);
    actix_web::rt::spawn(run_session(
        session,
        messages,
        feed,
        viewer,
        state.live_limits,
        state.shutdown.clone(),
        Box::pin(ends),
    ));
    Ok(response)
}

/// Resolves when the caller's credential ends: at its expiry, at once when
/// its access token's revocation passes through this node, or at the next
/// check after a logout.
async fn credential_ends(
    state: Arc<AppState>,
    user: AuthUser,
    mut events: broadcast::Receiver<Arc<LiveEvent>>,
) -> &'static str {
    let expiry = async {
        match user.expires_at {
            Some(at) => {
                let left = (at - OffsetDateTime::now_utc()).max(time::Duration::ZERO);
                tokio::time::sleep(left.unsigned_abs()).await;
            }
            None => std::future::pending().await,
        }
    };
    let token_id = match &user.via {
        Via::AccessToken { id, .. } => Some(*id),
        _ => None,
    };
    let revoked = async {
        let mut recheck = tokio::time::interval(state.live_limits.recheck);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) if matches!(event.event, Event::TokenRevoked {})
                        && Some(event.item.stream_id) == token_id => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
                },
                _ = recheck.tick() => {
                    if matches!(state.identity.still_valid(&user).await, Ok(false)) {
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = expiry => "the token has expired",
        () = revoked => "the credential was revoked or signed out",
    }
}
