//! A project's documents in pages, with filters, order and the total.
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::{FileKind, LifecycleState, Sha256};

use super::AppState;
use super::auth::AuthUser;
use crate::documents::queries::{self, Cursor, ListFilter, Order};
use crate::documents::{DocumentView, projects};
use crate::error::Error;

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentList {
    items: Vec<DocumentView>,
    next_cursor: Option<String>,
    /// How many documents match the filters, over all pages.
    total: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    tag: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    q: Option<String>,
    include_deleted: Option<bool>,
    /// Documents whose latest revision has these bytes (64 hex digits).
    sha256: Option<String>,
    /// `wip`, `in_review`, `released` or `obsolete`.
    state: Option<String>,
    /// `created` (default `-created`, newest first), `updated`, `title`,
    /// `size` or `type`; a leading `-` reverses the order.
    sort: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// A project's documents in pages (newest first unless `sort` says), with
/// the total over all pages.
#[utoipa::path(get, operation_id = "list_documents", path = "/api/v1/projects/{slug}/documents", tag = "documents", security(("bearer" = [])),
    params(("slug" = String, Path), ListQuery),
    responses((status = 200, body = DocumentList), (status = 400, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    let query = query.into_inner();
    let limit = crate::paging::limit(query.limit, 50, 200)?;
    let kind = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(raw) => Some(FileKind::parse(raw).map_err(|e| Error::Invalid(e.to_string()))?),
        None => None,
    };
    let order = match query.sort.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Order::parse(raw)?,
        None => Order::default(),
    };
    let filter = ListFilter {
        tag: query.tag.filter(|t| !t.is_empty()),
        kind,
        q: query
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        sha256: query
            .sha256
            .filter(|s| !s.is_empty())
            .map(|s| {
                Sha256::parse(&s.to_ascii_lowercase()).map_err(|_| {
                    Error::Invalid(format!("sha256 {s:?} is not 64 hexadecimal digits"))
                })
            })
            .transpose()?,
        include_deleted: query.include_deleted.unwrap_or(false),
        state: parse_state(query.state.as_deref())?,
        order,
        after: query
            .cursor
            .as_deref()
            .map(|c| Cursor::parse(c, order))
            .transpose()?,
        limit,
    };
    let (rows, next, total) = queries::list(state.pool(), &membership, &user.id, &filter).await?;
    let items = rows
        .iter()
        .map(|row| DocumentView::new(&membership.project.slug, row))
        .collect();
    Ok(HttpResponse::Ok().json(DocumentList {
        items,
        next_cursor: next.map(|c| c.encode()),
        total,
    }))
}

/// `?state=` of the list and search: empty means any.
pub fn parse_state(raw: Option<&str>) -> Result<Option<LifecycleState>, Error> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| LifecycleState::parse(s).map_err(|e| Error::Invalid(e.to_string())))
        .transpose()
}
