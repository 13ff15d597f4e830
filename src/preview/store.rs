//! Thumbnails cached as blobs, keyed by the source's content address:
//! `previews/<sha256>/<size>-v<renderer version>.png`, holding one status
//! byte and the PNG. Failures are cached too, so a hostile file costs its
//! budget once per renderer version, not once per request.
use std::sync::Arc;
use stockage_events::{FileKind, Sha256};
use tokio::sync::Semaphore;

use super::config::PreviewConfig;
use super::isolate;
use super::{Preview, PreviewError, RENDERER_VERSION, Size, Status};
use crate::storage::{BlobError, BlobStore};

/// The one path to a thumbnail, for the worker and the endpoint alike.
#[derive(Clone)]
pub struct Previews {
    blobs: BlobStore,
    permits: Arc<Semaphore>,
    config: PreviewConfig,
}

/// What a thumbnail is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub kind: FileKind,
    pub sha256: Sha256,
    pub size: u64,
}

pub fn name(size: Size) -> String {
    format!("{}-v{RENDERER_VERSION}.png", size.pixels())
}

/// Whether a stored thumbnail's name is this renderer's.
pub fn is_current(name: &str) -> bool {
    Size::ALL.iter().any(|size| self::name(*size) == name)
}

impl Previews {
    pub fn new(blobs: BlobStore, config: PreviewConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
        Self {
            blobs,
            permits,
            config,
        }
    }

    pub fn config(&self) -> &PreviewConfig {
        &self.config
    }

    pub async fn cached(&self, source: &Sha256, size: Size) -> Result<Option<Preview>, BlobError> {
        let Some(stored) = self.blobs.get_preview(source, &name(size)).await? else {
            return Ok(None);
        };
        Ok(stored.split_first().and_then(|(first, png)| {
            Status::from_byte(*first).map(|status| Preview {
                status,
                png: png.to_vec(),
            })
        }))
    }

    /// The cached thumbnail, or a new one, drawn and stored.
    pub async fn get(&self, source: &Source, size: Size) -> Result<Preview, BlobError> {
        if let Some(preview) = self.cached(&source.sha256, size).await? {
            return Ok(preview);
        }
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| BlobError::Config("the preview renderer is shut down".into()))?;
        // Another request or the worker may have drawn it meanwhile.
        if let Some(preview) = self.cached(&source.sha256, size).await? {
            return Ok(preview);
        }
        let bytes = match self.read(source).await? {
            Ok(bytes) => bytes,
            Err(why) => return Ok(super::placeholder_for(source.kind, size, &why)),
        };
        let preview = isolate::render(
            &self.config.isolation,
            source.kind,
            bytes,
            size,
            self.config.budget,
        )
        .await;
        let mut stored = vec![preview.status.as_byte()];
        stored.extend_from_slice(&preview.png);
        if let Err(error) = self
            .blobs
            .put_preview(&source.sha256, &name(size), stored)
            .await
        {
            tracing::warn!(%error, sha256 = %source.sha256, "a preview could not be cached");
        }
        metrics::counter!("stockage_previews_rendered_total", "status" => format!("{:?}", preview.status))
            .increment(1);
        Ok(preview)
    }

    /// The source's bytes, or why it is not drawn. A missing blob is not
    /// cached: it may be a store problem that passes.
    async fn read(&self, source: &Source) -> Result<Result<Vec<u8>, PreviewError>, BlobError> {
        let max = self.config.max_source_bytes;
        let too_large = || {
            PreviewError::TooLarge(format!(
                "files over {} MB are not previewed",
                max / 1_000_000
            ))
        };
        if source.size > max {
            return Ok(Err(too_large()));
        }
        match self.blobs.read_at_most(&source.sha256, max).await {
            Ok(Some(bytes)) => Ok(Ok(bytes)),
            Ok(None) => Ok(Err(too_large())),
            Err(BlobError::Missing(_)) => Ok(Err(PreviewError::Malformed(
                "the content is missing from the blob store".into(),
            ))),
            Err(error) => Err(error),
        }
    }
}
