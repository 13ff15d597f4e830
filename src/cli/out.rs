//! The commands' standard output. A reader that goes away
//! (`stockage events | head`) ends the command quietly, not with a panic.
use std::fmt;
use std::io::{self, Write};

/// Writes one line to standard output.
pub fn line(args: fmt::Arguments) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.write_all(b"\n")
}

/// The command failed only because its reader closed the pipe.
pub fn reader_left(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// `println!` that returns the write's error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// A command's outcome: `value` as one JSON line with `--json`, else the
/// sentence for people.
pub fn report(json: bool, value: serde_json::Value, sentence: impl fmt::Display) -> io::Result<()> {
    if json {
        line(format_args!("{value}"))
    } else {
        line(format_args!("{sentence}"))
    }
}
