//! Secure storage: content-addressed blobs behind `object_store` (the local
//! filesystem by default, any S3-compatible server in production, memory
//! in unit tests), the file-type policy and the streaming upload path that
//! applies it. Blobs live at `sha256/ab/cdef…`; uploads stream to
//! `uploads/<uuid>` first and are moved to their address once hashed.
//! Thumbnails live beside them at `previews/<source sha256>/<name>`.
mod config;
mod local;
pub mod policy;
mod read;
pub mod receive;
mod resumable;
mod sweep;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::multipart::MultipartStore;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use stockage_events::Sha256;

pub use config::{BlobBackend, StorageConfig};
pub use resumable::{Appender, PART, Progress};
pub use sweep::Removal;
pub use upload::{Staged, StoredBlob, Upload};

const BLOB_PREFIX: &str = "sha256";
const UPLOAD_PREFIX: &str = "uploads";
const PREVIEW_PREFIX: &str = "previews";

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} is missing from the blob store")]
    Missing(Sha256),
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
    #[error("blob store configuration: {0}")]
    Config(String),
}

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Where thumbnails go: the same store, but on the local backend
    /// without fsync (decision 0071: a cache, checked whole when read).
    previews: Arc<dyn ObjectStore>,
    /// Key prefix inside the bucket or directory, e.g. for one test.
    root: Path,
    /// The directory of the local backend: its unfinished multipart files
    /// (`key#n`) are invisible to `list`, so gc looks for them here.
    local_dir: Option<std::path::PathBuf>,
    /// The same store's multipart API, for resumable uploads (S3, memory).
    multipart: Option<Arc<dyn MultipartStore>>,
    /// The S3 backend signs URLs that let a client fetch a blob directly.
    signer: Option<Arc<object_store::aws::AmazonS3>>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({} at {:?})", self.inner, self.root.as_ref())
    }
}

/// One object that a garbage collection may consider.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub what: Stored,
    pub age: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// A blob at its content address.
    Blob { key: String, sha256: Sha256 },
    /// A temporary upload object, finished or not.
    Upload { key: String },
    /// A local multipart part file of an upload that never finished.
    LocalPart(std::path::PathBuf),
    /// A thumbnail of the blob `source`.
    Preview {
        key: String,
        source: Sha256,
        name: String,
    },
}

impl BlobStore {
    pub fn new(inner: Arc<dyn ObjectStore>, root: &str) -> Self {
        Self {
            previews: inner.clone(),
            inner,
            root: Path::from(root),
            local_dir: None,
            multipart: None,
            signer: None,
        }
    }

    /// Opens the configured backend (creating the local directory).
    pub fn open(config: &StorageConfig) -> Result<Self, BlobError> {
        match &config.backend {
            BlobBackend::Local => {
                let dir = config.data_dir.join("blobs");
                std::fs::create_dir_all(&dir).map_err(|e| {
                    BlobError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
                // A blob is on disk before the event that names it commits
                // (decision 0064): the file and its directory are fsynced.
                let local = LocalFileSystem::new_with_prefix(&dir)?
                    .with_automatic_cleanup(true)
                    .with_fsync(true);
                // Still written aside and renamed: never seen half-written.
                let previews = LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true);
                Ok(Self {
                    local_dir: Some(dir),
                    previews: Arc::new(previews),
                    ..Self::new(Arc::new(local), "")
                })
            }
            BlobBackend::S3 {
                endpoint,
                bucket,
                region,
                prefix,
            } => {
                let mut builder = AmazonS3Builder::from_env()
                    // An unreachable server fails a request within seconds
                    // (the caller gets 503), not after minutes of retries.
                    .with_client_options(
                        ClientOptions::new().with_connect_timeout(Duration::from_secs(3)),
                    )
                    .with_retry(RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(10),
                        ..RetryConfig::default()
                    })
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_virtual_hosted_style_request(false);
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                let s3 = Arc::new(builder.build()?);
                Ok(Self {
                    multipart: Some(s3.clone()),
                    signer: Some(s3.clone()),
                    ..Self::new(s3, prefix)
                })
            }
        }
    }

    /// The directory of the local backend, if this is one.
    pub fn local_dir(&self) -> Option<&std::path::Path> {
        self.local_dir.as_deref()
    }

    /// For unit tests of pure logic only.
    pub fn in_memory() -> Self {
        let memory = Arc::new(InMemory::new());
        Self {
            multipart: Some(memory.clone()),
            ..Self::new(memory, "")
        }
    }

    fn path(&self, parts: &[&str]) -> Path {
        let mut path = self.root.clone();
        for part in parts {
            path = path.clone().join(*part);
        }
        path
    }

    /// The file behind `key` on the local backend.
    fn local_file(&self, key: &Path) -> Option<std::path::PathBuf> {
        let dir = self.local_dir.as_ref()?;
        Some(
            key.parts()
                .fold(dir.clone(), |file, part| file.join(part.as_ref())),
        )
    }

    fn blob_path(&self, sha: &Sha256) -> Path {
        let hex = sha.as_str();
        self.path(&[BLOB_PREFIX, &hex[..2], &hex[2..]])
    }

