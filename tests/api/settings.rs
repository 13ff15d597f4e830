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

fn stockage(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stockage"));
    command.args(args).env_remove("STOCKAGE_JWT_SECRET");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn token_never_signs_with_a_secret_no_server_has() {
    let dir = std::env::temp_dir().join(format!("stockage-cli-{}", uuid::Uuid::new_v4()));
    let data = dir.to_str().unwrap();
    let args = ["token", "--user", "alice"];
    let (ok, stdout, stderr) = stockage(&args, &[("STOCKAGE_DATA_DIR", data)]);
    assert!(!ok && stdout.is_empty(), "a token was minted: {stdout}");
    assert!(stderr.contains("jwt-secret does not exist"), "{stderr}");
    assert!(!dir.join("jwt-secret").exists(), "token generated a secret");

    // Once a server's secret is there, token uses it and says so.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwt-secret"), "s".repeat(64)).unwrap();
    let (ok, stdout, stderr) = stockage(&args, &[("STOCKAGE_DATA_DIR", data)]);
    assert!(ok && stdout.trim().split('.').count() == 3, "{stderr}");
    assert!(
        stderr.contains(&format!("the file {data}/jwt-secret")),
        "{stderr}"
    );
    let (ok, _, stderr) = stockage(
        &args,
        &[("STOCKAGE_DATA_DIR", data), ("STOCKAGE_JWT_SECRET", SECRET)],
    );
    assert!(
        ok && stderr.contains("from STOCKAGE_JWT_SECRET"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_secret_under_32_bytes_stops_the_server_at_start() {
    let dir = std::env::temp_dir().join(format!("stockage-cli-{}", uuid::Uuid::new_v4()));
    let (ok, _, stderr) = stockage(
        &["serve"],
        &[
            ("STOCKAGE_JWT_SECRET", "only-20-bytes-secret"),
            ("STOCKAGE_DATA_DIR", dir.to_str().unwrap()),
            ("STOCKAGE_BIND", "127.0.0.1:0"),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("20 bytes; at least 32"), "{stderr}");
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
