//! Keep-N and keep-days purge exactly the expected revisions, never the
//! latest or labelled ones; the trash rule purges whole documents; the
//! dry run is what applying does.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::{Node, content_status, count, document, label, plan_at, purged_revisions, set_policy};
use crate::helpers::{ADMIN, assert_problem, cli};

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn keep_n_purges_old_revisions_but_never_the_latest_or_labelled(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("keep").await;
    let path = document(&app, "keep", "bracket", 5).await;
    let other = document(&app, "keep", "hinge", 2).await;
    label(&app, &path, 2, "Issued for construction").await;
    let (blobs_before, _) = app.blob_counts().await;

    // No policy: nothing is planned.
    assert_eq!(plan_at(&app, 0).await.revisions, vec![]);
    set_policy(&app, "keep", json!({"keep_revisions": 2})).await;
    let plan = plan_at(&app, 0).await;
    let planned: Vec<(String, i32)> = plan
        .revisions
        .iter()
        .map(|r| (r.document.to_string(), r.revision))
        .collect();
    let id = path.rsplit('/').next().unwrap().to_owned();
    // Revisions 4 and 5 are the last two; 2 is labelled.
    assert_eq!(planned, vec![(id.clone(), 1), (id.clone(), 3)]);
    assert_eq!(
        plan.bytes,
        plan.revisions.iter().map(|r| r.size).sum::<i64>()
    );
    assert_eq!(
        plan.bytes_freed, plan.bytes,
        "the two blobs are referenced nowhere else"
    );

    let applied = Node::new(&app).apply(0).await;
    assert_eq!(applied.plan, plan);
    assert_eq!(applied.swept.blobs_removed, 2);
    assert_eq!(app.blob_counts().await.0, blobs_before - 2);
    assert_eq!(purged_revisions(&app, &path).await, vec![1, 3]);
    assert_eq!(purged_revisions(&app, &other).await, Vec::<u64>::new());
    for (n, status) in [(1, 410), (2, 200), (3, 410), (4, 200), (5, 200)] {
        assert_eq!(
            content_status(&app, &path, n).await.as_u16(),
            status,
            "revision {n}"
        );
    }
    let gone = app.get(&format!("{path}/revisions/1/content"), ADMIN).await;
    let detail = assert_problem(gone, StatusCode::GONE).await;
    assert!(
        detail.contains("purged") && detail.contains("keeps only the last 2 revisions"),
        "{detail}"
    );
    assert_eq!(count(&pool, "RevisionPurged").await, 2);
    // A second pass finds nothing more to do and records nothing.
    assert_eq!(Node::new(&app).apply(0).await.plan, Default::default());
    assert_eq!(count(&pool, "RevisionPurged").await, 2);
    // The diff of a purged revision is gone too; labelling it still works.
    let diff = app.get(&format!("{path}/diff?from=1&to=5"), ADMIN).await;
    assert_problem(diff, StatusCode::GONE).await;
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn keep_days_purges_what_is_older_and_keep_n_keeps_it_too(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("days").await;
    let path = document(&app, "days", "plate", 4).await;
    set_policy(&app, "days", json!({"keep_days": 30})).await;
    // Ten days from now every revision is younger than 30 days.
    assert_eq!(plan_at(&app, 10).await, Default::default());
    // Forty days from now all but the latest are older.
    let revisions: Vec<i32> = plan_at(&app, 40)
        .await
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(revisions, vec![1, 2, 3]);
    // With keep_revisions as well, a revision either rule keeps stays.
    set_policy(&app, "days", json!({"keep_days": 30, "keep_revisions": 3})).await;
    let revisions: Vec<i32> = plan_at(&app, 40)
        .await
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(revisions, vec![1]);
    let applied = Node::new(&app).apply(40).await;
    assert_eq!(applied.plan.revisions.len(), 1);
    assert_eq!(purged_revisions(&app, &path).await, vec![1]);
    let event: Value =
        sqlx::query_scalar("SELECT payload FROM events WHERE event_type = 'RevisionPurged'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        event,
        json!({"revision": 1, "rule": {"kind": "retention", "keep_revisions": 3, "keep_days": 30}})
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_trash_lists_and_its_rule_purges_whole_documents(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("bin").await;
    app.set_member("bin", ADMIN, "vic", "viewer").await;
    app.set_member("bin", ADMIN, "eve", "editor").await;
    let kept = document(&app, "bin", "kept", 1).await;
    let binned = document(&app, "bin", "binned", 3).await;
    app.call(Method::DELETE, &binned, Some(ADMIN), None).await;
    let trash = |user: &'static str| {
        let app = &app;
        async move { app.get("/api/v1/projects/bin/trash", user).await }
    };
    assert_problem(trash("vic").await, StatusCode::FORBIDDEN).await;
    assert_problem(trash("mallory").await, StatusCode::NOT_FOUND).await;
    let listed: Value = trash("eve").await.json().await.unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"].as_str(), binned.rsplit('/').next());
    assert_eq!(items[0]["deleted_by"], ADMIN);
    assert!(items[0]["purge_after"].is_null(), "no trash rule yet");

    set_policy(&app, "bin", json!({"trash_days": 7})).await;
    let listed: Value = trash("eve").await.json().await.unwrap();
    assert!(listed["items"][0]["purge_after"].is_string());
    assert_eq!(plan_at(&app, 6).await, Default::default());
    let plan = plan_at(&app, 8).await;
    assert_eq!(plan.documents.len(), 1);
    assert_eq!(plan.documents[0].revisions, 3);
    assert!(plan.revisions.is_empty());

    // The dry run through the command line is exactly what applying does.
    let at = super::later(8)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let dir = app.blobs.local_dir().unwrap().parent().unwrap().to_owned();
    let run = |extra: Option<&'static str>| {
        let (pool, at, dir) = (pool.clone(), at.clone(), dir.clone());
        async move {
            let mut args = vec!["retention", "apply", "--json", "--at", at.as_str()];
            args.extend(extra);
            let out = cli(&pool, &args)
                .await
                .env("STOCKAGE_DATA_DIR", &dir)
                .env("STOCKAGE_BLOB_GRACE", "1s")
                .output()
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        }
    };
    let dry = run(Some("--dry-run")).await;
    assert_eq!(dry["documents"].as_array().unwrap().len(), 1);
    assert_eq!(
        count(&pool, "DocumentPurged").await,
        0,
        "a dry run records nothing"
    );
    let applied = run(None).await;
    assert_eq!(applied["plan"], dry);
    assert_eq!(count(&pool, "DocumentPurged").await, 1);

    let listed: Value = trash("eve").await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]));
    let gone = app.get(&binned, ADMIN).await;
    let detail = assert_problem(gone, StatusCode::GONE).await;
    assert!(
        detail.contains("in the trash for more than 7 days"),
        "{detail}"
    );
    let restore = app
        .call(
            Method::POST,
            &format!("{binned}/restore-deleted"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_problem(restore, StatusCode::GONE).await;
    assert_eq!(content_status(&app, &kept, 1).await, StatusCode::OK);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn released_revisions_are_kept_whatever_the_rule(pool: PgPool) {
    let app = super::spawn_without_grace(pool.clone()).await;
    app.create_project("rel").await;
    app.set_member("rel", ADMIN, "ada", "admin").await;
    let path = document(&app, "rel", "drawing", 2).await;
    let state = |user: &'static str, to: &'static str| {
        let (app, path) = (&app, path.clone());
        async move {
            let response = app
                .call(
                    Method::POST,
                    &format!("{path}/state"),
                    Some(user),
                    Some(json!({ "to": to })),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{to}");
        }
    };
    state(ADMIN, "in_review").await;
    state("ada", "released").await; // freezes revision 2 as release A
    state(ADMIN, "wip").await; // revise
    for i in 3..=5 {
        let put = app
            .put_content(
                &path,
                ADMIN,
                super::stl(&format!("drawing-{i}")),
                None,
                None,
            )
            .await;
        assert_eq!(put.status(), StatusCode::CREATED);
    }
    set_policy(&app, "rel", json!({"keep_revisions": 1, "keep_days": 1})).await;
    let planned: Vec<i32> = plan_at(&app, 5)
        .await
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(planned, vec![1, 3, 4], "2 is released, 5 the latest");
    Node::new(&app).apply(5).await;
    assert_eq!(purged_revisions(&app, &path).await, vec![1, 3, 4]);
    assert_eq!(content_status(&app, &path, 2).await, StatusCode::OK);
    // Asked directly, the document refuses to purge its released revision.
    let (project, id): (uuid::Uuid, uuid::Uuid) =
        sqlx::query_as("SELECT project_id, id FROM project_resources WHERE id = $1::uuid")
            .bind(path.rsplit('/').next().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    let node = Node::new(&app);
    let meta = stockage_events::EventMeta {
        actor: stockage_events::UserId::parse("ada").unwrap(),
        correlation_id: uuid::Uuid::now_v7(),
        causation_id: None,
    };
    let refused = node
        .purger()
        .revisions(
            project,
            id,
            vec![2],
            stockage_events::PurgeRule::Manual,
            meta,
        )
        .await;
    let Err(stockage::error::Error::Conflict(why)) = refused else {
        panic!("{refused:?}")
    };
    assert!(why.contains("released"), "{why}");
}
