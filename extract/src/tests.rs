use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;
use stockage_events::FileKind;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn pdf_pages_are_separated_so_words_at_their_edges_stay_words() {
    let found = extract(FileKind::Pdf, &fixture("two_pages.pdf")).unwrap();
    let words: Vec<&str> = found.text.split_whitespace().collect();
    assert!(words.contains(&"zeta37"), "{:?}", found.text);
    assert!(words.contains(&"sheet"), "{:?}", found.text);
    assert!(!found.text.contains("zeta37sheet"), "{:?}", found.text);
}

#[test]
fn pdf_text_info_and_pages() {
    let found = extract(FileKind::Pdf, &fixture("blueprint.pdf")).unwrap();
    assert!(found.text.contains("cantilever") && found.text.contains("flangebolt"));
    assert_eq!(found.metadata["page_count"], 2);
    assert_eq!(found.metadata["title"], "Bridge Blueprint");
    assert_eq!(found.metadata["author"], "Ada Builder");
    assert_eq!(
        found.metadata["keywords"],
        "bridge, steel, blueprint, A-1024"
    );
}

#[test]
fn png_text_chunks_and_jpeg_exif() {
    let png = extract(FileKind::Png, &fixture("photo.png")).unwrap();
    assert!(png.text.contains("gearbox housing"), "{}", png.text);
    assert!(png.text.contains("sprocket assembly photo"));
    assert_eq!(
        (
            png.metadata["width"].clone(),
            png.metadata["height"].clone()
        ),
        (json!(64), json!(48))
    );
    assert_eq!(png.metadata["color_type"], "Rgb");
    let jpg = extract(FileKind::Jpg, &fixture("photo.jpg")).unwrap();
    assert_eq!(jpg.metadata["width"], 32);
    assert_eq!(jpg.metadata["camera"], "Stockage TestCam");
    assert_eq!(jpg.metadata["taken_at"], "2024:01:15 10:30:00");
    assert_eq!(jpg.metadata["gps"], false);
}

#[test]
fn gltf_and_glb_names_counts_and_bounds() {
    let gltf = extract(FileKind::Gltf, &fixture("model.gltf")).unwrap();
    assert!(gltf.text.contains("WheelHub") && gltf.text.contains("MainScene"));
    assert_eq!(gltf.metadata["asset_generator"], "stockage-fixtures");
    assert_eq!(gltf.metadata["nodes_count"], 2);
    assert_eq!(
        gltf.metadata["bounding_box"],
        json!({"min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0]})
    );
    let glb = extract(FileKind::Glb, &fixture("model.glb")).unwrap();
    assert!(glb.text.contains("Sprocket") && glb.text.contains("Steel"));
    assert_eq!(glb.metadata["meshes_names"], json!(["SprocketMesh"]));
}

#[test]
fn stl_names_counts_and_dimensions() {
    let ascii = extract(FileKind::Stl, &fixture("part_ascii.stl")).unwrap();
    assert_eq!(ascii.text, "bracketmount");
    assert_eq!(ascii.metadata["triangle_count"], 2);
    assert!(ascii.metadata["dimensions"].is_array());
    let binary = extract(FileKind::Stl, &fixture("part_binary.stl")).unwrap();
    assert!(binary.text.contains("turbineblade"));
    assert_eq!(binary.metadata["triangle_count"], 3);
}

#[test]
fn hostile_files_are_refused_with_a_reason() {
    let refused = |kind, name: &str, words: &str| {
        let error = extract(kind, &fixture(&format!("hostile/{name}"))).unwrap_err();
        assert!(error.to_string().contains(words), "{name}: {error}");
    };
    refused(FileKind::Pdf, "nested.pdf", "nested 100001 levels deep");
    refused(
        FileKind::Gltf,
        "huge_accessor.gltf",
        "claims 2147483648 elements",
    );
    refused(FileKind::Glb, "truncated.glb", "truncated GLB");
    refused(
        FileKind::Stl,
        "billion_triangles.stl",
        "claims 1000000000 triangles",
    );
    // A stream claiming 1 TiB is read as what the file holds, or refused.
    let huge = extract(FileKind::Pdf, &fixture("hostile/huge_stream.pdf"));
    assert!(huge.is_ok() || matches!(huge, Err(ExtractError::Malformed(_))));
}

/// A small deterministic generator, so a failing variant can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut XorShift, original: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.truncate(at),
            2 => bytes.insert(at, rng.next() as u8),
            3 => {
                let end = (at + 4).min(bytes.len());
                bytes[at..end].fill(0xFF);
            }
            _ => {
                let digits = b"9999999999";
                bytes.splice(at..at, digits.iter().copied());
            }
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

/// Runs `extract` with a watchdog: it must come back within `limit`.
fn bounded(kind: FileKind, bytes: Vec<u8>, limit: Duration) -> Result<Extracted, ExtractError> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(extract(kind, &bytes));
    });
    receive
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("a {kind} variant took longer than {limit:?}"))
}

