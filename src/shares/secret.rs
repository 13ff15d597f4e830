//! The link's token: 256 random bits, base64url, shown once; the server
//! keeps only its SHA-256.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A freshly made token. `Debug` does not show it.
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// 32 random bytes make 43 base64url characters.
const TOKEN_LEN: usize = 43;

impl Token {
    pub fn generate() -> Self {
        Self(URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// The digest to look a presented token up by, or `None` when it cannot
/// be one of ours (answered like any unknown link, without a query).
pub fn digest_of(presented: &str) -> Option<Vec<u8>> {
    let plausible = presented.len() == TOKEN_LEN
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| Sha256::digest(presented.as_bytes()).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_recognised() {
        let (a, b) = (Token::generate(), Token::generate());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(digest_of(a.expose()), Some(a.digest()));
        assert_eq!(digest_of("short"), None);
        assert_eq!(digest_of(&"a/".repeat(22)[..43]), None);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
