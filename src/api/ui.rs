//! The web UI: a few static files embedded in the binary, so `serve` is
//! all it takes. Pages are the same shell; the script routes by path and
//! talks to the API with the token the user gave it (session storage).
use actix_web::http::header::{self, CacheControl, CacheDirective, ContentType, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::Error;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_str!(concat!("../../ui/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("views/login.js", JS),
    asset!("views/projects.js", JS),
    asset!("views/project.js", JS),
    asset!("views/upload.js", JS),
    asset!("views/document.js", JS),
    asset!("views/history.js", JS),
    asset!("views/permissions.js", JS),
    asset!("share.js", JS),
    asset!("icon.svg", "image/svg+xml"),
];

const SHELL: &str = include_str!("../../ui/index.html");
/// The public page of a share link (no member's token involved).
const SHARE_PAGE: &str = include_str!("../../ui/share.html");

/// No inline script, no other origin: the page can only run our files and
/// talk to this server.
const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; \
     script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| async {
            HttpResponse::Found()
                .insert_header((header::LOCATION, "/projects"))
                .finish()
        }),
    )
    .route("/login", web::get().to(shell))
    .route("/projects", web::get().to(shell))
    .route("/projects/{slug}", web::get().to(shell))
    .route("/projects/{slug}/documents/{id}", web::get().to(shell))
    .route("/ui/{path:.*}", web::get().to(asset));
}

async fn shell() -> HttpResponse {
    page(SHELL)
}

/// The share link's page: the same policy, and no referrer, so the token
/// in its URL goes nowhere else.
pub fn share_page() -> HttpResponse {
    page(SHARE_PAGE)
}

fn page(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(body)
}

/// Assets change only with the binary, so a tag of the build's version
/// and the file's length is enough for revalidation.
async fn asset(request: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, Error> {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path.as_str()) else {
        return Err(Error::NotFound(format!(
            "the UI has no file {:?}",
            path.as_str()
        )));
    };
    let tag = EntityTag::new_strong(format!(
        "{}-{:x}",
        env!("CARGO_PKG_VERSION"),
        fingerprint(asset.body)
    ));
    let fresh = super::content::matches_etag(&request, &tag.to_string());
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(ETag(tag))
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if fresh {
        return Ok(response.finish());
    }
    Ok(response.content_type(asset.content_type).body(asset.body))
}

/// FNV-1a: a cheap, stable fingerprint of an embedded file.
fn fingerprint(body: &str) -> u64 {
    body.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
