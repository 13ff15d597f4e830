//! The export archive: a versioned, compact, verifiable copy of the log
//! (and optionally the blobs it references).
//!
//! Layout: the magic `STKARCH1`, then frames, each a little-endian `u32`
//! length and a postcard-encoded [`Frame`]: one `Header`, every `Event` in
//! log order, optionally `Blob` + `BlobChunk`s, one `End`; then the SHA-256
//! of every byte before it. Payloads are kept as the canonical bytes the
//! hash chain covers.
use std::io::{Read, Write};

use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256 as Hasher};
use sqlx::PgPool;
use stockage_events::{ChainError, GENESIS_HASH, Hash, RecordedEvent, Sha256, verify_chain};
use stockage_projections::inline_projectors;
use stockage_store::{apply_all, import, log};
use time::OffsetDateTime;

use crate::storage::{BlobError, BlobStore};

pub const MAGIC: &[u8; 8] = b"STKARCH1";
pub const FORMAT_VERSION: u32 = 1;
const PAGE: i64 = 2_000;
const CHUNK: usize = 1 << 20;
/// No frame is larger than this; a bigger length means a corrupt file.
const MAX_FRAME: u32 = 16 << 20;

use super::frame::Frame;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a Stockage archive")]
    NotAnArchive,
    #[error("archive format {0} is newer than this program reads ({FORMAT_VERSION})")]
    UnsupportedVersion(u32),
    #[error(
        "the archive ends inside a frame, before its end frame and checksum: \
         it was cut short, or a frame's length was changed"
    )]
    Truncated,
    #[error("the archive is corrupt: {0}")]
    Corrupt(String),
    #[error("the archive's hash chain is broken: {0}")]
    Chain(#[from] ChainError),
    #[error("import needs an empty database; this one holds {0} events")]
    NotEmpty(i64),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("blob store: {0}")]
    Blobs(#[from] BlobError),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub events: u64,
    pub blobs: u64,
    pub end_hash: String,
}

/// Writes frames and keeps the running checksum of everything written.
struct Out<W: Write> {
    inner: W,
    checksum: Hasher,
}

impl<W: Write> Out<W> {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.checksum.update(bytes);
        self.inner.write_all(bytes)
    }

    fn frame(&mut self, frame: &Frame) -> Result<(), ArchiveError> {
        let bytes = postcard::to_stdvec(frame).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
        self.raw(&(bytes.len() as u32).to_le_bytes())?;
        self.raw(&bytes)?;
        Ok(())
    }
}

/// Exports the whole log, and with `blobs` every blob it references.
pub async fn export(
    pool: &PgPool,
    blobs: Option<&BlobStore>,
    out: impl Write,
) -> Result<Summary, ArchiveError> {
    let mut out = Out {
        inner: out,
        checksum: Hasher::new(),
    };
    out.raw(MAGIC)?;
    out.frame(&Frame::Header {
        format_version: FORMAT_VERSION,
        created_at_us: (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64,
        first_position: 1,
        start_prev_hash: GENESIS_HASH,
    })?;
    let mut conn = pool.acquire().await?;
    let (mut after, mut events, mut end_hash) = (0, 0, GENESIS_HASH);
    // The blobs of revisions not purged: a purged revision's bytes are
    // gone, and its events say so.
    let mut referenced = super::live_blobs::LiveBlobs::default();
    loop {
        let page = log::read_after(&mut conn, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        (after, end_hash) = (last.position, last.hash);
        for event in &page {
            referenced
                .see(event)
                .map_err(|e| ArchiveError::Corrupt(format!("event {}: {e}", event.position)))?;
            out.frame(&Frame::Event(event.into()))?;
            events += 1;
        }
    }
    let mut blob_count = 0;
    if let Some(store) = blobs {
        for (sha, (size, _)) in &referenced.blobs() {
            out.frame(&Frame::Blob {
                sha256: sha.to_string(),
                size: *size,
            })?;
            // Streamed: a blob is never held whole in memory.
            let mut body = store.read(sha, None).await?;
            while let Some(chunk) = body.next().await {
                for piece in chunk?.chunks(CHUNK) {
                    out.frame(&Frame::BlobChunk(piece.to_vec()))?;
                }
            }
            blob_count += 1;
        }
    }
    out.frame(&Frame::End {
        events,
        blobs: blob_count,
        end_hash,
    })?;
    let checksum: [u8; 32] = out.checksum.clone().finalize().into();
    out.inner.write_all(&checksum)?;
    out.inner.flush()?;
    Ok(Summary {
        events,
        blobs: blob_count,
        end_hash: hex::encode(end_hash),
    })
}

/// Reads frames and keeps the running checksum of everything read.
struct In<R: Read> {
    inner: R,
    checksum: Hasher,
}

impl<R: Read> In<R> {
    fn exact(&mut self, buf: &mut [u8]) -> Result<(), ArchiveError> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => ArchiveError::Truncated,
            _ => ArchiveError::Io(e),
        })?;
        self.checksum.update(&*buf);
        Ok(())
    }

    fn frame(&mut self) -> Result<Frame, ArchiveError> {
        let mut len = [0u8; 4];
        self.exact(&mut len)?;
        let len = u32::from_le_bytes(len);
        if len > MAX_FRAME {
            return Err(ArchiveError::Corrupt(format!(
                "a frame claims {len} bytes (at most {MAX_FRAME}): a length was changed"
            )));
        }
        let mut bytes = vec![0u8; len as usize];
        self.exact(&mut bytes)?;
        postcard::from_bytes(&bytes)
            .map_err(|e| ArchiveError::Corrupt(format!("undecodable frame: {e}")))
    }
}

