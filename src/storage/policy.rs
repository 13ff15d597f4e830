//! The upload policy: which files are accepted, by name and by bytes.
//! Pure: the upload path feeds it the bytes as they stream past.
use stockage_events::FileKind;

/// Longest stored file name, in bytes.
const MAX_FILENAME: usize = 200;
/// How much of the start of a file the checks look at.
const PREFIX: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// 400: the request itself is unusable.
    #[error("{0}")]
    BadName(String),
    #[error("the file is empty")]
    Empty,
    /// 415: type not allowed, or bytes not matching the extension.
    #[error("{0}")]
    Type(String),
}

pub const ALLOWED: &str = ".pdf, .png, .jpg (.jpeg), .glb, .gltf, .stl";

/// Every extension `FileKind::from_extension` accepts.
pub const EXTENSIONS: &[&str] = &[".pdf", ".png", ".jpg", ".jpeg", ".glb", ".gltf", ".stl"];

/// A file name safe to store and to echo in `Content-Disposition`: no path,
/// no control characters, no bidirectional or invisible formatting
/// characters (a right-to-left override makes `evil\u{202E}gpj.pdf` show
/// as `evilfdp.jpg`), at most 200 bytes, with an allowed extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    name: String,
    kind: FileKind,
}

impl FileName {
    pub fn parse(raw: &str) -> Result<Self, PolicyError> {
        let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = base
            .chars()
            .filter(|&c| !c.is_control() && !is_invisible_format(c))
            .collect();
        let cleaned = cleaned.trim().trim_start_matches('.').trim();
        if cleaned.is_empty() {
            return Err(PolicyError::BadName(format!(
                "file name {raw:?} has no usable name"
            )));
        }
        let kind = cleaned
            .rsplit_once('.')
            .and_then(|(_, ext)| FileKind::from_extension(ext))
            .ok_or_else(|| {
                PolicyError::Type(format!(
                    "file name {cleaned:?} does not end in an allowed extension ({ALLOWED})"
                ))
            })?;
        Ok(Self {
            name: shorten(cleaned),
            kind,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The name without its extension, for a default title.
    pub fn stem(&self) -> &str {
        self.name
            .rsplit_once('.')
            .map_or(&self.name, |(stem, _)| stem)
    }
}

/// Bidirectional controls (embeddings, overrides, isolates, marks) and
/// invisible format characters (zero-width, word joiner, BOM, soft hyphen,
/// interlinear annotation).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Cuts the stem, on a character boundary, so the whole name fits.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_FILENAME {
        return name.to_owned();
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let budget = MAX_FILENAME - ext.len() - 1;
    let mut end = budget.min(stem.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}.{ext}", &stem[..end])
}

/// Watches a file's bytes go past and says at the end whether they are
/// what the extension claims. Holds at most the first 64 KiB.
pub struct Sniffer {
    kind: FileKind,
    prefix: Vec<u8>,
    size: u64,
}

impl Sniffer {
    pub fn new(kind: FileKind) -> Self {
        Self {
            kind,
            prefix: Vec::new(),
            size: 0,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        let room = PREFIX.saturating_sub(self.prefix.len());
        self.prefix
            .extend_from_slice(&chunk[..room.min(chunk.len())]);
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Checks everything that the prefix and the size can tell. glTF also
    /// needs [`check_gltf_json`] over the whole file.
    pub fn finish(&self) -> Result<(), PolicyError> {
        self.judge(self.size)
    }

    /// Whether the bytes seen so far can begin a file of `size` bytes:
    /// the same checks as [`Sniffer::finish`], early, for an upload whose
    /// length is declared before its bytes arrive. Needs the whole
    /// prefix ([`Sniffer::has_prefix`]).
    pub fn judge_declared(&self, size: u64) -> Result<(), PolicyError> {
        self.judge(size)
    }

    /// Whether the first 64 KiB (or the whole of a smaller file of
    /// `size` bytes) went past.
    pub fn has_prefix(&self, size: u64) -> bool {
        self.prefix.len() as u64 >= size.min(PREFIX as u64)
    }

    fn judge(&self, size: u64) -> Result<(), PolicyError> {
        if size == 0 {
            return Err(PolicyError::Empty);
        }
        let p = self.prefix.as_slice();
        let fail = |why: String| Err(PolicyError::Type(why));
        match self.kind {
            FileKind::Pdf if !p.starts_with(b"%PDF-") => {
                fail("a .pdf file must start with %PDF-".into())
            }
            FileKind::Png if !p.starts_with(b"\x89PNG\r\n\x1a\n") => {
                fail("a .png file must start with the 8-byte PNG signature".into())
            }
            FileKind::Png if p.get(12..16) != Some(b"IHDR") => {
                fail("a .png file must begin with an IHDR chunk after its signature".into())
            }
            FileKind::Jpg if !p.starts_with(&[0xFF, 0xD8, 0xFF]) => {
                fail("a .jpg file must start with the JPEG marker FF D8 FF".into())
            }
            FileKind::Glb => check_glb(p, size),
            FileKind::Gltf if !p.trim_ascii_start().starts_with(b"{") => {
                fail("a .gltf file must be a JSON object".into())
            }
            FileKind::Stl => check_stl(p, size),
            _ => Ok(()),
        }
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn check_glb(p: &[u8], size: u64) -> Result<(), PolicyError> {
    let fail = |why: String| Err(PolicyError::Type(why));
    if !p.starts_with(b"glTF") {
        return fail("a .glb file must start with the magic 'glTF'".into());
    }
    match (u32_at(p, 4), u32_at(p, 8)) {
        (Some(2), Some(length)) if u64::from(length) == size => Ok(()),
        (Some(2), Some(length)) => fail(format!(
            "the .glb header says {length} bytes but the file has {size}"
        )),
        (Some(version), _) => fail(format!("a .glb file must be glTF version 2, not {version}")),
        _ => fail("a .glb file needs a 12-byte header".into()),
    }
}

fn check_stl(p: &[u8], size: u64) -> Result<(), PolicyError> {
    let binary_triangles = u32_at(p, 80).map(u64::from);
    if let Some(n) = binary_triangles
        && 84 + 50 * n == size
    {
        return Ok(());
    }
    let text = p.trim_ascii_start();
    let ascii = text.starts_with(b"solid") && text.windows(5).any(|w| w == b"facet");
    if ascii {
        return Ok(());
    }
    Err(PolicyError::Type(match binary_triangles {
        Some(n) => format!(
            "a .stl file must be ASCII ('solid' … 'facet') or binary with 84 + 50 × triangles bytes; \
             its header says {n} triangles ({} bytes) but the file has {size}",
            84 + 50 * n
        ),
        None => {
            "a .stl file must be ASCII ('solid' … 'facet') or binary (84-byte header and count)"
                .into()
        }
    }))
}

/// glTF JSON must be an object with an `asset` object that has a string
/// `version` (glTF 2.0 requires it). Reads the document as a stream with
/// memory bounded by its longest key and the version string: the derived
/// visitors keep only `asset.version` and skip every other value, `asset`'s
/// own included, through `IgnoredAny`, which serde_json walks without
/// building a tree or allocating (nesting is capped at 128 levels). Keeping
/// `asset` as a `serde_json::Map` cost ~16× the bytes placed inside it.
pub fn check_gltf_json(reader: impl std::io::Read) -> Result<(), PolicyError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        asset: Option<Asset>,
    }
    #[derive(serde::Deserialize)]
    struct Asset {
        version: Option<String>,
    }
    let probe: Probe = serde_json::from_reader(reader).map_err(|e| {
        PolicyError::Type(format!(
            "a .gltf file must be valid JSON with an \"asset\" object: {e}"
        ))
    })?;
    match probe.asset {
        Some(Asset { version: Some(_) }) => Ok(()),
        Some(Asset { version: None }) => Err(PolicyError::Type(
            "a .gltf file's \"asset\" object must have a \"version\" (e.g. \"2.0\")".into(),
        )),
        None => Err(PolicyError::Type(
            "a .gltf file must have an \"asset\" object".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_extensions_are_exactly_the_accepted_ones() {
        for ext in EXTENSIONS {
            assert!(FileKind::from_extension(&ext[1..]).is_some(), "{ext}");
        }
        for ext in ["exe", "txt", "svg", "tif", "obj", "step"] {
            assert!(FileKind::from_extension(ext).is_none(), "{ext}");
        }
    }

    fn sniff(kind: FileKind, bytes: &[u8]) -> Result<(), PolicyError> {
        let mut sniffer = Sniffer::new(kind);
        for chunk in bytes.chunks(7) {
            sniffer.feed(chunk);
        }
        sniffer.finish()
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/files/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn file_names_are_sanitized() {
        let name = FileName::parse("../../plans/Bridge A-1024.PDF").unwrap();
        assert_eq!(
            (name.as_str(), name.kind(), name.stem()),
            ("Bridge A-1024.PDF", FileKind::Pdf, "Bridge A-1024")
        );
        assert_eq!(
            FileName::parse("C:\\x\\photo.jpeg").unwrap().kind(),
            FileKind::Jpg
        );
        assert_eq!(
            FileName::parse("tab\there\u{7}.png").unwrap().as_str(),
            "tabhere.png"
        );
        for spoof in [
            "evil\u{202E}gpj.pdf",
            "ev\u{2067}il\u{2069}gpj.pdf",
            "\u{200F}evil\u{200B}gpj\u{FEFF}.pdf",
        ] {
            assert_eq!(FileName::parse(spoof).unwrap().as_str(), "evilgpj.pdf");
        }
        assert_eq!(
            FileName::parse("plan\u{202E}.pdf\u{202C}").unwrap().kind(),
            FileKind::Pdf
        );
        assert!(matches!(
            FileName::parse("../../etc/passwd"),
            Err(PolicyError::Type(_))
        ));
        assert!(matches!(
            FileName::parse("virus.exe"),
            Err(PolicyError::Type(_))
        ));
        assert!(matches!(
            FileName::parse("../"),
            Err(PolicyError::BadName(_))
        ));
        let long = FileName::parse(&format!("{}.stl", "é".repeat(300))).unwrap();
        assert!(long.as_str().len() <= MAX_FILENAME && long.as_str().ends_with(".stl"));
    }

    #[test]
    fn every_fixture_passes_its_own_rules() {
        for (file, kind) in [
            ("blueprint.pdf", FileKind::Pdf),
            ("photo.png", FileKind::Png),
            ("photo.jpg", FileKind::Jpg),
            ("model.glb", FileKind::Glb),
            ("model.gltf", FileKind::Gltf),
            ("part_ascii.stl", FileKind::Stl),
            ("part_binary.stl", FileKind::Stl),
        ] {
            assert_eq!(sniff(kind, &fixture(file)), Ok(()), "{file}");
        }
        assert_eq!(check_gltf_json(fixture("model.gltf").as_slice()), Ok(()));
    }

    #[test]
    fn mismatched_bytes_are_refused_with_the_rule_named() {
        let png = fixture("photo.png");
        let refuse = |kind, bytes: &[u8], needle: &str| match sniff(kind, bytes) {
            Err(PolicyError::Type(why)) => assert!(why.contains(needle), "{why}"),
            other => panic!("{kind} accepted or wrong error: {other:?}"),
        };
        refuse(FileKind::Pdf, &png, "%PDF-");
        refuse(FileKind::Png, &png[..6], "signature");
        refuse(FileKind::Jpg, &png, "FF D8 FF");
        let mut glb = fixture("model.glb");
        glb.push(0);
        refuse(FileKind::Glb, &glb, "header says");
        let mut stl = fixture("part_binary.stl");
        stl.truncate(stl.len() - 50);
        refuse(FileKind::Stl, &stl, "3 triangles");
        refuse(FileKind::Gltf, b"not json", "JSON object");
        assert_eq!(sniff(FileKind::Pdf, b""), Err(PolicyError::Empty));
        assert!(matches!(
            check_gltf_json(&b"{\"asset\": 3}"[..]),
            Err(PolicyError::Type(_))
        ));
        assert!(matches!(
            check_gltf_json(&b"{\"scenes\": []}"[..]),
            Err(PolicyError::Type(_))
        ));
        assert!(matches!(
            check_gltf_json(&b"{\"asset\": {}"[..]),
            Err(PolicyError::Type(_))
        ));
        assert!(matches!(
            check_gltf_json(&b"{\"asset\": {\"generator\": \"x\"}}"[..]),
            Err(PolicyError::Type(why)) if why.contains("version")
        ));
        assert!(matches!(
            check_gltf_json(&b"{\"asset\": {\"version\": 2}}"[..]),
            Err(PolicyError::Type(_))
        ));
        assert_eq!(
            check_gltf_json(
                &b"{\"asset\": {\"extras\": {\"a\": [1, {}]}, \"version\": \"2.0\"}}"[..]
            ),
            Ok(())
        );
    }
}
