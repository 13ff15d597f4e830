//! `stockage replay --at`: a scripted history read back at chosen moments.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Digest;
use sqlx::PgPool;

use crate::helpers::{ADMIN, cli, fixture, spawn_app};

pub async fn replay(pool: &PgPool, at: &str, extra: &[&str]) -> Value {
    let mut args = vec!["replay", "--project", "alpha", "--at", at, "--json"];
    args.extend_from_slice(extra);
    let output = cli(pool, &args).await.output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn readers(report: &Value) -> Vec<(String, String)> {
    report["who_could_read"]["readers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"].as_str().unwrap().to_owned(),
                r["because"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_state_at_five_moments_including_who_could_read(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await; // 1 created, 2 olga owner
    app.set_member("alpha", ADMIN, "vic", "viewer").await; // 3
    app.set_member("alpha", ADMIN, "eda", "editor").await; // 4
    let doc: Value = app
        .uploaded("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await; // 5
    let id = doc["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/projects/alpha/documents/{id}");
    let revised = app
        .put_content(&path, ADMIN, fixture("photo_v2.png"), None, None)
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED); // 6
    let hide = json!({"entries": [{"principal": "role:viewer", "permission": "none"}]});
    assert_eq!(
        app.call(Method::PUT, &format!("{path}/acl"), Some(ADMIN), Some(hide))
            .await
            .status(),
        StatusCode::OK
    ); // 7
    assert_eq!(
        app.call(Method::DELETE, &path, Some(ADMIN), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    ); // 8
    let back = app
        .call(
            Method::POST,
            &format!("{path}/restore-deleted"),
            Some(ADMIN),
            None,
        )
        .await; // 9
    assert_eq!(back.status(), StatusCode::OK);
    let restored = app
        .call(
            Method::POST,
            &format!("{path}/revisions/1/restore"),
            Some(ADMIN),
            None,
        )
        .await; // 10
    assert_eq!(restored.status(), StatusCode::CREATED);

    let sha = |name: &str| hex::encode(sha2::Sha256::digest(fixture(name)));
    let who = ["--who-could-read", id.as_str()];

    // 5: the first upload; everyone reads by role.
    let at5 = replay(&pool, "5", &who).await;
    assert_eq!(at5["last_position"], 5);
    assert_eq!(at5["members"].as_array().unwrap().len(), 3);
    let d = &at5["documents"][0];
    assert_eq!(
        (
            d["revision"].clone(),
            d["sha256"].as_str(),
            d["deleted"].clone()
        ),
        (json!(1), Some(sha("photo.png").as_str()), json!(false))
    );
    let r = readers(&at5);
    assert_eq!(
        r.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
        ["eda", "olga", "vic"]
    );
    assert!(r[2].1.contains("role viewer has read by default"), "{r:?}");

    // 6: the second revision, found by time as well as by position.
    let at6 = replay(&pool, "6", &[]).await;
    assert_eq!(
        (
            at6["documents"][0]["revision"].clone(),
            at6["documents"][0]["sha256"].as_str()
        ),
        (json!(2), Some(sha("photo_v2.png").as_str()))
    );
    let events: Vec<(i64, time::OffsetDateTime)> =
        sqlx::query_as("SELECT position, recorded_at FROM events ORDER BY position")
            .fetch_all(&pool)
            .await
            .unwrap();
    let time6 = events[5]
        .1
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(replay(&pool, &time6, &[]).await["last_position"], 6);

    // 7: viewers are denied; vic is no longer a reader.
    let at7 = replay(&pool, "7", &who).await;
    assert_eq!(
        at7["documents"][0]["acl"],
        json!([{"principal": "role:viewer", "permission": "none"}])
    );
    assert_eq!(
        readers(&at7)
            .iter()
            .map(|(u, _)| u.as_str())
            .collect::<Vec<_>>(),
        ["eda", "olga"]
    );

    // 8: deleted.
    assert_eq!(
        replay(&pool, "8", &[]).await["documents"][0]["deleted"],
        true
    );

    // 10: back, and at revision 3 with revision 1's content.
    let at10 = replay(&pool, "10", &["--document", id.as_str()]).await;
    let d = &at10["documents"][0];
    assert_eq!(
        (
            d["revision"].clone(),
            d["sha256"].as_str(),
            d["deleted"].clone()
        ),
        (json!(3), Some(sha("photo.png").as_str()), json!(false))
    );

    // A document that did not exist yet is an error, not an empty answer.
    let early = cli(
        &pool,
        &[
            "replay",
            "--project",
            "alpha",
            "--at",
            "4",
            "--who-could-read",
            id.as_str(),
        ],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("did not exist"));
}
