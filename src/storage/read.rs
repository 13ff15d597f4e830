//! Reading blobs back: as a stream (a local file in large chunks), or
//! whole in memory up to a limit, refused by its stored size first.
use std::ops::Range;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange, GetResult, GetResultPayload, ObjectStoreExt};
use stockage_events::Sha256;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{BlobError, BlobStore};

impl BlobStore {
    /// The bytes of a blob, or of `range` of it, as a stream.
    pub async fn read(
        &self,
        sha: &Sha256,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        let options = GetOptions::new().with_range(range.map(GetRange::Bounded));
        match self.inner.get_opts(&self.blob_path(sha), options).await {
            Ok(got) => Ok(stream(got)),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::Missing(sha.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// The whole blob in memory, or `None` when it is larger than `max`
    /// bytes: refused by its stored size before a byte is read.
    pub async fn read_at_most(&self, sha: &Sha256, max: u64) -> Result<Option<Vec<u8>>, BlobError> {
        let got = match self.inner.get(&self.blob_path(sha)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(BlobError::Missing(sha.clone()));
            }
            Err(e) => return Err(e.into()),
        };
        if got.meta.size > max {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(got.meta.size).unwrap_or(0));
        let mut body = stream(got);
        while let Some(chunk) = body.try_next().await? {
            if (bytes.len() + chunk.len()) as u64 > max {
                return Ok(None);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(bytes))
    }
}

/// The bytes of a get. A local file is read in large chunks here:
/// `object_store`'s own file stream reads 8 KiB per blocking task, which
/// caps a download near 100 MB/s.
pub(super) fn stream(got: GetResult) -> BoxStream<'static, Result<Bytes, BlobError>> {
    const CHUNK: usize = 256 * 1024;
    match got.payload {
        GetResultPayload::File(file, _) => {
            let range = got.range;
            let file = async move {
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(range.start)).await?;
                Ok::<_, std::io::Error>(file.take(range.end - range.start))
            };
            futures_util::stream::once(file)
                .map_ok(|file| tokio_util::io::ReaderStream::with_capacity(file, CHUNK))
                .try_flatten()
                .map_err(|e| {
                    BlobError::Store(object_store::Error::Generic {
                        store: "local",
                        source: Box::new(e),
                    })
                })
                .boxed()
        }
        GetResultPayload::Stream(_) => got.into_stream().map_err(BlobError::from).boxed(),
    }
}
