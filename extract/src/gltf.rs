//! glTF and GLB: generator and version, names of scenes, nodes, meshes,
//! materials and textures, extras and extensions, counts, and the bounding
//! box from the POSITION accessors' min/max. Counts a file claims are
//! checked against the bytes its buffers hold.
use serde_json::{Map, Value, json};

use super::{ExtractError, Extracted, malformed};

const NAMED: [&str; 6] = [
    "scenes",
    "nodes",
    "meshes",
    "materials",
    "textures",
    "images",
];

pub fn gltf(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("unreadable glTF JSON: {e}")))?;
    facts(&doc, None)
}

pub fn glb(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let word = |at: usize| -> Result<u32, ExtractError> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| malformed(format!("truncated GLB: {} bytes", bytes.len())))
    };
    if bytes.get(..4) != Some(b"glTF") {
        return Err(malformed("not a GLB: no glTF magic"));
    }
    let declared = word(8)? as usize;
    if declared != bytes.len() {
        return Err(malformed(format!(
            "truncated GLB: the header says {declared} bytes, the file has {}",
            bytes.len()
        )));
    }
    let json_length = word(12)? as usize;
    if word(16)? != 0x4E4F_534A {
        return Err(malformed("GLB's first chunk is not JSON"));
    }
    let json_end = 20usize.saturating_add(json_length);
    let json = bytes.get(20..json_end).ok_or_else(|| {
        malformed(format!(
            "truncated GLB: a JSON chunk of {json_length} bytes does not fit in {} bytes",
            bytes.len()
        ))
    })?;
    let binary = match bytes.get(json_end..json_end + 8) {
        Some(_) => {
            let length = word(json_end)? as usize;
            let start = json_end + 8;
            if bytes.len() - start < length {
                return Err(malformed(format!(
                    "truncated GLB: a BIN chunk of {length} bytes does not fit"
                )));
            }
            Some(length as u64)
        }
        None => None,
    };
    let doc: Value =
        serde_json::from_slice(json).map_err(|e| malformed(format!("unreadable GLB JSON: {e}")))?;
    facts(&doc, binary)
}

