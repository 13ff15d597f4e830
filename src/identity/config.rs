//! The secret bearer tokens are signed with.
use std::path::Path;

use anyhow::Context;

use crate::env::{Secret, var};

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `STOCKAGE_JWT_SECRET`: HS256 secret for bearer tokens; when unset, a
    /// development secret generated once under the data directory.
    pub jwt_secret: Secret,
}

impl AuthConfig {
    pub fn from_env(data_dir: &Path) -> anyhow::Result<Self> {
        let jwt_secret = match var("STOCKAGE_JWT_SECRET") {
            Some(secret) => Secret::new(secret),
            None => development_secret(data_dir)?,
        };
        Ok(Self { jwt_secret })
    }
}

/// Reads, or creates once, a random secret under the data directory so a
/// development server needs no setup and tokens survive restarts.
pub(crate) fn development_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && !existing.trim().is_empty()
    {
        return Ok(Secret::new(existing.trim().to_owned()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "STOCKAGE_JWT_SECRET is not set: generated a development secret; set it in production"
    );
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_secret_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("stockage-secret-{}", uuid::Uuid::new_v4()));
        let first = development_secret(&dir).unwrap();
        let second = development_secret(&dir).unwrap();
        assert_eq!(first.expose(), second.expose());
        assert_eq!(first.expose().len(), 64);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
