//! Pixel comparison of two images of equal size, and a highlight picture.
use image::{DynamicImage, Rgba, RgbaImage};
use serde::{Deserialize, Serialize};

/// Images larger than this many pixels are not compared pixel by pixel.
pub const MAX_PIXELS: u64 = 40_000_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PixelChange {
    pub changed_pixels: u64,
    pub total_pixels: u64,
    /// Inclusive `[x_min, y_min, x_max, y_max]`, or none when nothing changed.
    pub bounding_box: Option<[u32; 4]>,
}

/// Width and height from the header, without decoding the pixels.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// Whether an image of this size is compared pixel by pixel.
pub fn within_limit((width, height): (u32, u32)) -> bool {
    u64::from(width) * u64::from(height) <= MAX_PIXELS
}

/// The highlight of two image files of equal size within [`MAX_PIXELS`],
/// checked from their headers before any pixel is decoded.
pub fn highlight_files(before: &[u8], after: &[u8]) -> Option<Vec<u8>> {
    let size = dimensions(after)?;
    if dimensions(before)? != size || !within_limit(size) {
        return None;
    }
    highlight(&decode(before)?, &decode(after)?)
}

pub fn decode(bytes: &[u8]) -> Option<RgbaImage> {
    image::load_from_memory(bytes)
        .ok()
        .map(DynamicImage::into_rgba8)
}

/// `None` when the sizes differ.
pub fn compare(before: &RgbaImage, after: &RgbaImage) -> Option<PixelChange> {
    if before.dimensions() != after.dimensions() {
        return None;
    }
    let mut changed = 0;
    let mut bbox: Option<[u32; 4]> = None;
    for (x, y, pixel) in after.enumerate_pixels() {
        if before.get_pixel(x, y) != pixel {
            changed += 1;
            bbox = Some(match bbox {
                None => [x, y, x, y],
                Some([x0, y0, x1, y1]) => [x0.min(x), y0.min(y), x1.max(x), y1.max(y)],
            });
        }
    }
    Some(PixelChange {
        changed_pixels: changed,
        total_pixels: u64::from(after.width()) * u64::from(after.height()),
        bounding_box: bbox,
    })
}

/// The new image, faded, with changed pixels in red, as PNG bytes.
pub fn highlight(before: &RgbaImage, after: &RgbaImage) -> Option<Vec<u8>> {
    if before.dimensions() != after.dimensions() {
        return None;
    }
    let mut out = RgbaImage::new(after.width(), after.height());
    for (x, y, pixel) in after.enumerate_pixels() {
        let shown = if before.get_pixel(x, y) != pixel {
            Rgba([255, 0, 0, 255])
        } else {
            let fade = |c: u8| 128 + c / 2;
            Rgba([fade(pixel[0]), fade(pixel[1]), fade(pixel[2]), 255])
        };
        out.put_pixel(x, y, shown);
    }
    let mut png = Vec::new();
    out.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_block_is_counted_and_boxed() {
        let before = RgbaImage::from_pixel(10, 8, Rgba([1, 2, 3, 255]));
        let mut after = before.clone();
        for (x, y) in [(2, 3), (5, 1), (4, 6)] {
            after.put_pixel(x, y, Rgba([9, 9, 9, 255]));
        }
        let change = compare(&before, &after).unwrap();
        assert_eq!(change.changed_pixels, 3);
        assert_eq!(change.bounding_box, Some([2, 1, 5, 6]));
        assert_eq!(compare(&before, &before).unwrap().bounding_box, None);
        assert_eq!(compare(&before, &RgbaImage::new(3, 3)), None);
        let png = highlight(&before, &after).unwrap();
        assert_eq!(
            decode(&png).unwrap().get_pixel(2, 3),
            &Rgba([255, 0, 0, 255])
        );
        let encode = |image: &RgbaImage| {
            let mut bytes = Vec::new();
            image
                .write_to(
                    &mut std::io::Cursor::new(&mut bytes),
                    image::ImageFormat::Png,
                )
                .unwrap();
            bytes
        };
        let (a, b) = (encode(&before), encode(&after));
        assert_eq!(dimensions(&a), Some((10, 8)));
        assert_eq!(highlight_files(&a, &b), Some(png));
        assert_eq!(highlight_files(&a, &encode(&RgbaImage::new(3, 3))), None);
        assert!(!within_limit((11_000, 11_000)) && within_limit((6_000, 6_000)));
    }
}
