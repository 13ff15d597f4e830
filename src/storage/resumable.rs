//! The bytes of resumable (tus) uploads, kept at `tus/<id>` until they are
//! complete. The local backend appends to one file. S3 holds a multipart
//! upload of whole 5 MiB parts plus `tus/<id>.tail`, the bytes past the
//! last whole part; memory holds at most one part per writing request.
//! What is durable is described by [`Progress`], which the caller stores
//! (the uploads table) and hands back to continue, on any node.
use bytes::{Bytes, BytesMut};
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, MultipartId, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::{BlobError, BlobStore, Staged, StoredBlob, io};

const TUS_PREFIX: &str = "tus";
/// Size of every S3 part but the last (S3's minimum; some stores want
/// them all equal).
pub const PART: usize = 5 * 1024 * 1024;

/// What of an upload is durable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub offset: u64,
    /// S3 only: the multipart upload, its parts' ETags, and the bytes in
    /// the tail object.
    pub multipart_id: Option<String>,
    pub parts: Vec<String>,
    pub tail: u64,
}

impl BlobStore {
    fn tus_path(&self, id: Uuid) -> Path {
        self.path(&[TUS_PREFIX, &id.to_string()])
    }

    fn tail_path(&self, id: Uuid) -> Path {
        self.path(&[TUS_PREFIX, &format!("{id}.tail")])
    }

    fn tus_file(&self, id: Uuid) -> Option<std::path::PathBuf> {
        let dir = self.local_dir.as_ref()?;
        Some(dir.join(TUS_PREFIX).join(id.to_string()))
    }

    /// Prepares the storage of a new upload.
    pub async fn resumable_begin(&self, id: Uuid) -> Result<Progress, BlobError> {
        if let Some(file) = self.tus_file(id) {
            let dir = file.parent().expect("a tus file has a directory");
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
            tokio::fs::File::create(&file).await.map_err(io)?;
            return Ok(Progress::default());
        }
        let multipart = self.multipart()?;
        let multipart_id = multipart.create_multipart(&self.tus_path(id)).await?;
        Ok(Progress {
            multipart_id: Some(multipart_id),
            ..Progress::default()
        })
    }

    /// A writer that continues the upload at `progress`; whatever was
    /// written past it (a request cut short before it was recorded) is
    /// dropped.
    pub async fn resumable_writer(
        &self,
        id: Uuid,
        progress: Progress,
    ) -> Result<Appender, BlobError> {
        if let Some(path) = self.tus_file(id) {
            let file = tokio::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .await
                .map_err(io)?;
            file.set_len(progress.offset).await.map_err(io)?;
            let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
            use tokio::io::AsyncSeekExt;
            file.seek(std::io::SeekFrom::End(0)).await.map_err(io)?;
            return Ok(Appender {
                store: self.clone(),
                id,
                progress,
                sink: Sink::File(file),
            });
        }
        let mut buffer = BytesMut::with_capacity(PART);
        if progress.tail > 0 {
            let options = GetOptions::new().with_range(Some(GetRange::Bounded(0..progress.tail)));
            let got = self.inner.get_opts(&self.tail_path(id), options).await?;
            buffer.extend_from_slice(&got.bytes().await?);
        }
        Ok(Appender {
            store: self.clone(),
            id,
            progress,
            sink: Sink::Parts(buffer),
        })
    }

    /// The complete bytes of an assembled upload.
    pub async fn resumable_read(
        &self,
        id: Uuid,
    ) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        Ok(super::read::stream(
            self.inner.get(&self.tus_path(id)).await?,
        ))
    }

    /// The assembled upload, ready to be moved to its content address.
    pub fn resumable_staged(&self, id: Uuid, blob: StoredBlob) -> Staged {
        Staged {
            store: self.clone(),
            temp: self.tus_path(id),
            blob,
        }
    }

    /// Removes everything an upload stored; parts of it already gone are fine.
    pub async fn resumable_discard(&self, id: Uuid, progress: &Progress) -> Result<(), BlobError> {
        if let (Some(multipart_id), Ok(multipart)) = (&progress.multipart_id, self.multipart()) {
            match multipart
                .abort_multipart(&self.tus_path(id), &multipart_id.clone())
                .await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => tracing::warn!(%error, %id, "aborting a multipart upload failed"),
            }
        }
        self.delete_key(self.tail_path(id).as_ref()).await?;
        if let Some(file) = self.tus_file(id) {
            match tokio::fs::remove_file(&file).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
            return Ok(());
        }
        self.delete_key(self.tus_path(id).as_ref()).await
    }

    fn multipart(&self) -> Result<&dyn object_store::multipart::MultipartStore, BlobError> {
        self.multipart
            .as_deref()
            .ok_or_else(|| BlobError::Config("this blob store has no multipart uploads".into()))
    }
}

