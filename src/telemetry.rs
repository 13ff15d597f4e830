//! Logging and metrics set-up, once per process.
use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` is not set: `info`, without PostgreSQL's
/// notices ("relation ... already exists, skipping" on every start).
const DEFAULT_FILTER: &str = "info,sqlx::postgres::notice=warn";

/// Logs to stderr, filtered by `RUST_LOG` (default [`DEFAULT_FILTER`]);
/// JSON lines when `json` is set; colours only when stderr is a terminal.
/// Safe to call more than once.
pub fn init_logging(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The process-wide Prometheus recorder; installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours stays unused.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

/// `# HELP` (and the unit) of every metric the server records.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "stockage_http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        "stockage_http_request_duration_seconds",
        Unit::Seconds,
        "time to answer an HTTP request, by method and route template"
    );
    describe_counter!(
        "stockage_access_denied_total",
        "requests refused by the permission gate"
    );
    describe_counter!(
        "stockage_upload_bytes_total",
        Unit::Bytes,
        "bytes received in uploads"
    );
    describe_counter!(
        "stockage_index_documents_total",
        "documents the search indexer handled, by outcome"
    );
    describe_counter!(
        "stockage_previews_rendered_total",
        "thumbnails rendered, by outcome"
    );
    describe_counter!(
        "stockage_preview_renderings_total",
        "preview renderings: one read and one parse of a source for all the sizes it lacked"
    );
    describe_gauge!(
        "stockage_child_processes",
        "extractor and renderer child processes running on this node, by kind"
    );
    describe_gauge!(
        "stockage_ws_clients",
        "WebSocket subscribers connected to this node"
    );
    describe_counter!(
        "stockage_ws_events_delivered_total",
        "events sent to WebSocket subscribers"
    );
    describe_counter!(
        "stockage_ws_resyncs_total",
        "WebSocket subscribers told to resync (too slow or lagging)"
    );
    describe_histogram!(
        "stockage_ws_delivery_latency_seconds",
        Unit::Seconds,
        "time from an event's commit to its delivery on a WebSocket"
    );
    describe_gauge!(
        "stockage_projector_lag_events",
        Unit::Count,
        "events in the log a projector has not handled yet (head minus checkpoint), by projector"
    );
    describe_gauge!(
        "stockage_db_pool_connections",
        Unit::Count,
        "database connections of this node's pool, by state (in_use, idle)"
    );
    process_collector().describe();
}

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// Gauges read when `/metrics` is scraped: the process (RSS, CPU, open
/// files, threads), the database pool, and each projector's lag.
pub async fn collect(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    process_collector().collect();
    // Present from the first scrape, before anyone subscribes.
    metrics::gauge!("stockage_ws_clients").increment(0.0);
    let idle = pool.num_idle() as f64;
    let in_use = f64::from(pool.size()) - idle;
    metrics::gauge!("stockage_db_pool_connections", "state" => "in_use").set(in_use);
    metrics::gauge!("stockage_db_pool_connections", "state" => "idle").set(idle);
    let head = stockage_store::log::head(&mut *pool.acquire().await?).await?;
    for (name, position) in stockage_projections::runner::checkpoints(pool).await? {
        metrics::gauge!("stockage_projector_lag_events", "projector" => name)
            .set((head - position).max(0) as f64);
    }
    Ok(())
}
