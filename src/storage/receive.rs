//! The upload path: bytes stream through the file-type policy and the size
//! cap into the blob store, and get their content address only once they
//! passed. Whatever fails, nothing stays behind.
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use stockage_events::FileKind;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::policy::{self, PolicyError, Sniffer};
use super::{BlobError, BlobStore, Staged, StoredBlob};
use crate::error::Error;

/// Seconds a caller is told to wait when the blob store does not answer.
const BLOB_STORE_RETRY_AFTER: u64 = 5;

impl From<BlobError> for Error {
    fn from(error: BlobError) -> Self {
        match error {
            // The store did not answer (or answered an error): a dependency
            // outage, which the caller may retry; nothing was changed.
            BlobError::Store(cause) => {
                tracing::warn!(%cause, "the blob store failed");
                Error::Unavailable {
                    detail: "the file store is not answering; try again shortly".into(),
                    retry_after: BLOB_STORE_RETRY_AFTER,
                }
            }
            BlobError::Missing(_) | BlobError::Config(_) => Error::internal(error),
        }
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

/// The checks that bytes pass on their way in: the size cap and what the
/// type's signature and size can tell. Both upload paths (multipart and
/// resumable) run every byte through one.
pub struct Gate {
    sniffer: Sniffer,
    max_bytes: u64,
}

impl Gate {
    pub fn new(kind: FileKind, max_bytes: u64) -> Self {
        Self {
            sniffer: Sniffer::new(kind),
            max_bytes,
        }
    }

    pub fn pass(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if self.sniffer.size() + chunk.len() as u64 > self.max_bytes {
            return Err(too_large(self.max_bytes));
        }
        self.sniffer.feed(chunk);
        Ok(())
    }

    /// The early verdict on a file declared `size` bytes long, once its
    /// first bytes went past (`None` until then).
    pub fn verdict_on_declared(&self, size: u64) -> Option<Result<(), Error>> {
        self.sniffer
            .has_prefix(size)
            .then(|| Ok(self.sniffer.judge_declared(size)?))
    }

    pub fn finish(&self) -> Result<(), Error> {
        Ok(self.sniffer.finish()?)
    }
}

/// Streams `body` through the policy for `kind` into the blob store. On
/// any error nothing stays behind.
pub async fn receive_stream<E: std::fmt::Display>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    kind: FileKind,
    blobs: &BlobStore,
    max_bytes: u64,
) -> Result<Staged, Error> {
    let mut gate = Gate::new(kind, max_bytes);
    let mut upload = blobs.upload().await?;
    let streamed: Result<(), Error> = async {
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| Error::Invalid(format!("the upload could not be read: {e}")))?;
            gate.pass(&chunk)?;
            metrics::counter!("stockage_upload_bytes_total").increment(chunk.len() as u64);
            upload.write(chunk).await?;
        }
        gate.finish()
    }
    .await;
    if let Err(error) = streamed {
        upload.abort().await;
        return Err(error);
    }
    whole_file_checks(upload.stage().await?, kind).await
}

/// The policy over bytes already stored whole (a completed resumable
/// upload, `stored` reads them): the same gate and whole-file checks as
/// [`receive_stream`]. Returns the digest and size; the caller stages.
pub async fn check_stored(
    mut stored: impl Stream<Item = Result<Bytes, BlobError>> + Unpin,
    kind: FileKind,
    max_bytes: u64,
) -> Result<StoredBlob, Error> {
    use sha2::Digest;
    let mut gate = Gate::new(kind, max_bytes);
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = stored.next().await {
        let chunk = chunk?;
        gate.pass(&chunk)?;
        hasher.update(&chunk);
        size += chunk.len() as u64;
    }
    gate.finish()?;
    Ok(StoredBlob {
        sha256: stockage_events::Sha256::from_digest(hasher.finalize().into()),
        size,
    })
}

/// What only the whole file can tell (glTF's JSON). On failure the
/// staged bytes are discarded.
pub async fn whole_file_checks(staged: Staged, kind: FileKind) -> Result<Staged, Error> {
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
