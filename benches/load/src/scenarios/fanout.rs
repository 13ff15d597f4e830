//! `fanout`: N WebSocket subscribers (a viewer of the project each) on
//! `GET /api/v1/projects/{slug}/ws`, while the owner retitles a document
//! M times; each frame's latency is from the event's `recorded_at` (taken
//! just before its insert and commit, on this machine's clock) to its
//! arrival. Beside the bare broadcast of the same run (no database). The
//! server's peak RSS growth covers connecting and serving the subscribers.
use std::time::Duration;

use futures_util::StreamExt;
use stockage_load::api::small_pdf;
use stockage_load::broadcast::connect_many;
use stockage_load::drive::Outcome;
use stockage_load::report::Row;
use stockage_load::rss;
use time::OffsetDateTime;

use super::Ctx;

const MARK: &str = "fanout-";

pub fn counts(ctx: &Ctx) -> &'static [usize] {
    if ctx.quick {
        &[100]
    } else {
        &[100, 1_000, 10_000]
    }
}

pub fn messages(ctx: &Ctx) -> usize {
    if ctx.quick { 5 } else { 20 }
}

/// One row per subscriber count; `bare` holds the bare broadcast's p99
/// for the same counts, when measured.
pub async fn run(ctx: &Ctx, bare: &[(usize, f64)]) -> anyhow::Result<Vec<Row>> {
    let slug = ctx.project("fanout").await?;
    ctx.api
        .add_member(&slug, "load-watcher", "viewer")
        .await
        .map_err(anyhow::Error::msg)?;
    let document = ctx
        .api
        .upload_bytes(&slug, "watched.pdf", small_pdf(1, 2_000))
        .await
        .map_err(anyhow::Error::msg)?;
    let document = document["id"].as_str().unwrap_or_default().to_owned();
    let watcher = ctx.user("load-watcher").await?;
    let ws = ctx.api.base().replacen("http", "ws", 1);
    let url = format!(
        "{ws}/api/v1/projects/{slug}/ws?access_token={}",
        watcher.token()
    );
    let messages = messages(ctx);
    let mut rows = Vec::new();
    for (round, &subscribers) in counts(ctx).iter().enumerate() {
        let idle = ctx.pid.map(rss::reset_peak);
        let sockets = connect_many(&url, subscribers)
            .await
            .map_err(anyhow::Error::msg)?;
        let gap = Duration::from_millis(if subscribers >= 10_000 { 500 } else { 100 });
        let listeners: Vec<_> = sockets
            .into_iter()
            .map(|mut socket| {
                let prefix = format!("{MARK}{round}-");
                tokio::spawn(async move {
                    let mut outcome = Outcome::default();
                    let deadline = tokio::time::Instant::now()
                        + Duration::from_secs(15)
                        + gap * messages as u32;
                    while outcome.done < messages as u64 {
                        let next = tokio::time::timeout_at(deadline, socket.next()).await;
                        let Ok(Some(Ok(message))) = next else { break };
                        let Ok(text) = message.to_text() else {
                            continue;
                        };
                        match latency(text, &prefix) {
                            Frame::Ours(took) => {
                                outcome.done += 1;
                                outcome.latencies.push(took);
                            }
                            Frame::Resync => {
                                outcome.first_error = Some("resync".into());
                                break;
                            }
                            Frame::Other => {}
                        }
                    }
                    outcome.errors = messages as u64 - outcome.done;
                    let _ = socket.close(None).await;
                    outcome
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut total = Outcome::default();
        for n in 0..messages {
            let title = format!("{MARK}{round}-{n}");
            if let Err(error) = ctx.api.patch_title(&slug, &document, &title).await {
                total.errors += 1;
                total.first_error.get_or_insert(error);
            }
            tokio::time::sleep(gap).await;
        }
        for listener in listeners {
            let outcome = listener.await?;
            total.done += outcome.done;
            total.errors += outcome.errors;
            total.latencies.extend(outcome.latencies);
            if total.first_error.is_none() {
                total.first_error = outcome.first_error;
            }
        }
        if total.errors > 0 && total.first_error.is_none() {
            total.first_error = Some(format!("{} frames did not arrive", total.errors));
        }
        let latency = total.percentiles();
        let p99 = latency.map_or(0.0, |l| l.p99_ms);
        let mut row = Row::new(
            "fanout",
            format!("{subscribers} subscribers × {messages} events"),
            p99,
            "ms p99",
        );
        let bare_p99 = bare.iter().find(|(n, _)| *n == subscribers).map(|b| b.1);
        if let Some(bare_p99) = bare_p99 {
            row = row.against("bare broadcast p99", bare_p99, "ms");
        }
        // Issue 23: within 1.5× the bare broadcast of the same run.
        if subscribers == 1_000 {
            let met = bare_p99.is_some_and(|b| p99 <= 1.5 * b) && total.errors == 0;
            row = row.target("p99 ≤ 1.5× bare broadcast", met);
        }
        // The server's memory with every subscriber connected and served.
        let grew = ctx.pid.zip(idle).map(|(pid, idle)| rss::peak(pid) - idle);
        rows.push(
            row.latency(latency)
                .rss_growth(grew)
                .errors(total.errors)
                .note(total.first_error.unwrap_or_default()),
        );
    }
    Ok(rows)
}

enum Frame {
    Ours(Duration),
    Resync,
    Other,
}

/// Our retitle events (title starting with `prefix`), timed from their
/// `recorded_at`; a resync; or anything else.
fn latency(text: &str, prefix: &str) -> Frame {
    let Ok(frame) = serde_json::from_str::<serde_json::Value>(text) else {
        return Frame::Other;
    };
    if frame["type"] == "resync" {
        return Frame::Resync;
    }
    let ours = frame["data"]["title"]
        .as_str()
        .is_some_and(|t| t.starts_with(prefix));
    let recorded = frame["recorded_at"].as_str().and_then(|t| {
        OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    });
    match recorded {
        Some(at) if ours => {
            let took = OffsetDateTime::now_utc() - at;
            Frame::Ours(took.try_into().unwrap_or(Duration::ZERO))
        }
        _ => Frame::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_frames_are_timed() {
        let at = OffsetDateTime::now_utc() - Duration::from_millis(20);
        let at = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let ours =
            format!(r#"{{"type":"event","recorded_at":"{at}","data":{{"title":"fanout-0-3"}}}}"#);
        assert!(
            matches!(latency(&ours, "fanout-0-"), Frame::Ours(d) if d >= Duration::from_millis(20))
        );
        assert!(matches!(latency(&ours, "fanout-1-"), Frame::Other));
        assert!(matches!(
            latency(r#"{"type":"resync","after":3}"#, "x"),
            Frame::Resync
        ));
        assert!(matches!(latency("not json", "x"), Frame::Other));
    }
}
