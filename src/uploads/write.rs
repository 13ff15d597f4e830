//! One request's bytes into an upload: through the early type check and
//! the checksum into the resumable area, recording progress as it becomes
//! durable so that a request cut short keeps what arrived.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::Digest;

use super::Uploads;
use super::table::{self, UploadRow};
use crate::error::Error;
use crate::storage::Progress;
use crate::storage::policy::FileName;
use crate::storage::receive::Gate;

/// `Upload-Checksum: sha256 <base64 digest>` of one request's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Checksum {
    digest: Vec<u8>,
}

/// The algorithms `Tus-Checksum-Algorithm` announces.
pub const CHECKSUM_ALGORITHMS: &str = "sha256";

impl Checksum {
    pub fn parse(header: &str) -> Result<Self, Error> {
        let (algorithm, encoded) = header.trim().split_once(' ').ok_or_else(|| {
            Error::Invalid("Upload-Checksum must be \"<algorithm> <base64 digest>\"".into())
        })?;
        if !algorithm.eq_ignore_ascii_case("sha256") {
            return Err(Error::Invalid(format!(
                "Upload-Checksum: the algorithm {algorithm:?} is not supported; use one of {CHECKSUM_ALGORITHMS}"
            )));
        }
        let digest = STANDARD
            .decode(encoded.trim())
            .ok()
            .filter(|d| d.len() == 32)
            .ok_or_else(|| {
                Error::Invalid(
                    "Upload-Checksum: the sha256 digest is not 32 bytes of base64".into(),
                )
            })?;
        Ok(Self { digest })
    }
}

pub enum Received {
    /// Durable up to here; more bytes are expected.
    Partial(Progress),
    /// Every byte arrived and is assembled in one object.
    Complete,
}

pub async fn receive<E: std::fmt::Display>(
    uploads: &Uploads,
    row: &UploadRow,
    checksum: Option<Checksum>,
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
) -> Result<Received, Error> {
    let (pool, length) = (uploads.pool(), row.length());
    let kind = FileName::parse(&row.filename)?.kind();
    let mut appender = uploads
        .blobs
        .resumable_writer(row.id, row.progress())
        .await?;
    // Without a checksum, what arrives is kept as it becomes durable; with
    // one, nothing of this request counts until the digest matched.
    let progressive = checksum.is_none();
    let mut hasher = checksum.as_ref().map(|_| sha2::Sha256::new());
    let mut early = (row.offset == 0).then(|| Gate::new(kind, uploads.max_bytes));
    let mut cut_short = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                cut_short = Some(error.to_string());
                break;
            }
        };
        if appender.written() + chunk.len() as u64 > length {
            return Err(Error::TooLarge(format!(
                "more bytes than the upload's declared length ({length})"
            )));
        }
        if let Some(gate) = &mut early {
            gate.pass(&chunk)?;
            if let Some(verdict) = gate.verdict_on_declared(length) {
                verdict?;
                early = None;
            }
        }
        if let Some(hasher) = &mut hasher {
            hasher.update(&chunk);
        }
        metrics::counter!("stockage_tus_bytes_received_total").increment(chunk.len() as u64);
        if let Some(progress) = appender.write(&chunk).await?
            && progressive
        {
            table::save_progress(pool, row.id, &progress).await?;
        }
    }
    if let Some(why) = cut_short {
        let kept = if progressive {
            let progress = appender.checkpoint().await?;
            table::save_progress(pool, row.id, &progress).await?;
            progress.offset
        } else {
            row.offset as u64
        };
        return Err(Error::Invalid(format!(
            "the request's body ended early ({why}); the upload has {kept} bytes"
        )));
    }
    if let (Some(expected), Some(hasher)) = (checksum, hasher)
        && hasher.finalize()[..] != expected.digest[..]
    {
        return Err(Error::ChecksumMismatch(format!(
            "the bytes do not match Upload-Checksum; the upload stays at {} bytes",
            row.offset
        )));
    }
    if appender.written() == length {
        appender.assemble().await?;
        table::assembled(pool, row.id).await?;
        return Ok(Received::Complete);
    }
    let progress = appender.checkpoint().await?;
    table::save_progress(pool, row.id, &progress).await?;
    Ok(Received::Partial(progress))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_name_a_supported_algorithm_and_a_whole_digest() {
        let digest = STANDARD.encode(sha2::Sha256::digest(b"abc"));
        assert!(Checksum::parse(&format!("sha256 {digest}")).is_ok());
        for bad in [
            format!("md5 {digest}"),
            "sha256 !!".into(),
            "sha256".into(),
            "sha256 YWJj".into(),
        ] {
            assert!(
                matches!(Checksum::parse(&bad), Err(Error::Invalid(_))),
                "{bad}"
            );
        }
    }
}
