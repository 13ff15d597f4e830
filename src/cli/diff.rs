use anyhow::Context;

use crate::versions::diff::isolate::{self, ChildSide, Want};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Compare two files read from stdin (the first `--before-len` bytes
    /// are the older one) and print the comparison as JSON or a status
    /// byte and the highlight PNG (what the server runs in a child
    /// process, within a memory limit).
    Compare {
        #[arg(long)]
        format: String,
        #[arg(long)]
        before_type: String,
        #[arg(long)]
        before_sha256: String,
        #[arg(long)]
        before_len: usize,
        #[arg(long)]
        after_type: String,
        #[arg(long)]
        after_sha256: String,
        #[arg(long)]
        memory_bytes: u64,
    },
}

/// `diff compare` needs no settings, database or logging.
pub fn run(command: Command) -> anyhow::Result<()> {
    let Command::Compare {
        format,
        before_type,
        before_sha256,
        before_len,
        after_type,
        after_sha256,
        memory_bytes,
    } = command;
    let want = Want::parse(&format).context("--format is json or png")?;
    let before = ChildSide {
        kind: before_type,
        sha256: before_sha256,
    };
    let after = ChildSide {
        kind: after_type,
        sha256: after_sha256,
    };
    isolate::child_main(want, before, before_len, after, memory_bytes).context("comparing")
}
