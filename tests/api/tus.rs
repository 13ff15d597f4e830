//! Resumable uploads (tus 1.0.0): the protocol, the policy at its edges,
//! and real tus clients resuming after a dropped connection and a crash.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Response, StatusCode};
use sha2::Digest;

use crate::helpers::{ADMIN, TestApp};

mod clients;
mod lifetime;
mod policy;
mod protocol;

/// `Upload-Metadata` of `pairs`.
pub fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A PDF-looking file of `len` bytes, different for every `seed`.
pub fn pdf(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(b"%PDF-1.7\n");
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    while bytes.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

impl TestApp {
    fn tus(&self, method: reqwest::Method, path: &str, user: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.address)
        };
        self.client
            .request(method, url)
            .bearer_auth(self.token(user, user == ADMIN))
            .header("Tus-Resumable", "1.0.0")
    }

    /// `POST /api/v1/uploads` of `length` bytes described by `pairs`.
    pub async fn tus_create(&self, user: &str, length: u64, pairs: &[(&str, &str)]) -> Response {
        self.tus(reqwest::Method::POST, "/api/v1/uploads", user)
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata(pairs))
            .send()
            .await
            .unwrap()
    }

    /// Creates an upload that must be accepted; returns its path.
    pub async fn tus_start(&self, user: &str, length: u64, pairs: &[(&str, &str)]) -> String {
        let response = self.tus_create(user, length, pairs).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(header(&response, "Tus-Resumable").as_deref(), Some("1.0.0"));
        header(&response, "Location").expect("a Location")
    }

    pub async fn tus_patch(
        &self,
        user: &str,
        path: &str,
        offset: u64,
        bytes: Vec<u8>,
        checksum: Option<&str>,
    ) -> Response {
        let mut request = self
            .tus(reqwest::Method::PATCH, path, user)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string());
        if let Some(checksum) = checksum {
            request = request.header("Upload-Checksum", checksum);
        }
        request.body(bytes).send().await.unwrap()
    }

    pub async fn tus_head(&self, user: &str, path: &str) -> Response {
        self.tus(reqwest::Method::HEAD, path, user)
            .send()
            .await
            .unwrap()
    }

    /// The upload's offset, as HEAD tells it.
    pub async fn tus_offset(&self, user: &str, path: &str) -> u64 {
        let response = self.tus_head(user, path).await;
        assert_eq!(response.status(), StatusCode::OK);
        header(&response, "Upload-Offset").unwrap().parse().unwrap()
    }

    /// Sends `bytes` in PATCHes of `chunk`; returns the last response.
    pub async fn tus_send_all(
        &self,
        user: &str,
        path: &str,
        bytes: &[u8],
        chunk: usize,
    ) -> Response {
        let mut offset = 0;
        loop {
            let end = (offset + chunk).min(bytes.len());
            let response = self
                .tus_patch(user, path, offset as u64, bytes[offset..end].to_vec(), None)
                .await;
            if response.status() != StatusCode::NO_CONTENT || end == bytes.len() {
                return response;
            }
            assert_eq!(header(&response, "Upload-Offset"), Some(end.to_string()));
            offset = end;
        }
    }

    /// Files left in the local resumable area.
    pub fn tus_files(&self, data_dir: &std::path::Path) -> usize {
        std::fs::read_dir(data_dir.join("blobs/tus"))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }
}
