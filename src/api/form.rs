//! Reading a `multipart/form-data` upload: the `file` part streams into
//! storage, `title` and `tags` are small text parts.
use actix_multipart::Multipart;
use futures_util::TryStreamExt;
use stockage_events::FileKind;

use super::room::Room;
use crate::documents::fields::{parse_tags, parse_title};
use crate::error::Error;
use crate::retention::quota::Reservation;
use crate::storage::policy::FileName;
use crate::storage::receive::{receive_stream, same_kind, too_large};
use crate::storage::{BlobStore, Staged, StoredBlob};

/// Largest text part (`title`, `tags`) accepted in an upload form.
const MAX_TEXT_PART: usize = 8 * 1024;

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
    mut form: Multipart,
    blobs: &BlobStore,
    max_bytes: u64,
    only: Option<FileKind>,
    room: &Room<'_>,
) -> Result<Received, Error> {
    let mut file: Option<(FileName, Staged)> = None;
    let mut title = None;
    let mut tags = None;
    let outcome: Result<(), Error> = async {
        while let Some(field) = form.try_next().await.map_err(bad_form)? {
            match field.name().unwrap_or_default() {
                "file" if file.is_some() => {
                    return Err(Error::Invalid(
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

async fn text_part(mut field: actix_multipart::Field, name: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(bad_form)? {
        if bytes.len() + chunk.len() > MAX_TEXT_PART {
            return Err(Error::Invalid(format!(
                "the {name} part is longer than {MAX_TEXT_PART} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::Invalid(format!("the {name} part is not UTF-8 text")))
}

async fn drain(mut field: actix_multipart::Field) -> Result<(), Error> {
    while field.try_next().await.map_err(bad_form)?.is_some() {}
    Ok(())
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
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > max_bytes + 64 * 1024 => Err(too_large(max_bytes)),
        _ => Ok(()),
    }
}
