//! Thumbnails cached as blobs, keyed by the source's content address:
//! `previews/<sha256>/<size>-v<renderer version>.png`, holding one status
//! byte and the PNG. Failures are cached too, so a hostile file costs its
//! budget once per renderer version, not once per request. The sizes a
//! source lacks are drawn together: one read, one rendering.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use stockage_events::{FileKind, Sha256};
use tokio::sync::Semaphore;

use super::config::PreviewConfig;
use super::{Preview, PreviewError, RENDERER_VERSION, Size, isolate, stored};
use crate::storage::{BlobError, BlobStore};

/// The one path to a thumbnail, for the worker and the endpoint alike.
#[derive(Clone)]
pub struct Previews {
    blobs: BlobStore,
    permits: Arc<Semaphore>,
    config: PreviewConfig,
    tally: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    reads: AtomicU64,
    renders: AtomicU64,
}

/// What a [`Previews`] did so far: sources read, renderings run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub reads: u64,
    pub renders: u64,
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
            tally: Arc::default(),
        }
    }

    pub fn config(&self) -> &PreviewConfig {
        &self.config
    }

    /// A whole cached thumbnail (one cut short by a crash is not).
    pub async fn cached(&self, source: &Sha256, size: Size) -> Result<Option<Preview>, BlobError> {
        let stored = self.blobs.get_preview(source, &name(size)).await?;
        Ok(stored.and_then(|stored| stored::decode(&stored)))
    }

    /// The cached thumbnail, or a new one, drawn and stored.
    pub async fn get(&self, source: &Source, size: Size) -> Result<Preview, BlobError> {
        let drawn = self.draw(source, &[size]).await?;
        drawn
            .into_iter()
            .next()
            .ok_or_else(|| BlobError::Config("no preview was drawn".into()))
    }

    /// Every size of `sizes`, in order: the cached ones, and the others
    /// drawn and stored together, from one read of the source and one
    /// rendering that parses it once.
    pub async fn draw(&self, source: &Source, sizes: &[Size]) -> Result<Vec<Preview>, BlobError> {
        let mut previews = self.all_cached(&source.sha256, sizes).await?;
        if previews.iter().all(Option::is_some) {
            return Ok(previews.into_iter().flatten().collect());
        }
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| BlobError::Config("the preview renderer is shut down".into()))?;
        // Another request or the worker may have drawn them meanwhile.
        previews = self.all_cached(&source.sha256, sizes).await?;
        let missing: Vec<Size> = sizes
            .iter()
            .zip(&previews)
            .filter(|(_, cached)| cached.is_none())
            .map(|(size, _)| *size)
            .collect();
        let mut drawn = self.draw_missing(source, &missing).await?.into_iter();
        Ok(sizes
            .iter()
            .zip(previews)
            .map(|(size, cached)| {
                cached.or_else(|| drawn.next()).unwrap_or_else(|| {
                    let why = PreviewError::Panicked("no preview was drawn".into());
                    super::placeholder_for(source.kind, *size, &why)
                })
            })
            .collect())
    }

    async fn all_cached(
        &self,
        source: &Sha256,
        sizes: &[Size],
    ) -> Result<Vec<Option<Preview>>, BlobError> {
        let mut cached = Vec::with_capacity(sizes.len());
        for size in sizes {
            cached.push(self.cached(source, *size).await?);
        }
        Ok(cached)
    }

    /// One preview per size of `missing`: one read, one rendering, each
    /// stored. A source that is not read (too large, missing) gets
    /// placeholders, not stored.
    async fn draw_missing(
        &self,
        source: &Source,
        missing: &[Size],
    ) -> Result<Vec<Preview>, BlobError> {
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        self.tally.reads.fetch_add(1, Ordering::Relaxed);
        let bytes = match self.read(source).await? {
            Ok(bytes) => bytes,
            Err(why) => {
                let placeholder = |size: &Size| super::placeholder_for(source.kind, *size, &why);
                return Ok(missing.iter().map(placeholder).collect());
            }
        };
        self.tally.renders.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("stockage_preview_renderings_total").increment(1);
        let isolation = &self.config.isolation;
        let drawn =
            isolate::render(isolation, source.kind, bytes, missing, self.config.budget).await;
        for (size, preview) in missing.iter().zip(&drawn) {
            let stored = stored::encode(preview);
            if let Err(error) = self
                .blobs
                .put_preview(&source.sha256, &name(*size), stored)
                .await
            {
                tracing::warn!(%error, sha256 = %source.sha256, "a preview could not be cached");
            }
            metrics::counter!("stockage_previews_rendered_total", "status" => format!("{:?}", preview.status))
                .increment(1);
        }
        Ok(drawn)
    }

    /// Sources read and renderings run by this instance so far.
    pub fn tally(&self) -> Tally {
        Tally {
            reads: self.tally.reads.load(Ordering::Relaxed),
            renders: self.tally.renders.load(Ordering::Relaxed),
        }
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
