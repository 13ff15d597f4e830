//! What each file type says about itself: the metadata a diff compares,
//! and the text a diff lines up. Pure functions over bytes; the caller runs
//! them off the async threads with a time limit, inside `catch_unwind`.
use std::collections::BTreeMap;

use serde_json::{Value, json};
use stockage_events::FileKind;

/// Type-specific facts, by name.
pub type Metadata = BTreeMap<String, Value>;

pub fn metadata(kind: FileKind, bytes: &[u8]) -> Metadata {
    let facts = match kind {
        FileKind::Png | FileKind::Jpg => image_facts(kind, bytes),
        FileKind::Pdf => pdf_facts(bytes),
        FileKind::Stl => stl_facts(bytes),
        FileKind::Gltf => serde_json::from_slice(bytes)
            .ok()
            .map(|doc| gltf_facts(&doc)),
        FileKind::Glb => glb_json(bytes).map(|doc| gltf_facts(&doc)),
    };
    facts.unwrap_or_else(|| BTreeMap::from([("unreadable".to_owned(), json!(true))]))
}

/// The text a diff lines up, when the type has one: glTF as canonical
/// pretty JSON (sorted keys), ASCII STL as is, a PDF's extracted text.
pub fn text(kind: FileKind, bytes: &[u8]) -> Option<String> {
    match kind {
        FileKind::Gltf => serde_json::from_slice::<Value>(bytes)
            .ok()
            .map(|doc| pretty(&doc)),
        FileKind::Glb => glb_json(bytes).map(|doc| pretty(&doc)),
        FileKind::Stl if !is_binary_stl(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        FileKind::Pdf => pdf_extract::extract_text_from_mem(bytes).ok(),
        FileKind::Stl | FileKind::Png | FileKind::Jpg => None,
    }
}

fn pretty(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

fn image_facts(kind: FileKind, bytes: &[u8]) -> Option<Metadata> {
    let format = match kind {
        FileKind::Png => image::ImageFormat::Png,
        _ => image::ImageFormat::Jpeg,
    };
    let (width, height) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .ok()?;
    Some(BTreeMap::from([
        ("width".to_owned(), json!(width)),
        ("height".to_owned(), json!(height)),
    ]))
}

fn pdf_facts(bytes: &[u8]) -> Option<Metadata> {
    let doc = lopdf::Document::load_mem(bytes).ok()?;
    Some(BTreeMap::from([(
        "page_count".to_owned(),
        json!(doc.get_pages().len()),
    )]))
}

fn is_binary_stl(bytes: &[u8]) -> bool {
    bytes
        .get(80..84)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
        .is_some_and(|n| 84 + 50 * n == bytes.len() as u64)
}

/// Triangle count and bounding box, from either STL form.
fn stl_facts(bytes: &[u8]) -> Option<Metadata> {
    let mut vertices: Vec<[f32; 3]> = Vec::new();
    let triangles = if is_binary_stl(bytes) {
        for triangle in bytes[84..].chunks_exact(50) {
            for v in 0..3 {
                let at = 12 + v * 12;
                let coord = |i: usize| {
                    f32::from_le_bytes(
                        triangle[at + i * 4..at + i * 4 + 4]
                            .try_into()
                            .unwrap_or([0; 4]),
                    )
                };
                vertices.push([coord(0), coord(1), coord(2)]);
            }
        }
        vertices.len() / 3
    } else {
        let text = std::str::from_utf8(bytes).ok()?;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("vertex") {
                let coords: Vec<f32> = rest
                    .split_whitespace()
                    .filter_map(|c| c.parse().ok())
                    .collect();
                if let [x, y, z] = coords[..] {
                    vertices.push([x, y, z]);
                }
            }
        }
        text.lines()
            .filter(|l| l.trim_start().starts_with("facet"))
            .count()
    };
    let mut facts = BTreeMap::from([("triangle_count".to_owned(), json!(triangles))]);
    if let Some(first) = vertices.first() {
        let (mut min, mut max) = (*first, *first);
        for v in &vertices {
            for i in 0..3 {
                min[i] = min[i].min(v[i]);
                max[i] = max[i].max(v[i]);
            }
        }
        facts.insert("bounding_box".to_owned(), json!({"min": min, "max": max}));
    }
    Some(facts)
}

/// The JSON chunk of a GLB container.
fn glb_json(bytes: &[u8]) -> Option<Value> {
    let length = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?) as usize;
    if bytes.get(16..20)? != b"JSON" {
        return None;
    }
    serde_json::from_slice(bytes.get(20..20 + length)?).ok()
}

/// Counts and names of nodes, meshes and materials.
fn gltf_facts(doc: &Value) -> Metadata {
    let mut facts = BTreeMap::new();
    for part in ["nodes", "meshes", "materials"] {
        let items = doc[part].as_array().cloned().unwrap_or_default();
        let names: Vec<Value> = items.iter().map(|item| item["name"].clone()).collect();
        facts.insert(format!("{part}_count"), json!(items.len()));
        facts.insert(format!("{part}_names"), Value::Array(names));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/files/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn facts_of_every_fixture_type() {
        let png = metadata(FileKind::Png, &fixture("photo.png"));
        assert_eq!(
            (png["width"].clone(), png["height"].clone()),
            (json!(64), json!(48))
        );
        assert_eq!(metadata(FileKind::Jpg, &fixture("photo.jpg"))["width"], 32);
        assert_eq!(
            metadata(FileKind::Pdf, &fixture("blueprint.pdf"))["page_count"],
            2
        );
        let stl = metadata(FileKind::Stl, &fixture("part_ascii.stl"));
        assert_eq!(stl["triangle_count"], 2);
        assert!(stl["bounding_box"]["max"].is_array());
        assert_eq!(
            metadata(FileKind::Stl, &fixture("part_binary.stl"))["triangle_count"],
            3
        );
        let gltf = metadata(FileKind::Gltf, &fixture("model.gltf"));
        assert_eq!(gltf["nodes_names"], json!(["Chassis", "WheelHub"]));
        assert_eq!(
            metadata(FileKind::Glb, &fixture("model.glb"))["nodes_names"],
            json!(["Sprocket"])
        );
        assert_eq!(metadata(FileKind::Pdf, b"%PDF-garbage")["unreadable"], true);
    }

    #[test]
    fn texts_of_the_text_like_types() {
        assert!(
            text(FileKind::Pdf, &fixture("blueprint.pdf"))
                .unwrap()
                .contains("cantilever")
        );
        assert!(
            text(FileKind::Gltf, &fixture("model.gltf"))
                .unwrap()
                .contains("\"WheelHub\"")
        );
        assert!(
            text(FileKind::Stl, &fixture("part_ascii.stl"))
                .unwrap()
                .starts_with("solid bracketmount")
        );
        assert_eq!(text(FileKind::Stl, &fixture("part_binary.stl")), None);
        assert_eq!(text(FileKind::Png, &fixture("photo.png")), None);
    }
}
