//! Where blobs live and how large an upload may be.
use std::path::PathBuf;

use anyhow::Context;

use crate::env::{positive, var};

pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 150;

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// `STOCKAGE_DATA_DIR`: local blobs go under its `blobs/`.
    pub data_dir: PathBuf,
    /// `STOCKAGE_BLOB_BACKEND`: `local` (default) or `s3`.
    pub backend: BlobBackend,
    /// `STOCKAGE_MAX_UPLOAD_MB` (10^6 bytes), as bytes.
    pub max_upload_bytes: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BlobBackend {
    /// Under `STOCKAGE_DATA_DIR/blobs`.
    Local,
    /// Any S3-compatible server; credentials from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`.
    S3 {
        /// `STOCKAGE_S3_ENDPOINT`, e.g. `http://127.0.0.1:8333`; unset for AWS.
        endpoint: Option<String>,
        /// `STOCKAGE_S3_BUCKET` (required).
        bucket: String,
        /// `STOCKAGE_S3_REGION`, default `us-east-1`.
        region: String,
        /// `STOCKAGE_S3_PREFIX`: key prefix inside the bucket, default none.
        prefix: String,
    },
}

impl StorageConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            data_dir: data_dir(),
            backend: BlobBackend::from_env()?,
            max_upload_bytes: positive("STOCKAGE_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)?
                * 1_000_000,
        })
    }

    /// Local blobs under `data_dir`, with the default upload cap.
    pub fn local(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            backend: BlobBackend::Local,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_MB * 1_000_000,
        }
    }
}

/// `STOCKAGE_DATA_DIR`, default `./data`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(var("STOCKAGE_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()))
}

impl BlobBackend {
    fn from_env() -> anyhow::Result<Self> {
        match var("STOCKAGE_BLOB_BACKEND").as_deref().unwrap_or("local") {
            "local" => Ok(BlobBackend::Local),
            "s3" => Ok(BlobBackend::S3 {
                endpoint: var("STOCKAGE_S3_ENDPOINT"),
                bucket: var("STOCKAGE_S3_BUCKET")
                    .context("STOCKAGE_BLOB_BACKEND=s3 needs STOCKAGE_S3_BUCKET")?,
                region: var("STOCKAGE_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                prefix: var("STOCKAGE_S3_PREFIX").unwrap_or_default(),
            }),
            other => anyhow::bail!("STOCKAGE_BLOB_BACKEND={other:?} must be local or s3"),
        }
    }
}
