//! The platform's public keys (RS256/ES256 tokens): a JWKS file or URL,
//! cached, fetched again when a token names a key id it does not hold
//! (key rotation) — at most once per [`MIN_REFRESH`], so a stream of
//! made-up key ids cannot make the server hammer its identity provider.
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use tokio::sync::{Mutex, RwLock};

use super::config::JwksSource;
use crate::error::Error;

/// Fewest seconds between two fetches caused by unknown key ids.
pub const MIN_REFRESH: Duration = Duration::from_secs(10);
/// A cached key set older than this is fetched again on the next token.
const MAX_AGE: Duration = Duration::from_secs(600);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Jwks {
    source: JwksSource,
    client: reqwest::Client,
    cached: RwLock<Option<(JwkSet, Instant)>>,
    /// Held while fetching, so concurrent misses cause one fetch.
    fetching: Mutex<Option<Instant>>,
}

impl Jwks {
    pub fn new(source: JwksSource) -> reqwest::Result<Self> {
        Ok(Self {
            source,
            client: super::provider_client(FETCH_TIMEOUT).build()?,
            cached: RwLock::default(),
            fetching: Mutex::default(),
        })
    }

    /// The key a token's header names (by `kid`; without one, the only key).
    pub async fn key(&self, kid: Option<&str>) -> Result<Jwk, Error> {
        if let Some((set, at)) = &*self.cached.read().await
            && at.elapsed() < MAX_AGE
            && let Some(key) = find(set, kid)
        {
            return Ok(key);
        }
        self.refresh().await?;
        let cached = self.cached.read().await;
        cached
            .as_ref()
            .and_then(|(set, _)| find(set, kid))
            .ok_or_else(|| {
                Error::Unauthenticated(match kid {
                    Some(kid) => format!("the bearer token's key id {kid:?} is not in the JWKS"),
                    None => {
                        "the bearer token names no key id and the JWKS holds several keys".into()
                    }
                })
            })
    }

    async fn refresh(&self) -> Result<(), Error> {
        let mut last = self.fetching.lock().await;
        // The first load is free; refreshes of a loaded set are spaced.
        let loaded = self.cached.read().await.is_some();
        if loaded && last.is_some_and(|at| at.elapsed() < MIN_REFRESH) {
            return Ok(());
        }
        if loaded {
            *last = Some(Instant::now());
        }
        match self.fetch().await {
            Ok(set) => {
                metrics::counter!("stockage_jwks_fetches_total", "outcome" => "ok").increment(1);
                *self.cached.write().await = Some((set, Instant::now()));
                Ok(())
            }
            Err(error) => {
                metrics::counter!("stockage_jwks_fetches_total", "outcome" => "failed")
                    .increment(1);
                tracing::warn!(%error, "cannot read the JWKS");
                if self.cached.read().await.is_some() {
                    // Keep serving the keys we have; an unknown key id stays unknown.
                    return Ok(());
                }
                Err(Error::Unavailable {
                    detail: "the platform's key set (JWKS) cannot be read at the moment".into(),
                    retry_after: MIN_REFRESH.as_secs(),
                })
            }
        }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let bytes = match &self.source {
            JwksSource::File(path) => tokio::fs::read(path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?,
            JwksSource::Url(url) => {
                let response = self
                    .client
                    .get(url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| format!("{url}: {e}"))?;
                response
                    .bytes()
                    .await
                    .map_err(|e| format!("{url}: {e}"))?
                    .to_vec()
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| format!("not a JWKS: {e}"))
    }
}

fn find(set: &JwkSet, kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => set.find(kid).cloned(),
        None if set.keys.len() == 1 => set.keys.first().cloned(),
        None => None,
    }
}
