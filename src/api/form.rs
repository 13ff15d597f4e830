//! Reading a `multipart/form-data` upload: the `file` part streams into
//! storage, `title` and `tags` are small text parts, any other part is
//! refused, and the whole request is capped (see [`capped`]).
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_multipart::Multipart;
use actix_web::{HttpRequest, web};
use futures_util::{Stream, StreamExt, TryStreamExt};
use stockage_events::FileKind;

use super::room::Room;
use crate::documents::fields::{parse_tags, parse_title};
use crate::error::Error;
use crate::retention::quota::Reservation;
use crate::storage::policy::FileName;
use crate::storage::receive::{receive_stream, same_kind, too_large};
use crate::storage::{BlobStore, Staged, StoredBlob};

/// Largest `tags` part: 32 tags of 50 characters fit with room to spare.
const MAX_TAGS_PART: usize = 8 * 1024;
/// Largest `title` part: 200 characters of up to 4 bytes, and spaces.
const MAX_TITLE_PART: usize = 1024;
/// What a form may carry beyond its file: part headers, boundaries and the
/// two text parts. The whole request is cut off past the cap plus this.
pub const FORM_ALLOWANCE: u64 = 64 * 1024;

/// What an upload form carried, its file already in the blob store.
pub struct Received {
    pub filename: FileName,
    pub blob: StoredBlob,
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    /// The file's room under the quota: release it once it is recorded.
    pub reservation: Reservation,
}

/// Reads a multipart upload: the `file` part streams through the policy
/// into the blob store; `title` and `tags` are small text parts. With
/// `only`, a file of another type is refused before its bytes are read.
/// On any error nothing stays in the blob store.
pub async fn receive(
    req: &HttpRequest,
    body: web::Payload,
    blobs: &BlobStore,
    max_bytes: u64,
    only: Option<FileKind>,
    room: &Room<'_>,
) -> Result<Received, Error> {
    let overflowed = Arc::new(AtomicBool::new(false));
    let body = capped(body, max_bytes + FORM_ALLOWANCE, overflowed.clone());
    let mut form = Multipart::new(req.headers(), body);
    let mut file: Option<(FileName, Staged)> = None;
    let mut title = None;
    let mut tags = None;
    let outcome: Result<(), Error> = async {
        while let Some(field) = form.try_next().await.map_err(bad_form)? {
            let name = field.name().unwrap_or_default().to_owned();
            let twice = match name.as_str() {
                "file" => file.is_some(),
                "title" => title.is_some(),
                "tags" => tags.is_some(),
                _ => return Err(unknown_part(&name)),
            };
            if twice {
                return Err(Error::Invalid(format!(
                    "the form has more than one {name} part (each part comes once)"
                )));
            }
            match name.as_str() {
                "file" => file = Some(receive_file(field, blobs, max_bytes, only).await?),
                "title" => {
                    let text = text_part(field, "title", MAX_TITLE_PART).await?;
                    title = Some(parse_title(&text)?);
                }
                _ => {
                    let text = text_part(field, "tags", MAX_TAGS_PART).await?;
                    tags = Some(parse_tags(text.split(','))?);
                }
            }
        }
        Ok(())
    }
    .await;
    // Past the request cap, whichever part was being read says 413.
    let outcome = match outcome {
        Err(_) if overflowed.load(Ordering::Relaxed) => Err(Error::TooLarge(format!(
            "the request is larger than the upload limit of {} MB plus {} KB for the form",
            max_bytes / 1_000_000,
            FORM_ALLOWANCE / 1024
        ))),
        other => other,
    };
    // The file gets its content address only once the whole form is good.
    match (outcome, file) {
        (Ok(()), Some((filename, staged))) => {
            let (blob, reservation) = room.commit(staged).await?;
            Ok(Received {
                filename,
                blob,
                title,
                tags,
                reservation,
            })
        }
        (Ok(()), None) => Err(Error::Invalid(
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

fn bad_form(error: actix_multipart::MultipartError) -> Error {
    Error::Invalid(format!("the multipart form could not be read: {error}"))
}

/// The request body, ended with an error once more than `limit` bytes came
/// (and `overflowed` set), so no part is read past it.
fn capped(
    body: web::Payload,
    limit: u64,
    overflowed: Arc<AtomicBool>,
) -> impl Stream<Item = Result<bytes::Bytes, actix_web::error::PayloadError>> + 'static {
    let mut seen = 0u64;
    body.map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len() as u64;
        if seen > limit {
            overflowed.store(true, Ordering::Relaxed);
            return Err(actix_web::error::PayloadError::Overflow);
        }
        Ok(chunk)
    })
}

/// 400 before a byte of the part is read: only `file`, `title` and `tags`
/// are read, and reading anything else would be reading unbounded junk.
fn unknown_part(name: &str) -> Error {
    let shown: String = name.chars().take(64).collect();
    Error::Invalid(format!(
        "the form has an unknown part \"{}\"; an upload form has only the parts file, title and tags",
        shown.escape_default()
    ))
}

async fn text_part(
    mut field: actix_multipart::Field,
    name: &str,
    limit: usize,
) -> Result<String, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(bad_form)? {
        if bytes.len() + chunk.len() > limit {
            return Err(Error::Invalid(format!(
                "the {name} part is longer than {limit} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::Invalid(format!("the {name} part is not UTF-8 text")))
}

async fn receive_file(
    field: actix_multipart::Field,
    blobs: &BlobStore,
    max_bytes: u64,
    only: Option<FileKind>,
) -> Result<(FileName, Staged), Error> {
    let raw_name = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .ok_or_else(|| Error::Invalid("the file part has no filename".into()))?
        .to_owned();
    let filename = FileName::parse(&raw_name)?;
    if let Some(kind) = only {
        same_kind(kind, filename.kind())?;
    }
    let staged = receive_stream(field, filename.kind(), blobs, max_bytes).await?;
    Ok((filename, staged))
}

/// 413 before reading when the declared length is already far past the
/// cap (a form's own overhead is small).
pub fn check_declared_length(req: &actix_web::HttpRequest, max_bytes: u64) -> Result<(), Error> {
    match declared_length(req) {
        Some(length) if length > max_bytes + FORM_ALLOWANCE => Err(too_large(max_bytes)),
        _ => Ok(()),
    }
}

/// The request's `Content-Length`, when it sends one.
pub fn declared_length(req: &actix_web::HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
}
