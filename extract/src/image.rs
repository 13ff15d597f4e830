//! PNG and JPEG: size, colour type, EXIF (camera, date, whether GPS is
//! present — never the coordinates) and PNG text chunks.
use std::io::Cursor;

use exif::{In, Tag, Value as ExifValue};
use image::ImageDecoder;
use serde_json::{Map, json};

use super::{ExtractError, Extracted, malformed};

/// The PNG decoder may allocate at most this much for chunks it keeps.
const PNG_LIMIT: usize = 16 * 1024 * 1024;

pub fn png(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let limits = png::Limits { bytes: PNG_LIMIT };
    let reader = png::Decoder::new_with_limits(Cursor::new(bytes), limits)
        .read_info()
        .map_err(|e| malformed(format!("unreadable PNG: {e}")))?;
    let info = reader.info();
    let mut metadata = Map::new();
    metadata.insert("width".into(), json!(info.width));
    metadata.insert("height".into(), json!(info.height));
    metadata.insert("color_type".into(), json!(format!("{:?}", info.color_type)));
    metadata.insert("bit_depth".into(), json!(info.bit_depth as u8));
    let mut text = Vec::new();
    for chunk in &info.uncompressed_latin1_text {
        text.push(format!("{} {}", chunk.keyword, chunk.text));
    }
    for chunk in &info.compressed_latin1_text {
        if let Ok(value) = chunk.get_text() {
            text.push(format!("{} {value}", chunk.keyword));
        }
    }
    for chunk in &info.utf8_text {
        if let Ok(value) = chunk.get_text() {
            text.push(format!("{} {value}", chunk.keyword));
        }
    }
    if let Some(raw) = &info.exif_metadata
        && let Ok(found) = exif::Reader::new().read_raw(raw.to_vec())
    {
        exif_facts(&found, &mut metadata);
    }
    Ok(Extracted {
        text: text.join("\n"),
        metadata,
    })
}

pub fn jpeg(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes))
        .map_err(|e| malformed(format!("unreadable JPEG: {e}")))?;
    let (width, height) = decoder.dimensions();
    let mut metadata = Map::new();
    metadata.insert("width".into(), json!(width));
    metadata.insert("height".into(), json!(height));
    metadata.insert(
        "color_type".into(),
        json!(format!("{:?}", decoder.color_type())),
    );
    if let Ok(found) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        exif_facts(&found, &mut metadata);
    }
    Ok(Extracted {
        text: String::new(),
        metadata,
    })
}

fn ascii(found: &exif::Exif, tag: Tag) -> Option<String> {
    match &found.get_field(tag, In::PRIMARY)?.value {
        ExifValue::Ascii(parts) => {
            let joined: String = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let clean: String = joined
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            Some(clean).filter(|s| !s.is_empty())
        }
        _ => None,
    }
}

fn exif_facts(found: &exif::Exif, metadata: &mut Map<String, serde_json::Value>) {
    let camera: Vec<String> = [Tag::Make, Tag::Model]
        .into_iter()
        .filter_map(|tag| ascii(found, tag))
        .collect();
    if !camera.is_empty() {
        metadata.insert("camera".into(), json!(camera.join(" ")));
    }
    if let Some(date) = ascii(found, Tag::DateTimeOriginal).or_else(|| ascii(found, Tag::DateTime))
    {
        metadata.insert("taken_at".into(), json!(date));
    }
    if let Some(software) = ascii(found, Tag::Software) {
        metadata.insert("software".into(), json!(software));
    }
    let gps = found
        .fields()
        .any(|f| matches!(f.tag, Tag::GPSLatitude | Tag::GPSLongitude));
    metadata.insert("gps".into(), json!(gps));
}
