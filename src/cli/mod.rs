//! The `stockage` command line: one subcommand per module.
mod archive;
mod blobs;
mod diff;
mod events;
mod index;
mod out;
use out::out;
mod preview;
mod progress;
mod projections;
mod replay;
mod retention;
mod serve;
mod token;
mod verify;

use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::telemetry;

#[derive(Parser)]
#[command(
    name = "stockage",
    version,
    about = "Secure, versioned, event-sourced document store"
)]
#[command(after_long_help = ENVIRONMENT)]
struct Cli {
    /// The PostgreSQL database (created and migrated if missing).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Every setting is an environment variable; `--help` names them.
const ENVIRONMENT: &str = "\
Environment (the README's Configuration table says more):
  DATABASE_URL            PostgreSQL (default postgres://127.0.0.1:5432/stockage)
  STOCKAGE_BIND           address the server listens on (default 127.0.0.1:8080)
  STOCKAGE_DATA_DIR       data directory (default ./data)
  STOCKAGE_JWT_SECRET     HS256 secret of bearer tokens (default: generated into the data directory)
  STOCKAGE_MAX_UPLOAD_MB  upload cap (default 150)
  STOCKAGE_BLOB_BACKEND   local (default) or s3, with STOCKAGE_S3_ENDPOINT, _BUCKET, _REGION, _PREFIX
                          and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  STOCKAGE_INDEX_*, STOCKAGE_PREVIEW_*, STOCKAGE_WS_QUEUE  workers and budgets
  STOCKAGE_LOG_JSON=1     JSON log lines;  RUST_LOG  log filter (default info)";

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve,
    /// Create the database if missing and run pending migrations (as the
    /// owner role of a least-privilege setup; `serve` does it otherwise).
    Migrate,
    /// Print a bearer token signed with the configured secret.
    Token(token::Args),
    /// Work with the blob store.
    Blobs {
        #[command(subcommand)]
        command: blobs::Command,
    },
    /// The log, filtered; --follow tails it.
    Events(events::Args),
    /// A project's state at a moment, rebuilt from the log alone.
    Replay(replay::Args),
    /// Write the log (and with --with-blobs its blobs) to an archive.
    Export(archive::ExportArgs),
    /// Load an archive into an empty database, verifying it as it goes.
    Import(archive::ImportArgs),
    /// Verify the log: hash chain, gapless positions, stream versions, blobs.
    Verify(verify::Args),
    /// Retention: what the projects' policies purge now.
    Retention {
        #[command(subcommand)]
        command: retention::Command,
    },
    /// Work with the read models.
    Projections {
        #[command(subcommand)]
        command: projections::Command,
    },
    /// Search indexing: rebuild, per-project language.
    Index {
        #[command(subcommand)]
        command: index::Command,
    },
    /// Diffs (what the server runs in a child process).
    #[command(hide = true)]
    Diff {
        #[command(subcommand)]
        command: diff::Command,
    },
    /// Thumbnails (what the server runs in a child process).
    #[command(hide = true)]
    Preview {
        #[command(subcommand)]
        command: preview::Command,
    },
}

pub fn main() -> anyhow::Result<()> {
    match run(Cli::parse()) {
        Err(error) if out::reader_left(&error) => Ok(()),
        result => result,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Index {
        command:
            index::Command::Extract {
                kind,
                filename,
                memory_bytes,
            },
    } = &cli.command
    {
        return index::extract(kind, filename, *memory_bytes);
    }
    let database_url = cli.database_url.clone();
    let cli = match cli.command {
        Command::Preview { command } => return preview::run(&command),
        Command::Diff { command } => return diff::run(command),
        command => Cli {
            database_url: None,
            command,
        },
    };
    let mut settings = Settings::from_env()?;
    if let Some(url) = database_url {
        settings.database_url = crate::env::Secret::new(url);
    }
    telemetry::init_logging(settings.log_json);
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Serve => actix_web::rt::System::new().block_on(serve::run(settings)),
        Command::Migrate => runtime.block_on(async {
            crate::db::migrate(settings.database_url.expose()).await?;
            out!("the database schema is current")?;
            Ok(())
        }),
        Command::Token(args) => token::run(&settings, args),
        Command::Events(args) => runtime.block_on(events::run(&settings, args)),
        Command::Replay(args) => runtime.block_on(replay::run(&settings, args)),
        Command::Export(args) => runtime.block_on(archive::export(&settings, args)),
        Command::Import(args) => runtime.block_on(archive::import(&settings, args)),
        Command::Verify(args) => runtime.block_on(verify::run(&settings, args)),
        Command::Blobs { command } => runtime.block_on(blobs::run(&settings, command)),
        Command::Retention { command } => runtime.block_on(retention::run(&settings, command)),
        Command::Projections { command } => runtime.block_on(projections::run(&settings, command)),
        Command::Index { command } => runtime.block_on(index::run(&settings, command)),
        Command::Preview { .. } | Command::Diff { .. } => {
            unreachable!("handled before the settings are read")
        }
    }
}
