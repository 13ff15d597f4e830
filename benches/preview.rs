//! Thumbnail cost: every fixture at 256, a generated sphere of ~200k
//! triangles at 512, and a 4096×3072 PNG photo scaled to 512, through the
//! same `preview::preview` the worker and endpoint use. Baseline in the
//! same run: decoding the same PNG alone (no scaling, no encoding).
//!
//! `cargo bench --bench preview`
use std::io::Cursor;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use image::{ImageFormat, Rgba, RgbaImage};
use stockage::preview::{self, Size, Status};
use stockage_events::FileKind;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A binary STL of a UV sphere with `rings` × `segments` × 2 triangles.
fn sphere(rings: u32, segments: u32) -> Vec<u8> {
    let point = |r: u32, s: u32| {
        let (theta, phi) = (
            std::f32::consts::PI * r as f32 / rings as f32,
            std::f32::consts::TAU * s as f32 / segments as f32,
        );
        [
            theta.sin() * phi.cos(),
            theta.sin() * phi.sin(),
            theta.cos(),
        ]
    };
    let mut triangles = Vec::new();
    for r in 0..rings {
        for s in 0..segments {
            let (a, b, c, d) = (
                point(r, s),
                point(r + 1, s),
                point(r + 1, s + 1),
                point(r, s + 1),
            );
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    let mut stl = vec![b' '; 80];
    stl.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
    for t in triangles {
        stl.extend_from_slice(&[0u8; 12]);
        for v in t.iter().flatten() {
            stl.extend_from_slice(&v.to_le_bytes());
        }
        stl.extend_from_slice(&[0, 0]);
    }
    stl
}

fn photo() -> Vec<u8> {
    let image = RgbaImage::from_fn(4096, 3072, |x, y| {
        Rgba([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8, 255])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    png
}

fn later() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("preview");
    group.sample_size(10);
    for (name, kind) in [
        ("blueprint.pdf", FileKind::Pdf),
        ("photo.png", FileKind::Png),
        ("photo.jpg", FileKind::Jpg),
        ("model.gltf", FileKind::Gltf),
        ("model.glb", FileKind::Glb),
        ("part_ascii.stl", FileKind::Stl),
        ("part_binary.stl", FileKind::Stl),
    ] {
        let bytes = fixture(name);
        assert_eq!(
            preview::preview(kind, &bytes, Size::DEFAULT, later()).status,
            Status::Rendered
        );
        group.bench_function(format!("{name} at 256"), |b| {
            b.iter(|| preview::preview(kind, &bytes, Size::DEFAULT, later()))
        });
    }
    let stl = sphere(250, 400);
    let large = Size::parse(Some("512")).unwrap();
    assert_eq!(
        preview::preview(FileKind::Stl, &stl, large, later()).status,
        Status::Rendered
    );
    group.bench_function("sphere of 200k triangles at 512", |b| {
        b.iter(|| preview::preview(FileKind::Stl, &stl, large, later()))
    });
    let png = photo();
    group.bench_function("4096x3072 PNG at 512", |b| {
        b.iter(|| preview::preview(FileKind::Png, &png, large, later()))
    });
    group.bench_function("baseline: decoding that PNG alone", |b| {
        b.iter(|| image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
