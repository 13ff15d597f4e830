//! `tus`: a 150 MB file uploaded resumably in 5 MB PATCHes (as
//! tus-js-client sends it) beside the multipart upload of the same file,
//! and beside the raw disk (write + fsync), with the growth of the
//! server's peak RSS for each.
use std::time::Instant;

use bytes::Bytes;
use stockage_load::api::pdf_stream;
use stockage_load::disk::{self, MB};
use stockage_load::report::Row;
use stockage_load::rss;
use stockage_load::stats::median;

use super::Ctx;

const CHUNK: usize = 5 * MB as usize;

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let slug = ctx.project("tus").await?;
    let (size_mb, reps) = if ctx.quick { (16, 1) } else { (150, 3) };
    let size = size_mb * MB;
    let path = ctx.work.join("raw-tus.bin");
    let (raw_write, _) =
        tokio::task::spawn_blocking(move || disk::bandwidth(&path, size, reps)).await??;
    let (mut multipart, mut tus) = (Vec::new(), Vec::new());
    let (mut multipart_rss, mut tus_rss) = (None::<f64>, None::<f64>);
    let mut errors = 0;
    let mut first_error = None;
    for rep in 0..reps as u64 {
        let mark = ctx.seed * 10_000 + rep;
        let idle = ctx.pid.map(rss::reset_peak);
        let started = Instant::now();
        match ctx
            .api
            .upload(&slug, "set.pdf", pdf_stream(size, mark), size)
            .await
        {
            Ok(_) => multipart.push(size as f64 / started.elapsed().as_secs_f64() / 1e6),
            Err(error) => {
                errors += 1;
                first_error.get_or_insert(error);
            }
        }
        multipart_rss = growth(ctx.pid, idle, multipart_rss);

        let idle = ctx.pid.map(rss::reset_peak);
        let started = Instant::now();
        match upload(ctx, &slug, size, mark + 500).await {
            Ok(()) => tus.push(size as f64 / started.elapsed().as_secs_f64() / 1e6),
            Err(error) => {
                errors += 1;
                first_error.get_or_insert(error);
            }
        }
        tus_rss = growth(ctx.pid, idle, tus_rss);
    }
    let tus = median(tus);
    let case = format!("{size_mb} MB in 5 MB PATCHes");
    let note = first_error.unwrap_or_default();
    Ok(vec![
        Row::new("tus", case.clone(), tus, "MB/s")
            .against("multipart upload", median(multipart), "MB/s")
            .rss_growth(tus_rss)
            .errors(errors)
            .note(format!(
                "multipart RSS growth {:.1} MB{}{note}",
                multipart_rss.unwrap_or(0.0),
                if note.is_empty() { "" } else { "; " }
            )),
        Row::new("tus", format!("{case}, vs the disk"), tus, "MB/s")
            .against("raw write+fsync", raw_write, "MB/s")
            .rss_growth(tus_rss)
            .target("RSS growth < 64 MB", tus_rss.is_some_and(|mb| mb < 64.0)),
    ])
}

/// One tus upload of `size` bytes in [`CHUNK`] PATCHes, to completion.
async fn upload(ctx: &Ctx, slug: &str, size: u64, mark: u64) -> Result<(), String> {
    let url = ctx.api.tus_create(slug, "set.pdf", size).await?;
    let fill = Bytes::from(vec![b'a' + (mark % 26) as u8; CHUNK]);
    let mut offset = 0u64;
    let mut document = None;
    while offset < size {
        let len = (size - offset).min(CHUNK as u64) as usize;
        let piece = if offset == 0 {
            let mut first = format!("%PDF-1.4 {mark}\n").into_bytes();
            first.resize(len, fill[0]);
            Bytes::from(first)
        } else {
            fill.slice(..len)
        };
        document = ctx.api.tus_patch(&url, offset, piece).await?;
        offset += len as u64;
    }
    document
        .map(drop)
        .ok_or_else(|| format!("tus: {size} bytes sent and no document"))
}

fn growth(pid: Option<u32>, idle: Option<f64>, so_far: Option<f64>) -> Option<f64> {
    let grew = rss::peak(pid?) - idle?;
    Some(so_far.map_or(grew, |g| g.max(grew)))
}
