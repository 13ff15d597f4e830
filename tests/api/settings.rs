//! A bad configuration value stops the program with a sentence naming it.
use std::process::Command;

use crate::helpers::SECRET;

fn token_with(name: &str, value: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_stockage"))
        .args(["token", "--user", "alice"])
        .env("STOCKAGE_JWT_SECRET", SECRET)
        .env(name, value)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn numbers_in_the_environment_are_checked_at_start() {
    for (name, value, says) in [
        (
            "STOCKAGE_WS_QUEUE",
            "0",
            "STOCKAGE_WS_QUEUE=0 must be a positive whole number",
        ),
        (
            "STOCKAGE_WS_QUEUE",
            "lots",
            "STOCKAGE_WS_QUEUE=\"lots\" is not a whole number",
        ),
        (
            "STOCKAGE_MAX_UPLOAD_MB",
            "0",
            "STOCKAGE_MAX_UPLOAD_MB=0 must be a positive",
        ),
        (
            "STOCKAGE_INDEX_WORKERS",
            "-1",
            "STOCKAGE_INDEX_WORKERS=\"-1\" is not a whole number",
        ),
        (
            "STOCKAGE_PREVIEW_CONCURRENCY",
            "2.5",
            "STOCKAGE_PREVIEW_CONCURRENCY=\"2.5\" is not",
        ),
    ] {
        let (ok, stderr) = token_with(name, value);
        assert!(!ok, "{name}={value} was accepted");
        assert!(stderr.contains(says), "{name}={value}: {stderr}");
    }
    let (ok, stderr) = token_with("STOCKAGE_WS_QUEUE", "16");
    assert!(ok, "{stderr}");
}