#[test]
fn a_thousand_mutations_of_each_fixture_never_crash_or_hang() {
    let fixtures = [
        (FileKind::Pdf, "blueprint.pdf"),
        (FileKind::Png, "photo.png"),
        (FileKind::Jpg, "photo.jpg"),
        (FileKind::Gltf, "model.gltf"),
        (FileKind::Glb, "model.glb"),
        (FileKind::Stl, "part_ascii.stl"),
        (FileKind::Stl, "part_binary.stl"),
    ];
    let mut rng = XorShift(0x5eed_0f57_0c4a_6e01);
    for (kind, name) in fixtures {
        let original = fixture(name);
        let started = Instant::now();
        let (mut ok, mut refused, mut panicked) = (0, 0, 0);
        for _ in 0..1_000 {
            let variant = mutate(&mut rng, &original);
            match bounded(kind, variant, Duration::from_secs(20)) {
                Ok(found) => {
                    assert!(found.text.len() <= MAX_TEXT_BYTES);
                    ok += 1;
                }
                Err(ExtractError::Panicked(_)) => panicked += 1,
                Err(_) => refused += 1,
            }
        }
        eprintln!(
            "{name}: {ok} extracted, {refused} refused, {panicked} caught panics in {:.1?}",
            started.elapsed()
        );
        assert_eq!(ok + refused + panicked, 1_000);
    }
}

#[test]
fn dimensions_and_colour_type_are_metadata_not_keywords() {
    // A JPEG has no text of its own: before, its keywords were made of
    // the metadata ("color type rgb8 height").
    let jpg = index(FileKind::Jpg, "photo.jpg", &fixture("photo.jpg")).unwrap();
    assert!(jpg.keywords.is_empty(), "{:?}", jpg.keywords);
    // The facts stay searchable, with the words that name them.
    for word in ["TestCam", "height", "32"] {
        assert!(jpg.extra.contains(word), "{word} in {:?}", jpg.extra);
    }
    // A PNG without text chunks: no keywords either.
    let mut plain = Vec::new();
    let mut encoder = png::Encoder::new(&mut plain, 4, 3);
    encoder.set_color(png::ColorType::Rgb);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&[200; 36])
        .unwrap();
    let png = index(FileKind::Png, "plain.png", &plain).unwrap();
    assert_eq!(png.metadata["color_type"], "Rgb");
    assert!(png.keywords.is_empty(), "{:?}", png.keywords);
    // Descriptive metadata does make keywords when there is no text.
    let mut info = serde_json::Map::new();
    info.insert("title".into(), json!("Harbour crane survey"));
    info.insert("height".into(), json!(48));
    info.insert("color_type".into(), json!("Rgb8"));
    let words = text::keywords(&descriptive_words(&info));
    assert_eq!(words, ["harbour crane survey"]);
}