enum Sink {
    File(tokio::io::BufWriter<tokio::fs::File>),
    /// The bytes not yet in a part (at most one part's worth).
    Parts(BytesMut),
}

/// Appends to one upload. [`Appender::write`] says when a new durable
/// point was reached (every [`PART`] bytes); [`Appender::checkpoint`]
/// makes everything durable.
pub struct Appender {
    store: BlobStore,
    id: Uuid,
    progress: Progress,
    sink: Sink,
}

impl Appender {
    /// Every byte written so far, durable or not.
    pub fn written(&self) -> u64 {
        match &self.sink {
            Sink::File(_) => self.progress.offset,
            Sink::Parts(buffer) => self.parts_bytes() + buffer.len() as u64,
        }
    }

    fn parts_bytes(&self) -> u64 {
        self.progress.parts_bytes()
    }

    /// Appends `chunk`; `Some` with what is durable when that moved on
    /// (S3: a whole part was stored).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<Option<Progress>, BlobError> {
        match &mut self.sink {
            Sink::File(file) => {
                file.write_all(chunk).await.map_err(io)?;
                let before = self.progress.offset / PART as u64;
                self.progress.offset += chunk.len() as u64;
                if self.progress.offset / PART as u64 == before {
                    return Ok(None);
                }
                file.flush().await.map_err(io)?;
                file.get_ref().sync_data().await.map_err(io)?;
                Ok(Some(self.progress.clone()))
            }
            Sink::Parts(buffer) => {
                let mut rest = chunk;
                let mut moved = false;
                while !rest.is_empty() {
                    let take = (PART - buffer.len()).min(rest.len());
                    buffer.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if buffer.len() == PART {
                        let part = buffer.split().freeze();
                        put_part(&self.store, self.id, &mut self.progress, part).await?;
                        moved = true;
                    }
                }
                Ok(moved.then(|| self.progress.clone()))
            }
        }
    }

    /// Makes every byte written durable and says where the upload is.
    pub async fn checkpoint(&mut self) -> Result<Progress, BlobError> {
        match &mut self.sink {
            Sink::File(file) => {
                file.flush().await.map_err(io)?;
                file.get_ref().sync_data().await.map_err(io)?;
            }
            Sink::Parts(buffer) if buffer.len() as u64 > self.progress.tail => {
                let tail = Bytes::copy_from_slice(buffer);
                let len = tail.len() as u64;
                self.store
                    .inner
                    .put(&self.store.tail_path(self.id), tail.into())
                    .await?;
                self.progress.tail = len;
                self.progress.offset = self.progress.parts_bytes() + len;
            }
            Sink::Parts(_) => {}
        }
        Ok(self.progress.clone())
    }

    /// Puts the last bytes in place: afterwards the whole upload is one
    /// object, read with [`BlobStore::resumable_read`].
    pub async fn assemble(mut self) -> Result<(), BlobError> {
        match std::mem::replace(&mut self.sink, Sink::Parts(BytesMut::new())) {
            Sink::File(mut file) => {
                file.flush().await.map_err(io)?;
                file.get_ref().sync_data().await.map_err(io)?;
            }
            Sink::Parts(mut buffer) => {
                if !buffer.is_empty() {
                    let last = buffer.split().freeze();
                    put_part(&self.store, self.id, &mut self.progress, last).await?;
                }
                let multipart = self.store.multipart()?;
                let parts = self
                    .progress
                    .parts
                    .iter()
                    .map(|etag| object_store::multipart::PartId {
                        content_id: etag.clone(),
                    })
                    .collect();
                let id = self.progress.multipart_id.clone().unwrap_or_default();
                multipart
                    .complete_multipart(&self.store.tus_path(self.id), &id, parts)
                    .await?;
                self.store
                    .delete_key(self.store.tail_path(self.id).as_ref())
                    .await?;
            }
        }
        Ok(())
    }
}

impl Progress {
    fn parts_bytes(&self) -> u64 {
        (self.parts.len() * PART) as u64
    }
}

async fn put_part(
    store: &BlobStore,
    id: Uuid,
    progress: &mut Progress,
    part: Bytes,
) -> Result<(), BlobError> {
    let multipart_id: MultipartId = progress.multipart_id.clone().unwrap_or_default();
    let put = store
        .multipart()?
        .put_part(
            &store.tus_path(id),
            &multipart_id,
            progress.parts.len(),
            PutPayload::from_bytes(part),
        )
        .await?;
    progress.parts.push(put.content_id);
    // The old tail is inside this part now.
    progress.tail = 0;
    progress.offset = progress.parts_bytes();
    Ok(())
}
