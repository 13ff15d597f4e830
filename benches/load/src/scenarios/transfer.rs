//! `upload` and `download`: 1, 16 and 150 MB files through the server (MB/s
//! and the growth of its peak RSS), beside raw write + fsync and cold read
//! of the same sizes on the same disk. Reads start from a dropped page
//! cache when the tool runs as root.
use std::time::Instant;

use stockage_load::api::pdf_stream;
use stockage_load::disk::{self, MB};
use stockage_load::report::Row;
use stockage_load::rss;
use stockage_load::stats::median;

use super::Ctx;

/// (size in MB, repetitions)
const FULL: [(u64, usize); 3] = [(1, 20), (16, 5), (150, 3)];
const QUICK: [(u64, usize); 2] = [(1, 3), (16, 1)];

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let slug = ctx.project("transfer").await?;
    let sizes: &[(u64, usize)] = if ctx.quick { &QUICK } else { &FULL };
    let cold = disk::drop_page_cache();
    let mut rows = Vec::new();
    let mut mark = ctx.seed * 1_000;
    for &(size_mb, reps) in sizes {
        let size = size_mb * MB;
        let path = ctx.work.join("raw.bin");
        let (raw_write, raw_read) =
            tokio::task::spawn_blocking(move || disk::bandwidth(&path, size, reps)).await??;
        let (mut up, mut down) = (Vec::new(), Vec::new());
        let (mut up_rss, mut down_rss) = (None::<f64>, None::<f64>);
        let mut errors = 0;
        let mut first_error = None;
        for _ in 0..reps {
            mark += 1;
            let idle = ctx.pid.map(rss::reset_peak);
            let started = Instant::now();
            let uploaded = ctx
                .api
                .upload(&slug, "big.pdf", pdf_stream(size, mark), size)
                .await;
            let seconds = started.elapsed().as_secs_f64();
            up_rss = growth(ctx.pid, idle, up_rss);
            let id = match uploaded {
                Ok(doc) => doc["id"].as_str().unwrap_or_default().to_owned(),
                Err(error) => {
                    errors += 1;
                    first_error.get_or_insert(error);
                    continue;
                }
            };
            up.push(size as f64 / seconds / 1e6);
            disk::drop_page_cache();
            let idle = ctx.pid.map(rss::reset_peak);
            let started = Instant::now();
            match ctx.api.download(&slug, &id).await {
                Ok(got) if got == size => {
                    down.push(size as f64 / started.elapsed().as_secs_f64() / 1e6)
                }
                Ok(got) => {
                    errors += 1;
                    first_error.get_or_insert(format!("download: {got} bytes, not {size}"));
                }
                Err(error) => {
                    errors += 1;
                    first_error.get_or_insert(error);
                }
            }
            down_rss = growth(ctx.pid, idle, down_rss);
        }
        let note = first_error.unwrap_or_else(|| {
            if cold {
                String::new()
            } else {
                "page cache not dropped (not root)".into()
            }
        });
        let case = format!("{size_mb} MB");
        let mut upload = Row::new("upload", case.clone(), median(up), "MB/s")
            .against("raw write+fsync", raw_write, "MB/s")
            .rss_growth(up_rss)
            .errors(errors)
            .note(note.clone());
        let mut download = Row::new("download", case, median(down), "MB/s")
            .against("raw cold read", raw_read, "MB/s")
            .rss_growth(down_rss)
            .note(note);
        match size_mb {
            1 => upload = upload.target_ratio(true, 0.4),
            150 => {
                upload = with_target(upload, 0.8);
                download = with_target(download, 0.7);
            }
            _ => {}
        }
        rows.push(upload);
        rows.push(download);
    }
    Ok(rows)
}

fn growth(pid: Option<u32>, idle: Option<f64>, so_far: Option<f64>) -> Option<f64> {
    let grew = rss::peak(pid?) - idle?;
    Some(so_far.map_or(grew, |g| g.max(grew)))
}

/// ≥ `ratio`× the raw disk with the server's RSS growing < 64 MB (issue 23:
/// uploads 0.8; downloads keep issue 9's 0.7).
fn with_target(row: Row, ratio: f64) -> Row {
    let met = row.ratio.is_some_and(|r| r >= ratio)
        && row.server_rss_growth_mb.is_some_and(|mb| mb < 64.0);
    row.target(&format!("ratio ≥ {ratio}, RSS growth < 64 MB"), met)
}
