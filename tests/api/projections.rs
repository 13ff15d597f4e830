use std::sync::Arc;

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlx::{PgConnection, PgPool};
use stockage::documents::projects;
use stockage::domain::document::{Actor, Document, DocumentCommand, NewFile, StateChange};
use stockage::domain::project::ProjectCommand;
use stockage::permissions::AclEntry;
use stockage_events::{
    Event, EventMeta, FileKind, LifecycleState, Permission, Principal, ProjectSlug, RecordedEvent,
    Role, Sha256, UserId,
};
use stockage_projections::{Kind, ProjectionError, Projector, inline_projectors, rebuild, runner};
use stockage_store::EventStore;
use stockage_store::command as commands;
use uuid::Uuid;

fn user(n: usize) -> UserId {
    UserId::parse(&format!("u{n}")).unwrap()
}

fn meta(actor: &UserId) -> EventMeta {
    EventMeta {
        actor: actor.clone(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    }
}

/// Creates a few projects and runs a few hundred random member commands
/// against them; refused commands are part of the mix.
async fn random_history(store: &EventStore, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut project_ids = Vec::new();
    for p in 0..4 {
        let id = Uuid::now_v7();
        let command = ProjectCommand::Create {
            slug: ProjectSlug::parse(&format!("project-{p}")).unwrap(),
            title: format!("Project {p}"),
            description: (p % 2 == 0).then(|| "about".to_owned()),
            category: None,
            by: user(0),
        };
        projects::execute(store, id, command, meta(&user(0)))
            .await
            .unwrap();
        project_ids.push(id);
    }
    for _ in 0..300 {
        let project = project_ids[rng.random_range(0..project_ids.len())];
        let by = user(rng.random_range(0..3));
        let target = user(rng.random_range(0..8));
        let command = if rng.random_bool(0.8) {
            let role = Role::ALL[rng.random_range(0..4)];
            ProjectCommand::SetMember {
                user: target,
                role,
                by: by.clone(),
            }
        } else {
            ProjectCommand::RemoveMember {
                user: target,
                by: by.clone(),
            }
        };
        // Domain refusals (last owner, not a manager…) are expected here.
        let _ = projects::execute(store, project, command, meta(&by)).await;
    }
    random_documents(store, &project_ids, &mut rng).await;
}

/// New content (sometimes conditional, sometimes of the wrong type), a
/// restore or a label: refusals are part of the mix.
fn random_revision_command(rng: &mut StdRng) -> DocumentCommand {
    match rng.random_range(0..4) {
        0 | 1 => DocumentCommand::AddRevision {
            file: NewFile {
                filename: "next.stl".into(),
                kind: if rng.random_bool(0.9) {
                    FileKind::Stl
                } else {
                    FileKind::Png
                },
                size: rng.random_range(1..1_000),
                sha256: Sha256::from_digest(rng.random()),
            },
            expected: rng.random_bool(0.3).then(|| rng.random_range(1..4)),
        },
        2 => DocumentCommand::Restore {
            from: rng.random_range(1..4),
        },
        _ => DocumentCommand::Label {
            revision: rng.random_range(1..4),
            label: rng.random_bool(0.7).then(|| "Issued".to_owned()),
        },
    }
}

fn random_acl(rng: &mut StdRng) -> Vec<AclEntry> {
    let mut entries = Vec::new();
    for principal in ["user:u1", "user:u2", "role:viewer", "role:editor"] {
        if rng.random_bool(0.5) {
            entries.push(AclEntry {
                principal: Principal::parse(principal).unwrap(),
                permission: Permission::ALL[rng.random_range(0..4)],
            });
        }
    }
    entries
}

/// Documents come and go in the same projects: added, retitled, retagged,
/// deleted and brought back, in random order.
async fn random_documents(store: &EventStore, projects: &[Uuid], rng: &mut StdRng) {
    let mut documents: Vec<(Uuid, Uuid)> = Vec::new();
    for n in 0..200 {
        let by = user(rng.random_range(0..3));
        let pick = rng.random_range(0..16);
        let (document, project, command) = if documents.is_empty() || pick < 3 {
            let project = projects[rng.random_range(0..projects.len())];
            let file = NewFile {
                filename: format!("part-{n}.stl"),
                kind: FileKind::Stl,
                size: rng.random_range(1..1_000_000),
                sha256: Sha256::from_digest(rng.random()),
            };
            let tags = (0..rng.random_range(0..3))
                .map(|t| format!("tag{t}"))
                .collect();
            let command = DocumentCommand::Add {
                file,
                title: format!("Part {n}"),
                tags,
            };
            documents.push((Uuid::now_v7(), project));
            let (document, project) = *documents.last().unwrap();
            (document, project, command)
        } else {
            let (document, project) = documents[rng.random_range(0..documents.len())];
            let command = match pick {
                3..=5 => DocumentCommand::ChangeMetadata {
                    title: rng.random_bool(0.5).then(|| format!("Renamed {n}")),
                    tags: rng.random_bool(0.5).then(|| vec![format!("t{}", n % 4)]),
                },
                6 => DocumentCommand::Delete,
                7 => DocumentCommand::Undelete,
                8 => DocumentCommand::ReplaceAcl(random_acl(rng)),
                12 | 13 => DocumentCommand::Lock {
                    ttl: time::Duration::hours(rng.random_range(1..48)),
                    note: rng.random_bool(0.5).then(|| format!("note {n}")),
                },
                14 => DocumentCommand::Unlock { reason: None },
                15 => {
                    let doc = commands::load::<Document>(store, document).await.unwrap();
                    DocumentCommand::ChangeState(StateChange {
                        to: LifecycleState::ALL[rng.random_range(0..4)],
                        comment: None,
                        revision: doc.revision,
                        uploader: None,
                    })
                }
                _ => random_revision_command(rng),
            };
            (document, project, command)
        };
        let actor = Actor {
            user: by.clone(),
            permission: Permission::ALL[rng.random_range(2..4)],
            now: time::OffsetDateTime::now_utc(),
        };
        let command = (actor, command);
        let _ = commands::execute::<Document>(store, document, project, command, meta(&by)).await;
    }
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn rebuilt_projections_equal_live_ones_after_a_random_history(pool: PgPool) {
    let store = EventStore::start(pool.clone(), inline_projectors());
    random_history(&store, 7).await;
    assert!(count(&pool, "SELECT count(*) FROM project_team").await > 4);
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM project_resources WHERE deleted_at IS NOT NULL"
        )
        .await
            > 0
    );
    assert!(count(&pool, "SELECT count(*) FROM tags").await > 0);
    assert!(count(&pool, "SELECT count(*) FROM document_acl").await > 0);
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM document_workflow WHERE lock_holder IS NOT NULL"
        )
        .await
            > 0
    );
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM document_workflow WHERE state <> 'wip'"
        )
        .await
            > 0
    );
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM document_revisions WHERE revision > 1"
        )
        .await
            > 0
    );
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM document_revisions WHERE restored_from IS NOT NULL"
        )
        .await
            > 0
    );
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM document_revisions WHERE label IS NOT NULL"
        )
        .await
            > 0
    );

    let projectors = inline_projectors();
    let last = rebuild::rebuild(&pool, &projectors, "rebuild_test", |_, _| {})
        .await
        .unwrap();
    assert_eq!(last, count(&pool, "SELECT max(position) FROM events").await);
    assert_eq!(
        rebuild::differences(&pool, &projectors, "rebuild_test")
            .await
            .unwrap(),
        Vec::<&str>::new()
    );
    // Pages of 7 events: documents' events fall on both sides of many
    // page boundaries, and pages are read ahead while others are written.
    let paged = rebuild::rebuild_in_pages(&pool, &projectors, "rebuild_paged", 7, |_, _| {})
        .await
        .unwrap();
    assert_eq!(paged, last);
    assert_eq!(
        rebuild::differences(&pool, &projectors, "rebuild_paged")
            .await
            .unwrap(),
        Vec::<&str>::new()
    );

    // The comparison does see a difference when there is one.
    sqlx::query("UPDATE project_team SET role = 'viewer' WHERE role <> 'viewer'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE project_resources SET title = 'tampered' WHERE id = (SELECT document_id FROM tags LIMIT 1)")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        rebuild::differences(&pool, &projectors, "rebuild_test")
            .await
            .unwrap(),
        vec!["project_team", "project_resources"]
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn swap_replaces_damaged_read_models_and_appends_carry_on(pool: PgPool) {
    let store = EventStore::start(pool.clone(), inline_projectors());
    random_history(&store, 11).await;
    let projectors = inline_projectors();
    let last = rebuild::rebuild(&pool, &projectors, "rebuild_swap", |_, _| {})
        .await
        .unwrap();

    let (project, owner) = owned(&pool, "project-0").await;
    sqlx::query("DELETE FROM project_team")
        .execute(&pool)
        .await
        .unwrap();
    // An append between the rebuild and the swap must reach the new tables.
    let newcomer = ProjectCommand::SetMember {
        user: UserId::parse("newcomer").unwrap(),
        role: Role::Viewer,
        by: owner.clone(),
    };
    projects::execute(&store, project, newcomer, meta(&owner))
        .await
        .unwrap();

    let indexes = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexdef";
    let before: Vec<String> = sqlx::query_scalar(indexes).fetch_all(&pool).await.unwrap();
    rebuild::swap(&pool, &projectors, "rebuild_swap", last)
        .await
        .unwrap();
    // The indexes a rebuild builds after loading are all there again.
    let after: Vec<String> = sqlx::query_scalar(indexes).fetch_all(&pool).await.unwrap();
    assert_eq!(after, before);

    let verify = "rebuild_verify";
    rebuild::rebuild(&pool, &projectors, verify, |_, _| {})
        .await
        .unwrap();
    assert!(
        rebuild::differences(&pool, &projectors, verify)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM project_team WHERE user_id = 'newcomer'"
        )
        .await,
        1
    );
    // Appends keep projecting into the swapped-in tables.
    add_member(&store, "project-0", "after-swap", Role::Editor).await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM project_team WHERE user_id = 'after-swap'"
        )
        .await,
        1
    );
}

