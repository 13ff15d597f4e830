//! A streaming upload: bytes go to a temporary object as they arrive while
//! their SHA-256 is computed; `commit` moves the object to its content
//! address. On S3 memory stays bounded by the multipart part size; the
//! local backend writes the file itself (see [`super::local`]).
use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use sha2::{Digest, Sha256 as Hasher};
use stockage_events::Sha256;
use tokio::io::AsyncWriteExt;

use super::local::{self, LocalWriter};
use super::{BlobError, BlobStore, UPLOAD_PREFIX, io};

/// Size of each multipart part (S3's minimum) and of the write buffer.
const PART: usize = 5 * 1024 * 1024;

pub struct Upload {
    store: BlobStore,
    temp: Path,
    sink: Sink,
    size: u64,
}

enum Sink {
    /// Any object store: hashed here, written through its multipart API.
    Object {
        writer: Box<BufWriter>,
        hasher: Hasher,
    },
    /// The local backend's own file, hashed where it is written.
    Local(LocalWriter),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlob {
    pub sha256: Sha256,
    pub size: u64,
}

impl Upload {
    pub(super) async fn start(store: BlobStore) -> Result<Self, BlobError> {
        let temp = store.path(&[UPLOAD_PREFIX, &uuid::Uuid::now_v7().to_string()]);
        let sink = match store.local_file(&temp) {
            Some(file) => Sink::Local(LocalWriter::create(file)),
            None => Sink::Object {
                writer: Box::new(
                    BufWriter::with_capacity(store.inner.clone(), temp.clone(), PART)
                        .with_max_concurrency(2),
                ),
                hasher: Hasher::new(),
            },
        };
        Ok(Self {
            store,
            temp,
            sink,
            size: 0,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, chunk: Bytes) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        match &mut self.sink {
            Sink::Object { writer, hasher } => {
                hasher.update(&chunk);
                writer.put(chunk).await?;
            }
            Sink::Local(writer) => writer.write(chunk).await.map_err(io)?,
        }
        Ok(())
    }

    /// Completes the temporary object; it can be read back (see
    /// [`Staged::read`]) before it is given its address.
    pub async fn stage(self) -> Result<Staged, BlobError> {
        let (mut writer, hasher) = match self.sink {
            Sink::Object { writer, hasher } => (writer, hasher),
            Sink::Local(writer) => {
                let written = writer.finish().await.map_err(io)?;
                debug_assert_eq!(written.size, self.size);
                return Ok(Staged {
                    store: self.store,
                    temp: self.temp,
                    blob: StoredBlob {
                        sha256: Sha256::from_digest(written.digest),
                        size: written.size,
                    },
                });
            }
        };
        if let Err(error) = writer.shutdown().await {
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
                sha256: Sha256::from_digest(hasher.finalize().into()),
                size: self.size,
            },
        })
    }

    /// Throws the upload away: nothing stays behind.
    pub async fn abort(self) {
        match self.sink {
            Sink::Object { mut writer, .. } => {
                if let Err(error) = writer.abort().await {
                    tracing::warn!(%error, key = self.temp.as_ref(), "aborting an upload failed; gc will remove it");
                }
                let _ = self.store.delete_key(self.temp.as_ref()).await;
            }
            Sink::Local(writer) => writer.abort().await,
        }
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
        let moved = match (
            self.store.local_file(&self.temp),
            self.store.local_file(&target),
        ) {
            (Some(from), Some(to)) => {
                tokio::task::spawn_blocking(move || local::publish(&from, &to))
                    .await
                    .map_err(std::io::Error::other)
                    .and_then(|moved| moved)
                    .map_err(io)
            }
            _ => self
                .store
                .inner
                .rename(&self.temp, &target)
                .await
                .map_err(BlobError::from),
        };
        if let Err(error) = moved {
            let _ = self.store.delete_key(self.temp.as_ref()).await;
            return Err(error);
        }
        Ok(self.blob)
    }

    pub async fn discard(self) {
        let _ = self.store.delete_key(self.temp.as_ref()).await;
    }
}
