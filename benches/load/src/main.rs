//! `stockage-load`: runs named scenarios against a Stockage server (one it
//! starts on a fresh database, or `--url`), each figure beside a baseline
//! of this machine measured in the same run; prints one table and writes
//! `report.md`, `report.json` and `latency.svg`. Exits non-zero on any
//! error, never on speed.
#![forbid(unsafe_code)]

mod scenarios;

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use stockage_load::report::{Report, Row};
use stockage_load::server::{self, Server};

use crate::scenarios::{Ctx, Scenario};

#[derive(Parser)]
#[command(
    name = "stockage-load",
    about = "Load scenarios against Stockage, each beside a baseline"
)]
struct Args {
    /// Small sizes and short runs (under two minutes even in a debug build).
    #[arg(long)]
    quick: bool,
    /// Scenarios to run, comma separated; all by default.
    #[arg(long, value_delimiter = ',', value_enum)]
    scenarios: Vec<Scenario>,
    /// PostgreSQL server: the tool uses its own databases on it
    /// (`stockage_load`, `stockage_load_rebuild`); with --url, the URL of
    /// the target server's own database.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://127.0.0.1:5432/stockage"
    )]
    database_url: String,
    /// The `stockage` binary to start (and to run `token` and
    /// `projections rebuild` with); by default the one beside this tool.
    #[arg(long)]
    stockage: Option<PathBuf>,
    /// Target a running server instead of starting one.
    #[arg(long, requires = "jwt_secret")]
    url: Option<String>,
    /// The target server's JWT secret (with --url).
    #[arg(long, env = "STOCKAGE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// The target server's process id, to read its memory (with --url).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seeds every generated choice and content.
    #[arg(long, default_value_t = 9)]
    seed: u64,
    /// Events the rebuild scenario replays (default 1,000,000; 10,000 quick).
    #[arg(long)]
    rebuild_events: Option<usize>,
    /// Operations a second the mixed scenario aims at (default 100; 20 quick).
    #[arg(long)]
    mixed_rate: Option<f64>,
    /// Minutes the soak scenario runs (default 10; 1 quick).
    #[arg(long)]
    soak_minutes: Option<f64>,
    /// Seconds per soak interval, one report row each (default 30; 10 quick).
    #[arg(long)]
    soak_interval: Option<u64>,
    /// Documents in the search corpus (default 10,000; 200 quick); 100000 for the large corpus.
    #[arg(long)]
    search_docs: Option<usize>,
    /// Documents in the large search corpus, seeded in SQL (default
    /// 100,000; 2,000 quick; 0 skips it); 1000000 for the 1M run.
    #[arg(long)]
    search_large_docs: Option<usize>,
    /// Where the report goes.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    #[command(subcommand)]
    helper: Option<Helper>,
}

#[derive(clap::Subcommand)]
enum Helper {
    /// A bare WebSocket broadcast server (no database), the fan-out baseline.
    #[command(hide = true)]
    BroadcastServer,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Helper::BroadcastServer) = args.helper {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on {}", listener.local_addr()?);
        stockage_load::broadcast::serve(listener).await?;
        return Ok(());
    }
    let binary = args.stockage.clone().unwrap_or_else(server::default_binary);
    let work = std::env::temp_dir().join(format!("stockage-load-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let (server, secret, app_url) = match &args.url {
        Some(url) => (
            Server::external(url, args.server_pid),
            args.jwt_secret
                .clone()
                .context("--url needs --jwt-secret")?,
            args.database_url.clone(),
        ),
        None => {
            let secret = format!("load-secret-{:032}", args.seed);
            let app_url = server::database_url(&args.database_url, "stockage_load");
            let server = Server::start(&binary, &app_url, &work.join("data"), &secret).await?;
            eprintln!("started {} at {}", binary.display(), server.url);
            (server, secret, app_url)
        }
    };
    let ctx = Ctx::new(&args, binary, &server, &secret, &app_url, &work).await?;
    let selected = if args.scenarios.is_empty() {
        Scenario::all()
    } else {
        args.scenarios.clone()
    };
    let mut rows = Vec::new();
    for scenario in scenarios::runs(&selected) {
        eprintln!("running {scenario:?}");
        match scenarios::run(&ctx, scenario, &selected).await {
            Ok(mut got) => rows.append(&mut got),
            Err(error) => {
                eprintln!("{scenario:?} failed: {error:#}");
                rows.push(
                    Row::new(scenario.name(), "scenario failed", 0.0, "")
                        .errors(1)
                        .note(format!("{error:#}")),
                );
            }
        }
    }
    ctx.close().await;
    server.stop().await;
    if args.url.is_none() {
        use sqlx::migrate::MigrateDatabase;
        let _ = sqlx::Postgres::drop_database(&app_url).await;
    }
    let _ = std::fs::remove_dir_all(&work);

    let report = Report {
        date: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        commit: scenarios::commit(),
        machine: scenarios::machine(&ctx.pg_version),
        mode: if args.quick { "quick" } else { "full" }.into(),
        seed: args.seed,
        rows,
    };
    println!("{}", report.markdown());
    report.write(&args.out)?;
    eprintln!(
        "wrote {}/report.md, report.json, latency.svg",
        args.out.display()
    );
    let errors = report.errors();
    if errors > 0 {
        anyhow::bail!("{errors} errors (see the table)");
    }
    Ok(())
}
