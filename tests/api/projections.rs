//! Rebuilt read models equal the live ones after a random history; a swap
//! replaces damaged ones; the rebuild command checks and swaps.
use sqlx::PgPool;
use stockage::documents::projects;
use stockage::domain::project::ProjectCommand;
use stockage_events::{Role, UserId};
use stockage_projections::{inline_projectors, rebuild};
use stockage_store::EventStore;

use crate::history::{add_member, count, meta, owned, random_history};

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