    /// Starts a streaming upload to a temporary key.
    pub async fn upload(&self) -> Result<Upload, BlobError> {
        Upload::start(self.clone()).await
    }

    pub async fn exists(&self, sha: &Sha256) -> Result<bool, BlobError> {
        match self.inner.head(&self.blob_path(sha)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A URL valid for `ttl` that fetches the blob straight from the
    /// object store, answered with this name and type; `None` on backends
    /// that cannot sign (the local one: stream it instead).
    pub async fn presigned_get(
        &self,
        sha: &Sha256,
        ttl: Duration,
        disposition: &str,
        content_type: &str,
    ) -> Result<Option<String>, BlobError> {
        use object_store::signer::{Method, SignedUrlOptions, Signer};
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let options = SignedUrlOptions::default().with_query([
            ("response-content-disposition", disposition),
            ("response-content-type", content_type),
        ]);
        let url = signer
            .signed_url_opts(Method::GET, &self.blob_path(sha), ttl, &options)
            .await?;
        Ok(Some(url.to_string()))
    }

    fn preview_path(&self, source: &Sha256, name: &str) -> Path {
        self.path(&[PREVIEW_PREFIX, source.as_str(), name])
    }

    /// A stored thumbnail of `source`, if there is one.
    pub async fn get_preview(
        &self,
        source: &Sha256,
        name: &str,
    ) -> Result<Option<Bytes>, BlobError> {
        match self.previews.get(&self.preview_path(source, name)).await {
            Ok(got) => Ok(Some(got.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores a thumbnail of `source` (whole, replacing any other). Not
    /// made durable on the local backend: a reader must check it is whole.
    pub async fn put_preview(
        &self,
        source: &Sha256,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<(), BlobError> {
        self.previews
            .put(&self.preview_path(source, name), bytes.into())
            .await?;
        Ok(())
    }

    /// Reachability, for readiness checks.
    pub async fn check(&self) -> Result<(), BlobError> {
        let mut listing = self.inner.list(Some(&self.path(&[BLOB_PREFIX])));
        listing.next().await.transpose()?;
        Ok(())
    }

    /// Every blob, unfinished upload and thumbnail, with its age.
    pub async fn list(&self) -> Result<Vec<Listed>, BlobError> {
        let now = chrono::Utc::now();
        let mut out = Vec::new();
        for prefix in [BLOB_PREFIX, UPLOAD_PREFIX, PREVIEW_PREFIX] {
            let mut listing = self.inner.list(Some(&self.path(&[prefix])));
            while let Some(meta) = listing.try_next().await? {
                let key = meta.location.as_ref().to_owned();
                let what = match (prefix, sha_of(&key), preview_of(&key)) {
                    (BLOB_PREFIX, Some(sha256), _) => Stored::Blob { key, sha256 },
                    (PREVIEW_PREFIX, _, Some((source, name))) => {
                        Stored::Preview { key, source, name }
                    }
                    _ => Stored::Upload { key },
                };
                let age = (now - meta.last_modified).to_std().unwrap_or_default();
                out.push(Listed { what, age });
            }
        }
        if let Some(dir) = &self.local_dir {
            out.extend(local_parts(&dir.join(UPLOAD_PREFIX)));
        }
        Ok(out)
    }

    /// Removes a listed object; one already gone is fine.
    pub async fn remove(&self, listed: &Listed) -> Result<(), BlobError> {
        match &listed.what {
            Stored::Blob { key, .. } | Stored::Upload { key } | Stored::Preview { key, .. } => {
                self.delete_key(key).await
            }
            Stored::LocalPart(file) => match std::fs::remove_file(file) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(BlobError::Config(format!(
                    "cannot remove {}: {e}",
                    file.display()
                ))),
            },
        }
    }

    pub async fn delete_key(&self, key: &str) -> Result<(), BlobError> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A local file-system failure, as the store's error.
fn io(error: std::io::Error) -> BlobError {
    BlobError::Store(object_store::Error::Generic {
        store: "local",
        source: Box::new(error),
    })
}

/// Multipart part files (`name#n`) left in the local upload directory.
fn local_parts(dir: &std::path::Path) -> Vec<Listed> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().contains('#'))
        .filter_map(|entry| {
            let modified = entry.metadata().ok()?.modified().ok()?;
            Some(Listed {
                what: Stored::LocalPart(entry.path()),
                age: modified.elapsed().unwrap_or_default(),
            })
        })
        .collect()
}

/// `…/sha256/ab/cdef…` → the digest, if the key is a well-formed address.
fn sha_of(key: &str) -> Option<Sha256> {
    let mut parts = key.rsplit('/');
    let rest = parts.next()?;
    let head = parts.next()?;
    Sha256::parse(&format!("{head}{rest}")).ok()
}

/// `…/previews/<sha256>/<name>` → the source digest and the name.
fn preview_of(key: &str) -> Option<(Sha256, String)> {
    let mut parts = key.rsplit('/');
    let name = parts.next()?;
    let source = Sha256::parse(parts.next()?).ok()?;
    (parts.next()? == PREVIEW_PREFIX).then(|| (source, name.to_owned()))
}

#[cfg(test)]
mod tests;
