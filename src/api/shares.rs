//! Share links, the members' side: create, list, revoke. The project's
//! switch (`PATCH /projects/{slug}` `{shares_allowed}`) shares the
//! project's PATCH handler in `retention.rs`.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use time::Duration;

use super::auth::AuthUser;
use super::projects::Items;
use super::{AppState, meta};
use crate::error::Error;
use crate::permissions::Need;
use crate::shares::{self, NewShare, ShareView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects/{slug}/documents/{id}/shares")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .route(
        "/projects/{slug}/documents/{id}/shares/{share_id}",
        web::delete().to(revoke),
    );
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateShare {
    /// A revision number for a fixed revision; absent, `null` or
    /// `"latest"` follows the latest revision.
    #[schema(value_type = Option<Object>)]
    revision: Option<Value>,
    /// `30m`, `12h`, `7d` (default), at most `90d`; or seconds.
    #[schema(value_type = Option<Object>)]
    expires_in: Option<Value>,
    password: Option<String>,
    max_downloads: Option<u64>,
}

const MAX_PASSWORD: usize = 1024;
const MAX_DOWNLOADS: u64 = 1_000_000;

fn revision(value: Option<Value>) -> Result<Option<u32>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "latest" => Ok(None),
        Some(Value::Number(n)) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Error::Invalid(
                "revision: revisions are numbered from 1".into(),
            )),
        },
        Some(other) => Err(Error::Invalid(format!(
            "revision must be a number or \"latest\", not {other}"
        ))),
    }
}

/// `expires_in`: a number of seconds or a number with `s`, `m`, `h`, `d`.
fn expires_in(value: Option<Value>) -> Result<Duration, Error> {
    let bad = |v: &dyn std::fmt::Display| {
        Error::Invalid(format!(
            "expires_in {v} must be like 30m, 12h or 7d (or seconds), at most 90d"
        ))
    };
    let seconds = match &value {
        None | Some(Value::Null) => return Ok(shares::DEFAULT_EXPIRY),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad(n))?,
        Some(Value::String(s)) => {
            let s = s.trim();
            let (number, unit) = s.split_at(s.len().saturating_sub(1));
            let scale = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3_600,
                "d" => 86_400,
                _ => return Err(bad(&s)),
            };
            number
                .parse::<i64>()
                .map_err(|_| bad(&s))?
                .saturating_mul(scale)
        }
        Some(other) => return Err(bad(other)),
    };
    let duration = Duration::seconds(seconds);
    if duration < Duration::seconds(1) || duration > shares::MAX_EXPIRY {
        return Err(bad(&value.unwrap_or_default()));
    }
    Ok(duration)
}

impl CreateShare {
    fn parse(self) -> Result<NewShare, Error> {
        let password = match self.password {
            Some(p) if p.is_empty() => {
                return Err(Error::Invalid("password must not be empty".into()));
            }
            Some(p) if p.chars().count() > MAX_PASSWORD => {
                return Err(Error::Invalid(format!(
                    "password is longer than {MAX_PASSWORD} characters"
                )));
            }
            other => other,
        };
        let max_downloads = match self.max_downloads {
            None => None,
            Some(n @ 1..=MAX_DOWNLOADS) => Some(n as u32),
            Some(n) => {
                return Err(Error::Invalid(format!(
                    "max_downloads {n} must be from 1 to {MAX_DOWNLOADS}"
                )));
            }
        };
        Ok(NewShare {
            revision: revision(self.revision)?,
            expires_in: expires_in(self.expires_in)?,
            password,
            max_downloads,
        })
    }
}

/// Create a public link to the document. Needs write; the answer is the
/// only place the token appears.
#[utoipa::path(post, operation_id = "create_share", path = "/api/v1/projects/{slug}/documents/{id}/shares", tag = "shares",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = Uuid, Path)),
    request_body = CreateShare,
    responses((status = 201, body = ShareView), (status = 400, body = super::Problem),
        (status = 403, description = "viewer, or the project forbids links", body = super::Problem),
        (status = 404, body = super::Problem)))]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<CreateShare>,
) -> Result<HttpResponse, Error> {
    let new = body.into_inner().parse()?;
    let doc = state
        .document(&user, &path.0, &path.1, Need::Write, "share")
        .await?;
    let view = shares::create(&state.store, &doc, new, meta(&user, &req)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The document's links: all for document admins, otherwise the caller's own.
#[utoipa::path(get, operation_id = "list_shares", path = "/api/v1/projects/{slug}/documents/{id}/shares", tag = "shares",
    security(("bearer" = [])), params(("slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Items<ShareView>), (status = 404, body = super::Problem)))]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "list shares")
        .await?;
    let items = shares::list(state.pool(), &doc, &user.id).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// Revoke a link: its creator or a document admin. It stops at once.
#[utoipa::path(delete, operation_id = "revoke_share", path = "/api/v1/projects/{slug}/documents/{id}/shares/{share_id}", tag = "shares",
    security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = Uuid, Path), ("share_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn revoke(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    let doc = state
        .document(&user, &path.0, &path.1, Need::Read, "revoke share")
        .await?;
    shares::revoke(&state.store, &doc, &path.2, &user.id, meta(&user, &req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn expiry_forms() {
        assert_eq!(expires_in(None).unwrap(), Duration::days(7));
        assert_eq!(expires_in(Some(json!("12h"))).unwrap(), Duration::hours(12));
        assert_eq!(expires_in(Some(json!(120))).unwrap(), Duration::minutes(2));
        assert_eq!(expires_in(Some(json!("1s"))).unwrap(), Duration::seconds(1));
        assert_eq!(expires_in(Some(json!("90d"))).unwrap(), Duration::days(90));
        for bad in [
            json!("91d"),
            json!("0m"),
            json!("7w"),
            json!("d"),
            json!(-5),
            json!([1]),
        ] {
            assert!(expires_in(Some(bad.clone())).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn revision_forms() {
        assert_eq!(revision(Some(json!("latest"))).unwrap(), None);
        assert_eq!(revision(Some(json!(3))).unwrap(), Some(3));
        assert!(revision(Some(json!(0))).is_err());
        assert!(revision(Some(json!("3"))).is_err());
    }
}
