use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, fixture, spawn_app};

pub(crate) async fn new_document(app: &TestApp, file: &str) -> String {
    app.create_project("alpha").await;
    let doc: Value = app.uploaded("alpha", ADMIN, file, fixture(file)).await;
    format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    )
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn revisions_are_numbered_listed_downloadable_and_labelled(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = new_document(&app, "blueprint.pdf").await;

    let second = app
        .put_content(
            &doc,
            ADMIN,
            fixture("blueprint_v2.pdf"),
            Some("blueprint_v2.pdf"),
            Some("\"1\""),
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["etag"], "\"2\"");
    let second: Value = second.json().await.unwrap();
    assert_eq!(
        (second["revision"].as_i64(), second["filename"].as_str()),
        (Some(2), Some("blueprint_v2.pdf"))
    );
    assert_eq!(second["sha256"], sha(&fixture("blueprint_v2.pdf")));

    // Without X-Filename the document keeps its file name; without If-Match
    // the write is accepted.
    let third: Value = app
        .put_content(&doc, ADMIN, fixture("blueprint.pdf"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (third["revision"].as_i64(), third["filename"].as_str()),
        (Some(3), Some("blueprint_v2.pdf"))
    );

    let latest: Value = app.get(&doc, ADMIN).await.json().await.unwrap();
    assert_eq!(
        (latest["revision"].as_i64(), latest["sha256"].as_str()),
        (Some(3), Some(sha(&fixture("blueprint.pdf")).as_str()))
    );

    let labelled = app
        .call(
            Method::PATCH,
            &format!("{doc}/revisions/2"),
            Some(ADMIN),
            Some(json!({"label": " Issued for construction "})),
        )
        .await;
    assert_eq!(labelled.status(), StatusCode::OK);
    assert_eq!(
        labelled.json::<Value>().await.unwrap()["label"],
        "Issued for construction"
    );

    let list: Value = app
        .get(&format!("{doc}/revisions"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    let numbers: Vec<i64> = items
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(items[1]["label"], "Issued for construction");
    assert!(
        items
            .iter()
            .all(|r| r["added_by"] == ADMIN && r["restored_from"].is_null())
    );

    for (n, file) in [
        (1, "blueprint.pdf"),
        (2, "blueprint_v2.pdf"),
        (3, "blueprint.pdf"),
    ] {
        let response = app
            .get(&format!("{doc}/revisions/{n}/content"), ADMIN)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["etag"],
            format!("\"{}\"", sha(&fixture(file)))
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            fixture(file),
            "revision {n}"
        );
    }
    let ranged = app
        .client
        .get(format!("{}{doc}/revisions/2/content", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .header("Range", "bytes=0-4")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), b"%PDF-");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn racing_writers_get_one_winner_or_a_gapless_sequence(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = new_document(&app, "part_ascii.stl").await;
    let app = std::sync::Arc::new(app);

    // 20 writers that all saw revision 1: one wins, 19 learn it is stale.
    let racers: Vec<_> = (0..20)
        .map(|n| {
            let (app, doc) = (app.clone(), doc.clone());
            tokio::spawn(async move {
                let body =
                    format!("solid racer{n}\nfacet normal 0 0 1\nendsolid racer{n}\n").into_bytes();
                app.put_content(&doc, ADMIN, body, None, Some("\"1\""))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        let response = racer.await.unwrap();
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::PRECONDITION_FAILED => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["current_revision"], 2);
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);

    // 20 unconditional writers: all succeed, numbered without gaps.
    let writers: Vec<_> = (0..20)
        .map(|n| {
            let (app, doc) = (app.clone(), doc.clone());
            tokio::spawn(async move {
                let body = format!("solid writer{n}\nfacet normal 0 0 1\nendsolid writer{n}\n")
                    .into_bytes();
                let response = app.put_content(&doc, ADMIN, body, None, None).await;
                assert_eq!(response.status(), StatusCode::CREATED);
                response.json::<Value>().await.unwrap()["revision"]
                    .as_i64()
                    .unwrap()
            })
        })
        .collect();
    let mut numbers = BTreeSet::new();
    for writer in writers {
        numbers.insert(writer.await.unwrap());
    }
    assert_eq!(numbers, (3..=22).collect());
    let list: Value = app
        .get(&format!("{doc}/revisions"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, (1..=22).collect::<Vec<_>>());
    for item in list["items"].as_array().unwrap() {
        let n = item["revision"].as_i64().unwrap();
        let body = app
            .get(&format!("{doc}/revisions/{n}/content"), ADMIN)
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            sha(&body),
            item["sha256"].as_str().unwrap(),
            "revision {n}'s blob"
        );
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn restore_makes_a_new_revision_from_the_same_blob(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = new_document(&app, "photo.png").await;
    app.put_content(
        &doc,
        ADMIN,
        fixture("photo_v2.png"),
        Some("photo_v2.png"),
        None,
    )
    .await;
    let blobs_before = app.blob_counts().await;

    let restored = app
        .call(
            Method::POST,
            &format!("{doc}/revisions/1/restore"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(restored.status(), StatusCode::CREATED);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored["revision"], 3);
    assert_eq!(restored["restored_from"], 1);
    assert_eq!(restored["sha256"], sha(&fixture("photo.png")));
    assert_eq!(restored["filename"], "photo.png");
    assert_eq!(
        app.blob_counts().await,
        blobs_before,
        "no new blob for a restore"
    );

    let current = app
        .get(&format!("{doc}/content"), ADMIN)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(current, fixture("photo.png"));
    let list: Value = app
        .get(&format!("{doc}/revisions"), ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][2]["restored_from"], 1);
    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE event_type LIKE 'Revision%' ORDER BY position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(types, ["RevisionAdded", "RevisionRestored"]);
}
