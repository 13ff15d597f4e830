//! OpenID Connect sign-in: the authorization code flow with PKCE, `state`
//! and `nonce`, through the `openidconnect` crate (discovery, ID-token
//! signature, issuer, audience, expiry and nonce checks). The provider is
//! discovered on first use, so a server starts while its IdP is away.
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde_json::Value;
use sqlx::PgPool;
use stockage_events::UserId;
use tokio::sync::OnceCell;

use super::config::OidcConfig;
use crate::error::Error;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    client: OnceCell<Client>,
}

/// Who signed in, from the verified ID token.
pub struct SignedIn {
    pub user: UserId,
    pub name: Option<String>,
    pub admin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error(transparent)]
    Http(#[from] openidconnect::http::Error),
}

fn unavailable(what: &str, error: impl std::fmt::Display) -> Error {
    tracing::warn!(%error, "OpenID provider: {what}");
    Error::Unavailable {
        detail: format!("the sign-in provider cannot be reached ({what}); try again shortly"),
        retry_after: 10,
    }
}

impl Oidc {
    pub fn new(config: OidcConfig) -> reqwest::Result<Self> {
        Ok(Self {
            config,
            // Token requests must not follow redirects (RFC 6749 §10.12 spirit).
            http: super::provider_client(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            client: OnceCell::new(),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    async fn send(
        http: reqwest::Client,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, HttpError> {
        let response = http.execute(request.try_into()?).await?;
        let mut built = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            built = built.header(name, value);
        }
        Ok(built.body(response.bytes().await?.to_vec())?)
    }

    async fn client(&self) -> Result<&Client, Error> {
        self.client
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer.clone())
                    .map_err(|e| Error::internal(format!("STOCKAGE_OIDC_ISSUER: {e}")))?;
                let http = |request| Self::send(self.http.clone(), request);
                let metadata = CoreProviderMetadata::discover_async(issuer, &http)
                    .await
                    .map_err(|e| unavailable("discovery", e))?;
                Ok(CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.config.client_id.clone()),
                    Some(ClientSecret::new(
                        self.config.client_secret.expose().to_owned(),
                    )),
                ))
            })
            .await
    }

    /// Starts a sign-in: remembers state, PKCE verifier and nonce, and
    /// answers the provider's URL to send the browser to.
    pub async fn begin(
        &self,
        pool: &PgPool,
        redirect: &str,
        return_to: &str,
    ) -> Result<String, Error> {
        let client = self
            .client()
            .await?
            .clone()
            .set_redirect_uri(redirect_url(redirect)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        sqlx::query("DELETE FROM oidc_logins WHERE created_at < now() - interval '10 minutes'")
            .execute(pool)
            .await?;
        sqlx::query("INSERT INTO oidc_logins (state, pkce_verifier, nonce, return_to) VALUES ($1, $2, $3, $4)")
            .bind(state.secret())
            .bind(verifier.secret())
            .bind(nonce.secret())
            .bind(return_to)
            .execute(pool)
            .await?;
        Ok(url.to_string())
    }

    /// Ends a sign-in: the state must be one this server started (once,
    /// within ten minutes); the code is exchanged with the PKCE verifier and
    /// the ID token checked with the nonce. Answers who signed in and where
    /// to send the browser.
    pub async fn finish(
        &self,
        pool: &PgPool,
        redirect: &str,
        state: &str,
        code: &str,
    ) -> Result<(SignedIn, String), Error> {
        let pending: Option<(String, String, String)> = sqlx::query_as(
            "DELETE FROM oidc_logins WHERE state = $1 AND created_at > now() - interval '10 minutes'
             RETURNING pkce_verifier, nonce, return_to",
        )
        .bind(state)
        .fetch_optional(pool)
        .await?;
        let Some((verifier, nonce, return_to)) = pending else {
            return Err(Error::Invalid(
                "this sign-in is unknown, used or older than ten minutes; sign in again".into(),
            ));
        };
        let client = self
            .client()
            .await?
            .clone()
            .set_redirect_uri(redirect_url(redirect)?);
        let http = |request| Self::send(self.http.clone(), request);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Error::internal(format!("the provider has no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the provider refused the code");
                Error::Unauthenticated("the sign-in provider refused the sign-in".into())
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| Error::Unauthenticated("the provider sent no ID token".into()))?;
        id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce))
            .map_err(|e| Error::Unauthenticated(format!("the ID token is not valid: {e}")))?;
        // Verified above; its other claims (groups) are read from the payload.
        let claims = payload(&id_token.to_string())?;
        Ok((self.signed_in(&claims)?, return_to))
    }

    fn signed_in(&self, claims: &Value) -> Result<SignedIn, Error> {
        let sub = claims["sub"].as_str().unwrap_or_default();
        let user = UserId::parse(sub).map_err(|e| {
            Error::Unauthenticated(format!("the provider's user id is not usable: {e}"))
        })?;
        let name = ["name", "preferred_username", "email"]
            .iter()
            .find_map(|claim| claims[claim].as_str())
            .map(str::to_owned);
        let admin = self.config.admin_group.as_ref().is_some_and(|group| {
            claims["groups"]
                .as_array()
                .is_some_and(|groups| groups.iter().any(|g| g.as_str() == Some(group)))
        });
        Ok(SignedIn { user, name, admin })
    }
}

fn redirect_url(url: &str) -> Result<RedirectUrl, Error> {
    RedirectUrl::new(url.to_owned())
        .map_err(|e| Error::Invalid(format!("redirect URL {url:?}: {e}")))
}

fn payload(jwt: &str) -> Result<Value, Error> {
    let part = jwt.split('.').nth(1).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Error::Unauthenticated("the ID token cannot be read".into()))
}
