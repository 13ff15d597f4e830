//! What a link opens, for anyone holding its token. Every reason a link
//! cannot serve — unknown, revoked, expired, the document deleted, the
//! project forbidding links, the creator no longer able to read the
//! document — answers the one same "not found", so a token reveals
//! nothing about why. Checked on every request, so each stops a link at
//! once and undoing it (restoring the document) brings the link back.
use std::net::IpAddr;
use std::time::Instant;

use serde::Serialize;
use sqlx::PgPool;
use stockage_events::{EventMeta, Permission, Principal, Role, UserId};
use stockage_store::EventStore;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Throttle, password, secret};
use crate::domain::AclEntry;
use crate::domain::share::{Share, ShareCommand};
use crate::error::Error;
use crate::permissions::effective;
use crate::versions::revisions::{self, RevisionView};

/// The one answer for a link that cannot serve.
pub const GONE_LINK: &str = "this link does not exist, was revoked or has expired";

fn gone() -> Error {
    Error::NotFound(GONE_LINK.into())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    project_id: Uuid,
    document_id: Uuid,
    revision: Option<i32>,
    created_by: String,
    expires_at: OffsetDateTime,
    max_downloads: Option<i32>,
    downloads: i32,
    revoked_at: Option<OffsetDateTime>,
    password_hash: Option<String>,
    title: String,
    latest: i32,
    deleted_at: Option<OffsetDateTime>,
    shares_allowed: bool,
    creator_role: Option<String>,
    acl_principals: Vec<String>,
    acl_permissions: Vec<String>,
}

const LOOKUP: &str = "SELECT s.id, s.project_id, s.document_id, s.revision, s.created_by, s.expires_at, \
     s.max_downloads, s.downloads, s.revoked_at, sec.password_hash, r.title, r.revision AS latest, \
     r.deleted_at, coalesce(ps.shares_allowed, true) AS shares_allowed, t.role AS creator_role, \
     coalesce(acl.principals, '{}') AS acl_principals, coalesce(acl.permissions, '{}') AS acl_permissions \
     FROM share_secrets sec JOIN shares s ON s.id = sec.share_id \
     JOIN project_resources r ON r.id = s.document_id \
     LEFT JOIN project_sharing ps ON ps.project_id = s.project_id \
     LEFT JOIN project_team t ON t.project_id = s.project_id AND t.user_id = s.created_by \
     LEFT JOIN LATERAL (SELECT array_agg(a.principal ORDER BY a.principal) AS principals, \
         array_agg(a.permission ORDER BY a.principal) AS permissions \
         FROM document_acl a WHERE a.document_id = r.id) acl ON true \
     WHERE sec.token_sha256 = $1";

impl Row {
    /// Whether the creator could read the document now.
    fn creator_reads(&self) -> bool {
        let Ok(user) = UserId::parse(&self.created_by) else {
            return false;
        };
        let role = self
            .creator_role
            .as_deref()
            .and_then(|r| Role::parse(r).ok());
        let acl: Vec<AclEntry> = self
            .acl_principals
            .iter()
            .zip(&self.acl_permissions)
            .filter_map(|(principal, permission)| {
                Some(AclEntry {
                    principal: Principal::parse(principal).ok()?,
                    permission: Permission::parse(permission).ok()?,
                })
            })
            .collect();
        effective(&user, role, &acl).0 >= Permission::Read
    }

    fn serves(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none()
            && now < self.expires_at
            && self.deleted_at.is_none()
            && self.shares_allowed
            && self.creator_reads()
    }
}

/// A link that may serve, with the revision it serves now.
pub struct Opened {
    pub share_id: Uuid,
    pub project_id: Uuid,
    pub document_id: Uuid,
    pub title: String,
    pub expires_at: OffsetDateTime,
    pub revision: RevisionView,
    /// False when the link needs a password and none was sent: only
    /// `password_required` may be shown then.
    pub unlocked: bool,
    pub password_required: bool,
}

/// `GET /s/{token}`: what the link is, details only once unlocked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicShare {
    pub title: Option<String>,
    pub filename: Option<String>,
    pub size: Option<i64>,
    pub revision: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub password_required: bool,
}

