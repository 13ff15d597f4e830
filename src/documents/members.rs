//! Removing a member. Their user entries in the project's document ACLs go
//! with them: one `AclEntryRevoked` per document, appended in the same
//! transaction as the `MemberRemoved`, so a user added back later starts
//! from their new role and nothing they were granted before (decision 0055).
use sqlx::PgPool;
use stockage_events::{Event, EventMeta, NewEvent, Principal, RecordedEvent, UserId};
use stockage_store::{Aggregate, Append, AppendError, CommandError, EventStore, Expected};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::domain::document::Document;
use crate::domain::project::{Project, ProjectCommand};
use crate::error::Error;

/// How often the removal is decided again when a stream it writes moved.
const RETRIES: usize = 64;

/// Runs `RemoveMember` on the project and revokes the member's ACL entries.
pub async fn remove(
    store: &EventStore,
    project_id: Uuid,
    user: UserId,
    by: UserId,
    meta: EventMeta,
) -> Result<Vec<RecordedEvent>, Error> {
    let command = ProjectCommand::RemoveMember {
        user: user.clone(),
        by,
    };
    let principal = Principal::User(user);
    let mut attempt = 0;
    loop {
        let (project, events) =
            stockage_store::command::decide::<Project>(store, project_id, command.clone()).await?;
        let mut appends = vec![Append {
            stream_id: project_id,
            project_id,
            expected: Expected::Version(project.version()),
            events: events.into_iter().map(NewEvent::new).collect(),
            meta: meta.clone(),
        }];
        for document_id in granted_documents(store.pool(), project_id, &principal).await? {
            appends.push(revoke(store, project_id, document_id, &principal, &meta).await?);
        }
        match store.append_together(appends).await {
            // A grant or revoke on one of the documents, or a team change,
            // got in first: read everything again and decide again.
            Err(AppendError::Conflict { .. }) if attempt < RETRIES => attempt += 1,
            result => return Ok(result?),
        }
    }
}

/// The documents of the project whose ACL names `principal`.
async fn granted_documents(
    pool: &PgPool,
    project_id: Uuid,
    principal: &Principal,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT document_id FROM document_acl WHERE project_id = $1 AND principal = $2 ORDER BY document_id",
    )
    .bind(project_id)
    .bind(principal.to_string())
    .fetch_all(pool)
    .await
}

/// The revoke, expected at the version the document's stream is at now.
async fn revoke(
    store: &EventStore,
    project_id: Uuid,
    document_id: Uuid,
    principal: &Principal,
    meta: &EventMeta,
) -> Result<Append, Error> {
    let document = stockage_store::command::load::<Document>(store, document_id)
        .await
        .map_err(|e: CommandError<DomainError>| Error::from(e))?;
    Ok(Append {
        stream_id: document_id,
        project_id,
        expected: Expected::Version(document.version()),
        events: vec![NewEvent::new(Event::AclEntryRevoked {
            principal: principal.clone(),
        })],
        meta: meta.clone(),
    })
}
