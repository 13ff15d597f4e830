//! Personal access tokens (`stk_…`) for scripts: made, listed and revoked
//! as events on the token's own stream; only the token's SHA-256 is kept,
//! and the token itself is shown once, at creation.
use std::time::Duration;

use base64::Engine;
use sha2::Digest;
use sqlx::PgPool;
use stockage_events::{Event, EventMeta, NewEvent, ProjectSlug, Sha256, TokenScope, UserId};
use stockage_store::{Append, AppendError, EventStore, Expected};
use time::OffsetDateTime;
use uuid::Uuid;

use super::principal::{AuthUser, Via};
use crate::error::Error;

pub const PREFIX: &str = "stk_";
/// Longest lifetime a token may be given.
pub const MAX_LIFETIME: Duration = Duration::from_secs(366 * 86_400);

/// What a caller asks for.
pub struct NewToken {
    pub name: String,
    pub scope: TokenScope,
    pub project: Option<ProjectSlug>,
    pub expires_in: Option<Duration>,
}

/// A token as its owner sees it in the list (never the secret).
#[derive(Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub project: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

fn digest(token: &str) -> Sha256 {
    Sha256::from_digest(sha2::Sha256::digest(token.as_bytes()).into())
}

/// Makes a token for `owner`; returns its id and the token, which is not
/// kept anywhere. The caller checked that `owner` may reach `project`.
pub async fn create(
    store: &EventStore,
    owner: &AuthUser,
    new: NewToken,
    meta: EventMeta,
) -> Result<(Uuid, String), Error> {
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "a token's name must be 1 to 100 characters, without control characters".into(),
        ));
    }
    let expires_at = match new.expires_in {
        Some(ttl) if ttl > MAX_LIFETIME => {
            return Err(Error::Invalid("expires_in is longer than 366 days".into()));
        }
        Some(ttl) => {
            let at = OffsetDateTime::now_utc() + ttl;
            Some(at.replace_nanosecond(0).unwrap_or(at))
        }
        None => None,
    };
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let token = format!("{PREFIX}{secret}");
    let id = Uuid::now_v7();
    let event = Event::TokenCreated {
        owner: owner.id.clone(),
        name,
        scope: new.scope,
        admin: owner.admin && new.project.is_none(),
        project: new.project,
        expires_at,
        token_sha256: digest(&token),
    };
    store
        .append(Append {
            stream_id: id,
            // Tokens belong to people, not projects: no project's event
            // stream shows them.
            project_id: Uuid::nil(),
            expected: Expected::Version(0),
            events: vec![NewEvent::new(event)],
            meta,
        })
        .await?;
    Ok((id, token))
}

pub async fn list(pool: &PgPool, owner: &UserId) -> Result<Vec<TokenView>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, name, scope, project, created_at, expires_at, revoked_at FROM access_tokens
         WHERE owner = $1 ORDER BY created_at, id",
    )
    .bind(owner.as_str())
    .fetch_all(pool)
    .await?)
}

/// Revokes the owner's token `id`; from the next request on it is refused.
pub async fn revoke(
    store: &EventStore,
    owner: &UserId,
    id: Uuid,
    meta: EventMeta,
) -> Result<(), Error> {
    let revoked: Option<Option<OffsetDateTime>> =
        sqlx::query_scalar("SELECT revoked_at FROM access_tokens WHERE id = $1 AND owner = $2")
            .bind(id)
            .bind(owner.as_str())
            .fetch_optional(store.pool())
            .await?;
    match revoked {
        None => Err(Error::NotFound(format!("token {id} not found"))),
        Some(Some(_)) => Ok(()),
        Some(None) => {
            let append = Append {
                stream_id: id,
                project_id: Uuid::nil(),
                expected: Expected::Version(1),
                events: vec![NewEvent::new(Event::TokenRevoked {})],
                meta,
            };
            match store.append(append).await {
                Ok(_) | Err(AppendError::Conflict { .. }) => Ok(()),
                Err(error) => Err(error.into()),
            }
        }
    }
}

/// id, owner, scope, project, admin, expires_at.
type LiveToken = (
    Uuid,
    String,
    String,
    Option<String>,
    bool,
    Option<OffsetDateTime>,
);

/// The caller a `stk_…` token stands for, if it is live.
pub async fn authenticate(pool: &PgPool, token: &str) -> Result<AuthUser, Error> {
    let row: Option<LiveToken> =
        sqlx::query_as(
            "SELECT id, owner, scope, project, admin, expires_at FROM access_tokens
             WHERE token_sha256 = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
        )
        .bind(digest(token).as_str())
        .fetch_optional(pool)
        .await?;
    let Some((id, owner, scope, project, admin, expires_at)) = row else {
        return Err(Error::Unauthenticated(
            "the access token is unknown, expired or revoked".into(),
        ));
    };
    let scope = match scope.as_str() {
        "read" => TokenScope::Read,
        _ => TokenScope::Write,
    };
    Ok(AuthUser {
        id: UserId::parse(&owner).map_err(Error::internal)?,
        name: None,
        admin,
        via: Via::AccessToken {
            id,
            scope,
            project: project
                .map(|p| ProjectSlug::parse(&p))
                .transpose()
                .map_err(Error::internal)?,
        },
        expires_at,
    })
}

/// Whether token `id` is still live (WebSocket sessions check it).
pub async fn is_live(pool: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM access_tokens WHERE id = $1 AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > now()))",
    )
    .bind(id)
    .fetch_one(pool)
    .await
}
