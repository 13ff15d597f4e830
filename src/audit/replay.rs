//! The state of a project at a moment, rebuilt from the log alone, and who
//! could read a document then, and why.
use std::collections::BTreeMap;

use serde::Serialize;
use stockage_events::{Permission, RecordedEvent, Role, UserId};
use uuid::Uuid;

use crate::domain::document::{self, Document};
use crate::domain::project::{self, Project};
use crate::permissions::{AclEntry, effective};

/// A project's state after some prefix of its events.
#[derive(Debug, Default, Clone)]
pub struct ProjectState {
    pub project: Project,
    pub documents: BTreeMap<Uuid, Document>,
    pub last_position: i64,
}

/// Folds the project's events, in log order. Events that do not decode
/// are an error: an audit must not skip what it cannot read.
pub fn fold<'a>(
    events: impl IntoIterator<Item = &'a RecordedEvent>,
) -> Result<ProjectState, String> {
    let mut state = ProjectState::default();
    for recorded in events {
        let event = recorded
            .event()
            .map_err(|e| format!("position {}: {e}", recorded.position))?;
        if recorded.stream_id == recorded.project_id {
            state.project = project::evolve(std::mem::take(&mut state.project), &event);
        } else {
            let doc = state
                .documents
                .remove(&recorded.stream_id)
                .unwrap_or_default();
            state
                .documents
                .insert(recorded.stream_id, document::evolve(doc, &event));
        }
        state.last_position = recorded.position;
    }
    Ok(state)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    pub user: String,
    pub role: String,
    pub permission: String,
    pub because: String,
}

impl ProjectState {
    /// Every member who could read `document`, with the rule that let them.
    pub fn who_could_read(&self, document: Uuid) -> Option<Vec<Reader>> {
        let doc = self.documents.get(&document)?;
        let acl: Vec<AclEntry> = doc
            .acl
            .iter()
            .map(|(principal, permission)| AclEntry {
                principal: principal.clone(),
                permission: *permission,
            })
            .collect();
        let readers = self
            .project
            .members
            .iter()
            .filter_map(|(user, role): (&UserId, &Role)| {
                let (permission, because) = effective(user, Some(*role), &acl);
                (permission >= Permission::Read).then(|| Reader {
                    user: user.to_string(),
                    role: role.to_string(),
                    permission: permission.to_string(),
                    because: because.to_string(),
                })
            })
            .collect();
        Some(readers)
    }
}
