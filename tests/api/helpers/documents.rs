//! Documents in tests: fixtures, uploads, and waiting for the index.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::{ADMIN, TestApp};

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

impl TestApp {
    /// Uploads a fixture with a title and tags; returns the document.
    pub async fn add(
        &self,
        slug: &str,
        user: &str,
        fixture_name: &str,
        title: &str,
        tags: &str,
    ) -> Value {
        let name = fixture_name.rsplit('/').next().unwrap().to_owned();
        let part = reqwest::multipart::Part::bytes(fixture(fixture_name)).file_name(name);
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("title", title.to_owned())
            .text("tags", tags.to_owned());
        let response = self
            .client
            .post(format!("{}/api/v1/projects/{slug}/documents", self.address))
            .bearer_auth(self.token(user, user == ADMIN))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "uploading {fixture_name}"
        );
        response.json().await.unwrap()
    }

    /// Waits until the document's latest revision is indexed or failed;
    /// returns the document as its owner sees it.
    pub async fn indexed(&self, slug: &str, id: &str) -> Value {
        let path = format!("/api/v1/projects/{slug}/documents/{id}");
        for _ in 0..600 {
            let doc: Value = self.get(&path, ADMIN).await.json().await.unwrap();
            if doc["index_status"] != "pending" {
                return doc;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("document {id} was not indexed within 30 s");
    }

    /// `GET path` (a search URL) as `user`, expecting 200.
    pub async fn search(&self, path: &str, user: &str) -> Value {
        let response = self.get(path, user).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }
}