fn array<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn facts(doc: &Value, binary: Option<u64>) -> Result<Extracted, ExtractError> {
    if !doc.get("asset").is_some_and(Value::is_object) {
        return Err(malformed("glTF without an asset object"));
    }
    check_accessors(doc, binary)?;
    let mut metadata = Map::new();
    let mut text = Vec::new();
    for key in ["generator", "version", "copyright"] {
        if let Some(value) = doc["asset"].get(key).and_then(Value::as_str) {
            metadata.insert(format!("asset_{key}"), json!(value));
        }
    }
    for part in NAMED {
        let items = array(doc, part);
        let names: Vec<&str> = items
            .iter()
            .filter_map(|item| item.get("name").and_then(Value::as_str))
            .collect();
        text.extend(names.iter().map(|n| (*n).to_owned()));
        metadata.insert(format!("{part}_count"), json!(items.len()));
        metadata.insert(format!("{part}_names"), json!(names));
    }
    metadata.insert(
        "accessors_count".into(),
        json!(array(doc, "accessors").len()),
    );
    let extensions: Vec<&str> = array(doc, "extensionsUsed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    metadata.insert("extensions_used".into(), json!(extensions));
    let mut extras = Vec::new();
    collect_extras(doc, 0, &mut extras);
    text.extend(extras);
    if let Some(bbox) = bounding_box(doc) {
        metadata.insert("bounding_box".into(), bbox);
    }
    Ok(Extracted {
        text: text.join("\n"),
        metadata,
    })
}

/// String values found under any `extras` object.
fn collect_extras(value: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > 32 || out.len() > 10_000 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "extras" {
                    strings(child, out);
                } else {
                    collect_extras(child, depth + 1, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_extras(v, depth + 1, out)),
        _ => {}
    }
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn component_bytes(component_type: u64) -> Option<u64> {
    match component_type {
        5120 | 5121 => Some(1),
        5122 | 5123 => Some(2),
        5125 | 5126 => Some(4),
        _ => None,
    }
}

fn components(kind: &str) -> Option<u64> {
    match kind {
        "SCALAR" => Some(1),
        "VEC2" => Some(2),
        "VEC3" => Some(3),
        "VEC4" | "MAT2" => Some(4),
        "MAT3" => Some(9),
        "MAT4" => Some(16),
        _ => None,
    }
}

/// Every accessor with a buffer view must fit inside it, and every buffer
/// view inside its buffer: a count is a claim, not a fact.
fn check_accessors(doc: &Value, binary: Option<u64>) -> Result<(), ExtractError> {
    let views = array(doc, "bufferViews");
    let buffers = array(doc, "buffers");
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64);
    for (i, view) in views.iter().enumerate() {
        let length = number(view, "byteLength").unwrap_or(0);
        let end = number(view, "byteOffset")
            .unwrap_or(0)
            .saturating_add(length);
        let buffer = number(view, "buffer")
            .and_then(|b| buffers.get(b as usize))
            .ok_or_else(|| malformed(format!("buffer view {i} names no buffer")))?;
        let held = number(buffer, "byteLength").unwrap_or(0);
        let held = if buffer.get("uri").is_none() {
            binary.map_or(held, |bin| held.min(bin))
        } else {
            held
        };
        if end > held {
            return Err(malformed(format!(
                "buffer view {i} ends at byte {end}; its buffer holds {held}"
            )));
        }
    }
    for (i, accessor) in array(doc, "accessors").iter().enumerate() {
        let count = number(accessor, "count").unwrap_or(0);
        let Some(view) = number(accessor, "bufferView") else {
            continue;
        };
        let view = views
            .get(view as usize)
            .ok_or_else(|| malformed(format!("accessor {i} names a missing buffer view")))?;
        let element = component_bytes(number(accessor, "componentType").unwrap_or(0))
            .zip(
                accessor
                    .get("type")
                    .and_then(Value::as_str)
                    .and_then(components),
            )
            .map(|(bytes, n)| bytes * n)
            .ok_or_else(|| malformed(format!("accessor {i} has an unknown type")))?;
        let stride = number(view, "byteStride").unwrap_or(element).max(element);
        let needed = u128::from(number(accessor, "byteOffset").unwrap_or(0))
            + u128::from(count.saturating_sub(1)) * u128::from(stride)
            + u128::from(element) * u128::from(count.min(1));
        let held = number(view, "byteLength").unwrap_or(0);
        if needed > u128::from(held) {
            return Err(malformed(format!(
                "accessor {i} claims {count} elements ({needed} bytes); its buffer view holds {held}"
            )));
        }
    }
    Ok(())
}

/// The union of the min/max of every POSITION accessor.
fn bounding_box(doc: &Value) -> Option<Value> {
    let accessors = array(doc, "accessors");
    let mut bounds: Option<([f64; 3], [f64; 3])> = None;
    for mesh in array(doc, "meshes") {
        for primitive in array(mesh, "primitives") {
            let Some(index) = primitive["attributes"]
                .get("POSITION")
                .and_then(Value::as_u64)
            else {
                continue;
            };
            let Some(accessor) = accessors.get(index as usize) else {
                continue;
            };
            let corner = |key: &str| -> Option<[f64; 3]> {
                let values: Vec<f64> = array(accessor, key)
                    .iter()
                    .filter_map(Value::as_f64)
                    .collect();
                <[f64; 3]>::try_from(values).ok()
            };
            if let (Some(min), Some(max)) = (corner("min"), corner("max")) {
                let (lo, hi) = bounds.get_or_insert((min, max));
                for axis in 0..3 {
                    lo[axis] = lo[axis].min(min[axis]);
                    hi[axis] = hi[axis].max(max[axis]);
                }
            }
        }
    }
    bounds.map(|(min, max)| json!({"min": min, "max": max}))
}
