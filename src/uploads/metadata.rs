//! `Upload-Metadata` (tus creation): `key base64value` pairs separated by
//! commas, a key alone meaning an empty value.
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use crate::documents::fields::{parse_tags, parse_title};
use crate::error::Error;
use crate::storage::policy::FileName;

/// What an upload will become, as its creator described it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub project: String,
    pub filename: FileName,
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    /// A new revision of this document, rather than a new document.
    pub document: Option<Uuid>,
    pub if_match: Option<u32>,
}

pub fn parse_pairs(header: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut pairs = BTreeMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((key, encoded)) => {
                let bytes = STANDARD.decode(encoded.trim()).map_err(|_| {
                    Error::Invalid(format!(
                        "Upload-Metadata: the value of {key:?} is not base64"
                    ))
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::Invalid(format!(
                        "Upload-Metadata: the value of {key:?} is not UTF-8"
                    ))
                })?;
                (key, text)
            }
            None => (pair, String::new()),
        };
        if pairs.insert(key.to_owned(), value).is_some() {
            return Err(Error::Invalid(format!(
                "Upload-Metadata: the key {key:?} is given twice"
            )));
        }
    }
    Ok(pairs)
}

impl Target {
    /// Keys `project`, `filename` (or `name`, as Uppy sends it), optional
    /// `title`, `tags` (comma separated), `document` and `if_match`.
    pub fn parse(header: Option<&str>) -> Result<Self, Error> {
        let mut pairs = parse_pairs(header.unwrap_or_default())?;
        let mut take = |key: &str| pairs.remove(key).filter(|v| !v.trim().is_empty());
        let project = take("project").ok_or_else(|| {
            Error::Invalid("Upload-Metadata needs `project` (the project's slug)".into())
        })?;
        let raw_name = take("filename").or_else(|| take("name")).ok_or_else(|| {
            Error::Invalid("Upload-Metadata needs `filename` (its extension gives the type)".into())
        })?;
        let filename = FileName::parse(&raw_name)?;
        let title = take("title").map(|t| parse_title(&t)).transpose()?;
        let tags = take("tags").map(|t| parse_tags(t.split(','))).transpose()?;
        let document = take("document")
            .map(|d| {
                d.trim().parse::<Uuid>().map_err(|_| {
                    Error::Invalid(format!(
                        "Upload-Metadata: document {d:?} is not a document id"
                    ))
                })
            })
            .transpose()?;
        let if_match = take("if_match")
            .map(|n| crate::versions::revisions::if_match(Some(&n)))
            .transpose()?
            .flatten();
        if if_match.is_some() && document.is_none() {
            return Err(Error::Invalid(
                "Upload-Metadata: if_match applies to a new revision; give `document` too".into(),
            ));
        }
        Ok(Self {
            project,
            filename,
            title,
            tags,
            document,
            if_match,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(pairs: &[(&str, &str)]) -> String {
        pairs
            .iter()
            .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn metadata_names_the_project_file_and_revision() {
        let header = encode(&[
            ("project", "bridge"),
            ("filename", "Deck plan.pdf"),
            ("tags", "deck, steel"),
            ("document", "0192a6a4-5a31-7cc1-8000-000000000001"),
            ("if_match", "3"),
        ]) + ",flag";
        let target = Target::parse(Some(&header)).unwrap();
        assert_eq!(target.project, "bridge");
        assert_eq!(target.filename.as_str(), "Deck plan.pdf");
        assert_eq!(target.tags, Some(vec!["deck".into(), "steel".into()]));
        assert_eq!(target.if_match, Some(3));
        assert!(target.document.is_some() && target.title.is_none());
    }

    #[test]
    fn bad_metadata_is_refused_with_the_reason() {
        let cases = [
            (None, "project"),
            (Some(encode(&[("project", "p")])), "filename"),
            (Some("project !!!".to_owned()), "base64"),
            (Some(encode(&[("project", "p"), ("project", "q")])), "twice"),
            (
                Some(encode(&[
                    ("project", "p"),
                    ("filename", "a.pdf"),
                    ("if_match", "2"),
                ])),
                "document",
            ),
        ];
        for (header, why) in cases {
            let error = Target::parse(header.as_deref()).unwrap_err().to_string();
            assert!(error.contains(why), "{error}");
        }
        let exe = encode(&[("project", "p"), ("filename", "a.exe")]);
        assert!(matches!(
            Target::parse(Some(&exe)),
            Err(Error::UnsupportedType(_) | Error::Invalid(_))
        ));
    }
}
