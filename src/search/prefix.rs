//! Prefix matching while typing: the last word of a query also matches the
//! words that begin with it (`brid` finds `bridge`). Web-search syntax has
//! no prefix operator, so the query is split here into the words before
//! (searched as usual) and the last word, which becomes a `simple`
//! tsquery prefix (`'brid':*`). Every index holds the `simple` lexemes of
//! its text, so one prefix term serves every language.

/// A last word shorter than this is searched as a whole word: a single
/// letter would match nearly everything.
const MIN_PREFIX: usize = 2;

/// The query split for prefix matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixQuery {
    /// The words before the last one, in web-search syntax (may be empty).
    pub head: String,
    /// The last word as the index writes it: lowercased, part numbers
    /// joined (`B-10` gives `b10`), only letters and digits.
    pub word: String,
}

/// Splits `q` when its last word can be a prefix: a plain word or part
/// number, not excluded (`-word`), not `or`, not inside or just after a
/// quoted phrase. `None`: search `q` as it is.
pub fn split(q: &str) -> Option<PrefixQuery> {
    let q = q.trim_end();
    if q.chars().filter(|&c| c == '"').count() % 2 == 1 {
        return None;
    }
    let start = q
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (head, last) = q.split_at(start);
    if last.eq_ignore_ascii_case("or") {
        return None;
    }
    let word = normal(last)?;
    (word.chars().count() >= MIN_PREFIX).then(|| PrefixQuery {
        head: head.trim_end().to_owned(),
        word,
    })
}

/// Letters and digits, or a part number (groups of them joined by `-` or
/// `_`, with a letter and a digit somewhere) written joined, as the index
/// has it; anything else (a leading `-`, quotes, dots) is not a prefix.
fn normal(token: &str) -> Option<String> {
    let groups: Vec<&str> = token.split(['-', '_']).collect();
    if groups
        .iter()
        .any(|g| g.is_empty() || !g.chars().all(char::is_alphanumeric))
    {
        return None;
    }
    let part_number = groups.len() > 1
        && token.chars().any(char::is_alphabetic)
        && token.chars().any(|c| c.is_ascii_digit());
    if groups.len() > 1 && !part_number {
        return None;
    }
    Some(groups.concat().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_into(q: &str) -> Option<(String, String)> {
        split(q).map(|p| (p.head, p.word))
    }

    #[test]
    fn the_last_plain_word_is_the_prefix() {
        assert_eq!(split_into("brid"), Some((String::new(), "brid".into())));
        assert_eq!(
            split_into("steel Brid  "),
            Some(("steel".into(), "brid".into()))
        );
        assert_eq!(
            split_into("\"deck plan\" Stä"),
            Some(("\"deck plan\"".into(), "stä".into()))
        );
        assert_eq!(
            split_into("plate B-10"),
            Some(("plate".into(), "b10".into()))
        );
        assert_eq!(split_into("DIN_91"), Some((String::new(), "din91".into())));
    }

    #[test]
    fn syntax_and_short_words_are_searched_as_typed() {
        for q in [
            "b",
            "steel -brid",
            "steel or",
            "\"deck pla",
            "\"deck plan\"",
            "m8x1.2",
            "deck-plan",
            "a--1",
            "brid*",
        ] {
            assert_eq!(split(q), None, "{q}");
        }
    }
}
