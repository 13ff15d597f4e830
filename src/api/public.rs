//! Share links, the public side: `/s/{token}` (what the link is, or the
//! small page when a browser asks for HTML) and `/s/{token}/content`
//! (the bytes: streamed, or with S3 a redirect to a URL signed for five
//! minutes). No bearer token; the password comes in `X-Share-Password`.
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use stockage_events::Sha256;

use super::AppState;
use super::content::{self, Download};
use crate::error::Error;
use crate::shares::{self, Opened, PublicShare};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/s/{token}", web::get().to(show))
        .route("/s/{token}/content", web::get().to(download));
}

const PASSWORD_HEADER: &str = "x-share-password";

fn password(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(PASSWORD_HEADER)
        .and_then(|v| v.to_str().ok())
}

/// Headers of every answer about a link: the token in the URL must not
/// travel further (no referrer, no caching, no indexing).
fn private(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    response
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Robots-Tag", "noindex, nofollow"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

async fn open(state: &AppState, req: &HttpRequest, token: &str) -> Result<Opened, Error> {
    shares::open(state.pool(), &state.share_throttle, token, password(req)).await
}

/// What the link is. Without the password of a protected link, only
/// `password_required` and `expires_at` are filled in.
#[utoipa::path(get, path = "/s/{token}", tag = "shares", params(("token" = String, Path),
        ("X-Share-Password" = Option<String>, Header)),
    responses((status = 200, body = PublicShare), (status = 401, body = super::Problem),
        (status = 404, description = "unknown, revoked or expired (one body for all)", body = super::Problem),
        (status = 410, body = super::Problem), (status = 429, body = super::Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, Error> {
    if wants_html(&req) {
        return Ok(super::ui::share_page());
    }
    let opened = open(&state, &req, &token).await?;
    Ok(private(&mut HttpResponse::Ok()).json(opened.public()))
}

/// Whether this request is a download to count: not a revalidation and
/// not the middle of a file (a viewer fetching ranges counts once).
fn counts(req: &HttpRequest, not_modified: bool) -> bool {
    let from_start = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|range| range.replace(' ', "").starts_with("bytes=0-"));
    let head = req
        .extensions()
        .get::<super::access::AnsweringHead>()
        .is_some();
    !not_modified && !head && from_start
}

/// The bytes of the linked revision (Range, ETag). Counts a download,
/// recorded as a `share.downloaded` event.
#[utoipa::path(get, operation_id = "download_shared", path = "/s/{token}/content", tag = "shares", params(("token" = String, Path),
        ("X-Share-Password" = Option<String>, Header)),
    responses((status = 200, description = "the file"), (status = 206, description = "a byte range"),
        (status = 302, description = "S3: a URL signed for at most 5 minutes"),
        (status = 304, description = "not modified"), (status = 401, body = super::Problem),
        (status = 404, body = super::Problem), (status = 410, body = super::Problem),
        (status = 429, body = super::Problem)))]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let opened = open(&state, &req, &token).await?;
    if !opened.unlocked {
        return Err(Error::Unauthenticated(
            "this link needs a password; send it in the X-Share-Password header".into(),
        ));
    }
    let revision = &opened.revision;
    let sha256 = Sha256::parse(&revision.sha256).map_err(Error::internal)?;
    let not_modified = content::matches_etag(&req, &format!("\"{sha256}\""));
    if counts(&req, not_modified) {
        let client = shares::truncate_address(req.peer_addr().map(|a| a.ip()));
        let correlation = super::access::RequestId::correlation(&req);
        shares::record_download(&state.store, &opened, client, correlation).await?;
    }
    if !not_modified {
        let disposition = content::disposition(&revision.filename);
        let signed = state
            .blobs
            .presigned_get(
                &sha256,
                shares::PRESIGN_TTL,
                &disposition,
                &revision.content_type,
            )
            .await?;
        if let Some(url) = signed {
            return Ok(private(&mut HttpResponse::Found())
                .insert_header((header::LOCATION, url))
                .finish());
        }
    }
    let download = Download {
        sha256,
        size: u64::try_from(revision.size).unwrap_or(0),
        filename: &revision.filename,
        content_type: &revision.content_type,
    };
    let mut response = content::send(&req, &state.blobs, download).await?;
    for (name, value) in [
        ("referrer-policy", "no-referrer"),
        ("x-robots-tag", "noindex, nofollow"),
    ] {
        response.headers_mut().insert(
            header::HeaderName::from_static(name),
            header::HeaderValue::from_static(value),
        );
    }
    Ok(response)
}
