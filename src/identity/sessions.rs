//! Browser sessions after an OpenID Connect sign-in: a random id in an
//! HttpOnly cookie, kept in PostgreSQL only as its SHA-256, with a CSRF
//! token for unsafe methods, an expiry, and deletion at logout.
use std::time::Duration;

use base64::Engine;
use sha2::Digest;
use sqlx::PgPool;
use stockage_events::UserId;
use time::OffsetDateTime;

use super::principal::{AuthUser, Via};
use crate::error::Error;

pub const COOKIE: &str = "stockage_session";

fn random() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

pub fn digest(id: &str) -> String {
    hex::encode(sha2::Sha256::digest(id.as_bytes()))
}

/// A new session for `user`; returns the cookie value (shown only to the
/// browser). `previous`, the cookie the browser came with, is ended: a
/// sign-in always gets a fresh id.
pub async fn start(
    pool: &PgPool,
    user: &UserId,
    name: Option<&str>,
    admin: bool,
    ttl: Duration,
    previous: Option<&str>,
) -> Result<String, Error> {
    let id = random();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at < now() OR id_sha256 = $1")
        .bind(previous.map(digest).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (id_sha256, user_id, name, admin, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(digest(&id))
    .bind(user.as_str())
    .bind(name)
    .bind(admin)
    .bind(random())
    .bind(OffsetDateTime::now_utc() + ttl)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller a session cookie stands for, if the session is live.
pub async fn authenticate(pool: &PgPool, cookie: &str) -> Result<AuthUser, Error> {
    let id_sha256 = digest(cookie);
    let row: Option<(String, Option<String>, bool, String, OffsetDateTime)> = sqlx::query_as(
        "SELECT user_id, name, admin, csrf_token, expires_at FROM sessions
         WHERE id_sha256 = $1 AND expires_at > now()",
    )
    .bind(&id_sha256)
    .fetch_optional(pool)
    .await?;
    let Some((user, name, admin, csrf_token, expires_at)) = row else {
        return Err(Error::Unauthenticated(
            "the session has ended or expired; sign in again".into(),
        ));
    };
    Ok(AuthUser {
        id: UserId::parse(&user).map_err(Error::internal)?,
        name,
        admin,
        via: Via::Session {
            id_sha256,
            csrf_token,
        },
        expires_at: Some(expires_at),
    })
}

/// Ends a session (logout); the cookie is refused from then on.
pub async fn end(pool: &PgPool, id_sha256: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1")
        .bind(id_sha256)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn is_live(pool: &PgPool, id_sha256: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE id_sha256 = $1 AND expires_at > now())",
    )
    .bind(id_sha256)
    .fetch_one(pool)
    .await
}
