//! Receiving an upload (multipart, streamed through the policy into the
//! blob store) and the document queries.
use actix_multipart::Multipart;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use sqlx::PgPool;
use stockage_events::{FileKind, UserId};
use time::OffsetDateTime;
use tokio_util::io::{StreamReader, SyncIoBridge};
use uuid::Uuid;

use crate::access::{DOCUMENT_COLUMNS, DocumentRow};
use crate::api::ApiError;
use crate::blobs::{BlobError, BlobStore, Staged, StoredBlob};
use crate::policy::{self, FileName, PolicyError, Sniffer};
use crate::projects::Membership;

const MAX_TITLE: usize = 200;
const MAX_TAG: usize = 50;
const MAX_TAGS: usize = 32;
/// Largest text part (`title`, `tags`) accepted in an upload form.
const MAX_TEXT_PART: usize = 8 * 1024;

impl From<PolicyError> for ApiError {
    fn from(error: PolicyError) -> Self {
        match error {
            PolicyError::Type(why) => ApiError::UnsupportedMediaType(why),
            PolicyError::BadName(_) | PolicyError::Empty => ApiError::BadRequest(error.to_string()),
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(error: BlobError) -> Self {
        ApiError::internal(error)
    }
}

pub fn too_large(max_bytes: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the file is larger than the upload limit of {} MB",
        max_bytes / 1_000_000
    ))
}

/// A title as typed: trimmed, not empty, at most 200 characters.
pub fn parse_title(raw: &str) -> Result<String, ApiError> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(ApiError::BadRequest("title must not be empty".into()));
    }
    if title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "title must be at most {MAX_TITLE} characters without control characters"
        )));
    }
    Ok(title.to_owned())
}

