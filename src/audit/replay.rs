//! The state of a project at a moment, rebuilt from the log alone, and who
//! could read a document then, and why.
use std::collections::BTreeMap;

use serde::Serialize;
use stockage_events::{Event, Permission, RecordedEvent, Role, UserId};
use uuid::Uuid;

use crate::domain::document::{self, Document};
use crate::domain::project::{self, Project};
use crate::permissions::{AclEntry, effective};

/// A project's state after some prefix of its events.
#[derive(Debug, Default, Clone)]
pub struct ProjectState {
    pub project: Project,
    pub documents: BTreeMap<Uuid, Document>,
    /// Share links by id: who made them and every download through them.
    pub shares: BTreeMap<Uuid, SharedLink>,
    pub last_position: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedLink {
    pub id: Uuid,
    pub document_id: Uuid,
    pub created_by: String,
    /// `None`: the link follows the latest revision.
    pub revision: Option<u32>,
    pub revoked: bool,
    pub downloads: Vec<LinkDownload>,
}

/// One download through a link: when, which revision, from where.
#[derive(Debug, Clone, Serialize)]
pub struct LinkDownload {
    pub position: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    pub revision: u32,
    pub client: String,
}

impl ProjectState {
    fn share(&mut self, recorded: &RecordedEvent, event: &Event) {
        let id = recorded.stream_id;
        match event {
            Event::ShareCreated {
                document_id,
                revision,
                ..
            } => {
                let link = SharedLink {
                    id,
                    document_id: *document_id,
                    created_by: recorded.actor.to_string(),
                    revision: *revision,
                    revoked: false,
                    downloads: vec![],
                };
                self.shares.insert(id, link);
            }
            Event::ShareRevoked { .. } => {
                if let Some(link) = self.shares.get_mut(&id) {
                    link.revoked = true;
                }
            }
            Event::ShareDownloaded {
                revision, client, ..
            } => {
                if let Some(link) = self.shares.get_mut(&id) {
                    link.downloads.push(LinkDownload {
                        position: recorded.position,
                        at: recorded.recorded_at,
                        revision: *revision,
                        client: client.clone(),
                    });
                }
            }
            _ => {}
        }
    }

    /// The links of `document`, oldest first.
    pub fn links_of(&self, document: Uuid) -> Vec<&SharedLink> {
        self.shares
            .values()
            .filter(|link| link.document_id == document)
            .collect()
    }
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
        if event.about_document().is_some() {
            state.share(recorded, &event);
        } else if recorded.stream_id == recorded.project_id {
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