/// Imports an archive into an empty database: verifies the chain as it
/// reads, inserts the events, runs the inline projectors, stores the blobs
/// (with `blobs`), and commits only if the whole file checks out.
pub async fn import(
    pool: &PgPool,
    blobs: Option<&BlobStore>,
    input: impl Read,
) -> Result<Summary, ArchiveError> {
    import_to(pool, blobs, input, None).await
}

/// [`import`], refusing an archive whose chain does not end at `head` (the
/// hash an export printed): cutting events off the end, and rewriting the
/// end frame and checksum to match, is found this way.
pub async fn import_to(
    pool: &PgPool,
    blobs: Option<&BlobStore>,
    input: impl Read,
    head: Option<Hash>,
) -> Result<Summary, ArchiveError> {
    let mut input = In {
        inner: input,
        checksum: Hasher::new(),
    };
    let mut magic = [0u8; 8];
    input
        .exact(&mut magic)
        .map_err(|_| ArchiveError::NotAnArchive)?;
    if &magic != MAGIC {
        return Err(ArchiveError::NotAnArchive);
    }
    let (mut prev, mut next) = match input.frame()? {
        Frame::Header {
            format_version,
            first_position,
            start_prev_hash,
            ..
        } => {
            if format_version > FORMAT_VERSION {
                return Err(ArchiveError::UnsupportedVersion(format_version));
            }
            // A database is only ever rebuilt from the log's beginning: a
            // header rewritten to start later hides removed events.
            if first_position != 1 || start_prev_hash != GENESIS_HASH {
                return Err(ArchiveError::Corrupt(format!(
                    "it starts at position {first_position}, not at the beginning of the log \
                     (position 1 after the genesis hash): events were removed from its start"
                )));
            }
            (start_prev_hash, first_position)
        }
        _ => {
            return Err(ArchiveError::Corrupt(
                "the first frame is not a header".into(),
            ));
        }
    };
    let mut tx = pool.begin().await?;
    let existing = import::count(&mut tx).await?;
    if existing > 0 {
        return Err(ArchiveError::NotEmpty(existing));
    }
    let projectors = inline_projectors();
    let (mut events, mut blob_count) = (0u64, 0u64);
    let mut pending_blob: Option<(Sha256, u64, crate::storage::Upload)> = None;
    let summary = loop {
        match input.frame()? {
            Frame::Event(frame) => {
                let event = RecordedEvent::try_from(frame)?;
                prev = verify_chain(prev, next, std::slice::from_ref(&event))?;
                next += 1;
                import::insert(&mut tx, std::slice::from_ref(&event)).await?;
                apply_all(&projectors, &mut tx, &event)
                    .await
                    .map_err(|e| ArchiveError::Corrupt(format!("event {}: {e}", event.position)))?;
                events += 1;
            }
            Frame::Blob { sha256, size } => {
                finish_blob(pending_blob.take()).await?;
                let sha =
                    Sha256::parse(&sha256).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
                if let Some(store) = blobs {
                    pending_blob = Some((sha, size, store.upload().await?));
                }
                blob_count += 1;
            }
            Frame::BlobChunk(bytes) => {
                if let Some((_, _, upload)) = pending_blob.as_mut() {
                    upload.write(bytes.into()).await?;
                }
            }
            Frame::End {
                events: count,
                blobs: blob_total,
                end_hash,
            } => {
                finish_blob(pending_blob.take()).await?;
                if count != events || blob_total != blob_count || end_hash != prev {
                    return Err(ArchiveError::Corrupt(
                        "the end frame does not match the archive's contents".into(),
                    ));
                }
                break Summary {
                    events,
                    blobs: blob_count,
                    end_hash: hex::encode(prev),
                };
            }
            Frame::Header { .. } => return Err(ArchiveError::Corrupt("a second header".into())),
        }
    };
    let computed: [u8; 32] = input.checksum.clone().finalize().into();
    let mut stored = [0u8; 32];
    input
        .inner
        .read_exact(&mut stored)
        .map_err(|_| ArchiveError::Truncated)?;
    if computed != stored {
        return Err(ArchiveError::Corrupt(
            "its checksum does not match its contents: bytes were changed".into(),
        ));
    }
    if let Some(head) = head
        && head != prev
    {
        return Err(ArchiveError::Corrupt(format!(
            "its chain ends at {} after {events} events, not at the expected head {}: \
             events were cut off its end, or it is another log",
            hex::encode(prev),
            hex::encode(head)
        )));
    }
    tx.commit().await?;
    Ok(summary)
}

/// Checks a received blob against its address and gives it that address.
async fn finish_blob(
    pending: Option<(Sha256, u64, crate::storage::Upload)>,
) -> Result<(), ArchiveError> {
    let Some((sha, size, upload)) = pending else {
        return Ok(());
    };
    let staged = upload.stage().await?;
    if staged.blob().sha256 != sha || staged.blob().size != size {
        staged.discard().await;
        return Err(ArchiveError::Corrupt(format!(
            "blob {sha} does not hold its bytes"
        )));
    }
    staged.commit().await?;
    Ok(())
}
