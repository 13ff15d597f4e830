//! A streaming upload: bytes go to a temporary object as they arrive while
//! their SHA-256 is computed; `finish` moves the object to its content
//! address. Memory stays bounded by the multipart part size.
use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use sha2::{Digest, Sha256 as Hasher};
use stockage_events::Sha256;
use tokio::io::AsyncWriteExt;

use super::{BlobError, BlobStore, UPLOAD_PREFIX};

/// Size of each multipart part (S3's minimum) and of the write buffer.
const PART: usize = 5 * 1024 * 1024;

pub struct Upload {
    store: BlobStore,
    temp: Path,
    writer: BufWriter,
    hasher: Hasher,
    size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlob {
    pub sha256: Sha256,
    pub size: u64,
}

impl Upload {
    pub(super) async fn start(store: BlobStore) -> Result<Self, BlobError> {
        let temp = store.path(&[UPLOAD_PREFIX, &uuid::Uuid::now_v7().to_string()]);
        let writer = BufWriter::with_capacity(store.inner.clone(), temp.clone(), PART)
            .with_max_concurrency(2);
        Ok(Self {
            store,
            temp,
            writer,
            hasher: Hasher::new(),
            size: 0,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, chunk: Bytes) -> Result<(), BlobError> {
        self.hasher.update(&chunk);
        self.size += chunk.len() as u64;
        self.writer.put(chunk).await?;
        Ok(())
    }

    /// Completes the temporary object; it can be read back (see
    /// [`Staged::read`]) before it is given its address.
    pub async fn stage(mut self) -> Result<Staged, BlobError> {
        if let Err(error) = self.writer.shutdown().await {
            // The writer is spent: `abort` after a failed `shutdown` panics
            // ("Already shut down"). What the store kept of a multipart
            // upload expires with the bucket's rules; a whole object goes.
            let _ = self.store.delete_key(self.temp.as_ref()).await;
            return Err(BlobError::Store(object_store::Error::Generic {
                store: "upload",
                source: Box::new(error),
            }));
        }
        Ok(Staged {
            store: self.store,
            temp: self.temp,
            blob: StoredBlob {
                sha256: Sha256::from_digest(self.hasher.finalize().into()),
                size: self.size,
            },
        })
    }

    /// Throws the upload away: nothing stays behind.
    pub async fn abort(mut self) {
        if let Err(error) = self.writer.abort().await {
            tracing::warn!(%error, key = self.temp.as_ref(), "aborting an upload failed; gc will remove it");
        }
        let _ = self.store.delete_key(self.temp.as_ref()).await;
    }
}

/// An upload that is complete but not yet at its content address.
pub struct Staged {
    pub(super) store: BlobStore,
    pub(super) temp: Path,
    pub(super) blob: StoredBlob,
}

impl Staged {
    pub fn blob(&self) -> &StoredBlob {
        &self.blob
    }

    /// The staged bytes, for checks that need the whole file.
    pub async fn read(
        &self,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        use futures_util::{StreamExt, TryStreamExt};
        let got = self.store.inner.get(&self.temp).await?;
        Ok(got.into_stream().map_err(BlobError::from).boxed())
    }

    /// Moves the bytes to their content address. Identical content is
    /// stored once: writing the same address again replaces equal bytes
    /// and refreshes the blob's age, so gc's grace period restarts.
    pub async fn commit(self) -> Result<StoredBlob, BlobError> {
        let target = self.store.blob_path(&self.blob.sha256);
        if let Err(error) = self.store.inner.rename(&self.temp, &target).await {
            let _ = self.store.delete_key(self.temp.as_ref()).await;
            return Err(error.into());
        }
        Ok(self.blob)
    }

    pub async fn discard(self) {
        let _ = self.store.delete_key(self.temp.as_ref()).await;
    }
}
