//! The raw disk: write with fsync and cold read of a file, the limit an
//! upload or download is judged against.
use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use crate::stats::median;

pub const MB: u64 = 1_000_000;

/// Median MB/s of writing `size` bytes with a final fsync, and of reading
/// them back from a dropped page cache.
pub fn bandwidth(path: &Path, size: u64, reps: usize) -> std::io::Result<(f64, f64)> {
    let chunk = vec![7u8; MB as usize];
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for _ in 0..reps {
        let started = Instant::now();
        let mut file = std::fs::File::create(path)?;
        let mut left = size;
        while left > 0 {
            let n = left.min(MB);
            file.write_all(&chunk[..n as usize])?;
            left -= n;
        }
        file.sync_all()?;
        writes.push(size as f64 / started.elapsed().as_secs_f64() / 1e6);
        drop_page_cache();
        let started = Instant::now();
        let mut file = std::fs::File::open(path)?;
        let mut buffer = vec![0u8; MB as usize];
        while file.read(&mut buffer)? > 0 {}
        reads.push(size as f64 / started.elapsed().as_secs_f64() / 1e6);
    }
    std::fs::remove_file(path)?;
    Ok((median(writes), median(reads)))
}

/// Reads then come from the disk, not memory: for the raw baseline and the
/// server alike. Needs root; returns false when the cache stays.
pub fn drop_page_cache() -> bool {
    // Dirty pages are written first, so dropping loses nothing.
    let _ = std::process::Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}
