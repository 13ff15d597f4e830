//! STL: the ASCII solid name or a printable binary header, the triangle
//! count, the bounding box and the dimensions in the file's own units.
use serde_json::{Map, json};

use super::{ExtractError, Extracted, malformed};

pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let binary_count = bytes
        .get(80..84)
        .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
    let is_binary = binary_count.is_some_and(|n| 84 + 50 * n == bytes.len() as u64);
    if is_binary {
        return Ok(binary(bytes));
    }
    if bytes.starts_with(b"solid")
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return Ok(ascii(text));
    }
    match binary_count {
        Some(count) => Err(malformed(format!(
            "binary STL claims {count} triangles ({} bytes) but the file has {} bytes",
            84 + 50 * count,
            bytes.len()
        ))),
        None => Err(malformed(format!(
            "neither ASCII nor binary STL ({} bytes)",
            bytes.len()
        ))),
    }
}

#[derive(Default)]
struct Bounds(Option<([f64; 3], [f64; 3])>);

impl Bounds {
    fn add(&mut self, v: [f64; 3]) {
        if v.iter().any(|c| !c.is_finite()) {
            return;
        }
        let (lo, hi) = self.0.get_or_insert((v, v));
        for axis in 0..3 {
            lo[axis] = lo[axis].min(v[axis]);
            hi[axis] = hi[axis].max(v[axis]);
        }
    }

    fn record(&self, metadata: &mut Map<String, serde_json::Value>) {
        if let Some((min, max)) = self.0 {
            let size: Vec<f64> = (0..3).map(|a| max[a] - min[a]).collect();
            metadata.insert("bounding_box".into(), json!({"min": min, "max": max}));
            metadata.insert("dimensions".into(), json!(size));
            metadata.insert("units".into(), json!("file units"));
        }
    }
}

fn binary(bytes: &[u8]) -> Extracted {
    let mut bounds = Bounds::default();
    let triangles = bytes[84..].chunks_exact(50);
    let count = triangles.len();
    for triangle in triangles {
        for corner in 0..3 {
            let at = 12 + corner * 12;
            let c = |i: usize| {
                let b = &triangle[at + i * 4..at + i * 4 + 4];
                f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            };
            bounds.add([c(0), c(1), c(2)]);
        }
    }
    let header = &bytes[..80];
    let printable = header
        .iter()
        .all(|&b| b == 0 || b == b' ' || b.is_ascii_graphic());
    let text = if printable {
        String::from_utf8_lossy(header)
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_owned()
    } else {
        String::new()
    };
    let mut metadata = Map::new();
    metadata.insert("format".into(), json!("binary"));
    metadata.insert("triangle_count".into(), json!(count));
    bounds.record(&mut metadata);
    Extracted { text, metadata }
}

fn ascii(text: &str) -> Extracted {
    let mut bounds = Bounds::default();
    let mut count = 0u64;
    let mut name = String::new();
    for (i, line) in text.lines().map(str::trim).enumerate() {
        if i == 0 {
            name = line.trim_start_matches("solid").trim().to_owned();
        } else if line.starts_with("facet") {
            count += 1;
        } else if let Some(rest) = line.strip_prefix("vertex") {
            let coords: Vec<f64> = rest
                .split_whitespace()
                .filter_map(|c| c.parse().ok())
                .collect();
            if let [x, y, z] = coords[..] {
                bounds.add([x, y, z]);
            }
        }
    }
    let mut metadata = Map::new();
    metadata.insert("format".into(), json!("ascii"));
    if !name.is_empty() {
        metadata.insert("solid_name".into(), json!(name));
    }
    metadata.insert("triangle_count".into(), json!(count));
    bounds.record(&mut metadata);
    let name: String = name.chars().take(200).collect();
    Extracted {
        text: name,
        metadata,
    }
}
