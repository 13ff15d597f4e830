//! The upload path: bytes stream through the file-type policy and the size
//! cap into the blob store, and get their content address only once they
//! passed. Whatever fails, nothing stays behind.
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use stockage_events::FileKind;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::policy::{self, PolicyError, Sniffer};
use super::{BlobError, BlobStore, Staged};
use crate::error::Error;

impl From<BlobError> for Error {
    fn from(error: BlobError) -> Self {
        Error::internal(error)
    }
}

impl From<PolicyError> for Error {
    fn from(error: PolicyError) -> Self {
        match error {
            PolicyError::Type(why) => Error::UnsupportedType(why),
            PolicyError::BadName(_) | PolicyError::Empty => Error::Invalid(error.to_string()),
        }
    }
}

pub fn too_large(max_bytes: u64) -> Error {
    Error::TooLarge(format!(
        "the file is larger than the upload limit of {} MB",
        max_bytes / 1_000_000
    ))
}

/// Streams `body` through the policy for `kind` into the blob store. On
/// any error nothing stays behind.
pub async fn receive_stream<E: std::fmt::Display>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    kind: FileKind,
    blobs: &BlobStore,
    max_bytes: u64,
) -> Result<Staged, Error> {
    let mut sniffer = Sniffer::new(kind);
    let mut upload = blobs.upload().await?;
    let streamed: Result<(), Error> = async {
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| Error::Invalid(format!("the upload could not be read: {e}")))?;
            if upload.size() + chunk.len() as u64 > max_bytes {
                return Err(too_large(max_bytes));
            }
            sniffer.feed(&chunk);
            metrics::counter!("stockage_upload_bytes_total").increment(chunk.len() as u64);
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
        .map_err(Error::internal)?;
        if let Err(error) = checked {
            staged.discard().await;
            return Err(error.into());
        }
    }
    Ok(staged)
}

/// 415 unless a new revision keeps the document's type.
pub fn same_kind(document: FileKind, file: FileKind) -> Result<(), Error> {
    if document == file {
        return Ok(());
    }
    Err(Error::UnsupportedType(format!(
        "this document holds {document} files; a new revision must be one too, not {file}"
    )))
}
