//! The OpenAPI document, served at /api/v1/openapi.json.
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{acl, documents, live, ops, previews, projects, revisions, search, tokens};

#[derive(OpenApi)]
#[openapi(
    info(title = "Stockage", description = "Secure, versioned, event-sourced document store"),
    paths(
        ops::healthz, ops::readyz, ops::metrics, ops::policy,
        projects::create_project, projects::list_projects, projects::get_project,
        projects::list_members, projects::put_member, projects::remove_member,
        documents::upload, documents::list, documents::get, documents::patch, documents::delete,
        documents::restore_deleted, documents::download,
        acl::get_acl, acl::put_acl, acl::explain,
        revisions::put_content, revisions::list, revisions::download, revisions::label, revisions::restore, revisions::diff,
        previews::preview,
        search::everywhere, search::in_project,
        live::list, live::subscribe,
        tokens::create, tokens::list, tokens::revoke, tokens::me,
    ),
    modifiers(&BearerAuth)
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

/// The spec is public: it describes the API and holds no data.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
