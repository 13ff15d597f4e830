//! The web UI: the files under `ui/` embedded in the binary, so `serve` is
//! all it takes. Pages are the same shell; the script routes by path and
//! talks to the API with the token the user gave it (session storage).
use actix_web::http::header::{self, CacheControl, CacheDirective, ContentType, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::Error;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    /// A fingerprint of the bytes, computed by build.rs.
    etag: &'static str,
    body: &'static [u8],
}

/// Every file under `ui/` (build.rs lists them), and the generated
/// `parts.js` that loads each `ui/parts/*.js`.
const ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

const SHELL: &str = include_str!("../../ui/index.html");
/// The public page of a share link (no member's token involved).
const SHARE_PAGE: &str = include_str!("../../ui/share.html");
/// The browsable API page over `/api/v1/openapi.json`.
const API_DOCS: &str = include_str!("../../ui/api-docs.html");

/// No inline script, no other origin: the page can only run our files and
/// talk to this server.
const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; \
     script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Paths of pages: each answers the shell and the script routes by path
/// (`ui/app.js`; a part registers its page under `routes`).
const PAGES: &[&str] = &[
    "/login",
    "/projects",
    "/projects/{slug}",
    "/projects/{slug}/{tab}",
    "/projects/{slug}/documents/{id}",
    "/settings",
    "/settings/{page}",
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| async {
            HttpResponse::Found()
                .insert_header((header::LOCATION, "/projects"))
                .finish()
        }),
    );
    for page in PAGES {
        cfg.route(page, web::get().to(shell));
    }
    cfg.route("/api/docs", web::get().to(|| async { page(API_DOCS) }));
    cfg.route("/ui/{path:.*}", web::get().to(asset));
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
    let tag = EntityTag::new_strong(format!("{}-{}", env!("CARGO_PKG_VERSION"), asset.etag));
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
