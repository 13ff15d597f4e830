//! Commands decided on the state a node kept, and appends written on the
//! head a writer believes: what another node writes in between is found
//! and decided again, never written over or refused on a stale state.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::domain::document::{Actor, Document, DocumentCommand};
use stockage_events::{
    Event, EventMeta, GENESIS_HASH, NewEvent, Permission, Role, UserId, verify_chain,
};
use stockage_store::command::{CommandError, Executed};
use stockage_store::{Append, EventStore, Expected};
use uuid::Uuid;

use crate::helpers::{ADMIN, TestApp, fixture, spawn_app};
use crate::locks::lock;

fn append(stream_id: Uuid, expected: Expected, n: usize) -> Append {
    Append {
        stream_id,
        project_id: stream_id,
        expected,
        events: vec![NewEvent::new(Event::MemberAdded {
            user_id: UserId::parse(&format!("user{n}")).unwrap(),
            role: Role::Viewer,
        })],
        meta: EventMeta {
            actor: UserId::parse("tester").unwrap(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        },
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn two_writers_on_one_database_take_turns_on_one_gapless_chain(pool: PgPool) {
    // Each writer believes the head is the one it last wrote; every turn
    // proves the other one wrong.
    let (one, two) = (
        EventStore::start(pool.clone(), vec![]),
        EventStore::start(pool.clone(), vec![]),
    );
    let shared = Uuid::now_v7();
    for n in 0..40 {
        let store = if n % 2 == 0 { &one } else { &two };
        store
            .append(append(Uuid::now_v7(), Expected::Any, n))
            .await
            .unwrap();
        // Any-version appends to one stream from both: each writer's
        // memory of its version is behind half of the time.
        store
            .append(append(shared, Expected::Any, n))
            .await
            .unwrap();
    }
    let log = one.read_after(0, i64::MAX).await.unwrap();
    let positions: Vec<i64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=80).collect::<Vec<_>>());
    let versions: Vec<i64> = log
        .iter()
        .filter(|e| e.stream_id == shared)
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(versions, (1..=40).collect::<Vec<_>>());
    verify_chain(GENESIS_HASH, 1, &log).unwrap();
}

async fn run(
    store: &EventStore,
    row: (Uuid, Uuid),
    command: DocumentCommand,
) -> Result<Executed<Document>, CommandError<stockage::domain::DomainError>> {
    let user = UserId::parse(ADMIN).unwrap();
    let actor = Actor {
        user: user.clone(),
        permission: Permission::Admin,
        now: time::OffsetDateTime::now_utc(),
    };
    let meta = EventMeta {
        actor: user,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    };
    stockage_store::command::run::<Document>(store, row.0, row.1, (actor, command), meta).await
}

fn retitle(title: &str) -> DocumentCommand {
    DocumentCommand::ChangeMetadata {
        title: Some(title.into()),
        tags: None,
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_command_decided_on_a_state_another_node_changed_is_decided_again(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await;
    app.upload("alpha", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await;
    let row: (Uuid, Uuid) = sqlx::query_as("SELECT id, project_id FROM project_resources")
        .fetch_one(&pool)
        .await
        .unwrap();
    let projectors = stockage_projections::inline_projectors;
    let (a, b) = (
        EventStore::start(pool.clone(), projectors()),
        EventStore::start(pool.clone(), projectors()),
    );
    run(&a, row, retitle("by a")).await.unwrap();

    // Deleted on b: a's kept state says live, its append conflicts, and
    // the command is refused on the state it reads then.
    run(&b, row, DocumentCommand::Delete).await.unwrap();
    let refused = run(&a, row, retitle("again")).await;
    assert!(
        matches!(refused, Err(CommandError::Refused(_))),
        "{refused:?}"
    );

    // Restored on b: a's kept state says deleted, which refuses; the
    // refusal is checked against the log before it is believed.
    run(&b, row, DocumentCommand::Undelete).await.unwrap();
    let done = run(&a, row, retitle("after restore")).await.unwrap();
    assert_eq!(done.events.len(), 1);
    assert_eq!(done.state.title, "after restore");

    // Retitled on b: a's kept state makes the same title a no-op, which
    // is checked the same way.
    run(&b, row, retitle("by b")).await.unwrap();
    let done = run(&a, row, retitle("after restore")).await.unwrap();
    assert_eq!(done.events.len(), 1, "not a no-op: b had changed it");
    let title: String = sqlx::query_scalar("SELECT title FROM project_resources")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(title, "after restore");
    let log = a.read_after(0, i64::MAX).await.unwrap();
    verify_chain(GENESIS_HASH, 1, &log).unwrap();
}

async fn patch(app: &TestApp, doc: &str, body: Value) -> Value {
    let response = app.call(Method::PATCH, doc, Some(ADMIN), Some(body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_patch_answers_what_a_get_reads_right_after(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_project("alpha").await;
    let doc: Value = app
        .upload("alpha", ADMIN, "blueprint.pdf", fixture("blueprint.pdf"))
        .await
        .json()
        .await
        .unwrap();
    let doc = format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    );
    // The indexing state is the indexer's, which may move in between.
    let without_index = |mut view: Value| {
        for key in ["index_status", "index_reason", "keywords"] {
            view.as_object_mut().unwrap().remove(key);
        }
        view
    };
    let same_as_get = |answer: Value| {
        let (app, doc) = (&app, &doc);
        async move {
            let read: Value = app.get(doc, ADMIN).await.json().await.unwrap();
            assert_eq!(without_index(answer), without_index(read));
        }
    };
    same_as_get(patch(&app, &doc, json!({"title": "One", "tags": ["a", "b"]})).await).await;
    let locked = lock(&app, &doc, ADMIN, json!({"note": "mine"})).await;
    assert_eq!(locked.status(), StatusCode::CREATED);
    same_as_get(patch(&app, &doc, json!({"tags": ["c"]})).await).await;
    let revised = app
        .put_content(&doc, ADMIN, fixture("blueprint_v2.pdf"), None, None)
        .await;
    assert!(revised.status().is_success(), "{}", revised.status());
    same_as_get(patch(&app, &doc, json!({"title": "Two"})).await).await;

    // Another node retitles: this node's kept state is behind, the command
    // is decided again, and the answer shows both changes.
    let row: (Uuid, Uuid) = sqlx::query_as("SELECT id, project_id FROM project_resources")
        .fetch_one(&pool)
        .await
        .unwrap();
    let other = EventStore::start(pool.clone(), stockage_projections::inline_projectors());
    run(&other, row, retitle("From the other node"))
        .await
        .unwrap();
    let answer = patch(&app, &doc, json!({"tags": ["d"]})).await;
    assert_eq!(answer["title"], "From the other node");
    assert_eq!(answer["tags"], json!(["d"]));
    same_as_get(answer).await;
    // A PATCH that changes nothing answers the document as it is.
    same_as_get(patch(&app, &doc, json!({"tags": ["d"]})).await).await;
}