/// Tags, trimmed and de-duplicated in order: at most 32 of at most 50
/// characters, no commas or control characters.
pub fn parse_tags<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, ApiError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        if tag.chars().count() > MAX_TAG || tag.contains(',') || tag.chars().any(char::is_control) {
            return Err(ApiError::BadRequest(format!(
                "tag {tag:?} must be at most {MAX_TAG} characters without commas or control characters"
            )));
        }
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ApiError::BadRequest(format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

/// What an upload form carried, its file already in the blob store.
pub struct Received {
    pub filename: FileName,
    pub blob: StoredBlob,
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Reads a multipart upload: the `file` part streams through the policy
/// into the blob store; `title` and `tags` are small text parts. With
/// `only`, a file of another type is refused before its bytes are read.
/// On any error nothing stays in the blob store.
pub async fn receive(
    mut form: Multipart,
    blobs: &BlobStore,
    max_bytes: u64,
    only: Option<FileKind>,
) -> Result<Received, ApiError> {
    let mut file: Option<(FileName, Staged)> = None;
    let mut title = None;
    let mut tags = None;
    let outcome: Result<(), ApiError> = async {
        while let Some(field) = form.try_next().await.map_err(bad_form)? {
            match field.name().unwrap_or_default() {
                "file" if file.is_some() => {
                    return Err(ApiError::BadRequest(
                        "the form has more than one file part".into(),
                    ));
                }
                "file" => file = Some(receive_file(field, blobs, max_bytes, only).await?),
                "title" => title = Some(parse_title(&text_part(field, "title").await?)?),
                "tags" => tags = Some(parse_tags(text_part(field, "tags").await?.split(','))?),
                _ => drain(field).await?,
            }
        }
        Ok(())
    }
    .await;
    // The file gets its content address only once the whole form is good.
    match (outcome, file) {
        (Ok(()), Some((filename, staged))) => Ok(Received {
            filename,
            blob: staged.commit().await?,
            title,
            tags,
        }),
        (Ok(()), None) => Err(ApiError::BadRequest(
            "the form has no file part (send the file as multipart part \"file\")".into(),
        )),
        (Err(error), staged) => {
            if let Some((_, staged)) = staged {
                staged.discard().await;
            }
            Err(error)
        }
    }
}

fn bad_form(error: actix_multipart::MultipartError) -> ApiError {
    ApiError::BadRequest(format!("the multipart form could not be read: {error}"))
}

async fn text_part(mut field: actix_multipart::Field, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(bad_form)? {
        if bytes.len() + chunk.len() > MAX_TEXT_PART {
            return Err(ApiError::BadRequest(format!(
                "the {name} part is longer than {MAX_TEXT_PART} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::BadRequest(format!("the {name} part is not UTF-8 text")))
}

async fn drain(mut field: actix_multipart::Field) -> Result<(), ApiError> {
    while field.try_next().await.map_err(bad_form)?.is_some() {}
    Ok(())
}

async fn receive_file(
    field: actix_multipart::Field,
    blobs: &BlobStore,
    max_bytes: u64,
    only: Option<FileKind>,
) -> Result<(FileName, Staged), ApiError> {
    let raw_name = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .ok_or_else(|| ApiError::BadRequest("the file part has no filename".into()))?
        .to_owned();
    let filename = FileName::parse(&raw_name)?;
    if let Some(kind) = only {
        same_kind(kind, filename.kind())?;
    }
    let staged = receive_stream(field, filename.kind(), blobs, max_bytes).await?;
    Ok((filename, staged))
}

/// Streams `body` through the policy for `kind` into the blob store. On
/// any error nothing stays behind.
pub async fn receive_stream<E: std::fmt::Display>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    kind: FileKind,
    blobs: &BlobStore,
    max_bytes: u64,
) -> Result<Staged, ApiError> {
    let mut sniffer = Sniffer::new(kind);
    let mut upload = blobs.upload().await?;
    let streamed: Result<(), ApiError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?;
            if upload.size() + chunk.len() as u64 > max_bytes {
                return Err(too_large(max_bytes));
            }
            sniffer.feed(&chunk);
            upload.write(chunk).await?;
        }
        Ok(sniffer.finish()?)
    }
    .await;
    if let Err(error) = streamed {
        upload.abort().await;
        return Err(error);
    }
    let staged = upload.stage().await?;
    if kind == FileKind::Gltf {
        let stream = staged.read().await?.map_err(std::io::Error::other);
        let reader = SyncIoBridge::new(StreamReader::new(stream));
        let checked = tokio::task::spawn_blocking(move || {
            policy::check_gltf_json(std::io::BufReader::new(reader))
        })
        .await
        .map_err(ApiError::internal)?;
        if let Err(error) = checked {
            staged.discard().await;
            return Err(error.into());
        }
    }
    Ok(staged)
}

/// 415 unless a new revision keeps the document's type.
pub fn same_kind(document: FileKind, file: FileKind) -> Result<(), ApiError> {
    if document == file {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType(format!(
        "this document holds {document} files; a new revision must be one too, not {file}"
    )))
}

/// 413 before reading when the declared length is already far past the
/// cap (a form's own overhead is small).
pub fn check_declared_length(req: &actix_web::HttpRequest, max_bytes: u64) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > max_bytes + 64 * 1024 => Err(too_large(max_bytes)),
        _ => Ok(()),
    }
}

/// Filters of the document list.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub tag: Option<String>,
    pub kind: Option<FileKind>,
    pub q: Option<String>,
    pub include_deleted: bool,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// A keyset position in the list: newest first by (created_at, id).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub created_at: OffsetDateTime,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.created_at.unix_timestamp_nanos() / 1_000,
            self.id.simple()
        )
    }

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let bad =
            || ApiError::BadRequest(format!("cursor {raw:?} is not one this server gave out"));
        let (micros, id) = raw.split_once('_').ok_or_else(bad)?;
        let micros: i128 = micros.parse().map_err(|_| bad())?;
        let created_at =
            OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).map_err(|_| bad())?;
        Ok(Self {
            created_at,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of a project's documents and the cursor of the next page.
/// Only documents the caller may read are listed: the permission rules run
/// inside the query (`stockage_permission`), so a hidden document never
/// reaches a page or a cursor.
pub async fn list(
    pool: &PgPool,
    membership: &Membership,
    user: &UserId,
    filter: &ListFilter,
) -> Result<(Vec<DocumentRow>, Option<Cursor>), ApiError> {
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM project_resources
         WHERE project_id = $1
           AND ($2::text IS NULL OR $2 = ANY(tags))
           AND ($3::text IS NULL OR kind = $3)
           AND ($4::text IS NULL OR title ILIKE $4 OR filename ILIKE $4)
           AND ($5 OR deleted_at IS NULL)
           AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7))
           AND stockage_permission(id, $9, $10) <> 'none'
         ORDER BY created_at DESC, id DESC
         LIMIT $8"
    );
    let mut rows: Vec<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(membership.project.id)
        .bind(&filter.tag)
        .bind(filter.kind.map(FileKind::as_str))
        .bind(filter.q.as_deref().map(like_pattern))
        .bind(filter.include_deleted)
        .bind(filter.after.map(|c| c.created_at))
        .bind(filter.after.map(|c| c.id))
        .bind(filter.limit + 1)
        .bind(user.as_str())
        .bind(membership.role.as_str())
        .fetch_all(pool)
        .await?;
    let next = if rows.len() as i64 > filter.limit {
        rows.truncate(filter.limit as usize);
        rows.last().map(|row| Cursor {
            created_at: row.created_at,
            id: row.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<DocumentRow, ApiError> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM project_resources WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| ApiError::internal(format!("document {id} missing from the read model")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        assert_eq!(
            parse_tags(" a , b,a,, c ".split(',')).unwrap(),
            ["a", "b", "c"]
        );
        assert!(parse_tags([&*"x".repeat(51)]).is_err());
        let many: Vec<String> = (0..33).map(|n| n.to_string()).collect();
        assert!(parse_tags(many.iter().map(String::as_str)).is_err());
    }

    #[test]
    fn titles_and_cursors() {
        assert_eq!(parse_title("  Plan  ").unwrap(), "Plan");
        assert!(parse_title("   ").is_err() && parse_title(&"t".repeat(201)).is_err());
        let cursor = Cursor {
            created_at: OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_000)
                .unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::parse("garbage").is_err());
        assert_eq!(like_pattern("50%_x"), "%50\\%\\_x%");
    }
}
