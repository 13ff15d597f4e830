//! The projects projector's page apply leaves the rows that applying each
//! event in turn leaves, and refuses what that would refuse.
use sqlx::PgPool;
use stockage_events::{
    Event, GENESIS_HASH, ProjectSlug, RecordedEvent, Role, SCHEMA_VERSION, UserId,
};
use stockage_projections::{Projector, ProjectsProjector, rebuild};
use time::OffsetDateTime;
use uuid::Uuid;

fn recorded(position: i64, project: Uuid, event: &Event) -> RecordedEvent {
    RecordedEvent {
        position,
        event_id: Uuid::now_v7(),
        stream_id: project,
        stream_version: position,
        project_id: project,
        event_type: event.event_type().into(),
        schema_version: SCHEMA_VERSION,
        payload: event.payload(),
        actor: "u0".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        recorded_at: OffsetDateTime::from_unix_timestamp(1_800_000_000 + position).unwrap(),
        prev_hash: GENESIS_HASH,
        hash: GENESIS_HASH,
    }
}

fn created(slug: &str) -> Event {
    Event::ProjectCreated {
        slug: ProjectSlug::parse(slug).unwrap(),
        title: slug.to_owned(),
        description: None,
        category: None,
        created_by: user("u0"),
    }
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn added(id: &str, role: Role) -> Event {
    Event::MemberAdded {
        user_id: user(id),
        role,
    }
}

/// Events of the log with positions from `first`.
fn page(first: i64, events: &[(Uuid, Event)]) -> Vec<(RecordedEvent, Event)> {
    events
        .iter()
        .zip(first..)
        .map(|((project, event), position)| (recorded(position, *project, event), event.clone()))
        .collect()
}

/// Applies `page` one event at a time in `public` and as one page in the
/// schema `paged`, each in a transaction of its own kept if it succeeded.
async fn both_ways(pool: &PgPool, page: &[(RecordedEvent, Event)]) -> [Result<(), String>; 2] {
    let pairs: Vec<(&RecordedEvent, Event)> = page.iter().map(|(r, e)| (r, e.clone())).collect();
    let mut tx = pool.begin().await.unwrap();
    let mut one_by_one = Ok(());
    for (recorded, event) in &pairs {
        one_by_one = ProjectsProjector.apply(&mut tx, recorded, event).await;
        if one_by_one.is_err() {
            break;
        }
    }
    if one_by_one.is_ok() {
        tx.commit().await.unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL search_path TO paged")
        .execute(&mut *tx)
        .await
        .unwrap();
    let paged = ProjectsProjector.apply_page(&mut tx, &pairs).await;
    if paged.is_ok() {
        tx.commit().await.unwrap();
    }
    [one_by_one, paged].map(|r| r.map_err(|e| e.to_string()))
}

async fn same_rows(pool: &PgPool) {
    let projectors: Vec<Box<dyn Projector>> = vec![Box::new(ProjectsProjector)];
    assert_eq!(
        rebuild::differences(pool, &projectors, "paged")
            .await
            .unwrap(),
        Vec::<&str>::new()
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_page_of_team_changes_leaves_the_rows_of_one_event_at_a_time(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("CREATE SCHEMA paged")
        .execute(&mut *conn)
        .await
        .unwrap();
    for table in ["projects", "project_team"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE paged.{table} (LIKE public.{table} INCLUDING ALL)"
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    let (p0, p1, p2) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let first = page(
        1,
        &[
            (p0, created("p-zero")),
            (p0, added("u0", Role::Owner)),
            (p0, added("u1", Role::Viewer)),
            (p0, added("u2", Role::Editor)),
        ],
    );
    // Members changed once each (the fast path), a change to nobody, a
    // project created with its owner, and a team change to a project
    // created only later in the page (no row to touch yet).
    let second = page(
        5,
        &[
            (
                p0,
                Event::MemberRoleChanged {
                    user_id: user("u1"),
                    from: Role::Viewer,
                    to: Role::Admin,
                },
            ),
            (
                p0,
                Event::MemberRemoved {
                    user_id: user("u2"),
                    role: Role::Editor,
                },
            ),
            (
                p0,
                Event::MemberRoleChanged {
                    user_id: user("nobody"),
                    from: Role::Viewer,
                    to: Role::Editor,
                },
            ),
            (p0, added("u3", Role::Viewer)),
            (p1, created("p-one")),
            (p1, added("u0", Role::Owner)),
            (p2, added("u9", Role::Viewer)),
            (p2, created("p-two")),
        ],
    );
    // The same member changed three times: one event at a time.
    let third = page(
        13,
        &[
            (p1, added("u5", Role::Viewer)),
            (
                p1,
                Event::MemberRemoved {
                    user_id: user("u5"),
                    role: Role::Viewer,
                },
            ),
            (p1, added("u5", Role::Editor)),
            (p0, added("u6", Role::Viewer)),
        ],
    );
    for events in [&first, &second, &third] {
        assert_eq!(both_ways(&pool, events).await, [Ok(()), Ok(())]);
        same_rows(&pool).await;
    }
    let team: i64 = sqlx::query_scalar("SELECT count(*) FROM paged.project_team")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(team, 7);

    // Adding a member who is one already is refused both ways.
    let refused = page(
        17,
        &[
            (p0, added("u7", Role::Viewer)),
            (p0, added("u1", Role::Viewer)),
        ],
    );
    for outcome in both_ways(&pool, &refused).await {
        assert!(outcome.unwrap_err().contains("already taken"));
    }
    same_rows(&pool).await;
}
