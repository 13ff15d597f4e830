//! A small software rasterizer for thumbnails of 3D models: a fixed 3/4
//! orthographic view framed on the model's projected bounds, a z-buffer,
//! and flat Lambert shading lit from the camera's side.
use std::time::Instant;

use image::{Rgba, RgbaImage};

use super::PreviewError;

pub type Vec3 = [f32; 3];
pub type Triangle = [Vec3; 3];

/// The light grey behind every 3D thumbnail.
pub const BACKGROUND: Rgba<u8> = Rgba([242, 244, 247, 255]);
const SURFACE: Vec3 = [86.0, 128.0, 186.0];
const AZIMUTH_DEGREES: f32 = 35.0;
const ELEVATION_DEGREES: f32 = 25.0;
/// Free space around the model, as a share of the image side.
const MARGIN: f32 = 0.08;
/// Each side is drawn at this multiple and averaged down (anti-aliasing).
const SUPERSAMPLE: u32 = 2;
/// Pixel tests allowed for one image, whatever the triangles claim.
const MAX_PIXEL_TESTS: u64 = 200_000_000;

fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: Vec3, b: Vec3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(a: Vec3) -> Option<Vec3> {
    let length = dot(a, a).sqrt();
    (length.is_finite() && length > 0.0).then(|| [a[0] / length, a[1] / length, a[2] / length])
}

/// The camera's axes: right, up, and towards the viewer (Y is up).
struct Camera {
    right: Vec3,
    up: Vec3,
    toward: Vec3,
    light: Vec3,
}

impl Camera {
    fn three_quarter() -> Self {
        let (az, el) = (AZIMUTH_DEGREES.to_radians(), ELEVATION_DEGREES.to_radians());
        let toward = [el.cos() * az.sin(), el.sin(), el.cos() * az.cos()];
        let right = normalize(cross([0.0, 1.0, 0.0], toward)).unwrap_or([1.0, 0.0, 0.0]);
        let up = cross(toward, right);
        // From the camera's side, a little above and to the left.
        let light = [
            toward[0] + 0.5 * up[0] - 0.35 * right[0],
            toward[1] + 0.5 * up[1] - 0.35 * right[1],
            toward[2] + 0.5 * up[2] - 0.35 * right[2],
        ];
        Self {
            right,
            up,
            toward,
            light: normalize(light).unwrap_or(toward),
        }
    }

    fn project(&self, p: Vec3) -> Vec3 {
        [dot(p, self.right), dot(p, self.up), dot(p, self.toward)]
    }
}

/// Renders `triangles` into a `size`×`size` image. Fails when nothing
/// visible remains (no finite triangle with an area on screen) or when
/// `deadline` passes.
pub fn render(
    triangles: &[Triangle],
    size: u32,
    deadline: Instant,
) -> Result<RgbaImage, PreviewError> {
    let camera = Camera::three_quarter();
    let finite = |t: &&Triangle| t.iter().flatten().all(|c| c.is_finite());
    let projected: Vec<(Triangle, f32)> = triangles
        .iter()
        .filter(finite)
        .map(|t| (t.map(|p| camera.project(p)), shade(&camera, t)))
        .collect();
    let (min, max) = bounds(projected.iter().flat_map(|(t, _)| t.iter()))
        .ok_or_else(|| PreviewError::Empty("the model has no finite vertex".into()))?;
    let extent = (max[0] - min[0]).max(max[1] - min[1]);
    if !(extent.is_finite() && extent > 0.0) {
        return Err(PreviewError::Empty("the model has no extent".into()));
    }
    let side = size * SUPERSAMPLE;
    let scale = side as f32 * (1.0 - 2.0 * MARGIN) / extent;
    let center = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
    let half = side as f32 / 2.0;
    let to_screen = |p: Vec3| {
        [
            (p[0] - center[0]) * scale + half,
            half - (p[1] - center[1]) * scale,
            p[2],
        ]
    };
    let mut canvas = Canvas::new(side);
    for (i, (triangle, light)) in projected.iter().enumerate() {
        if i % 1024 == 0 && Instant::now() > deadline {
            return Err(PreviewError::Budget("rendering ran out of time".into()));
        }
        canvas.fill(triangle.map(to_screen), *light)?;
    }
    if canvas.drawn == 0 {
        return Err(PreviewError::Empty(
            "no triangle covers a pixel in this view".into(),
        ));
    }
    Ok(canvas.downsample(size))
}

