//! How each event changes a document's state.
use stockage_events::Event;

use super::Document;

pub fn evolve(mut state: Document, event: &Event) -> Document {
    match event {
        Event::DocumentAdded {
            title,
            tags,
            kind,
            filename,
            content_type,
            size,
            sha256,
        } => {
            state.exists = true;
            state.title = title.clone();
            state.tags = tags.clone();
            state.kind = Some(*kind);
            state.push(filename, content_type, *size, sha256);
        }
        Event::RevisionAdded {
            filename,
            content_type,
            size,
            sha256,
            ..
        }
        | Event::RevisionRestored {
            filename,
            content_type,
            size,
            sha256,
            ..
        } => state.push(filename, content_type, *size, sha256),
        Event::RevisionLabeled { revision, label } => {
            if let Some(info) = state
                .revisions
                .get_mut((*revision as usize).wrapping_sub(1))
            {
                info.label = label.clone();
            }
        }
        Event::RevisionPurged { revision, .. } => {
            if let Some(info) = state
                .revisions
                .get_mut((*revision as usize).wrapping_sub(1))
            {
                info.purged = true;
            }
        }
        Event::DocumentPurged { rule } => {
            state.deleted = true;
            state.purged = Some(rule.clone());
            state
                .revisions
                .iter_mut()
                .for_each(|info| info.purged = true);
        }
        Event::DocumentMetadataChanged { title, tags } => {
            if let Some(title) = title {
                state.title = title.clone();
            }
            if let Some(tags) = tags {
                state.tags = tags.clone();
            }
        }
        Event::DocumentDeleted {} => state.deleted = true,
        Event::DocumentUndeleted {} => state.deleted = false,
        Event::AclEntryGranted {
            principal,
            permission,
        } => {
            state.acl.insert(principal.clone(), *permission);
        }
        Event::AclEntryRevoked { principal } => {
            state.acl.remove(principal);
        }
        Event::DocumentLocked { .. }
        | Event::DocumentUnlocked { .. }
        | Event::DocumentStateChanged { .. } => {
            if let Event::DocumentStateChanged {
                released_revision: Some(n),
                ..
            } = event
                && let Some(info) = state.revisions.get_mut((*n as usize).wrapping_sub(1))
            {
                info.released = true;
            }
            state.workflow.evolve(event)
        }
        Event::ProjectCreated { .. }
        | Event::MemberAdded { .. }
        | Event::MemberRoleChanged { .. }
        | Event::MemberRemoved { .. }
        | Event::TokenCreated { .. }
        | Event::TokenRevoked {}
        | Event::ProjectSharingChanged { .. }
        | Event::ShareCreated { .. }
        | Event::ShareRevoked { .. }
        | Event::ShareDownloaded { .. }
        | Event::RetentionPolicySet { .. }
        | Event::LegalHoldSet { .. }
        | Event::QuotaSet { .. } => {}
    }
    state.version += 1;
    state
}
