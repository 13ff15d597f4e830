//! Projects and members (ProjectTeam).
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use stockage_events::{ProjectSlug, Role, UserId};
use uuid::Uuid;

use super::auth::AuthUser;
use super::{AppState, meta};
use crate::documents::members;
use crate::documents::projects::{self, MemberView, ProjectView};
use crate::domain::project::ProjectCommand;
use crate::error::Error;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects")
            .route(web::get().to(list_projects))
            .route(web::post().to(create_project)),
    )
    .service(
        web::resource("/projects/{slug}")
            .route(web::get().to(get_project))
            .route(web::patch().to(super::retention::patch_project)),
    )
    .route("/projects/{slug}/members", web::get().to(list_members))
    .service(
        web::resource("/projects/{slug}/members/{user_id}")
            .route(web::put().to(put_member))
            .route(web::delete().to(remove_member)),
    );
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateProject {
    slug: String,
    title: String,
    description: Option<String>,
    category: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 10_000;

fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Error> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(Error::Invalid(format!(
            "{field} is longer than {max} characters"
        ))),
        other => Ok(other),
    }
}

/// Create a project; the caller becomes its owner. Needs the `admin` claim.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", security(("bearer" = [])),
    request_body = CreateProject,
    responses((status = 201, body = ProjectView), (status = 400, body = super::Problem),
        (status = 401, body = super::Problem), (status = 403, body = super::Problem),
        (status = 409, description = "slug taken", body = super::Problem)))]
pub async fn create_project(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CreateProject>,
) -> Result<HttpResponse, Error> {
    if !user.admin {
        return Err(Error::Forbidden(
            "creating projects needs a token with the admin claim".into(),
        ));
    }
    let body = body.into_inner();
    let slug = ProjectSlug::parse(body.slug.trim()).map_err(|e| Error::Invalid(e.to_string()))?;
    let title = text("title", Some(body.title), MAX_TITLE)?
        .ok_or_else(|| Error::Invalid("title must not be empty".into()))?;
    let command = ProjectCommand::Create {
        slug: slug.clone(),
        title,
        description: text("description", body.description, MAX_TEXT)?,
        category: text("category", body.category, MAX_TITLE)?,
        by: user.id.clone(),
    };
    projects::execute(&state.store, Uuid::now_v7(), command, meta(&user, &req))
        .await
        .map_err(|e| match e {
            Error::Conflict(_) => {
                Error::Conflict(format!("a project with slug {slug} already exists"))
            }
            other => other,
        })?;
    let created = projects::membership(state.pool(), slug.as_str(), &user.id).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/projects/{slug}")))
        .json(created.project))
}

/// The caller's projects.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", security(("bearer" = [])),
    responses((status = 200, body = Items<ProjectView>), (status = 401, body = super::Problem)))]
pub async fn list_projects(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let items = projects::list_for(state.pool(), &user.id).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// One project, with the caller's role. Non-members get 404.
#[utoipa::path(get, path = "/api/v1/projects/{slug}", tag = "projects", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = ProjectView), (status = 404, body = super::Problem)))]
pub async fn get_project(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    Ok(HttpResponse::Ok().json(membership.project))
}

/// The project's team.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/members", tag = "projects", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = Items<MemberView>), (status = 404, body = super::Problem)))]
pub async fn list_members(
    user: AuthUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &slug, &user.id).await?;
    let items = projects::members(state.pool(), membership.project.id).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PutMember {
    /// viewer, editor, admin or owner
    role: String,
}

fn member_path(path: &(String, String)) -> Result<UserId, Error> {
    UserId::parse(&path.1).map_err(|e| Error::Invalid(e.to_string()))
}

/// Add a member or change their role. Needs admin or owner; only owners grant owner.
#[utoipa::path(put, path = "/api/v1/projects/{slug}/members/{user_id}", tag = "projects",
    security(("bearer" = [])), params(("slug" = String, Path), ("user_id" = String, Path)),
    request_body = PutMember,
    responses((status = 200, body = MemberView), (status = 403, body = super::Problem),
        (status = 404, body = super::Problem), (status = 409, description = "last owner", body = super::Problem)))]
pub async fn put_member(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<PutMember>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &path.0, &user.id).await?;
    let member = member_path(&path)?;
    let role = Role::parse(body.role.trim()).map_err(|e| Error::Invalid(e.to_string()))?;
    let project_id = membership.project.id;
    let command = ProjectCommand::SetMember {
        user: member.clone(),
        role,
        by: user.id.clone(),
    };
    projects::execute(&state.store, project_id, command, meta(&user, &req)).await?;
    let view = projects::member(state.pool(), project_id, &member)
        .await?
        .ok_or_else(|| Error::internal("member missing right after being added"))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Remove a member. Needs admin or owner; the last owner cannot leave.
#[utoipa::path(delete, path = "/api/v1/projects/{slug}/members/{user_id}", tag = "projects",
    security(("bearer" = [])), params(("slug" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem),
        (status = 404, body = super::Problem), (status = 409, description = "last owner", body = super::Problem)))]
pub async fn remove_member(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let membership = projects::membership(state.pool(), &path.0, &user.id).await?;
    let member = member_path(&path)?;
    // The member's document ACL entries are revoked with them (0055).
    members::remove(
        &state.store,
        membership.project.id,
        member,
        user.id.clone(),
        meta(&user, &req),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
