//! The OpenAPI document, served at /api/v1/openapi.json.
use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

mod responses;

use responses::SharedResponses;

use super::{
    acl, diffs, document_list, documents, live, locks, ops, previews, projects, public, retention,
    revisions, search, shares, signin, tokens, uploads,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Stockage", description = "Secure, versioned, event-sourced document store"),
    paths(
        ops::healthz, ops::readyz, ops::metrics, ops::policy, serve,
        signin::config, signin::login, signin::callback, signin::logout,
        projects::create_project, projects::list_projects, projects::get_project,
        projects::list_members, projects::put_member, projects::remove_member,
        documents::upload, document_list::list, documents::get, documents::patch, documents::delete,
        documents::restore_deleted, documents::download,
        acl::get_acl, acl::put_acl, acl::explain,
        locks::lock, locks::unlock, locks::change_state,
        revisions::put_content, revisions::list, revisions::download, revisions::label, revisions::restore, diffs::diff,
        previews::preview,
        search::everywhere, search::in_project,
        live::list, live::subscribe,
        tokens::create, tokens::list, tokens::revoke, tokens::me,
        shares::create, shares::list, shares::revoke,
        public::show, public::download,
        uploads::options, uploads::create, uploads::status, uploads::patch, uploads::terminate,
        retention::list_trash, retention::get_retention, retention::put_retention, retention::put_hold,
        retention::usage, retention::patch_project,
    ),
    modifiers(&BearerAuth, &SharedResponses)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
    }
}

/// The methods the API answers at `path` (an actual path, e.g.
/// `/api/v1/projects/bridge`), read from the OpenAPI document: the route
/// table users see is the one a wrong method is checked against. Empty
/// when no documented route has this path.
pub fn methods_at(path: &str) -> Vec<&'static str> {
    static ROUTES: OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        document()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some() || item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ];
                let methods = methods
                    .into_iter()
                    .filter_map(|(name, present)| present.then_some(name))
                    .collect();
                (segments, methods)
            })
            .collect()
    });
    let wanted: Vec<&str> = path.split('/').collect();
    routes
        .iter()
        .filter(|(segments, _)| {
            segments.len() == wanted.len()
                && segments.iter().zip(&wanted).all(|(template, actual)| {
                    template == actual || (template.starts_with('{') && !actual.is_empty())
                })
        })
        .flat_map(|(_, methods)| methods.iter().copied())
        .fold(Vec::new(), |mut all, method| {
            if !all.contains(&method) {
                all.push(method);
            }
            all
        })
}

/// This document. It is public: it describes the API and holds no data.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The document, built once with every `Modify`.
fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(ApiDoc::openapi)
}
