//! Locks and lifecycle as the document view shows them, read from the
//! `document_workflow` read model. Expiry is applied at read time.
use serde::Serialize;
use time::OffsetDateTime;

/// `lock` in the document view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LockView {
    pub locked_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub locked_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub note: Option<String>,
}

/// The workflow columns read with a document row (all null when the
/// document never had a lock or a transition: `wip`, unlocked).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct WorkflowRow {
    #[sqlx(default)]
    pub lock_holder: Option<String>,
    #[sqlx(default)]
    pub locked_at: Option<OffsetDateTime>,
    #[sqlx(default)]
    pub lock_expires_at: Option<OffsetDateTime>,
    #[sqlx(default)]
    pub lock_note: Option<String>,
    #[sqlx(default)]
    pub state: Option<String>,
    #[sqlx(default)]
    pub released_revision: Option<i32>,
    #[sqlx(default)]
    pub release: Option<String>,
}

impl WorkflowRow {
    /// The lock if it holds at `now`; an expired one counts as released.
    pub fn lock_at(&self, now: OffsetDateTime) -> Option<LockView> {
        let (holder, at, expires) = (
            self.lock_holder.clone()?,
            self.locked_at?,
            self.lock_expires_at?,
        );
        (expires > now).then(|| LockView {
            locked_by: holder,
            locked_at: at,
            expires_at: expires,
            note: self.lock_note.clone(),
        })
    }

    pub fn state(&self) -> String {
        self.state.clone().unwrap_or_else(|| "wip".into())
    }
}