impl Opened {
    pub fn public(&self) -> PublicShare {
        let shown = self.unlocked;
        PublicShare {
            title: shown.then(|| self.title.clone()),
            filename: shown.then(|| self.revision.filename.clone()),
            size: shown.then_some(self.revision.size),
            revision: shown.then_some(self.revision.revision),
            expires_at: self.expires_at,
            password_required: self.password_required,
        }
    }
}

/// Opens the link `presented`. A wrong password is 401 and counts toward
/// the link's limit (429 past it); a missing one leaves it locked (the
/// caller decides whether that is enough); a used-up link is 410.
pub async fn open(
    pool: &PgPool,
    throttle: &Throttle,
    presented: &str,
    password: Option<&str>,
) -> Result<Opened, Error> {
    let digest = secret::digest_of(presented).ok_or_else(gone)?;
    let row: Row = sqlx::query_as(LOOKUP)
        .bind(digest)
        .fetch_optional(pool)
        .await?
        .ok_or_else(gone)?;
    if !row.serves(OffsetDateTime::now_utc()) {
        return Err(gone());
    }
    let unlocked = match (&row.password_hash, password) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(stored), Some(candidate)) => {
            let attempt = throttle
                .begin(row.id, Instant::now())
                .map_err(|retry_after| Error::TooManyRequests {
                    detail: "too many wrong passwords for this link; try again later".into(),
                    retry_after,
                })?;
            let (stored, candidate) = (stored.clone(), candidate.to_owned());
            if !password::blocking(move || password::verify(&stored, &candidate)).await? {
                return Err(Error::Unauthenticated(
                    "the password for this link is not right".into(),
                ));
            }
            attempt.succeeded();
            true
        }
    };
    if unlocked && row.max_downloads.is_some_and(|max| row.downloads >= max) {
        return Err(Error::Gone(
            "this link has reached its download limit".into(),
        ));
    }
    let n = row.revision.unwrap_or(row.latest);
    // A purged revision cannot serve: the same 404 as any link that
    // cannot (0040), and never its bytes, which another live revision may
    // still hold under the same content address.
    let revision = revisions::kept(pool, row.document_id, n as u32, row.latest)
        .await
        .map_err(|_| gone())?;
    Ok(Opened {
        share_id: row.id,
        project_id: row.project_id,
        document_id: row.document_id,
        title: row.title,
        expires_at: row.expires_at,
        revision,
        unlocked,
        password_required: row.password_hash.is_some(),
    })
}

/// Who downloads through links: no member, so a name no token can carry.
pub fn anonymous() -> UserId {
    UserId::parse("(anonymous)").expect("a valid user id")
}

/// Counts one download of the opened revision; 410 when another request
/// took the last one first, 404 when the link closed meanwhile.
pub async fn record_download(
    store: &EventStore,
    opened: &Opened,
    client: String,
    correlation_id: Uuid,
) -> Result<(), Error> {
    let command = ShareCommand::Download {
        revision: opened.revision.revision as u32,
        client,
        now: OffsetDateTime::now_utc(),
    };
    let meta = EventMeta {
        actor: anonymous(),
        correlation_id,
        causation_id: None,
    };
    stockage_store::command::execute::<Share>(
        store,
        opened.share_id,
        opened.project_id,
        command,
        meta,
    )
    .await?;
    Ok(())
}

/// An address cut to its network: IPv4 /24, IPv6 /48 — enough to tell
/// "the fabricator's office" from "somewhere else", not a person.
pub fn truncate_address(address: Option<IpAddr>) -> String {
    match address.map(|a| a.to_canonical()) {
        Some(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_truncated() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(truncate_address(Some(v4)), "203.0.113.0/24");
        let v6: IpAddr = "2001:db8:85a3:8d3:1319:8a2e:370:7348".parse().unwrap();
        assert_eq!(truncate_address(Some(v6)), "2001:db8:85a3::/48");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(truncate_address(Some(mapped)), "10.1.2.0/24");
        assert_eq!(truncate_address(None), "unknown");
    }
}
