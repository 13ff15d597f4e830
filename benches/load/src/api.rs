//! Typed calls to the Stockage HTTP API, each returning an error that says
//! which call failed and with what status.
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

pub type ApiResult<T> = Result<T, String>;

/// `what` and the error with its causes: reqwest's own message ("error
/// sending request") hides whether the connection was refused, reset or
/// closed.
fn failed(what: &str, error: reqwest::Error) -> String {
    let mut message = format!("{what}: {error}");
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    message
}

async fn checked(
    what: &str,
    response: reqwest::Result<reqwest::Response>,
) -> ApiResult<reqwest::Response> {
    let response = response.map_err(|e| failed(what, e))?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Err(format!("{what}: {status} {body}"))
}

async fn json(what: &str, response: reqwest::Result<reqwest::Response>) -> ApiResult<Value> {
    checked(what, response)
        .await?
        .json()
        .await
        .map_err(|e| failed(what, e))
}

impl Api {
    pub fn new(http: reqwest::Client, base: &str, token: String) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// The same server and connection pool, as another user.
    pub fn as_user(&self, token: String) -> Self {
        Self::new(self.http.clone(), &self.base, token)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// Sends `body` (if any) as JSON; the response when it is a success.
    async fn call(
        &self,
        what: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiResult<reqwest::Response> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        checked(what, request.send().await).await
    }

    async fn call_json(
        &self,
        what: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiResult<Value> {
        let response = self.call(what, method, path, body).await?;
        response.json().await.map_err(|e| failed(what, e))
    }

    pub async fn create_project(&self, slug: &str) -> ApiResult<Value> {
        let body = json!({"slug": slug, "title": format!("Load {slug}")});
        self.call_json(
            "create project",
            reqwest::Method::POST,
            "/projects",
            Some(body),
        )
        .await
    }

    pub async fn get_project(&self, slug: &str) -> ApiResult<Value> {
        let path = format!("/projects/{slug}");
        self.call_json("get project", reqwest::Method::GET, &path, None)
            .await
    }

    pub async fn add_member(&self, slug: &str, user: &str, role: &str) -> ApiResult<()> {
        let path = format!("/projects/{slug}/members/{user}");
        let body = json!({"role": role});
        self.call("add member", reqwest::Method::PUT, &path, Some(body))
            .await
            .map(drop)
    }

    /// Uploads `body` (`size` bytes) as `filename`; returns the document.
    pub async fn upload(
        &self,
        slug: &str,
        filename: &str,
        body: reqwest::Body,
        size: u64,
    ) -> ApiResult<Value> {
        let part =
            reqwest::multipart::Part::stream_with_length(body, size).file_name(filename.to_owned());
        self.upload_form(slug, reqwest::multipart::Form::new().part("file", part))
            .await
    }

    pub async fn upload_form(
        &self,
        slug: &str,
        form: reqwest::multipart::Form,
    ) -> ApiResult<Value> {
        let path = format!("/projects/{slug}/documents");
        let sent = self
            .request(reqwest::Method::POST, &path)
            .multipart(form)
            .send()
            .await;
        json("upload", sent).await
    }

    /// Creates a tus upload of `size` bytes named `filename` in project
    /// `slug`; returns its URL.
    pub async fn tus_create(&self, slug: &str, filename: &str, size: u64) -> ApiResult<String> {
        use base64::Engine;
        let encode = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let metadata = format!("project {},filename {}", encode(slug), encode(filename));
        let sent = self
            .request(reqwest::Method::POST, "/uploads")
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", size.to_string())
            .header("Upload-Metadata", metadata)
            .send()
            .await;
        let response = checked("tus create", sent).await?;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or("tus create: no Location")?;
        Ok(format!("{}{location}", self.base))
    }

    /// One tus PATCH of `chunk` at `offset`; the document once complete.
    pub async fn tus_patch(
        &self,
        url: &str,
        offset: u64,
        chunk: Bytes,
    ) -> ApiResult<Option<String>> {
        let sent = self
            .http
            .patch(url)
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(chunk)
            .send()
            .await;
        let response = checked("tus patch", sent).await?;
        Ok(response
            .headers()
            .get("stockage-document")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned))
    }

    /// `GET /search?q=` (20 hits a page).
    pub async fn search(&self, q: &str) -> ApiResult<Value> {
        let path = format!("/search?limit=20&q={}", encode(q));
        self.call_json("search", reqwest::Method::GET, &path, None)
            .await
    }

    pub async fn upload_bytes(
        &self,
        slug: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> ApiResult<Value> {
        let size = bytes.len() as u64;
        self.upload(slug, filename, reqwest::Body::from(bytes), size)
            .await
    }

    pub async fn get_document(&self, slug: &str, id: &str) -> ApiResult<Value> {
        let path = format!("/projects/{slug}/documents/{id}");
        self.call_json("get document", reqwest::Method::GET, &path, None)
            .await
    }

    pub async fn list_documents(&self, slug: &str) -> ApiResult<Value> {
        let path = format!("/projects/{slug}/documents");
        self.call_json("list documents", reqwest::Method::GET, &path, None)
            .await
    }

    /// The sum over its label sets of a metric from the server's
    /// `/metrics` (Prometheus text): a counter, or a summary's `_sum` or
    /// `_count`.
    pub async fn metric(&self, name: &str) -> ApiResult<f64> {
        let request = self
            .http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(&self.token);
        let text = checked("metrics", request.send().await)
            .await?
            .text()
            .await
            .map_err(|e| failed("metrics", e))?;
        Ok(sum_of(&text, name))
    }

    pub async fn patch_title(&self, slug: &str, id: &str, title: &str) -> ApiResult<()> {
        let path = format!("/projects/{slug}/documents/{id}");
        let body = json!({"title": title});
        self.call("patch title", reqwest::Method::PATCH, &path, Some(body))
            .await
            .map(drop)
    }

    /// A new revision from a raw body (last writer wins: no `If-Match`).
    pub async fn put_content(&self, slug: &str, id: &str, bytes: Vec<u8>) -> ApiResult<()> {
        let path = format!("/projects/{slug}/documents/{id}/content");
        let sent = self
            .request(reqwest::Method::PUT, &path)
            .body(bytes)
            .send()
            .await;
        checked("put content", sent).await.map(drop)
    }

    pub async fn put_acl(&self, slug: &str, id: &str, entries: Value) -> ApiResult<()> {
        let path = format!("/projects/{slug}/documents/{id}/acl");
        let body = json!({"entries": entries});
        self.call("put acl", reqwest::Method::PUT, &path, Some(body))
            .await
            .map(drop)
    }

    /// Streams the latest content to nowhere; returns its length.
    pub async fn download(&self, slug: &str, id: &str) -> ApiResult<u64> {
        let path = format!("/projects/{slug}/documents/{id}/content");
        let response = checked(
            "download",
            self.request(reqwest::Method::GET, &path).send().await,
        )
        .await?;
        let mut stream = response.bytes_stream();
        let mut total = 0;
        while let Some(chunk) = stream.next().await {
            let chunk: Bytes = chunk.map_err(|e| failed("download", e))?;
            total += chunk.len() as u64;
        }
        Ok(total)
    }
}

/// Percent-encodes everything but ASCII letters and digits.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A PDF of exactly `size` bytes, streamed in 1 MB chunks, its bytes
/// fixed by `mark` (distinct marks give distinct blobs).
pub fn pdf_stream(size: u64, mark: u64) -> reqwest::Body {
    const CHUNK: u64 = 1_000_000;
    let header = Bytes::from(format!("%PDF-1.4 {mark}\n"));
    let fill = Bytes::from(vec![b'a' + (mark % 26) as u8; CHUNK as usize]);
    let mut left = size.saturating_sub(header.len() as u64);
    let rest = std::iter::from_fn(move || {
        let n = left.min(CHUNK);
        left -= n;
        (n > 0).then(|| Ok::<_, std::io::Error>(fill.slice(..n as usize)))
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(
        std::iter::once(Ok(header)).chain(rest),
    ))
}

/// A small PDF whose bytes depend on `mark`.
pub fn small_pdf(mark: u64, size: usize) -> Vec<u8> {
    let mut bytes = format!("%PDF-1.4 {mark}\n").into_bytes();
    bytes.resize(size.max(bytes.len()), b'a' + (mark % 26) as u8);
    bytes
}

/// The sum of the samples named `name` in Prometheus text.
fn sum_of(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
