//! Progress on standard error, drawn only when it is a terminal (indicatif
//! hides the bar otherwise): logs and pipes get no control characters.
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar for `total` items of `what`, with the rate and time left.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!(
        "[{{bar:30}}] {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total).with_style(style)
}

/// A counter without a known end: `message` then the position.
pub fn spinner(message: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!("{{spinner}} {message} {{pos}}"))
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let spinner = ProgressBar::new_spinner().with_style(style);
    spinner.enable_steady_tick(Duration::from_millis(200));
    spinner
}
