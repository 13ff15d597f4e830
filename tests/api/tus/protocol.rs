//! The protocol: discovery, creation, offsets, checksums, termination,
//! expiry and ownership.
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

use super::{header, pdf, sha256_hex};
use crate::helpers::{ADMIN, Backend, assert_problem, spawn_app, spawn_app_at};

const MIB: usize = 1024 * 1024;

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("stockage-tus-{}", uuid::Uuid::new_v4()))
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn options_announce_the_protocol_without_a_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .client
        .request(Method::OPTIONS, format!("{}/api/v1/uploads", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "Tus-Version").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&response, "Tus-Max-Size").as_deref(),
        Some("150000000")
    );
    let extensions = header(&response, "Tus-Extension").unwrap();
    for extension in [
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(
            extensions.split(',').any(|e| e == extension),
            "{extensions}"
        );
    }
    assert!(
        header(&response, "Tus-Checksum-Algorithm")
            .unwrap()
            .contains("sha256")
    );

    let old = app
        .client
        .post(format!("{}/api/v1/uploads", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&old, "Tus-Version").as_deref(), Some("1.0.0"));
    assert_problem(old, StatusCode::PRECONDITION_FAILED).await;
}

async fn chunks_become_a_document_with_its_events(pool: PgPool, backend: Backend) {
    let data_dir = temp_dir();
    let app = spawn_app_at(pool, backend, &data_dir).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    // Two whole 5 MiB parts and a tail: every path of the S3 backend.
    let bytes = pdf(12 * MIB + 321, 1);
    let path = app
        .tus_start(
            ADMIN,
            bytes.len() as u64,
            &[
                ("project", "alpha"),
                ("filename", "deck.pdf"),
                ("tags", "deck,steel"),
            ],
        )
        .await;
    assert_eq!(app.tus_offset(ADMIN, &path).await, 0);
    let last = app.tus_send_all(ADMIN, &path, &bytes, 3 * MIB + 7).await;
    assert_eq!(last.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&last, "Upload-Offset"),
        Some(bytes.len().to_string())
    );
    assert_eq!(header(&last, "Stockage-Revision").as_deref(), Some("1"));
    let id = header(&last, "Stockage-Document").expect("the document");

    let doc: Value = app
        .get(&format!("/api/v1/projects/alpha/documents/{id}"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["sha256"], sha256_hex(&bytes));
    assert_eq!(doc["size"], bytes.len() as u64);
    assert_eq!(doc["title"], "deck");
    assert_eq!(doc["tags"], serde_json::json!(["deck", "steel"]));
    let content = app
        .get(
            &format!("/api/v1/projects/alpha/documents/{id}/content"),
            ADMIN,
        )
        .await;
    assert_eq!(content.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(app.event_count().await, before + 1, "one document.added");

    let status: Value = app.get(&path, ADMIN).await.json().await.unwrap();
    assert_eq!(status["document_id"], id.as_str());
    assert_eq!(status["offset"], bytes.len() as u64);
    // A client that missed the last answer asks again: same document.
    let again = app
        .tus_patch(ADMIN, &path, bytes.len() as u64, Vec::new(), None)
        .await;
    assert_eq!(header(&again, "Stockage-Document"), Some(id));
    assert_eq!(
        app.tus_files(&data_dir),
        0,
        "nothing left in the resumable area"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn chunks_become_a_document_on_the_local_backend(pool: PgPool) {
    chunks_become_a_document_with_its_events(pool, Backend::Local).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn chunks_become_a_document_on_s3(pool: PgPool) {
    chunks_become_a_document_with_its_events(pool, Backend::S3).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn creation_with_upload_and_a_new_revision_with_if_match(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let first = pdf(40_000, 2);
    let response = app
        .tus(Method::POST, "/api/v1/uploads", ADMIN)
        .header("Upload-Length", first.len().to_string())
        .header(
            "Upload-Metadata",
            super::metadata(&[
                ("project", "alpha"),
                ("filename", "a.pdf"),
                ("title", "Plan A"),
            ]),
        )
        .header("Content-Type", "application/offset+octet-stream")
        .body(first.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header(&response, "Upload-Offset"),
        Some(first.len().to_string())
    );
    let id = header(&response, "Stockage-Document").expect("created in one request");

    let second = pdf(70_000, 3);
    let pairs = [
        ("project", "alpha"),
        ("filename", "a-v2.pdf"),
        ("document", id.as_str()),
        ("if_match", "1"),
    ];
    let path = app.tus_start(ADMIN, second.len() as u64, &pairs).await;
    let done = app.tus_send_all(ADMIN, &path, &second, 50_000).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&done, "Stockage-Document"), Some(id.clone()));
    assert_eq!(header(&done, "Stockage-Revision").as_deref(), Some("2"));
    let doc: Value = app
        .get(&format!("/api/v1/projects/alpha/documents/{id}"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (doc["revision"].as_u64(), doc["sha256"].as_str()),
        (Some(2), Some(sha256_hex(&second).as_str()))
    );

    // Stale at creation: refused before a byte is sent.
    let stale = app.tus_create(ADMIN, 10, &pairs).await;
    let detail = assert_problem(stale, StatusCode::PRECONDITION_FAILED).await;
    assert!(detail.contains("revision 2"), "{detail}");

    // Stale by completion: someone else added a revision meanwhile.
    let pairs = [
        ("project", "alpha"),
        ("filename", "a.pdf"),
        ("document", id.as_str()),
        ("if_match", "2"),
    ];
    let third = pdf(30_000, 4);
    let path = app.tus_start(ADMIN, third.len() as u64, &pairs).await;
    let meanwhile = app
        .put_content(
            &format!("/api/v1/projects/alpha/documents/{id}"),
            ADMIN,
            pdf(1_000, 5),
            None,
            None,
        )
        .await;
    assert_eq!(meanwhile.status(), StatusCode::CREATED);
    let before = app.event_count().await;
    let late = app.tus_patch(ADMIN, &path, 0, third, None).await;
    assert_eq!(header(&late, "Tus-Resumable").as_deref(), Some("1.0.0"));
    assert_problem(late, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(app.event_count().await, before, "no revision");
    assert_eq!(
        app.tus_head(ADMIN, &path).await.status(),
        StatusCode::NOT_FOUND,
        "nothing left"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn checksums_offsets_and_lengths_are_enforced(pool: PgPool) {
    use base64::Engine;
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let bytes = pdf(100_000, 6);
    let path = app
        .tus_start(
            ADMIN,
            bytes.len() as u64,
            &[("project", "alpha"), ("filename", "c.pdf")],
        )
        .await;
    let first = bytes[..60_000].to_vec();
    let wrong = format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode([7u8; 32])
    );
    let mismatch = app
        .tus_patch(ADMIN, &path, 0, first.clone(), Some(&wrong))
        .await;
    assert_eq!(mismatch.status().as_u16(), 460);
    assert_eq!(
        app.tus_offset(ADMIN, &path).await,
        0,
        "the bytes were not kept"
    );
    let md5 = app
        .tus_patch(ADMIN, &path, 0, first.clone(), Some("md5 AAAA"))
        .await;
    assert_problem(md5, StatusCode::BAD_REQUEST).await;
    let right = {
        use sha2::Digest;
        format!(
            "sha256 {}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&first))
        )
    };
    let ok = app.tus_patch(ADMIN, &path, 0, first, Some(&right)).await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert!(header(&ok, "Upload-Expires").is_some_and(|e| e.ends_with("GMT")));

    let behind = app
        .tus_patch(ADMIN, &path, 10, bytes[10..].to_vec(), None)
        .await;
    let detail = assert_problem(behind, StatusCode::CONFLICT).await;
    assert!(detail.contains("60000"), "{detail}");
    let too_many = app
        .tus_patch(ADMIN, &path, 60_000, pdf(50_000, 7), None)
        .await;
    assert_problem(too_many, StatusCode::PAYLOAD_TOO_LARGE).await;

    let over_cap = app
        .tus_create(
            ADMIN,
            150_000_001,
            &[("project", "alpha"), ("filename", "big.pdf")],
        )
        .await;
    let detail = assert_problem(over_cap, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(detail.contains("150 MB"), "{detail}");
    let empty = app
        .tus_create(ADMIN, 0, &[("project", "alpha"), ("filename", "e.pdf")])
        .await;
    assert_problem(empty, StatusCode::BAD_REQUEST).await;
    let plain = app
        .tus(Method::PATCH, &path, ADMIN)
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/octet-stream")
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    assert_problem(plain, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn only_the_creator_sees_an_upload_and_rights_are_checked(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    app.set_member("alpha", ADMIN, "vera", "viewer").await;
    app.set_member("alpha", ADMIN, "eddie", "editor").await;
    let pairs = [("project", "alpha"), ("filename", "p.pdf")];
    let path = app.tus_start("eddie", 20_000, &pairs).await;
    for user in ["vera", ADMIN, "mallory"] {
        assert_eq!(
            app.tus_head(user, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{user}"
        );
        let patch = app.tus_patch(user, &path, 0, pdf(20_000, 8), None).await;
        assert_problem(patch, StatusCode::NOT_FOUND).await;
        assert_eq!(app.get(&path, user).await.status(), StatusCode::NOT_FOUND);
        let delete = app.tus(Method::DELETE, &path, user).send().await.unwrap();
        assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(app.tus_offset("eddie", &path).await, 0);
    assert_problem(
        app.tus_create("vera", 10, &pairs).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.tus_create("mallory", 10, &pairs).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let unauthenticated = app
        .client
        .head(format!("{}{path}", app.address))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}
