//! Every asked size of one file from one parse: the file is decoded once
//! (image pixels, PDF document, mesh triangles), then drawn at each size in
//! turn. Each size keeps the budget a rendering of its own would have: the
//! first must be done by the first deadline, each next one within `time`
//! of the one before. A size that cannot be drawn gets the placeholder its
//! error stands for, as a rendering of its own would.
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use hayro::RenderCache;
use image::{ImageFormat, RgbaImage};
use stockage_events::FileKind;

use super::{MAX_TRIANGLES, Preview, PreviewError, Size, Status, mesh, pdf, picture, raster};

/// Draws `bytes` at each of `sizes`, in that order, handing each preview
/// to `done` as soon as it is drawn. Always one preview per size, whatever
/// happens inside the renderers.
pub fn previews(
    kind: FileKind,
    bytes: &[u8],
    sizes: &[Size],
    deadline: Instant,
    time: Duration,
    done: &mut dyn FnMut(Preview),
) {
    let mut sink = Sink {
        kind,
        sizes,
        next: 0,
        deadline,
        time,
        done,
    };
    let drawn = std::panic::catch_unwind(AssertUnwindSafe(|| draw(kind, bytes, &mut sink)));
    if let Err(panic) = drawn {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        sink.fail_rest(&PreviewError::Panicked(why));
    }
}

/// Where the drawn sizes go, and which size is next.
struct Sink<'a> {
    kind: FileKind,
    sizes: &'a [Size],
    next: usize,
    /// The next size's deadline.
    deadline: Instant,
    time: Duration,
    done: &'a mut dyn FnMut(Preview),
}

impl Sink<'_> {
    /// The next size's side in pixels, while one is left.
    fn side(&self) -> Option<u32> {
        self.sizes.get(self.next).map(|size| size.pixels())
    }

    fn deliver(&mut self, drawn: Result<RgbaImage, PreviewError>) {
        let Some(&size) = self.sizes.get(self.next) else {
            return;
        };
        let preview = match drawn.and_then(|image| super::encode(&image)) {
            Ok(png) => Preview {
                status: Status::Rendered,
                png,
            },
            Err(error) => {
                tracing::info!(kind = ?self.kind, %error, "no preview; a placeholder instead");
                super::placeholder_for(self.kind, size, &error)
            }
        };
        (self.done)(preview);
        self.next += 1;
        self.deadline = Instant::now() + self.time;
    }

    /// Every size left gets the placeholder of `error`.
    fn fail_rest(&mut self, error: &PreviewError) {
        while self.side().is_some() {
            self.deliver(Err(error.clone()));
        }
    }

    /// Draws every size left from `parsed`, or fails them all with its error.
    fn each<T>(
        &mut self,
        parsed: Result<T, PreviewError>,
        mut draw: impl FnMut(&T, u32, Instant) -> Result<RgbaImage, PreviewError>,
    ) {
        match parsed {
            Ok(parsed) => {
                while let Some(side) = self.side() {
                    let drawn = draw(&parsed, side, self.deadline);
                    self.deliver(drawn);
                }
            }
            Err(error) => self.fail_rest(&error),
        }
    }
}

fn draw(kind: FileKind, bytes: &[u8], sink: &mut Sink<'_>) {
    let draw_mesh = |triangles: &Vec<raster::Triangle>, side, deadline| {
        raster::render(triangles, side, deadline)
    };
    match kind {
        FileKind::Png | FileKind::Jpg => {
            let format = match kind {
                FileKind::Png => ImageFormat::Png,
                _ => ImageFormat::Jpeg,
            };
            sink.each(picture::decode(bytes, format), |rgba, side, _| {
                picture::scaled(rgba, side)
            })
        }
        FileKind::Pdf => {
            let opened = pdf::open(bytes);
            let page = opened
                .as_ref()
                .map_err(Clone::clone)
                .and_then(pdf::first_page);
            // One cache for every size: fonts and images are read once.
            let cache = RenderCache::new();
            sink.each(page, |page, side, _| pdf::draw(page, &cache, side))
        }
        FileKind::Stl => sink.each(mesh::stl(bytes, MAX_TRIANGLES), draw_mesh),
        FileKind::Glb | FileKind::Gltf => sink.each(mesh::gltf(bytes, MAX_TRIANGLES), draw_mesh),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = env!("CARGO_MANIFEST_DIR");
        std::fs::read(format!("{dir}/fixtures/files/{name}")).unwrap()
    }

    fn all(kind: FileKind, bytes: &[u8]) -> Vec<Preview> {
        let time = Duration::from_secs(60);
        let mut drawn = Vec::new();
        previews(
            kind,
            bytes,
            &Size::ALL,
            Instant::now() + time,
            time,
            &mut |p| drawn.push(p),
        );
        drawn
    }

    #[test]
    fn one_parse_draws_each_size_as_a_rendering_of_its_own_would() {
        for (name, kind) in [
            ("blueprint.pdf", FileKind::Pdf),
            ("two_pages.pdf", FileKind::Pdf),
            ("photo.png", FileKind::Png),
            ("photo.jpg", FileKind::Jpg),
            ("model.gltf", FileKind::Gltf),
            ("model.glb", FileKind::Glb),
            ("part_binary.stl", FileKind::Stl),
        ] {
            let bytes = fixture(name);
            let together = all(kind, &bytes);
            assert_eq!(together.len(), 3, "{name}");
            for (size, drawn) in Size::ALL.into_iter().zip(together) {
                let later = Instant::now() + Duration::from_secs(60);
                let alone = super::super::preview(kind, &bytes, size, later);
                assert_eq!(drawn.status, Status::Rendered, "{name} at {size:?}");
                assert!(drawn == alone, "{name} at {size:?} differs");
            }
        }
    }

    #[test]
    fn a_file_that_cannot_be_parsed_fails_every_size() {
        for kind in FileKind::ALL {
            let drawn = all(kind, b"\x00\x01 not a file of any kind");
            let sides: Vec<u32> = drawn
                .iter()
                .map(|p| image::load_from_memory(&p.png).unwrap().width())
                .collect();
            assert_eq!(sides, [128, 256, 512], "{kind:?}");
            assert!(drawn.iter().all(|p| p.status == Status::Failed), "{kind:?}");
        }
    }

    #[test]
    fn a_size_past_its_deadline_fails_alone() {
        let bytes = fixture("part_binary.stl");
        let mut drawn = Vec::new();
        // The first size's deadline has passed; the next ones get their own.
        let past = Instant::now();
        previews(
            FileKind::Stl,
            &bytes,
            &Size::ALL,
            past,
            Duration::from_secs(60),
            &mut |p| drawn.push(p.status),
        );
        assert_eq!(drawn, [Status::Failed, Status::Rendered, Status::Rendered]);
    }
}
