//! PDF: the text of every page (pdf-extract), the Info dictionary and the
//! page count (lopdf).
use lopdf::{Document, Object};
use serde_json::{Map, json};

use super::{ExtractError, Extracted, malformed};

/// Deeper nesting of arrays and dictionaries than this is refused before
/// parsing: a recursive parser would exhaust its stack on it.
const MAX_NESTING: usize = 64;

pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(malformed("not a PDF: no %PDF- header"));
    }
    let depth = nesting(bytes);
    if depth > MAX_NESTING {
        return Err(malformed(format!(
            "objects nested {depth} levels deep (at most {MAX_NESTING})"
        )));
    }
    let doc = Document::load_mem(bytes).map_err(|e| malformed(format!("unreadable PDF: {e}")))?;
    let mut metadata = Map::new();
    metadata.insert("page_count".into(), json!(doc.get_pages().len()));
    for (key, name) in [
        (&b"Title"[..], "title"),
        (b"Author", "author"),
        (b"Subject", "subject"),
        (b"Keywords", "keywords"),
    ] {
        if let Some(value) = info(&doc, key) {
            metadata.insert(name.into(), json!(value));
        }
    }
    // Page by page, with a blank line between pages: joined as one string
    // the last word of a page fused with the next page's first word.
    let text = pdf_extract::extract_text_from_mem_by_pages(bytes)
        .map_err(|e| malformed(format!("no text could be extracted: {e}")))?
        .join("\n\n");
    Ok(Extracted { text, metadata })
}

/// A text entry of the trailer's Info dictionary.
fn info(doc: &Document, key: &[u8]) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(dict) => dict,
        _ => return None,
    };
    match info.get(key).ok()? {
        Object::String(raw, _) => Some(text_string(raw)).filter(|s| !s.trim().is_empty()),
        _ => None,
    }
}

/// A PDF text string: UTF-16BE with a byte order mark, else one byte a
/// character.
fn text_string(raw: &[u8]) -> String {
    let text = match raw.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => raw.iter().map(|&b| b as char).collect(),
    };
    text.chars()
        .filter(|c| !c.is_control())
        .take(1_000)
        .collect()
}

/// The deepest nesting of `[`/`<<` outside stream data.
fn nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"endstream") {
            i += 9;
            continue;
        }
        if rest.starts_with(b"stream") {
            i += find(rest, b"endstream").unwrap_or(rest.len());
            continue;
        }
        match bytes[i] {
            b'[' => depth += 1,
            b'<' if rest.starts_with(b"<<") => {
                depth += 1;
                i += 1;
            }
            b']' => depth = depth.saturating_sub(1),
            b'>' if rest.starts_with(b">>") => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => {}
        }
        deepest = deepest.max(depth);
        i += 1;
    }
    deepest
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
