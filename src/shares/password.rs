//! Link passwords, hashed with argon2id (the crate's defaults: 19 MiB,
//! 2 passes). Both directions are CPU work: callers run them on the
//! blocking pool.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::Error;

pub fn hash(password: &str) -> Result<String, Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(Error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(Error::internal)
}

pub fn verify(stored: &str, candidate: &str) -> Result<bool, Error> {
    let parsed = PasswordHash::new(stored).map_err(Error::internal)?;
    Ok(Argon2::default()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok())
}

/// Runs `work` on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(Error::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_and_wrong() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("correct horse"));
        assert!(verify(&stored, "correct horse").unwrap());
        assert!(!verify(&stored, "Correct horse").unwrap());
    }
}
