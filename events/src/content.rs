//! What a file is: its content address and its type.
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::types::ParseError;

/// A SHA-256 digest as 64 lowercase hex characters: a blob's content address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256(String);

impl Sha256 {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok = raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ParseError(format!(
                "{raw:?} is not a lowercase hex SHA-256 digest"
            )))
        }
    }

    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(hex::encode(digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256 {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Sha256> for String {
    fn from(value: Sha256) -> Self {
        value.0
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The allowed file types. The extension picks one; the bytes must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Pdf,
    Png,
    Jpg,
    Glb,
    Gltf,
    Stl,
}

impl FileKind {
    pub const ALL: [FileKind; 6] = [
        FileKind::Pdf,
        FileKind::Png,
        FileKind::Jpg,
        FileKind::Glb,
        FileKind::Gltf,
        FileKind::Stl,
    ];

    /// From a file extension, case-insensitively; `jpeg` counts as `jpg`.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(FileKind::Pdf),
            "png" => Some(FileKind::Png),
            "jpg" | "jpeg" => Some(FileKind::Jpg),
            "glb" => Some(FileKind::Glb),
            "gltf" => Some(FileKind::Gltf),
            "stl" => Some(FileKind::Stl),
            _ => None,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| {
                ParseError(format!(
                    "type {raw:?} is not one of pdf, png, jpg, glb, gltf, stl"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpg => "jpg",
            FileKind::Glb => "glb",
            FileKind::Gltf => "gltf",
            FileKind::Stl => "stl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpg => "image/jpeg",
            FileKind::Glb => "model/gltf-binary",
            FileKind::Gltf => "model/gltf+json",
            FileKind::Stl => "model/stl",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