/// A replay-safe async projector for the runner's tests: it counts events
/// per type.
struct TypeCounter;

#[async_trait]
impl Projector for TypeCounter {
    fn name(&self) -> &'static str {
        "type_counter"
    }
    fn kind(&self) -> Kind {
        Kind::Async
    }
    fn tables(&self) -> &'static [&'static str] {
        &["type_counts"]
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        recorded: &RecordedEvent,
        _: &Event,
    ) -> Result<(), ProjectionError> {
        sqlx::query(
            "INSERT INTO type_counts (event_type, n) VALUES ($1, 1)
             ON CONFLICT (event_type) DO UPDATE SET n = type_counts.n + 1",
        )
        .bind(&recorded.event_type)
        .execute(conn)
        .await?;
        Ok(())
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn async_runner_applies_each_event_once_and_resumes_from_its_checkpoint(pool: PgPool) {
    sqlx::query("CREATE TABLE type_counts (event_type text PRIMARY KEY, n bigint NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let store = EventStore::start(pool.clone(), inline_projectors());
    random_history(&store, 3).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;

    let applied = runner::catch_up(&pool, &TypeCounter).await.unwrap();
    assert_eq!(applied as i64, total);
    assert_eq!(
        runner::checkpoint(&pool, "type_counter").await.unwrap(),
        total
    );
    assert_eq!(runner::catch_up(&pool, &TypeCounter).await.unwrap(), 0);

    random_history_more(&store).await;
    let new_total = count(&pool, "SELECT count(*) FROM events").await;
    let applied = runner::catch_up(&pool, &TypeCounter).await.unwrap();
    assert_eq!(applied as i64, new_total - total);
    assert_eq!(
        count(&pool, "SELECT sum(n)::bigint FROM type_counts").await,
        new_total
    );
}

/// A project of the random history and one of its current owners.
async fn owned(pool: &PgPool, slug: &str) -> (Uuid, UserId) {
    let (project, owner): (Uuid, String) = sqlx::query_as(
        "SELECT p.id, t.user_id FROM projects p JOIN project_team t ON t.project_id = p.id
         WHERE p.slug = $1 AND t.role = 'owner' ORDER BY t.user_id LIMIT 1",
    )
    .bind(slug)
    .fetch_one(pool)
    .await
    .unwrap();
    (project, UserId::parse(&owner).unwrap())
}

async fn add_member(store: &EventStore, slug: &str, member: &str, role: Role) {
    let (project, owner) = owned(store.pool(), slug).await;
    let command = ProjectCommand::SetMember {
        user: UserId::parse(member).unwrap(),
        role,
        by: owner.clone(),
    };
    let events = projects::execute(store, project, command, meta(&owner))
        .await
        .unwrap();
    assert!(
        !events.is_empty(),
        "{member} was already a {role} of {slug}"
    );
}

async fn random_history_more(store: &EventStore) {
    for n in 0..5 {
        add_member(store, "project-1", &format!("late{n}"), Role::Viewer).await;
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn only_one_runner_leads_and_another_takes_over(pool: PgPool) {
    sqlx::query("CREATE TABLE type_counts (event_type text PRIMARY KEY, n bigint NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let store = EventStore::start(pool.clone(), inline_projectors());
    random_history(&store, 5).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;

    let poll = std::time::Duration::from_millis(50);
    let (stop_a, shutdown_a) = tokio::sync::watch::channel(false);
    let (stop_b, shutdown_b) = tokio::sync::watch::channel(false);
    let a = tokio::spawn(runner::run(
        pool.clone(),
        Arc::new(TypeCounter),
        poll,
        shutdown_a,
    ));
    wait_for_checkpoint(&pool, total).await;
    // A second runner waits behind the first: nothing is counted twice.
    let b = tokio::spawn(runner::run(
        pool.clone(),
        Arc::new(TypeCounter),
        poll,
        shutdown_b,
    ));
    random_history_more(&store).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;
    wait_for_checkpoint(&pool, total).await;
    tokio::time::sleep(poll * 4).await;
    assert_eq!(
        count(&pool, "SELECT sum(n)::bigint FROM type_counts").await,
        total
    );

    // The leader stops; the waiting runner takes over.
    stop_a.send(true).unwrap();
    a.await.unwrap();
    random_history_more_again(&store).await;
    let total = count(&pool, "SELECT count(*) FROM events").await;
    wait_for_checkpoint(&pool, total).await;
    assert_eq!(
        count(&pool, "SELECT sum(n)::bigint FROM type_counts").await,
        total
    );
    stop_b.send(true).unwrap();
    b.await.unwrap();
}

async fn random_history_more_again(store: &EventStore) {
    add_member(store, "project-2", "takeover", Role::Editor).await;
}

async fn wait_for_checkpoint(pool: &PgPool, position: i64) {
    for _ in 0..200 {
        if runner::checkpoint(pool, "type_counter").await.unwrap() >= position {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the runner did not reach position {position} within 10 s");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_rebuild_command_checks_all_or_named_projectors_and_can_swap(pool: PgPool) {
    let store = EventStore::start(pool.clone(), inline_projectors());
    random_history(&store, 7).await;
    let run = |args: &'static [&'static str]| {
        let pool = pool.clone();
        async move {
            crate::helpers::cli(&pool, args)
                .await
                .output()
                .await
                .unwrap()
        }
    };
    let all = run(&["projections", "rebuild"]).await;
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    assert!(String::from_utf8_lossy(&all.stdout).contains("live read models match the log"));
    assert!(
        run(&["projections", "rebuild", "acl", "revisions"])
            .await
            .status
            .success()
    );
    let unknown = run(&["projections", "rebuild", "bogus"]).await;
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("there are: projects, documents, acl, revisions")
    );

    // Damage, see the check fail, repair with --swap, see it pass.
    sqlx::query("DELETE FROM document_acl")
        .execute(&pool)
        .await
        .unwrap();
    let damaged = run(&["projections", "rebuild", "acl"]).await;
    assert!(!damaged.status.success());
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("document_acl"));
    assert!(
        run(&["projections", "rebuild", "acl", "--swap"])
            .await
            .status
            .success()
    );
    assert!(run(&["projections", "rebuild"]).await.status.success());
}
