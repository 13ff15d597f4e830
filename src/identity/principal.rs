//! Who is calling, and by which credential.
use stockage_events::{ProjectSlug, TokenScope, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthUser {
    pub id: UserId,
    pub name: Option<String>,
    /// May create projects.
    pub admin: bool,
    pub via: Via,
    /// When the credential stops being valid (a WebSocket is closed then).
    pub expires_at: Option<OffsetDateTime>,
}

/// The credential a request came with.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// A bearer JWT (the server's HS256 or the platform's RS256/ES256).
    Jwt,
    /// A personal access token (`stk_…`).
    AccessToken {
        id: Uuid,
        scope: TokenScope,
        /// The only project the token reaches, if limited to one.
        project: Option<ProjectSlug>,
    },
    /// A browser's sign-in session cookie; unsafe methods need the CSRF token.
    Session {
        id_sha256: String,
        csrf_token: String,
    },
}

impl Via {
    pub fn as_str(&self) -> &'static str {
        match self {
            Via::Jwt => "jwt",
            Via::AccessToken { .. } => "token",
            Via::Session { .. } => "session",
        }
    }
}
