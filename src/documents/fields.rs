//! The fields a user types about a document: its title and tags.
use crate::error::Error;

const MAX_TITLE: usize = 200;
const MAX_TAG: usize = 50;
const MAX_TAGS: usize = 32;

/// A title as typed: trimmed, not empty, at most 200 characters.
pub fn parse_title(raw: &str) -> Result<String, Error> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(Error::Invalid("title must not be empty".into()));
    }
    if title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "title must be at most {MAX_TITLE} characters without control characters"
        )));
    }
    Ok(title.to_owned())
}

/// Tags, trimmed and de-duplicated in order: at most 32 of at most 50
/// characters, no commas or control characters.
pub fn parse_tags<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, Error> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        if tag.chars().count() > MAX_TAG || tag.contains(',') || tag.chars().any(char::is_control) {
            return Err(Error::Invalid(format!(
                "tag {tag:?} must be at most {MAX_TAG} characters without commas or control characters"
            )));
        }
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::Invalid(format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        assert_eq!(
            parse_tags(" a , b,a,, c ".split(',')).unwrap(),
            ["a", "b", "c"]
        );
        assert!(parse_tags([&*"x".repeat(51)]).is_err());
        let many: Vec<String> = (0..33).map(|n| n.to_string()).collect();
        assert!(parse_tags(many.iter().map(String::as_str)).is_err());
    }

    #[test]
    fn titles() {
        assert_eq!(parse_title("  Plan  ").unwrap(), "Plan");
        assert!(parse_title("   ").is_err() && parse_title(&"t".repeat(201)).is_err());
    }
}