/// Lambert intensity of a triangle, lit on both faces: models often have
/// open shells or inconsistent winding.
fn shade(camera: &Camera, t: &Triangle) -> f32 {
    let normal = normalize(cross(sub(t[1], t[0]), sub(t[2], t[0])));
    let lambert = normal.map_or(0.0, |n| dot(n, camera.light).abs());
    0.28 + 0.72 * lambert
}

fn bounds<'a>(points: impl Iterator<Item = &'a Vec3>) -> Option<(Vec3, Vec3)> {
    points.fold(None, |acc, p| {
        let (lo, hi) = acc.unwrap_or((*p, *p));
        Some((
            [lo[0].min(p[0]), lo[1].min(p[1]), lo[2].min(p[2])],
            [hi[0].max(p[0]), hi[1].max(p[1]), hi[2].max(p[2])],
        ))
    })
}

struct Canvas {
    side: u32,
    depth: Vec<f32>,
    color: Vec<Option<f32>>,
    drawn: u64,
    tests: u64,
}

impl Canvas {
    fn new(side: u32) -> Self {
        let pixels = (side * side) as usize;
        Self {
            side,
            depth: vec![f32::NEG_INFINITY; pixels],
            color: vec![None; pixels],
            drawn: 0,
            tests: 0,
        }
    }

