//! Peak memory of the upload's glTF type check (`check_gltf_json`) on
//! 20 MB files: one whose bulk is buffers/accessors, one whose bulk is
//! inside `asset` (its `extras`). Each case runs in a child process of its
//! own (this program again, `GLTF_CHECK_CASE` set) so its peak RSS
//! (`VmHWM`) is its own; the baseline is the same process reading the file
//! to its end without parsing. No database needed.
//! `cargo bench --bench gltf_check` (`GLTF_CHECK_MB`, default 20).
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Writes a glTF of about `mb` MB: accessors in bulk, or `asset.extras`.
fn generate(path: &Path, mb: usize, in_asset: bool) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let accessor = r#"{"bufferView":0,"byteOffset":0,"componentType":5126,"count":3,"type":"VEC3","min":[0.0,0.0,0.0],"max":[1.0,1.0,0.0],"name":"part"}"#;
    let count = mb * 1_000_000 / (accessor.len() + 1);
    let bulk = |out: &mut BufWriter<std::fs::File>| {
        for i in 0..count {
            if i > 0 {
                out.write_all(b",").unwrap();
            }
            out.write_all(accessor.as_bytes()).unwrap();
        }
    };
    if in_asset {
        out.write_all(br#"{"asset":{"generator":"bench","extras":{"parts":["#)
            .unwrap();
        bulk(&mut out);
        out.write_all(br#"]},"version":"2.0"},"scenes":[]}"#)
            .unwrap();
    } else {
        out.write_all(br#"{"asset":{"version":"2.0"},"accessors":["#)
            .unwrap();
        bulk(&mut out);
        out.write_all(br#"],"buffers":[{"byteLength":36}]}"#)
            .unwrap();
    }
    out.flush().unwrap();
}

fn run_case(case: &str, path: &Path) {
    let before = status_mb("VmHWM:");
    let started = Instant::now();
    let reader = BufReader::new(std::fs::File::open(path).unwrap());
    let outcome = match case {
        "read" => {
            let mut reader = reader;
            let mut buf = [0u8; 64 * 1024];
            while reader.read(&mut buf).unwrap() > 0 {}
            "read".to_owned()
        }
        _ => format!(
            "{:?}",
            stockage::storage::policy::check_gltf_json(reader).map(|_| "accepted")
        ),
    };
    let after = status_mb("VmHWM:");
    println!(
        "{before:.1} {after:.1} {:.0} {outcome}",
        started.elapsed().as_millis()
    );
}

fn main() {
    if let (Ok(case), Ok(path)) = (
        std::env::var("GLTF_CHECK_CASE"),
        std::env::var("GLTF_CHECK_FILE"),
    ) {
        run_case(&case, Path::new(&path));
        return;
    }
    let mb: usize = std::env::var("GLTF_CHECK_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("gltf-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<(&str, PathBuf)> = vec![
        ("bulk in accessors", dir.join("accessors.gltf")),
        ("bulk in asset.extras", dir.join("asset.gltf")),
    ];
    generate(&files[0].1, mb, false);
    generate(&files[1].1, mb, true);
    println!(
        "| file ({mb} MB) | case | peak RSS before | peak RSS after | growth | ms | outcome |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, path) in &files {
        let size = std::fs::metadata(path).unwrap().len() as f64 / 1e6;
        for case in ["read", "check"] {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .env("GLTF_CHECK_CASE", case)
                .env("GLTF_CHECK_FILE", path)
                .output()
                .unwrap();
            let line = String::from_utf8_lossy(&output.stdout);
            let fields: Vec<&str> = line.trim().splitn(4, ' ').collect();
            if fields.len() < 4 {
                println!("| {name} | {case} | failed: {line} |");
                continue;
            }
            let (before, after): (f64, f64) =
                (fields[0].parse().unwrap(), fields[1].parse().unwrap());
            println!(
                "| {name} ({size:.1} MB) | {case} | {before:.1} MB | {after:.1} MB | {:+.1} MB | {} | {} |",
                after - before,
                fields[2],
                fields[3]
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
