//! The image shown when a file has no preview: a card with the file type
//! drawn in a small built-in bitmap font, red-edged when rendering failed.
use image::{Rgba, RgbaImage};
use stockage_events::FileKind;

const BACKGROUND: Rgba<u8> = Rgba([242, 244, 247, 255]);
const CARD: Rgba<u8> = Rgba([255, 255, 255, 255]);
const EDGE: Rgba<u8> = Rgba([176, 184, 196, 255]);
const FAILED: Rgba<u8> = Rgba([200, 60, 50, 255]);
const INK: Rgba<u8> = Rgba([60, 72, 90, 255]);

/// 5×7 glyphs, one row a string, for the letters of the type labels.
fn glyph(letter: char) -> [&'static str; 7] {
    match letter {
        'B' => [
            "11110", "10001", "10001", "11110", "10001", "10001", "11110",
        ],
        'D' => [
            "11100", "10010", "10001", "10001", "10001", "10010", "11100",
        ],
        'F' => [
            "11111", "10000", "10000", "11110", "10000", "10000", "10000",
        ],
        'G' => [
            "01110", "10001", "10000", "10111", "10001", "10001", "01111",
        ],
        'J' => [
            "00111", "00010", "00010", "00010", "00010", "10010", "01100",
        ],
        'L' => [
            "10000", "10000", "10000", "10000", "10000", "10000", "11111",
        ],
        'N' => [
            "10001", "11001", "10101", "10011", "10001", "10001", "10001",
        ],
        'P' => [
            "11110", "10001", "10001", "11110", "10000", "10000", "10000",
        ],
        'S' => [
            "01111", "10000", "10000", "01110", "00001", "00001", "11110",
        ],
        'T' => [
            "11111", "00100", "00100", "00100", "00100", "00100", "00100",
        ],
        _ => [
            "11111", "10001", "10001", "10001", "10001", "10001", "11111",
        ],
    }
}

pub fn label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Pdf => "PDF",
        FileKind::Png => "PNG",
        FileKind::Jpg => "JPG",
        FileKind::Glb => "GLB",
        FileKind::Gltf => "GLTF",
        FileKind::Stl => "STL",
    }
}

fn fill(image: &mut RgbaImage, x0: u32, y0: u32, w: u32, h: u32, color: Rgba<u8>) {
    for y in y0..(y0 + h).min(image.height()) {
        for x in x0..(x0 + w).min(image.width()) {
            image.put_pixel(x, y, color);
        }
    }
}

/// A `size`×`size` card labelled with the file type.
pub fn draw(kind: FileKind, size: u32, failed: bool) -> RgbaImage {
    let mut image = RgbaImage::from_pixel(size, size, BACKGROUND);
    let (margin, line) = (size / 6, (size / 64).max(1));
    let (card_w, card_h) = (size - 2 * margin - size / 8, size - 2 * margin);
    let card_x = (size - card_w) / 2;
    let edge = if failed { FAILED } else { EDGE };
    fill(&mut image, card_x, margin, card_w, card_h, edge);
    fill(
        &mut image,
        card_x + line,
        margin + line,
        card_w - 2 * line,
        card_h - 2 * line,
        CARD,
    );
    if failed {
        fill(
            &mut image,
            card_x,
            margin + card_h - 4 * line,
            card_w,
            4 * line,
            FAILED,
        );
    }
    let text = label(kind);
    let letters = text.chars().count() as u32;
    // Each letter is 5 cells wide with one cell between letters.
    let cell = ((card_w - 4 * line) / (letters * 6)).clamp(1, size / 20);
    let (text_w, text_h) = (cell * (letters * 6 - 1), cell * 7);
    let (x0, y0) = ((size - text_w) / 2, (size - text_h) / 2);
    for (i, letter) in text.chars().enumerate() {
        for (row, bits) in glyph(letter).iter().enumerate() {
            for (column, bit) in bits.chars().enumerate() {
                if bit == '1' {
                    let x = x0 + (i as u32 * 6 + column as u32) * cell;
                    fill(&mut image, x, y0 + row as u32 * cell, cell, cell, INK);
                }
            }
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_gets_a_labelled_card_of_the_size_asked() {
        for kind in FileKind::ALL {
            for size in [128, 256, 512] {
                let image = draw(kind, size, false);
                assert_eq!(image.dimensions(), (size, size));
                let ink = image.pixels().filter(|p| **p == INK).count();
                assert!(ink > 0, "{kind:?} at {size} has no label");
                assert!(!image.pixels().any(|p| *p == FAILED));
            }
        }
        let failed = draw(FileKind::Stl, 128, true);
        assert!(failed.pixels().any(|p| *p == FAILED));
    }

    #[test]
    fn labels_have_glyphs() {
        for kind in FileKind::ALL {
            for letter in label(kind).chars() {
                assert_ne!(glyph(letter), glyph('?'), "{letter}");
            }
        }
    }
}