    /// Fills a screen-space triangle (x, y in pixels, z towards the
    /// viewer) with one intensity, keeping the nearest surface.
    fn fill(&mut self, [a, b, c]: Triangle, light: f32) -> Result<(), PreviewError> {
        let edge = |p: Vec3, q: Vec3, x: f32, y: f32| {
            (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])
        };
        let area = edge(a, b, c[0], c[1]);
        if area.abs() < f32::EPSILON {
            return Ok(());
        }
        let last = (self.side - 1) as f32;
        let x0 = a[0].min(b[0]).min(c[0]).floor().clamp(0.0, last) as u32;
        let x1 = a[0].max(b[0]).max(c[0]).ceil().clamp(0.0, last) as u32;
        let y0 = a[1].min(b[1]).min(c[1]).floor().clamp(0.0, last) as u32;
        let y1 = a[1].max(b[1]).max(c[1]).ceil().clamp(0.0, last) as u32;
        self.tests += u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1);
        if self.tests > MAX_PIXEL_TESTS {
            return Err(PreviewError::Budget(
                "the model needs more drawing than a thumbnail allows".into(),
            ));
        }
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let (wa, wb, wc) = (
                    edge(b, c, px, py) / area,
                    edge(c, a, px, py) / area,
                    edge(a, b, px, py) / area,
                );
                if wa < 0.0 || wb < 0.0 || wc < 0.0 {
                    continue;
                }
                let z = wa * a[2] + wb * b[2] + wc * c[2];
                let i = (y * self.side + x) as usize;
                if z > self.depth[i] {
                    if self.color[i].is_none() {
                        self.drawn += 1;
                    }
                    self.depth[i] = z;
                    self.color[i] = Some(light);
                }
            }
        }
        Ok(())
    }

    fn downsample(&self, size: u32) -> RgbaImage {
        let n = SUPERSAMPLE;
        RgbaImage::from_fn(size, size, |x, y| {
            let mut sum = [0.0f32; 3];
            for dy in 0..n {
                for dx in 0..n {
                    let i = ((y * n + dy) * self.side + x * n + dx) as usize;
                    let rgb = match self.color[i] {
                        Some(light) => SURFACE.map(|c| c * light),
                        None => BACKGROUND.0.map(f32::from)[..3]
                            .try_into()
                            .unwrap_or([0.0; 3]),
                    };
                    for (s, c) in sum.iter_mut().zip(rgb) {
                        *s += c;
                    }
                }
            }
            let count = (n * n) as f32;
            let [r, g, b] = sum.map(|s| (s / count).round().clamp(0.0, 255.0) as u8);
            Rgba([r, g, b, 255])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    fn cube() -> Vec<Triangle> {
        let corner =
            |i: usize| -> Vec3 { [(i & 1) as f32, ((i >> 1) & 1) as f32, ((i >> 2) & 1) as f32] };
        let faces = [
            [0, 1, 3, 2],
            [4, 6, 7, 5],
            [0, 4, 5, 1],
            [2, 3, 7, 6],
            [0, 2, 6, 4],
            [1, 5, 7, 3],
        ];
        faces
            .iter()
            .flat_map(|[a, b, c, d]| {
                [
                    [corner(*a), corner(*b), corner(*c)],
                    [corner(*a), corner(*c), corner(*d)],
                ]
            })
            .collect()
    }

    fn covered(image: &RgbaImage) -> Vec<(u32, u32)> {
        image
            .enumerate_pixels()
            .filter(|(_, _, p)| **p != BACKGROUND)
            .map(|(x, y, _)| (x, y))
            .collect()
    }

    #[test]
    fn a_cube_fills_the_middle_of_the_frame() {
        let image = render(&cube(), 128, later()).unwrap();
        assert_eq!(image.dimensions(), (128, 128));
        let pixels = covered(&image);
        assert!(pixels.len() > 128 * 128 / 3, "{} pixels", pixels.len());
        let n = pixels.len() as f32;
        let cx = pixels.iter().map(|p| p.0 as f32).sum::<f32>() / n;
        let cy = pixels.iter().map(|p| p.1 as f32).sum::<f32>() / n;
        assert!(
            (cx - 64.0).abs() < 8.0 && (cy - 64.0).abs() < 8.0,
            "{cx} {cy}"
        );
        assert_eq!(image.get_pixel(0, 0), &BACKGROUND);
        assert_eq!(image.get_pixel(127, 127), &BACKGROUND);
    }

    #[test]
    fn visible_faces_are_shaded_differently() {
        let image = render(&cube(), 128, later()).unwrap();
        let mut shades: Vec<_> = image
            .pixels()
            .filter(|p| **p != BACKGROUND)
            .map(|p| p.0)
            .collect();
        shades.sort_unstable();
        shades.dedup();
        assert!(shades.len() >= 3, "{shades:?}");
    }

    #[test]
    fn framing_ignores_scale_and_position() {
        let far: Vec<Triangle> = cube()
            .iter()
            .map(|t| t.map(|p| p.map(|c| c * 1000.0 + 5.0e4)))
            .collect();
        let (a, b) = (
            render(&cube(), 64, later()).unwrap(),
            render(&far, 64, later()).unwrap(),
        );
        let (a, b) = (covered(&a).len() as i64, covered(&b).len() as i64);
        assert!((a - b).abs() < a / 20, "{a} vs {b}");
    }

    #[test]
    fn degenerate_inputs_are_refused() {
        let point = [[1.0, 2.0, 3.0]; 3];
        assert!(matches!(
            render(&[], 64, later()),
            Err(PreviewError::Empty(_))
        ));
        assert!(matches!(
            render(&[point], 64, later()),
            Err(PreviewError::Empty(_))
        ));
        let nan = [[f32::NAN, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert!(matches!(
            render(&[nan], 64, later()),
            Err(PreviewError::Empty(_))
        ));
        let line = [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]];
        assert!(matches!(
            render(&[line], 64, later()),
            Err(PreviewError::Empty(_))
        ));
    }

    #[test]
    fn a_passed_deadline_stops_rendering() {
        let past = Instant::now() - Duration::from_secs(1);
        assert!(matches!(
            render(&cube(), 64, past),
            Err(PreviewError::Budget(_))
        ));
    }

    #[test]
    fn many_large_triangles_hit_the_drawing_budget() {
        let big = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        let many = vec![big; 2_000];
        assert!(matches!(
            render(&many, 512, later()),
            Err(PreviewError::Budget(_))
        ));
    }
}
