//! Resumable uploads over tus 1.0.0 (core, creation, creation-with-upload,
//! expiration, checksum, termination) at `/api/v1/uploads`; the protocol's
//! headers here, the upload's path in `crate::uploads`.
use std::time::SystemTime;

use actix_web::http::header::{self, HeaderMap, HttpDate};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::AuthUser;
use super::{AppState, meta};
use crate::error::Error;
use crate::uploads::{Checksum, Target, UploadRow, Written};

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
const OFFSET_STREAM: &str = "application/offset+octet-stream";

pub fn routes(cfg: &mut web::ServiceConfig) {
    let tus = || DefaultHeaders::new().add(("Tus-Resumable", VERSION));
    cfg.service(
        web::resource("/uploads")
            .wrap(tus())
            .route(web::method(actix_web::http::Method::OPTIONS).to(options))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/uploads/{id}")
            .wrap(tus())
            .route(web::method(actix_web::http::Method::OPTIONS).to(options))
            .route(web::get().to(status))
            .route(web::patch().to(patch))
            .route(web::delete().to(terminate)),
    );
}

/// What the server supports; needs no token.
#[utoipa::path(options, path = "/api/v1/uploads", tag = "uploads",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm")))]
pub async fn options(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Tus-Version", VERSION))
        .insert_header(("Tus-Extension", EXTENSIONS))
        .insert_header(("Tus-Max-Size", state.uploads.max_bytes().to_string()))
        .insert_header((
            "Tus-Checksum-Algorithm",
            crate::uploads::CHECKSUM_ALGORITHMS,
        ))
        .finish()
}

/// 412 naming the supported version unless the client speaks tus 1.0.0.
fn wrong_version(req: &HttpRequest) -> Option<HttpResponse> {
    match text(req.headers(), "Tus-Resumable") {
        Ok(Some(VERSION)) => None,
        _ => Some(HttpResponse::PreconditionFailed()
            .insert_header(("Tus-Version", VERSION))
            .content_type("application/problem+json")
            .json(serde_json::json!({
                "type": "https://stockage.dev/problems/precondition-failed",
                "title": "Precondition failed",
                "status": 412,
                "detail": format!("this endpoint speaks tus {VERSION}: send Tus-Resumable: {VERSION}"),
            }))),
    }
}

fn text<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, Error> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map(str::trim)
                .map_err(|_| Error::Invalid(format!("{name} is not readable text")))
        })
        .transpose()
}

fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, Error> {
    text(headers, name)?
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| Error::Invalid(format!("{name} must be a whole number of bytes")))
        })
        .transpose()
}

fn upload_id(raw: &str) -> Result<Uuid, Error> {
    raw.parse()
        .map_err(|_| Error::NotFound(format!("upload {raw:?} not found")))
}

fn expires(at: OffsetDateTime) -> String {
    HttpDate::from(SystemTime::from(at)).to_string()
}

fn is_offset_stream(req: &HttpRequest) -> bool {
    text(req.headers(), "Content-Type")
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case(OFFSET_STREAM))
}

fn checksum(req: &HttpRequest) -> Result<Option<Checksum>, Error> {
    text(req.headers(), "Upload-Checksum")?
        .map(Checksum::parse)
        .transpose()
}

/// Upload-Offset, Upload-Expires and, once complete, the document.
fn written(mut response: HttpResponseBuilder, written: &Written) -> HttpResponse {
    response.insert_header(("Upload-Offset", written.offset.to_string()));
    match written.completed {
        Some((document, revision)) => {
            response
                .insert_header(("Stockage-Document", document.to_string()))
                .insert_header(("Stockage-Revision", revision.to_string()));
        }
        None => {
            response.insert_header(("Upload-Expires", expires(written.expires_at)));
        }
    }
    response.finish()
}

