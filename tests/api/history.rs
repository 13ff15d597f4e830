//! A random history of project and document commands, the same for a
//! seed: what the projection tests replay and compare.
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlx::PgPool;
use stockage::documents::projects;
use stockage::domain::document::{Actor, Document, DocumentCommand, NewFile, StateChange};
use stockage::domain::project::ProjectCommand;
use stockage::permissions::AclEntry;
use stockage_events::{
    EventMeta, FileKind, LifecycleState, Permission, Principal, ProjectSlug, Role, Sha256, UserId,
};
use stockage_store::EventStore;
use stockage_store::command as commands;
use uuid::Uuid;

pub(crate) fn user(n: usize) -> UserId {
    UserId::parse(&format!("u{n}")).unwrap()
}

pub(crate) fn meta(actor: &UserId) -> EventMeta {
    EventMeta {
        actor: actor.clone(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    }
}

/// Creates a few projects and runs a few hundred random member commands
/// against them; refused commands are part of the mix.
pub(crate) async fn random_history(store: &EventStore, seed: u64) {
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

pub(crate) async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A project of the random history and one of its current owners.
pub(crate) async fn owned(pool: &PgPool, slug: &str) -> (Uuid, UserId) {
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

pub(crate) async fn add_member(store: &EventStore, slug: &str, member: &str, role: Role) {
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
