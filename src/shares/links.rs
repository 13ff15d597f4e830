//! Creating, listing and revoking a document's links (members only),
//! and the project's switch that allows or forbids them.
use serde::Serialize;
use sqlx::PgPool;
use stockage_events::{EventMeta, UserId};
use stockage_store::EventStore;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{password, secret::Token};
use crate::documents::projects;
use crate::domain::project::ProjectCommand;
use crate::domain::share::{Share, ShareCommand};
use crate::error::Error;
use crate::permissions::DocumentAccess;
use stockage_events::Permission;

pub const DEFAULT_EXPIRY: Duration = Duration::days(7);
pub const MAX_EXPIRY: Duration = Duration::days(90);

/// A link as its creator and the document's admins see it. `url` and
/// `token` are only ever filled in the answer that creates it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ShareView {
    pub id: Uuid,
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub document_id: Uuid,
    /// `null`: the link follows the latest revision.
    pub revision: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub max_downloads: Option<i32>,
    pub downloads: i32,
    pub password_required: bool,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_download_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// `active`, `revoked`, `expired` or `exhausted`.
    #[sqlx(skip)]
    pub status: &'static str,
}

const COLUMNS: &str = "id, document_id, revision, expires_at, max_downloads, downloads, password_required, \
     created_by, created_at, last_download_at, revoked_at";

impl ShareView {
    fn with_status(mut self, now: OffsetDateTime) -> Self {
        self.status = if self.revoked_at.is_some() {
            "revoked"
        } else if now >= self.expires_at {
            "expired"
        } else if self.max_downloads.is_some_and(|max| self.downloads >= max) {
            "exhausted"
        } else {
            "active"
        };
        self
    }
}

/// What a member asks for, already parsed.
pub struct NewShare {
    pub revision: Option<u32>,
    pub expires_in: Duration,
    pub password: Option<String>,
    pub max_downloads: Option<u32>,
}

async fn shares_allowed(pool: &PgPool, project: Uuid) -> Result<bool, Error> {
    let allowed: Option<bool> =
        sqlx::query_scalar("SELECT shares_allowed FROM project_sharing WHERE project_id = $1")
            .bind(project)
            .fetch_optional(pool)
            .await?;
    Ok(allowed.unwrap_or(true))
}

/// Makes a link; the answer carries the token, which is not kept.
pub async fn create(
    store: &EventStore,
    access: &DocumentAccess,
    new: NewShare,
    meta: EventMeta,
) -> Result<ShareView, Error> {
    let document = &access.document;
    if !shares_allowed(store.pool(), document.project_id).await? {
        return Err(Error::Forbidden(
            "this project does not allow share links".into(),
        ));
    }
    if let Some(n) = new.revision
        && (n == 0 || i64::from(n) > i64::from(document.revision))
    {
        return Err(Error::Invalid(format!(
            "revision {n} does not exist; the latest is {}",
            document.revision
        )));
    }
    let token = Token::generate();
    let password_hash = match new.password {
        Some(p) => Some(password::blocking(move || password::hash(&p)).await?),
        None => None,
    };
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO share_secrets (share_id, token_sha256, password_hash) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(token.digest())
    .bind(&password_hash)
    .execute(store.pool())
    .await?;
    let command = ShareCommand::Create {
        document_id: document.id,
        revision: new.revision,
        expires_at: OffsetDateTime::now_utc() + new.expires_in,
        max_downloads: new.max_downloads,
        password_required: password_hash.is_some(),
    };
    let appended =
        stockage_store::command::execute::<Share>(store, id, document.project_id, command, meta)
            .await;
    if let Err(error) = appended {
        // No event names this secret: take it back (a leftover row could
        // never open anything, as no `shares` row joins it).
        let _ = sqlx::query("DELETE FROM share_secrets WHERE share_id = $1")
            .bind(id)
            .execute(store.pool())
            .await;
        return Err(error.into());
    }
    let mut view = get(store.pool(), document.id, id).await?;
    view.url = Some(format!("/s/{}", token.expose()));
    view.token = Some(token.expose().to_owned());
    Ok(view)
}

async fn get(pool: &PgPool, document: Uuid, id: Uuid) -> Result<ShareView, Error> {
    let sql = format!("SELECT {COLUMNS} FROM shares WHERE id = $1 AND document_id = $2");
    let view: Option<ShareView> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(document)
        .fetch_optional(pool)
        .await?;
    view.map(|v| v.with_status(OffsetDateTime::now_utc()))
        .ok_or_else(|| Error::NotFound(format!("share {id} not found")))
}

/// The document's links: all of them for its admins, otherwise the
/// caller's own. Newest first.
pub async fn list(
    pool: &PgPool,
    access: &DocumentAccess,
    user: &UserId,
) -> Result<Vec<ShareView>, Error> {
    let all = access.permission >= Permission::Admin;
    let sql = format!(
        "SELECT {COLUMNS} FROM shares WHERE document_id = $1 AND ($2 OR created_by = $3)
         ORDER BY created_at DESC, id DESC"
    );
    let rows: Vec<ShareView> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(access.document.id)
        .bind(all)
        .bind(user.as_str())
        .fetch_all(pool)
        .await?;
    let now = OffsetDateTime::now_utc();
    Ok(rows.into_iter().map(|v| v.with_status(now)).collect())
}

/// Revokes a link of this document: its creator or a document admin.
pub async fn revoke(
    store: &EventStore,
    access: &DocumentAccess,
    share: &str,
    user: &UserId,
    meta: EventMeta,
) -> Result<(), Error> {
    let not_found = || Error::NotFound(format!("share {share:?} not found"));
    let id = share.parse::<Uuid>().map_err(|_| not_found())?;
    let view = get(store.pool(), access.document.id, id).await?;
    let own = view.created_by == user.as_str();
    if !own && access.permission < Permission::Admin {
        if access.permission < Permission::Write {
            return Err(not_found());
        }
        return Err(Error::Forbidden(
            "only the link's creator or a document admin may revoke it".into(),
        ));
    }
    let project = access.document.project_id;
    stockage_store::command::execute::<Share>(store, id, project, ShareCommand::Revoke, meta)
        .await?;
    Ok(())
}

/// Allows or forbids the project's share links (admins and owners).
pub async fn set_sharing(
    store: &EventStore,
    slug: &str,
    allowed: bool,
    meta: EventMeta,
) -> Result<(), Error> {
    let membership = projects::membership(store.pool(), slug, &meta.actor).await?;
    let by = meta.actor.clone();
    projects::execute(
        store,
        membership.project.id,
        ProjectCommand::SetSharing { allowed, by },
        meta,
    )
    .await?;
    Ok(())
}
