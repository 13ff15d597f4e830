//! Diff cost: unified text diffs of 10k and 1M lines (1% of lines changed)
//! and the pixel comparison of two 4096×4096 PNGs, through the same
//! `diff::compare` the API uses. Prints the peak memory of each case
//! (`VmHWM` after resetting it) beside criterion's times.
//!
//! `cargo bench --bench diff`
use criterion::{Criterion, criterion_group, criterion_main};
use image::{Rgba, RgbaImage};
use sha2::Digest;
use stockage::versions::diff::{self, Side};
use stockage_events::{FileKind, Sha256};

fn side(kind: FileKind, bytes: Vec<u8>) -> Side {
    Side {
        kind,
        sha256: Sha256::from_digest(sha2::Sha256::digest(&bytes).into()),
        size: bytes.len() as u64,
        bytes: Some(bytes),
    }
}

/// An ASCII STL-like text of `lines` lines; `changed` alters every 100th.
fn text(lines: usize, changed: bool) -> Vec<u8> {
    let mut out = String::from("solid bench\n");
    for n in 0..lines {
        let y = if changed && n % 100 == 0 { n + 1 } else { n };
        out.push_str(&format!("vertex {n} {y} 0\n"));
    }
    out.push_str("endsolid bench\n");
    out.into_bytes()
}

fn png(size: u32, changed: bool) -> Vec<u8> {
    let mut img = RgbaImage::from_fn(size, size, |x, y| {
        Rgba([(x % 251) as u8, (y % 241) as u8, 90, 255])
    });
    if changed {
        for x in 1000..1200 {
            for y in 2000..2100 {
                img.put_pixel(x, y, Rgba([255, 0, 255, 255]));
            }
        }
    }
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    bytes
}

/// Runs `work` once with the peak-RSS mark reset; returns its peak growth in MB.
fn peak_mb(work: impl FnOnce()) -> f64 {
    let rss = |field: &str| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix(field).map(str::to_owned))
            })
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss("VmRSS:");
    work();
    rss("VmHWM:") - before
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    for lines in [10_000, 1_000_000] {
        let (a, b) = (
            side(FileKind::Stl, text(lines, false)),
            side(FileKind::Stl, text(lines, true)),
        );
        let mb = peak_mb(|| {
            let result = diff::compare(&a, &b);
            eprintln!(
                "text {lines} lines: {} (limits: {:?})",
                result.summary, result.limits
            );
        });
        eprintln!("text {lines} lines: peak memory growth {mb:.0} MB");
        group.bench_function(format!("text_{lines}_lines"), |bench| {
            bench.iter(|| diff::compare(&a, &b))
        });
    }
    let (a, b) = (
        side(FileKind::Png, png(4096, false)),
        side(FileKind::Png, png(4096, true)),
    );
    let mb = peak_mb(|| {
        let result = diff::compare(&a, &b);
        eprintln!("png 4096x4096: {}", result.summary);
    });
    eprintln!("png 4096x4096: peak memory growth {mb:.0} MB");
    group.bench_function("png_4096x4096", |bench| {
        bench.iter(|| diff::compare(&a, &b))
    });
    group.finish();
}

criterion_group!(diff_benches, benches);
criterion_main!(diff_benches);
