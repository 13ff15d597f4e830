//! Reading the environment: every module's configuration is built from
//! these, once at start-up. An empty variable counts as unset.
use std::fmt;

use anyhow::Context;

/// A value that must not appear in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// An environment variable, unset when empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A whole-number environment variable, `default` when unset.
pub fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match var(name) {
        Some(raw) => raw
            .parse()
            .with_context(|| format!("{name}={raw:?} is not a whole number")),
        None => Ok(default),
    }
}

/// A whole number above zero, `default` when unset.
pub fn positive(name: &str, default: u64) -> anyhow::Result<u64> {
    match number(name, default)? {
        0 => anyhow::bail!("{name}=0 must be a positive whole number"),
        n => Ok(n),
    }
}

/// `1` turns a switch on; anything else (or unset) leaves it off.
pub fn flag(name: &str) -> bool {
    var(name).is_some_and(|v| v == "1")
}

/// A switch that is on unless set to `0`.
pub fn unless_zero(name: &str) -> bool {
    var(name).is_none_or(|v| v != "0")
}

/// A duration as people write it (`90s`, `15m`, `8h`, `7d`, `1h 30m`;
/// a bare number is seconds), parsed by `humantime`; zero is refused.
pub fn duration(raw: &str) -> Result<std::time::Duration, String> {
    let raw = raw.trim();
    let parsed = match raw.parse::<u64>() {
        Ok(seconds) => std::time::Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(raw)
            .map_err(|e| format!("{raw:?} is not a duration like 90s, 15m, 8h or 7d: {e}"))?,
    };
    if parsed.is_zero() {
        return Err(format!("{raw:?}: a duration must be more than zero"));
    }
    Ok(parsed)
}
