use std::time::Duration;

use anyhow::Context;
use stockage_events::FileKind;

use crate::preview::{Size, isolate};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Render one file read from stdin at each size (e.g. `--size
    /// 128,256,512`), parsing it once; print each size's answer as it is
    /// drawn: its length (u32, little-endian), a status byte and the PNG
    /// (what the server runs in a child process, within a memory limit).
    Render {
        #[arg(long = "type")]
        kind: String,
        #[arg(long, value_delimiter = ',', required = true)]
        size: Vec<String>,
        #[arg(long)]
        memory_bytes: u64,
        #[arg(long)]
        timeout_ms: u64,
    },
}

/// `preview render` needs no settings, database or logging.
pub fn run(command: &Command) -> anyhow::Result<()> {
    let Command::Render {
        kind,
        size,
        memory_bytes,
        timeout_ms,
    } = command;
    let kind = FileKind::parse(kind).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sizes = size
        .iter()
        .map(|size| Size::parse(Some(size)).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<anyhow::Result<Vec<Size>>>()?;
    isolate::child_main(
        kind,
        &sizes,
        *memory_bytes,
        Duration::from_millis(*timeout_ms),
    )
    .context("rendering")
}
