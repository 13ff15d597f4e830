//! The projects projector over a page of events: the page's team changes
//! (members added, re-roled, removed) in one statement that also touches
//! each project's `updated_at`, instead of one statement per event. A page
//! that changes the same member twice falls back to one event at a time:
//! the order of those changes matters and is not worth folding.
use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use stockage_events::{Event, RecordedEvent};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{ProjectionError, Projector};

/// The page's team changes, one per member at most, in log order.
#[derive(Default)]
struct Team<'a> {
    kinds: Vec<&'static str>,
    projects: Vec<Uuid>,
    users: Vec<&'a str>,
    roles: Vec<Option<&'a str>>,
    at: Vec<OffsetDateTime>,
    /// The time of each project's last team change after its creation (a
    /// change before it would have found no project row to touch).
    touched: HashMap<Uuid, OffsetDateTime>,
}

/// What the page does: projects created (in order), then its team changes;
/// `None` when a member changes more than once.
fn plan<'a>(
    page: &'a [(&'a RecordedEvent, Event)],
) -> Option<(Vec<(&'a RecordedEvent, &'a Event)>, Team<'a>)> {
    let mut created = Vec::new();
    let mut team = Team::default();
    let mut members = HashSet::new();
    for (recorded, event) in page {
        let project = recorded.project_id;
        let (kind, user, role) = match event {
            Event::ProjectCreated { .. } => {
                created.push((*recorded, event));
                team.touched.remove(&project);
                continue;
            }
            Event::MemberAdded { user_id, role } => ("added", user_id, Some(role.as_str())),
            Event::MemberRoleChanged { user_id, to, .. } => ("changed", user_id, Some(to.as_str())),
            Event::MemberRemoved { user_id, .. } => ("removed", user_id, None),
            _ => continue,
        };
        if !members.insert((project, user.as_str())) {
            return None;
        }
        team.kinds.push(kind);
        team.projects.push(project);
        team.users.push(user.as_str());
        team.roles.push(role);
        team.at.push(recorded.recorded_at);
        team.touched.insert(project, recorded.recorded_at);
    }
    Some((created, team))
}

pub(crate) async fn apply_page(
    projector: &impl Projector,
    conn: &mut PgConnection,
    page: &[(&RecordedEvent, Event)],
) -> Result<(), ProjectionError> {
    let Some((created, team)) = plan(page) else {
        for (recorded, event) in page {
            projector.apply(conn, recorded, event).await?;
        }
        return Ok(());
    };
    // Projects first: a team change later in the page touches its row.
    for (recorded, event) in created {
        projector.apply(conn, recorded, event).await?;
    }
    if team.kinds.is_empty() {
        return Ok(());
    }
    let (touched, touched_at): (Vec<Uuid>, Vec<OffsetDateTime>) = team.touched.into_iter().unzip();
    // Each member appears once, so the three changes touch different rows.
    sqlx::query(
        "WITH e AS (SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
                 AS e(kind, project_id, user_id, role, at)),
         touched AS (UPDATE projects p SET updated_at = t.at
                 FROM unnest($6::uuid[], $7::timestamptz[]) AS t(id, at) WHERE p.id = t.id),
         changed AS (UPDATE project_team m SET role = e.role FROM e
                 WHERE e.kind = 'changed' AND m.project_id = e.project_id AND m.user_id = e.user_id),
         removed AS (DELETE FROM project_team m USING e
                 WHERE e.kind = 'removed' AND m.project_id = e.project_id AND m.user_id = e.user_id)
         INSERT INTO project_team (project_id, user_id, role, joined_at)
         SELECT project_id, user_id, role, at FROM e WHERE kind = 'added'",
    )
    .bind(team.kinds)
    .bind(team.projects)
    .bind(team.users)
    .bind(team.roles)
    .bind(team.at)
    .bind(touched)
    .bind(touched_at)
    .execute(conn)
    .await?;
    Ok(())
}
