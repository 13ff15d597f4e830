//! The first page of a PDF, rendered by hayro (pure Rust) on white: the
//! document is parsed once, then its first page drawn at each size.
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::hayro_syntax::page::Page;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::RgbaImage;

use super::PreviewError;

pub fn open(bytes: &[u8]) -> Result<Pdf, PreviewError> {
    Pdf::new(bytes.to_vec())
        .map_err(|e| PreviewError::Malformed(format!("the PDF cannot be read: {e:?}")))
}

/// The page a thumbnail shows, refused when it has no area.
pub fn first_page(pdf: &Pdf) -> Result<&Page<'_>, PreviewError> {
    let page = pdf
        .pages()
        .first()
        .ok_or_else(|| PreviewError::Empty("the PDF has no page".into()))?;
    let (width, height) = page.render_dimensions();
    let longest = width.max(height);
    if !(longest.is_finite() && width > 0.0 && height > 0.0) {
        return Err(PreviewError::Malformed(format!(
            "the first page measures {width} x {height}"
        )));
    }
    Ok(page)
}

/// `page` fitting in `size`×`size`; `cache` is shared by the sizes of one
/// document.
pub fn draw<'a>(
    page: &'a Page<'a>,
    cache: &RenderCache<'a>,
    size: u32,
) -> Result<RgbaImage, PreviewError> {
    let (width, height) = page.render_dimensions();
    let scale = size as f32 / width.max(height);
    let settings = PixmapSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: WHITE,
    };
    let pixmap = hayro::render(
        page,
        cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &settings,
    );
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    if w == 0 || h == 0 {
        return Err(PreviewError::Empty(
            "the first page is too small to draw".into(),
        ));
    }
    // On an opaque background premultiplied and straight alpha are equal.
    RgbaImage::from_raw(w, h, pixmap.data_as_u8_slice().to_vec())
        .ok_or_else(|| PreviewError::Malformed("the page rendered to a wrong buffer size".into()))
}
