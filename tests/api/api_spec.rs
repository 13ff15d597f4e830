//! The served OpenAPI document, checked by tools this project did not
//! write: `openapi-spec-validator` (is it valid OpenAPI 3.1?) and
//! schemathesis (does every operation answer as documented, whatever it
//! is sent?), both from tests/python/requirements.txt.
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use stockage_events::UserId;

use crate::helpers::{ADMIN, TestApp, fixture, spawn_app};

/// A program installed beside the tests' Python interpreter.
fn python_tool(name: &str) -> PathBuf {
    let python = std::env::var("STOCKAGE_TEST_PYTHON").expect(
        "STOCKAGE_TEST_PYTHON is not set: run the tests with scripts/test, \
         or eval \"$(scripts/python-env)\" first",
    );
    PathBuf::from(python).with_file_name(name)
}

fn report(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn spec_file(app: &TestApp, dir: &std::path::Path) -> PathBuf {
    // Served without a token, as a client fetching the contract would.
    let response = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let path = dir.join("openapi.json");
    std::fs::write(&path, response.bytes().await.unwrap()).unwrap();
    path
}

/// The id of a tus upload begun and not finished, by the caller.
async fn unfinished_upload(app: &TestApp, token: &str) -> String {
    use base64::Engine as _;
    let encode = |value: &str| base64::engine::general_purpose::STANDARD.encode(value);
    let created = app
        .client
        .post(format!("{}/api/v1/uploads", app.address))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .header(
            "Upload-Metadata",
            format!(
                "project {},filename {}",
                encode("bridge"),
                encode("plan.pdf")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap();
    location.rsplit('/').next().unwrap().to_owned()
}

/// The id of a personal access token of the caller.
async fn personal_token(app: &TestApp, token: &str) -> String {
    let created = app
        .client
        .post(format!("{}/api/v1/tokens", app.address))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "fuzzed", "scope": "read"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_served_document_is_valid_openapi_3_1(pool: PgPool) {
    let app = spawn_app(pool).await;
    let dir = crate::cluster::temp_dir("openapi");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = spec_file(&app, &dir).await;
    let document: Value = serde_json::from_slice(&std::fs::read(&spec).unwrap()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let output = tokio::process::Command::new(python_tool("openapi-spec-validator"))
        .arg("--validation-errors")
        .arg("all")
        .arg(&spec)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", report(&output));
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn schemathesis_finds_every_operation_answering_as_documented(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Real resources for the path parameters, so that operations are
    // reached past their 404s: a project and a document in it.
    app.create_project("bridge").await;
    let document = app
        .uploaded("bridge", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    let token = app.keys.issue(
        &UserId::parse(ADMIN).unwrap(),
        None,
        true,
        Duration::from_secs(3600),
    );
    let upload = unfinished_upload(&app, &token).await;
    let personal = personal_token(&app, &token).await;
    let dir = crate::cluster::temp_dir("schemathesis");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "[parameters]\n\"path.slug\" = \"bridge\"\n\"path.id\" = \"{document}\"\n\n\
             [[operations]]\ninclude-path-regex = \"^/api/v1/uploads/\"\n\
             parameters = {{ \"path.id\" = \"{upload}\" }}\n\n\
             [[operations]]\ninclude-path-regex = \"^/api/v1/tokens/\"\n\
             parameters = {{ \"path.id\" = \"{personal}\" }}\n",
            document = document["id"].as_str().unwrap()
        ),
    )
    .unwrap();
    let output = tokio::process::Command::new(python_tool("schemathesis"))
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", app.address))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        // One worker: with two, CPython 3.11's parser, called from both
        // threads by hypothesis, failed once with "AST constructor recursion
        // depth mismatch" (a tool error, not an answer of ours).
        .args(["--max-time", "150", "--workers", "1", "--seed", "20261201"])
        .args(["--report-dir"])
        .arg(dir.join("report"))
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        // Registers tus's `application/offset+octet-stream` as raw bytes.
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env(
            "PYTHONPATH",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python"),
        )
        .output()
        .await
        .unwrap();
    let report = report(&output);
    assert!(output.status.success(), "{report}");
    // The summary goes to the test's log (shown with --no-capture).
    let summary = report
        .find("SUMMARY")
        .map_or(report.as_str(), |at| &report[at..]);
    eprintln!("{summary}");
    // A run that reached nothing would also exit 0: every operation of the
    // document was tested (schemathesis leaves OPTIONS out).
    let spec = spec_file(&app, &dir).await;
    let spec: Value = serde_json::from_slice(&std::fs::read(spec).unwrap()).unwrap();
    let operations: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| *m != "options")
                .count()
        })
        .sum();
    assert!(
        summary.contains(&format!("Tested: {operations}")),
        "{operations} operations: {summary}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
