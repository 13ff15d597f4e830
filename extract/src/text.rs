//! Words from names and text: file name tokens, and the keywords of a
//! document (RAKE: candidate phrases between stop words, scored by word
//! degree over frequency).
use std::collections::HashMap;

/// How many keywords a document keeps.
pub const KEYWORDS: usize = 8;

/// The tokens of a file name: split at `_`, `-`, `.`, spaces, camelCase
/// humps and letter/digit boundaries, e.g. `BracketMount_v2.stl` gives
/// `Bracket Mount v 2 stl`.
pub fn filename_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for part in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let chars: Vec<char> = part.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (prev, here) = (chars[i - 1], chars[i]);
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            let boundary = (prev.is_lowercase() && here.is_uppercase())
                || (prev.is_uppercase() && here.is_uppercase() && next_lower)
                || (prev.is_alphabetic() != here.is_alphabetic());
            if boundary {
                tokens.push(chars[start..i].iter().collect());
                start = i;
            }
        }
        tokens.push(chars[start..].iter().collect());
    }
    tokens
}

const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me", "more", "most",
    "must", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other",
    "our", "ours", "out", "over", "own", "per", "same", "shall", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "under", "until", "up", "upon", "us", "very", "via", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '.'
}

/// The top [`KEYWORDS`] phrases of `text` by RAKE score, lowercased.
pub fn keywords(text: &str) -> Vec<String> {
    let mut phrases: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let close = |current: &mut Vec<String>, phrases: &mut Vec<Vec<String>>| {
        if !current.is_empty() && current.len() <= 4 {
            phrases.push(std::mem::take(current));
        }
        current.clear();
    };
    for piece in text.split_inclusive(|c: char| !is_word_char(c)) {
        let ends_phrase =
            piece.ends_with([',', ';', ':', '!', '?', '(', ')', '\n']) || piece.ends_with(". ");
        let word = piece
            .trim_end_matches(|c: char| !is_word_char(c))
            .trim_matches(|c: char| c == '.' || c == '-')
            .to_lowercase();
        let useful = word.chars().count() >= 3
            && word.chars().any(char::is_alphabetic)
            && !STOP_WORDS.contains(&word.as_str());
        if useful {
            current.push(word);
        } else {
            close(&mut current, &mut phrases);
        }
        if ends_phrase {
            close(&mut current, &mut phrases);
        }
    }
    close(&mut current, &mut phrases);
    let mut frequency: HashMap<&str, f64> = HashMap::new();
    let mut degree: HashMap<&str, f64> = HashMap::new();
    for phrase in &phrases {
        for word in phrase {
            *frequency.entry(word).or_default() += 1.0;
            *degree.entry(word).or_default() += phrase.len() as f64;
        }
    }
    let mut scored: HashMap<String, f64> = HashMap::new();
    for phrase in &phrases {
        let score: f64 = phrase
            .iter()
            .map(|w| degree[w.as_str()] / frequency[w.as_str()])
            .sum();
        let entry = scored.entry(phrase.join(" ")).or_default();
        *entry = entry.max(score);
    }
    let mut ranked: Vec<(String, f64)> = scored.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.into_iter().take(KEYWORDS).map(|(p, _)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_split_into_words() {
        assert_eq!(
            filename_tokens("BracketMount_v2-XMLPart.stl"),
            ["Bracket", "Mount", "v", "2", "XML", "Part", "stl"]
        );
        assert_eq!(filename_tokens("a1024"), ["a", "1024"]);
    }

    #[test]
    fn keywords_prefer_repeated_phrases_over_stop_words() {
        let text = "The cantilever bridge is steel. A cantilever bridge for the river, with a \
                    concrete pier.";
        let found = keywords(text);
        assert_eq!(found[..2], ["cantilever bridge", "concrete pier"]);
        assert!(
            found
                .iter()
                .all(|k| !k.split(' ').any(|w| STOP_WORDS.contains(&w)))
        );
        assert!(found.contains(&"steel".to_owned()));
        assert!(keywords("").is_empty());
    }
}
