//! Upload and download throughput of 1, 16 and 150 MB files through a
//! real server process on the local blob backend, beside the raw write
//! (with fsync) and read bandwidth of the same disk measured in the same
//! run, and the server's peak RSS growth during each upload. Reads (raw and
//! downloads) start from a dropped page cache when run as root.
//!
//! `cargo bench --bench transfer`; needs PostgreSQL (`DATABASE_URL` names
//! the server). Writes `target/bench/transfer.md`.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use sqlx::migrate::MigrateDatabase;
use stockage::auth::Keys;
use stockage::settings::Secret;
use stockage_events::UserId;
use tokio::io::{AsyncBufReadExt, BufReader};

const MB: u64 = 1_000_000;
const SECRET: &str = "bench-secret";
/// (size in MB, repetitions)
const SIZES: [(u64, usize); 3] = [(1, 20), (16, 5), (150, 3)];

struct Row {
    size_mb: u64,
    raw_write: f64,
    raw_read: f64,
    upload: f64,
    download: f64,
    rss_growth_mb: f64,
}

#[tokio::main]
async fn main() {
    let server_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let database = format!(
        "{}/stockage_bench_transfer",
        server_url.rsplit_once('/').unwrap().0
    );
    let _ = sqlx::Postgres::drop_database(&database).await;
    let work = std::env::temp_dir().join(format!("stockage-transfer-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();

    let (mut child, address) = start_server(&database, &work).await;
    let pid = child.id().unwrap();
    let token = Keys::new(&Secret::new(SECRET.into())).issue(
        &UserId::parse("bench").unwrap(),
        None,
        true,
        Duration::from_secs(3600),
    );
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{address}/api/v1/projects"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"slug": "bench", "title": "Bench"}))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());

    let mut rows = Vec::new();
    for (size_mb, reps) in SIZES {
        let size = size_mb * MB;
        let (raw_write, raw_read) = raw_disk(&work.join("raw.bin"), size, reps);
        let mut upload = Vec::new();
        let mut download = Vec::new();
        let mut rss_growth = 0.0f64;
        for rep in 0..reps {
            let idle = reset_peak_rss(pid);
            let started = Instant::now();
            let doc = upload_file(&client, &address, &token, size, rep).await;
            upload.push(size as f64 / started.elapsed().as_secs_f64() / 1e6);
            rss_growth = rss_growth.max(peak_rss(pid) - idle);
            drop_page_cache();
            let started = Instant::now();
            let got = download_file(&client, &address, &token, &doc).await;
            assert_eq!(got, size);
            download.push(size as f64 / started.elapsed().as_secs_f64() / 1e6);
        }
        rows.push(Row {
            size_mb,
            raw_write,
            raw_read,
            upload: median(upload),
            download: median(download),
            rss_growth_mb: rss_growth,
        });
    }
    child.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&work);
    report(&rows);
}

async fn start_server(database: &str, work: &Path) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_stockage"))
        .arg("serve")
        .env("DATABASE_URL", database)
        .env("STOCKAGE_BIND", "127.0.0.1:0")
        .env("STOCKAGE_DATA_DIR", work.join("data"))
        .env("STOCKAGE_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(rest) = line.strip_prefix("Stockage is serving on ") {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            // Let the idle server settle before measuring its memory.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return (child, rest.trim_end_matches('/').to_owned());
        }
    }
    panic!("the server exited before listening");
}

/// Distinct bytes per repetition, so each upload is a new blob.
fn body(size: u64, rep: usize) -> reqwest::Body {
    let chunk = Bytes::from(vec![b'a' + (rep % 26) as u8; MB as usize]);
    let header = Bytes::from(format!("%PDF-1.4 {rep}\n"));
    let mut left = size - header.len() as u64;
    let rest = std::iter::from_fn(move || {
        let n = left.min(MB);
        left -= n;
        (n > 0).then(|| Ok::<_, std::io::Error>(chunk.slice(..n as usize)))
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(
        std::iter::once(Ok(header)).chain(rest),
    ))
}

async fn upload_file(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    size: u64,
    rep: usize,
) -> String {
    let part =
        reqwest::multipart::Part::stream_with_length(body(size, rep), size).file_name("big.pdf");
    let response = client
        .post(format!("{address}/api/v1/projects/bench/documents"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let doc: serde_json::Value = response.json().await.unwrap();
    doc["url"].as_str().unwrap().to_owned()
}

async fn download_file(client: &reqwest::Client, address: &str, token: &str, url: &str) -> u64 {
    let response = client
        .get(format!("{address}{url}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        total += chunk.unwrap().len() as u64;
    }
    total
}

/// Median MB/s of writing `size` bytes with a final fsync, and of reading them back.
fn raw_disk(path: &PathBuf, size: u64, reps: usize) -> (f64, f64) {
    let chunk = vec![7u8; MB as usize];
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for _ in 0..reps {
        let started = Instant::now();
        let mut file = std::fs::File::create(path).unwrap();
        for _ in 0..size / MB {
            file.write_all(&chunk).unwrap();
        }
        file.sync_all().unwrap();
        writes.push(size as f64 / started.elapsed().as_secs_f64() / 1e6);
        drop_page_cache();
        let started = Instant::now();
        let mut file = std::fs::File::open(path).unwrap();
        let mut buffer = vec![0u8; MB as usize];
        while file.read(&mut buffer).unwrap() > 0 {}
        reads.push(size as f64 / started.elapsed().as_secs_f64() / 1e6);
    }
    let _ = std::fs::remove_file(path);
    (median(writes), median(reads))
}

/// Reads then come from the disk, not memory: for the raw baseline and
/// the server alike. Needs root; without it both read from the page cache.
fn drop_page_cache() {
    // Dirty pages are written first, so dropping loses nothing.
    let _ = std::process::Command::new("sync").status();
    if std::fs::write("/proc/sys/vm/drop_caches", "3").is_err() {
        eprintln!("cannot drop the page cache (not root?): reads are from memory");
    }
}

fn status_kb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Resets the kernel's peak-RSS mark; returns the current RSS in MB.
fn reset_peak_rss(pid: u32) -> f64 {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    status_kb(pid, "VmRSS:") / 1024.0
}

fn peak_rss(pid: u32) -> f64 {
    status_kb(pid, "VmHWM:") / 1024.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(rows: &[Row]) {
    let mut out = String::from(
        "| size | raw write+fsync MB/s | upload MB/s | upload / raw | raw cold read MB/s | download (cold) MB/s | download / raw | server peak RSS growth MB |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} MB | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.2} | {:.1} |\n",
            r.size_mb,
            r.raw_write,
            r.upload,
            r.upload / r.raw_write,
            r.raw_read,
            r.download,
            r.download / r.raw_read,
            r.rss_growth_mb
        ));
    }
    println!("{out}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("transfer.md"), out).unwrap();
}
