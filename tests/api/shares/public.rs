//! What a link serves, to whom, and when it stops.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::{DOC_ADMIN, EDITOR, body, bytes, created, public, setup, url};
use crate::helpers::{ADMIN, assert_problem, fixture, spawn_app};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn latest_follows_new_revisions_and_a_fixed_revision_stays(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "follow").await;
    let latest = created(&app, &doc, EDITOR, body()).await;
    let first = created(&app, &doc, EDITOR, json!({"revision": 1})).await;
    assert_eq!(first["revision"], 1);
    assert_eq!(bytes(&app, &url(&latest), None).await, fixture("photo.png"));

    let put = app
        .put_content(&doc, EDITOR, fixture("photo_v2.png"), None, None)
        .await;
    assert_eq!(put.status(), StatusCode::CREATED);
    assert_eq!(
        bytes(&app, &url(&latest), None).await,
        fixture("photo_v2.png")
    );
    assert_eq!(bytes(&app, &url(&first), None).await, fixture("photo.png"));

    let about: Value = public(&app, &url(&latest), "", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(about["revision"], 2);
    assert_eq!(about["filename"], "plan.png");
    assert_eq!(about["size"], fixture("photo_v2.png").len());
    assert_eq!(about["password_required"], false);

    // Range and ETag, as on the members' download.
    let response = app
        .client
        .get(format!("{}{}/content", app.address, url(&first)))
        .header("Range", "bytes=1-3")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(response.bytes().await.unwrap(), fixture("photo.png")[1..4]);
    let again = app
        .client
        .get(format!("{}{}/content", app.address, url(&first)))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let downloads: Vec<(Value,)> = sqlx::query_as(
        "SELECT payload FROM events WHERE event_type = 'ShareDownloaded' ORDER BY position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let revisions: Vec<&Value> = downloads.iter().map(|(p,)| &p["revision"]).collect();
    assert_eq!(
        revisions,
        [&json!(1), &json!(2), &json!(1)],
        "a middle range or a 304 is no download"
    );
    assert_eq!(downloads[0].0["client"], "127.0.0.0/24");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn passwords_are_checked_and_guessing_is_limited(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "secret").await;
    let share = created(&app, &doc, EDITOR, json!({"password": "hunter2!"})).await;
    let link = url(&share);

    let locked: Value = public(&app, &link, "", None).await.json().await.unwrap();
    assert_eq!(locked["password_required"], true);
    assert_eq!(
        locked["title"],
        Value::Null,
        "nothing about the file before the password"
    );
    assert_problem(
        public(&app, &link, "/content", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(
        public(&app, &link, "/content", Some("hunter3")).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        bytes(&app, &link, Some("hunter2!")).await,
        fixture("photo.png")
    );
    let open: Value = public(&app, &link, "", Some("hunter2!"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["title"], "plan");

    // One wrong guess so far; nine more fill the minute's allowance.
    for _ in 0..9 {
        assert_eq!(
            public(&app, &link, "/content", Some("guess"))
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = public(&app, &link, "/content", Some("hunter2!")).await;
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;

    let other = created(&app, &doc, EDITOR, json!({"password": "hunter2!"})).await;
    assert_eq!(
        bytes(&app, &url(&other), Some("hunter2!")).await,
        fixture("photo.png"),
        "per link"
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn download_limits_and_expiry(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "limits").await;
    let twice = created(&app, &doc, EDITOR, json!({"max_downloads": 2})).await;
    for _ in 0..2 {
        bytes(&app, &url(&twice), None).await;
    }
    let detail = assert_problem(
        public(&app, &url(&twice), "/content", None).await,
        StatusCode::GONE,
    )
    .await;
    assert!(detail.contains("download limit"), "{detail}");
    let listed: Value = app
        .get(&format!("{doc}/shares"), EDITOR)
        .await
        .json()
        .await
        .unwrap();
    let row = &listed["items"].as_array().unwrap()[0];
    assert_eq!(row["id"], twice["id"]);
    assert_eq!(
        (row["downloads"].clone(), row["status"].clone()),
        (json!(2), json!("exhausted"))
    );

    // Racing requests: exactly the limit gets the file.
    let thrice = url(&created(&app, &doc, EDITOR, json!({"max_downloads": 3})).await);
    let racing = (0..12).map(|_| public(&app, &thrice, "/content", None));
    let statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 410].contains(s)),
        "{statuses:?}"
    );

    let brief = created(&app, &doc, EDITOR, json!({"expires_in": "1s"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_problem(
        public(&app, &url(&brief), "/content", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn unknown_revoked_and_expired_links_look_the_same(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "same").await;
    let revoked = created(&app, &doc, EDITOR, body()).await;
    let path = format!("{doc}/shares/{}", revoked["id"].as_str().unwrap());
    app.call(Method::DELETE, &path, Some(EDITOR), None).await;
    let expired = created(&app, &doc, EDITOR, json!({"expires_in": 1})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let unknown = format!("/s/{}", "A".repeat(43));
    let mut bodies = Vec::new();
    for link in [url(&revoked), url(&expired), unknown, "/s/short".into()] {
        for suffix in ["", "/content"] {
            let response = public(&app, &link, suffix, Some("any")).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{link}{suffix}");
            bodies.push(response.bytes().await.unwrap());
        }
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn deleting_the_document_or_removing_the_creator_stops_the_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc = setup(&app, "stops").await;
    let share = created(&app, &doc, EDITOR, body()).await;
    let by_admin = created(&app, &doc, DOC_ADMIN, body()).await;

    assert_eq!(
        app.call(Method::DELETE, &doc, Some(EDITOR), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        public(&app, &url(&share), "/content", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let restore = app
        .call(
            Method::POST,
            &format!("{doc}/restore-deleted"),
            Some(EDITOR),
            None,
        )
        .await;
    assert_eq!(restore.status(), StatusCode::OK);
    assert_eq!(bytes(&app, &url(&share), None).await, fixture("photo.png"));

    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/v1/projects/stops/members/{EDITOR}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_problem(
        public(&app, &url(&share), "/content", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        bytes(&app, &url(&by_admin), None).await,
        fixture("photo.png"),
        "others' links go on"
    );

    // An ACL that hides the document from the link's creator stops it too.
    // (Project admins keep admin on every document, decision 0048: the
    // creator here is an editor again.)
    let added = app.set_member("stops", ADMIN, EDITOR, "editor").await;
    assert!(added.status().is_success());
    let by_editor = created(&app, &doc, EDITOR, body()).await;
    assert_eq!(
        bytes(&app, &url(&by_editor), None).await,
        fixture("photo.png")
    );
    let acl = json!({"entries": [{"principal": format!("user:{EDITOR}"), "permission": "none"}]});
    let put = app
        .call(Method::PUT, &format!("{doc}/acl"), Some(ADMIN), Some(acl))
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert_problem(
        public(&app, &url(&by_editor), "/content", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
