//! The project aggregate: a workspace and its team (ProjectTeam).
use std::collections::BTreeMap;

use stockage_events::{Event, ProjectSlug, Role, UserId};

use super::{Aggregate, DomainError};

/// What the project's own stream says, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Project {
    pub slug: Option<ProjectSlug>,
    pub members: BTreeMap<UserId, Role>,
    /// Share links are allowed unless an admin forbade them.
    pub shares_forbidden: bool,
    /// Retention policy, legal hold and quota.
    pub retention: super::retention::Settings,
    /// Number of events in the stream; 0 for a project that does not exist.
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProjectCommand {
    Create {
        slug: ProjectSlug,
        title: String,
        description: Option<String>,
        category: Option<String>,
        by: UserId,
    },
    /// Adds the user with `role`, or changes their role to it.
    SetMember {
        user: UserId,
        role: Role,
        by: UserId,
    },
    RemoveMember {
        user: UserId,
        by: UserId,
    },
    /// Allows or forbids share links of the project's documents (admins).
    SetSharing {
        allowed: bool,
        by: UserId,
    },
    /// Retention policy, legal hold or quota (see `domain::retention`).
    Retention {
        change: super::retention::Change,
        by: UserId,
    },
}

pub fn evolve(mut state: Project, event: &Event) -> Project {
    match event {
        Event::ProjectCreated { slug, .. } => state.slug = Some(slug.clone()),
        Event::MemberAdded { user_id, role }
        | Event::MemberRoleChanged {
            user_id, to: role, ..
        } => {
            state.members.insert(user_id.clone(), *role);
        }
        Event::MemberRemoved { user_id, .. } => {
            state.members.remove(user_id);
        }
        Event::ProjectSharingChanged { shares_allowed } => state.shares_forbidden = !shares_allowed,
        Event::RetentionPolicySet { .. } | Event::LegalHoldSet { .. } | Event::QuotaSet { .. } => {
            state.retention.evolve(event)
        }
        // Documents have streams of their own.
        Event::DocumentAdded { .. }
        | Event::DocumentMetadataChanged { .. }
        | Event::DocumentDeleted {}
        | Event::DocumentUndeleted {}
        | Event::RevisionAdded { .. }
        | Event::RevisionRestored { .. }
        | Event::RevisionLabeled { .. }
        | Event::AclEntryGranted { .. }
        | Event::AclEntryRevoked { .. }
        | Event::TokenCreated { .. }
        | Event::TokenRevoked {}
        | Event::ShareCreated { .. }
        | Event::ShareRevoked { .. }
        | Event::ShareDownloaded { .. }
        | Event::RevisionPurged { .. }
        | Event::DocumentPurged { .. }
        | Event::DocumentLocked { .. }
        | Event::DocumentUnlocked { .. }
        | Event::DocumentStateChanged { .. } => {}
    }
    state.version += 1;
    state
}

pub fn decide(state: &Project, command: ProjectCommand) -> Result<Vec<Event>, DomainError> {
    match command {
        ProjectCommand::Create {
            slug,
            title,
            description,
            category,
            by,
        } => {
            if state.version > 0 {
                return Err(DomainError::AlreadyExists(format!(
                    "project {slug} already exists"
                )));
            }
            Ok(vec![
                Event::ProjectCreated {
                    slug,
                    title,
                    description,
                    category,
                    created_by: by.clone(),
                },
                Event::MemberAdded {
                    user_id: by,
                    role: Role::Owner,
                },
            ])
        }
        ProjectCommand::SetMember { user, role, by } => {
            let current = state.members.get(&user).copied();
            authorize_change(state, &by, current, Some(role))?;
            Ok(match current {
                None => vec![Event::MemberAdded {
                    user_id: user,
                    role,
                }],
                Some(from) if from == role => vec![],
                Some(from) => {
                    keeps_an_owner(state, &user, from)?;
                    vec![Event::MemberRoleChanged {
                        user_id: user,
                        from,
                        to: role,
                    }]
                }
            })
        }
        ProjectCommand::RemoveMember { user, by } => {
            let Some(role) = state.members.get(&user).copied() else {
                return Err(DomainError::NotFound(format!(
                    "{user} is not a member of this project"
                )));
            };
            authorize_change(state, &by, Some(role), None)?;
            keeps_an_owner(state, &user, role)?;
            Ok(vec![Event::MemberRemoved {
                user_id: user,
                role,
            }])
        }
        ProjectCommand::SetSharing { allowed, by } => {
            let actor = member(state, &by)?;
            if !actor.can_manage() {
                return Err(DomainError::Forbidden(format!(
                    "allowing or forbidding share links needs the admin or owner role; you are {actor}"
                )));
            }
            if state.shares_forbidden != allowed {
                return Ok(vec![]);
            }
            Ok(vec![Event::ProjectSharingChanged {
                shares_allowed: allowed,
            }])
        }
        ProjectCommand::Retention { change, by } => {
            if state.version == 0 {
                return Err(DomainError::NotFound("project not found".into()));
            }
            let role = state
                .members
                .get(&by)
                .copied()
                .ok_or_else(|| DomainError::NotFound("project not found".into()))?;
            state.retention.decide(role, change)
        }
    }
}

fn member(state: &Project, by: &UserId) -> Result<Role, DomainError> {
    match state.members.get(by) {
        Some(role) if state.version > 0 => Ok(*role),
        _ => Err(DomainError::NotFound("project not found".into())),
    }
}

/// Admins and owners manage the team; only owners touch the owner role.
fn authorize_change(
    state: &Project,
    by: &UserId,
    from: Option<Role>,
    to: Option<Role>,
) -> Result<(), DomainError> {
    if state.version == 0 {
        return Err(DomainError::NotFound("project not found".into()));
    }
    let Some(actor) = state.members.get(by).copied() else {
        return Err(DomainError::NotFound("project not found".into()));
    };
    if !actor.can_manage() {
        return Err(DomainError::Forbidden(format!(
            "managing members needs the admin or owner role; you are {actor}"
        )));
    }
    let touches_owner = from == Some(Role::Owner) || to == Some(Role::Owner);
    if touches_owner && actor != Role::Owner {
        return Err(DomainError::Forbidden(
            "only an owner may grant or take away the owner role".into(),
        ));
    }
    Ok(())
}

/// A project always keeps at least one owner.
fn keeps_an_owner(state: &Project, leaving: &UserId, role: Role) -> Result<(), DomainError> {
    let owners = state
        .members
        .values()
        .filter(|r| **r == Role::Owner)
        .count();
    if role == Role::Owner && owners == 1 {
        return Err(DomainError::Conflict(format!(
            "{leaving} is the last owner; make someone else owner first"
        )));
    }
    Ok(())
}

impl Aggregate for Project {
    type Command = ProjectCommand;
    type Error = DomainError;

    fn evolve(self, event: &Event) -> Self {
        evolve(self, event)
    }

    fn decide(&self, command: ProjectCommand) -> Result<Vec<Event>, DomainError> {
        decide(self, command)
    }

    fn version(&self) -> i64 {
        self.version
    }
}

#[cfg(test)]
#[path = "project_tests.rs"]
mod tests;
