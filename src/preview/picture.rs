//! Thumbnails of PNG and JPG images: decoded once under limits, scaled
//! down (never up) to fit each requested square.
use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{ImageFormat, RgbaImage};

use super::PreviewError;

/// Larger images are refused before their pixels are decoded.
const MAX_SIDE: u32 = 20_000;
/// What the decoder may allocate (the RGBA copy comes on top).
const MAX_ALLOC: u64 = 192 * 1024 * 1024;

pub fn decode(bytes: &[u8], format: ImageFormat) -> Result<RgbaImage, PreviewError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes));
    reader.set_format(format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(e) => {
            PreviewError::TooLarge(format!("the image is too large to preview: {e}"))
        }
        e => PreviewError::Malformed(format!("the image cannot be decoded: {e}")),
    })?;
    Ok(decoded.into_rgba8())
}

/// `rgba` fitting in `size`×`size`.
pub fn scaled(rgba: &RgbaImage, size: u32) -> Result<RgbaImage, PreviewError> {
    let (width, height) = fit(rgba.dimensions(), size);
    if (width, height) == rgba.dimensions() {
        return Ok(rgba.clone());
    }
    resize(rgba, width, height)
}

/// The largest size with the same aspect that fits in `size`×`size`,
/// never larger than the original.
pub fn fit((width, height): (u32, u32), size: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    if longest <= size {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(size) + u64::from(longest) / 2) / u64::from(longest)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

fn resize(rgba: &RgbaImage, width: u32, height: u32) -> Result<RgbaImage, PreviewError> {
    let failed = |e: String| PreviewError::Malformed(format!("the image cannot be scaled: {e}"));
    let (w, h) = rgba.dimensions();
    let source =
        ImageRef::new(w, h, rgba.as_raw(), PixelType::U8x4).map_err(|e| failed(e.to_string()))?;
    let mut target = Image::new(width, height, PixelType::U8x4);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| failed(e.to_string()))?;
    RgbaImage::from_raw(width, height, target.into_vec())
        .ok_or_else(|| failed("the scaled buffer has the wrong size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit((64, 48), 256), (64, 48));
        assert_eq!(fit((4000, 3000), 256), (256, 192));
        assert_eq!(fit((3000, 4000), 128), (96, 128));
        assert_eq!(fit((20_000, 1), 128), (128, 1));
        assert_eq!(fit((0, 0), 128), (1, 1));
    }

    #[test]
    fn a_large_image_is_scaled_down() {
        let big = RgbaImage::from_fn(1000, 500, |x, _| image::Rgba([(x % 256) as u8, 0, 0, 255]));
        let mut png = Vec::new();
        big.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let small = scaled(&decode(&png, ImageFormat::Png).unwrap(), 128).unwrap();
        assert_eq!(small.dimensions(), (128, 64));
    }

    #[test]
    fn huge_declared_dimensions_are_refused_before_decoding() {
        // A valid header claiming 100000 x 100000 RGBA pixels, and no data.
        let png = include_bytes!("../../fixtures/files/hostile/huge_dimensions.png");
        let result = decode(png, ImageFormat::Png);
        assert!(
            matches!(result, Err(PreviewError::TooLarge(_))),
            "{result:?}"
        );
    }
}
