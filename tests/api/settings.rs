//! A bad configuration value stops the program with a sentence naming it.
use std::process::Command;

use crate::helpers::SECRET;

fn token_with(name: &str, value: &str) -> (bool, String) {
    token_with_all(&[(name, value)])
}

fn token_with_all(vars: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_stockage"))
        .args(["token", "--user", "alice"])
        .env("STOCKAGE_JWT_SECRET", SECRET)
        .envs(vars.iter().copied())
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

#[test]
fn the_channels_bridge_settings_are_checked_at_start() {
    const URL: &str = "STOCKAGE_CHANNELS_REDIS_URL";
    for (vars, says) in [
        (
            &[(URL, "http://127.0.0.1:6379")][..],
            "STOCKAGE_CHANNELS_REDIS_URL is not a Redis URL",
        ),
        (
            &[
                (URL, "redis://127.0.0.1:6379"),
                ("STOCKAGE_CHANNELS_GROUP", "project/{slug}"),
            ][..],
            "STOCKAGE_CHANNELS_GROUP=\"project/{slug}\" must make group names",
        ),
        (
            &[
                (URL, "redis://127.0.0.1:6379"),
                ("STOCKAGE_CHANNELS_GROUP", "everything"),
            ][..],
            "names no project",
        ),
        (
            &[
                (URL, "redis://127.0.0.1:6379"),
                ("STOCKAGE_CHANNELS_CAPACITY", "0"),
            ][..],
            "STOCKAGE_CHANNELS_CAPACITY=0 must be a positive",
        ),
    ] {
        let (ok, stderr) = token_with_all(vars);
        assert!(!ok, "{vars:?} was accepted");
        assert!(stderr.contains(says), "{vars:?}: {stderr}");
    }
    // Without the URL the bridge is off, and its other settings unread.
    let (ok, stderr) = token_with("STOCKAGE_CHANNELS_GROUP", "project/{slug}");
    assert!(ok, "{stderr}");
}
