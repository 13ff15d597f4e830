//! Removing one blob for good, with its thumbnails.
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use stockage_events::Sha256;

use super::{BlobError, BlobStore, PREVIEW_PREFIX};

/// What happened to a blob asked to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Removed, with this many bytes.
    Removed(u64),
    /// Written less than the grace period ago (an upload of the same
    /// bytes may be about to reference it): gc takes it later.
    TooYoung,
    /// Not there (removed before).
    Absent,
}

impl BlobStore {
    /// Removes the blob `sha` and its thumbnails, unless it was written
    /// less than `grace` ago.
    pub async fn remove_blob(&self, sha: &Sha256, grace: Duration) -> Result<Removal, BlobError> {
        let path = self.blob_path(sha);
        let meta = match self.inner.head(&path).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(Removal::Absent),
            Err(e) => return Err(e.into()),
        };
        let age = (chrono::Utc::now() - meta.last_modified)
            .to_std()
            .unwrap_or_default();
        if age < grace {
            return Ok(Removal::TooYoung);
        }
        self.delete_key(path.as_ref()).await?;
        self.remove_previews(sha).await?;
        Ok(Removal::Removed(meta.size))
    }

    /// Every thumbnail of `source`.
    pub async fn remove_previews(&self, source: &Sha256) -> Result<(), BlobError> {
        let prefix = self.path(&[PREVIEW_PREFIX, source.as_str()]);
        let keys: Vec<String> = self
            .inner
            .list(Some(&prefix))
            .map_ok(|meta| meta.location.as_ref().to_owned())
            .try_collect()
            .await?;
        for key in keys {
            self.delete_key(&key).await?;
        }
        Ok(())
    }
}
