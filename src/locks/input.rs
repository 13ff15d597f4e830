//! What a user types about a lock or a transition: the lock's duration,
//! its note, a comment.
use time::Duration;

use crate::error::Error;

/// A lock lasts a day unless asked otherwise, and a week at most.
pub const DEFAULT_TTL: Duration = Duration::hours(24);
pub const MAX_TTL: Duration = Duration::days(7);
const MAX_NOTE: usize = 500;

/// `30m`, `8h`, `2d`, `90s` (or a bare number of seconds); none: 24h.
pub fn parse_ttl(raw: Option<&str>) -> Result<Duration, Error> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(DEFAULT_TTL);
    };
    let bad = || {
        Error::Invalid(format!(
            "ttl {raw:?} must be a duration like 30m, 8h or 2d, at most 7d"
        ))
    };
    let (digits, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => raw.split_at(at),
        None => (raw, "s"),
    };
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let ttl = match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(bad()),
    };
    if ttl <= Duration::ZERO || ttl > MAX_TTL {
        return Err(bad());
    }
    Ok(ttl)
}

fn parse_text(raw: Option<&str>, what: &str) -> Result<Option<String>, Error> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let control = text.chars().any(|c| c.is_control() && c != '\n');
    if text.chars().count() > MAX_NOTE || control {
        return Err(Error::Invalid(format!(
            "{what} must be at most {MAX_NOTE} characters without control characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

/// A lock's note ("redrawing the north elevation").
pub fn parse_note(raw: Option<&str>) -> Result<Option<String>, Error> {
    parse_text(raw, "note")
}

/// The comment of a transition or the reason of a broken lock.
pub fn parse_comment(raw: Option<&str>, what: &str) -> Result<Option<String>, Error> {
    parse_text(raw, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_ttl(None).unwrap(), Duration::hours(24));
        assert_eq!(parse_ttl(Some("8h")).unwrap(), Duration::hours(8));
        assert_eq!(parse_ttl(Some("30m")).unwrap(), Duration::minutes(30));
        assert_eq!(parse_ttl(Some("7d")).unwrap(), Duration::days(7));
        assert_eq!(parse_ttl(Some("90")).unwrap(), Duration::seconds(90));
        for bad in ["8d", "0h", "-1h", "h", "1w", "1.5h", "24 h"] {
            assert!(parse_ttl(Some(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn notes() {
        assert_eq!(parse_note(Some("  ")).unwrap(), None);
        assert_eq!(
            parse_note(Some(" redraw ")).unwrap().as_deref(),
            Some("redraw")
        );
        assert!(parse_note(Some(&"x".repeat(501))).is_err());
        assert!(parse_note(Some("a\u{7}b")).is_err());
    }
}