/// Creates an upload (`Upload-Length`, `Upload-Metadata` with `project`,
/// `filename`, optional `title`, `tags`, `document`, `if_match`); with an
/// `application/offset+octet-stream` body its first bytes come along.
#[utoipa::path(post, operation_id = "create_upload", path = "/api/v1/uploads", tag = "uploads", security(("bearer" = [])),
    params(("Upload-Length" = u64, Header), ("Upload-Metadata" = String, Header), ("Tus-Resumable" = String, Header)),
    responses((status = 201, description = "Location of the upload; Upload-Offset, Upload-Expires"),
        (status = 400, body = super::Problem), (status = 403, body = super::Problem),
        (status = 404, body = super::Problem), (status = 412, body = super::Problem),
        (status = 413, body = super::Problem), (status = 415, body = super::Problem)))]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    if let Some(refused) = wrong_version(&req) {
        return Ok(refused);
    }
    let headers = req.headers();
    if headers.contains_key("Upload-Defer-Length") {
        return Err(Error::Invalid(
            "Upload-Defer-Length is not supported: send Upload-Length".into(),
        ));
    }
    let length = number(headers, "Upload-Length")?
        .ok_or_else(|| Error::Invalid("Upload-Length is required".into()))?;
    let target = Target::parse(text(headers, "Upload-Metadata")?)?;
    let checksum = checksum(&req)?;
    let with_bytes = is_offset_stream(&req) && number(headers, "Content-Length")? != Some(0);
    let row = state.uploads.create(&user.id, length, &target).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/uploads/{}", row.id)));
    let outcome = if with_bytes {
        let meta = meta(&user, &req);
        state
            .uploads
            .write(&user.id, row.id, 0, checksum, body, meta)
            .await?
    } else {
        Written {
            offset: 0,
            expires_at: row.expires_at,
            completed: None,
        }
    };
    Ok(written(response, &outcome))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadStatus {
    id: Uuid,
    offset: i64,
    length: i64,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    document_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<i32>,
}

impl From<UploadRow> for UploadStatus {
    fn from(row: UploadRow) -> Self {
        Self {
            id: row.id,
            offset: row.offset,
            length: row.length,
            expires_at: row.expires_at,
            document_id: row.result_document,
            revision: row.result_revision,
        }
    }
}

/// The upload as JSON, with the document it became once complete, and in
/// tus's headers (`Upload-Offset`, `Upload-Length`, `Upload-Expires`):
/// `HEAD` is answered by this route (see `access`), headers only.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UploadStatus, description = "also Upload-Offset, Upload-Length, Upload-Expires"),
        (status = 404, body = super::Problem), (status = 410, body = super::Problem)))]
pub async fn status(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    // Reads need no Tus-Resumable, but one naming another version is refused.
    if req.headers().contains_key("Tus-Resumable")
        && let Some(refused) = wrong_version(&req)
    {
        return Ok(refused);
    }
    let row = state.uploads.status(&user.id, upload_id(&id)?).await?;
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("Upload-Offset", row.offset.to_string()))
        .insert_header(("Upload-Length", row.length.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if row.completed_at.is_none() {
        response.insert_header(("Upload-Expires", expires(row.expires_at)));
    }
    Ok(response.json(UploadStatus::from(row)))
}

/// Appends bytes at `Upload-Offset`; the last byte completes the upload
/// (`Stockage-Document`, `Stockage-Revision`) or answers the policy's 4xx.
#[utoipa::path(patch, operation_id = "patch_upload", path = "/api/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Upload-Offset" = u64, Header), ("Upload-Checksum" = Option<String>, Header)),
    request_body(content_type = "application/offset+octet-stream", description = "bytes from Upload-Offset on"),
    responses((status = 204, description = "Upload-Offset; once complete Stockage-Document and Stockage-Revision"),
        (status = 400, body = super::Problem), (status = 404, body = super::Problem),
        (status = 409, description = "Upload-Offset is not the upload's offset", body = super::Problem),
        (status = 410, body = super::Problem), (status = 412, body = super::Problem),
        (status = 413, body = super::Problem), (status = 415, body = super::Problem),
        (status = 460, description = "checksum mismatch", body = super::Problem)))]
pub async fn patch(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    if let Some(refused) = wrong_version(&req) {
        return Ok(refused);
    }
    if !is_offset_stream(&req) {
        return Err(Error::UnsupportedType(format!(
            "a PATCH carries Content-Type: {OFFSET_STREAM}"
        )));
    }
    let id = upload_id(&id)?;
    let offset = number(req.headers(), "Upload-Offset")?
        .ok_or_else(|| Error::Invalid("Upload-Offset is required".into()))?;
    let checksum = checksum(&req)?;
    let meta = meta(&user, &req);
    let outcome = state
        .uploads
        .write(&user.id, id, offset, checksum, body, meta)
        .await?;
    Ok(written(HttpResponse::NoContent(), &outcome))
}

/// Terminates the upload: its bytes are removed.
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "terminated"), (status = 404, body = super::Problem)))]
pub async fn terminate(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    if let Some(refused) = wrong_version(&req) {
        return Ok(refused);
    }
    state.uploads.terminate(&user.id, upload_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
