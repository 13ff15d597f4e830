use std::collections::BTreeSet;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use stockage_events::{
    Event, EventMeta, GENESIS_HASH, NewEvent, RecordedEvent, Role, UserId, verify_chain,
};
use stockage_store::{Append, AppendError, EventStore, Expected, NOTIFY_CHANNEL};
use uuid::Uuid;

fn member_added(n: usize) -> NewEvent {
    NewEvent::new(Event::MemberAdded {
        user_id: UserId::parse(&format!("user{n}")).unwrap(),
        role: Role::Viewer,
    })
}

fn append(stream_id: Uuid, expected: Expected, n: usize) -> Append {
    Append {
        stream_id,
        project_id: stream_id,
        expected,
        events: vec![member_added(n)],
        meta: EventMeta {
            actor: UserId::parse("tester").unwrap(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        },
    }
}

/// A store without projectors: these tests are about the log itself.
fn bare_store(pool: &PgPool) -> EventStore {
    EventStore::start(pool.clone(), vec![])
}

async fn whole_log(store: &EventStore) -> Vec<RecordedEvent> {
    store.read_after(0, i64::MAX).await.unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn fifty_racing_appends_with_one_expected_version_let_exactly_one_win(pool: PgPool) {
    let store = bare_store(&pool);
    let stream = Uuid::now_v7();
    store
        .append(append(stream, Expected::Version(0), 0))
        .await
        .unwrap();

    let racers = (1..=50).map(|n| {
        let store = store.clone();
        tokio::spawn(async move { store.append(append(stream, Expected::Version(1), n)).await })
    });
    let racers: Vec<_> = racers.collect();
    let mut won = 0;
    let mut conflicts = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppendError::Conflict {
                expected: 1,
                actual: 2,
                ..
            }) => conflicts += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!((won, conflicts), (1, 49));

    let log = whole_log(&store).await;
    let versions: Vec<i64> = log.iter().map(|e| e.stream_version).collect();
    let positions: Vec<i64> = log.iter().map(|e| e.position).collect();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(positions, vec![1, 2]);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn eight_writers_times_a_thousand_appends_leave_a_gapless_verified_chain(pool: PgPool) {
    let store = bare_store(&pool);
    let writers = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            let stream = Uuid::now_v7();
            for n in 0..1_000 {
                let expected = Expected::Version(n as i64);
                store.append(append(stream, expected, n)).await.unwrap();
            }
            stream
        })
    });
    let writers: Vec<_> = writers.collect();
    let mut streams = BTreeSet::new();
    for writer in writers {
        streams.insert(writer.await.unwrap());
    }

    let log = whole_log(&store).await;
    assert_eq!(log.len(), 8_000);
    let positions: Vec<i64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=8_000).collect::<Vec<_>>());
    assert_eq!(verify_chain(GENESIS_HASH, 1, &log), Ok(log[7_999].hash));
    for stream in streams {
        let versions: Vec<i64> = store
            .read_stream(stream)
            .await
            .unwrap()
            .iter()
            .map(|e| e.stream_version)
            .collect();
        assert_eq!(versions, (1..=1_000).collect::<Vec<_>>());
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn concurrent_appends_share_transactions(pool: PgPool) {
    let store = bare_store(&pool);
    let appends = (0..64).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(append(Uuid::now_v7(), Expected::Version(0), n))
                .await
        })
    });
    let appends: Vec<_> = appends.collect();
    for append in appends {
        append.await.unwrap().unwrap();
    }
    // Every event of one transaction carries the transaction's timestamp.
    let commits: BTreeSet<_> = whole_log(&store)
        .await
        .iter()
        .map(|e| e.recorded_at)
        .collect();
    assert!(
        commits.len() < 32,
        "64 appends took {} commits",
        commits.len()
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn any_version_appends_and_multi_event_appends_stay_ordered(pool: PgPool) {
    let store = bare_store(&pool);
    let stream = Uuid::now_v7();
    let mut batch = append(stream, Expected::Any, 0);
    batch.events.extend((1..3).map(member_added));
    let recorded = store.append(batch).await.unwrap();
    assert_eq!(
        recorded
            .iter()
            .map(|e| e.stream_version)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    store
        .append(append(stream, Expected::Any, 3))
        .await
        .unwrap();
    let err = store
        .append(append(stream, Expected::Version(0), 4))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::Conflict {
                expected: 0,
                actual: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let stream_events = store.read_stream(stream).await.unwrap();
    assert_eq!(stream_events.len(), 4);
    assert_eq!(stream_events[3].event().unwrap(), member_added(3).event);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_database_refuses_update_delete_and_truncate(pool: PgPool) {
    let store = bare_store(&pool);
    store
        .append(append(Uuid::now_v7(), Expected::Any, 0))
        .await
        .unwrap();
    for sql in [
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let error = sqlx::query(sql).execute(&pool).await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
    assert_eq!(whole_log(&store).await[0].actor, "tester");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn each_commit_notifies_listeners_with_the_new_head(pool: PgPool) {
    let store = bare_store(&pool);
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen(NOTIFY_CHANNEL).await.unwrap();
    store
        .append(append(Uuid::now_v7(), Expected::Any, 0))
        .await
        .unwrap();
    let notification = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .expect("a notification within 5 s")
        .unwrap();
    assert_eq!(notification.payload(), "1");
    drop(listener);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_refused_append_does_not_sink_the_others_in_its_batch(pool: PgPool) {
    use stockage::domain::project::ProjectCommand;
    use stockage_events::ProjectSlug;

    let store = EventStore::start(pool.clone(), stockage_projections::inline_projectors());
    let creations = (0..40).map(|n| {
        let store = store.clone();
        // Half the commands want the same slug: the read model refuses all
        // but the first of those, inside the shared transaction.
        let slug = if n % 2 == 0 {
            "contested".to_owned()
        } else {
            format!("own-{n}")
        };
        tokio::spawn(async move {
            let by = UserId::parse("olga").unwrap();
            let command = ProjectCommand::Create {
                slug: ProjectSlug::parse(&slug).unwrap(),
                title: slug.clone(),
                description: None,
                category: None,
                by: by.clone(),
            };
            let meta = EventMeta {
                actor: by,
                correlation_id: Uuid::now_v7(),
                causation_id: None,
            };
            (
                slug,
                stockage::documents::projects::execute(&store, Uuid::now_v7(), command, meta).await,
            )
        })
    });
    let creations: Vec<_> = creations.collect();
    let (mut contested_won, mut own_won) = (0, 0);
    for creation in creations {
        match creation.await.unwrap() {
            (slug, Ok(_)) if slug == "contested" => contested_won += 1,
            (_, Ok(_)) => own_won += 1,
            (slug, Err(error)) => {
                assert_eq!(slug, "contested");
                assert!(error.to_string().contains("already taken"), "{error}");
            }
        }
    }
    assert_eq!((contested_won, own_won), (1, 20));
    let log = whole_log(&store).await;
    assert_eq!(
        log.len(),
        42,
        "two events per created project, none for refused ones"
    );
    assert_eq!(verify_chain(GENESIS_HASH, 1, &log), Ok(log[41].hash));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn appends_together_are_written_all_or_none(pool: PgPool) {
    let store = bare_store(&pool);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .append(append(b, Expected::Version(0), 0))
        .await
        .unwrap();

    // b is at version 1, not 0: the append to a is refused with it.
    let refused = store
        .append_together(vec![
            append(a, Expected::Version(0), 1),
            append(b, Expected::Version(0), 2),
        ])
        .await;
    assert!(matches!(refused, Err(AppendError::Conflict { stream_id, .. }) if stream_id == b));
    assert_eq!(whole_log(&store).await.len(), 1);

    let written = store
        .append_together(vec![
            append(a, Expected::Version(0), 1),
            append(b, Expected::Version(1), 2),
            append(b, Expected::Version(2), 3),
        ])
        .await
        .unwrap();
    let shape: Vec<(Uuid, i64, i64)> = written
        .iter()
        .map(|e| (e.stream_id, e.stream_version, e.position))
        .collect();
    assert_eq!(shape, [(a, 1, 2), (b, 2, 3), (b, 3, 4)]);
    let log = whole_log(&store).await;
    assert_eq!(verify_chain(GENESIS_HASH, 1, &log), Ok(log[3].hash));
}
