//! Search: across the caller's projects, or within one.
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::FileKind;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::AppState;
use super::auth::AuthUser;
use crate::documents::projects;
use crate::error::Error;
use crate::search::{self, SearchCursor, SearchFilter};

const MAX_QUERY: usize = 500;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/search", web::get().to(everywhere))
        .route("/projects/{slug}/search", web::get().to(in_project));
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Web-search syntax: words, "quoted phrases", `or`, `-excluded`.
    q: Option<String>,
    /// A project slug (on `/search` only).
    project: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    tag: Option<String>,
    /// User id of whoever added the document.
    uploader: Option<String>,
    /// Added at or after this time (RFC 3339).
    from: Option<String>,
    /// Added before this time (RFC 3339).
    to: Option<String>,
    /// Lifecycle state: `wip`, `in_review`, `released` or `obsolete`.
    state: Option<String>,
    /// `true`: the last word also matches words that begin with it
    /// (`brid` finds `bridge`), for searching while typing.
    prefix: Option<bool>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    document_id: Uuid,
    project: String,
    title: String,
    revision: i32,
    #[serde(rename = "type")]
    kind: String,
    filename: String,
    rank: f32,
    /// HTML: the text escaped, matches in `<mark>`.
    snippet: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    items: Vec<SearchHit>,
    next_cursor: Option<String>,
    /// How many readable documents match, over all pages; counting stops
    /// at 1,000 (then `total_is_lower_bound` is true: show "1,000+").
    total: i64,
    /// True when more documents match than `total` says.
    total_is_lower_bound: bool,
}

fn bad(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

fn time(name: &str, raw: Option<String>) -> Result<Option<OffsetDateTime>, Error> {
    raw.filter(|t| !t.is_empty())
        .map(|t| {
            OffsetDateTime::parse(&t, &Rfc3339)
                .map_err(|_| bad(format!("{name} must be an RFC 3339 time, not {t:?}")))
        })
        .transpose()
}

fn filter(query: SearchQuery, project: Option<Uuid>) -> Result<SearchFilter, Error> {
    let q = query.q.map(|q| q.trim().to_owned()).unwrap_or_default();
    if q.is_empty() {
        return Err(bad("q is required: the words to search for"));
    }
    if q.chars().count() > MAX_QUERY || q.chars().any(char::is_control) {
        return Err(bad(format!(
            "q must be at most {MAX_QUERY} characters without control characters"
        )));
    }
    let limit = crate::paging::limit(query.limit, 20, 100)?;
    let kind = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(raw) => Some(FileKind::parse(raw).map_err(|e| bad(e.to_string()))?),
        None => None,
    };
    Ok(SearchFilter {
        q,
        project,
        kind,
        tag: query.tag.filter(|t| !t.is_empty()),
        uploader: query.uploader.filter(|u| !u.is_empty()),
        from: time("from", query.from)?,
        to: time("to", query.to)?,
        state: super::document_list::parse_state(query.state.as_deref())?,
        prefix: query.prefix.unwrap_or(false),
        after: query
            .cursor
            .as_deref()
            .map(SearchCursor::parse)
            .transpose()?,
        limit,
        count_cap: None,
        few_matches: None,
    })
}

async fn respond(
    state: &AppState,
    user: &AuthUser,
    filter: SearchFilter,
) -> Result<HttpResponse, Error> {
    let found = search::search(state.pool(), &user.id, &filter).await?;
    let items = found
        .hits
        .into_iter()
        .map(|hit| SearchHit {
            document_id: hit.document_id,
            project: hit.project,
            title: hit.title,
            revision: hit.revision,
            kind: hit.kind,
            filename: hit.filename,
            rank: hit.rank,
            snippet: hit.snippet,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SearchResults {
        items,
        next_cursor: found.next.map(|c| c.encode()),
        total: found.total,
        total_is_lower_bound: found.total_is_lower_bound,
    }))
}

/// Documents the caller may read, in all their projects (or `project`).
#[utoipa::path(get, path = "/api/v1/search", tag = "search", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn everywhere(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let project = match query.project.as_deref().filter(|p| !p.is_empty()) {
        Some(slug) => Some(
            projects::membership(state.pool(), slug, &user.id)
                .await?
                .project
                .id,
        ),
        None => None,
    };
    let filter = filter(query, project)?;
    respond(&state, &user, filter).await
}

/// Documents of one project the caller may read.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/search", tag = "search", security(("bearer" = [])),
    params(("slug" = String, Path), SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn in_project(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    let filter = filter(query.into_inner(), Some(membership.project.id))?;
    respond(&state, &user, filter).await
}
