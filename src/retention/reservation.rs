//! Room under a project's quota held for one upload on its way in: taken
//! by [`super::quota::Quota::reserve`] before the bytes get their content
//! address, given back once the upload's event is recorded (its revision
//! then counts instead) or the upload failed.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::error::Error;

/// Dropped before [`Reservation::recorded`] or [`Reservation::keep`] (an
/// error on the way), it gives the room back in the background.
#[must_use = "record the upload through the reservation, or keep it"]
pub struct Reservation {
    id: Uuid,
    /// `None`: nothing is held (no quota, or released or kept already).
    pool: Option<PgPool>,
    /// The project's turn on this node (see [`Reservation::recorded`]).
    turn: Option<(Turns, Uuid)>,
}

/// Each project's turn on this node: a reservation is decided, or an
/// upload recorded and its room given back ([`Reservation::recorded`]), one
/// at a time. Between an
/// upload's commit and the release of its room both would count, so a
/// reservation decided in that gap refused room that was free.
#[derive(Debug, Clone, Default)]
pub struct Turns(Arc<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>>);

impl Turns {
    pub async fn take(&self, project: Uuid) -> OwnedMutexGuard<()> {
        let turn = {
            let mut turns = self.0.lock().unwrap_or_else(|e| e.into_inner());
            turns.entry(project).or_default().clone()
        };
        turn.lock_owned().await
    }
}

impl Reservation {
    pub(super) fn none(id: Uuid) -> Self {
        Self {
            id,
            pool: None,
            turn: None,
        }
    }

    pub(super) fn held(pool: PgPool, id: Uuid, turns: Turns, project: Uuid) -> Self {
        Self {
            id,
            pool: Some(pool),
            turn: Some((turns, project)),
        }
    }

    /// Records the upload (`record`: the commit of its event), then gives
    /// the room back, since its revision counts from that commit on. Both
    /// run in the project's turn on this node, so no reservation is decided
    /// in between, when both would count. If `record` fails the reservation
    /// stays as it was: dropped, it gives the room back; [`Reservation::keep`]
    /// keeps it. Another node can still decide in the gap; it then refuses
    /// room that was free, never grants room that was not.
    pub async fn recorded<T>(
        &mut self,
        record: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let _turn = match (&self.pool, &self.turn) {
            (Some(_), Some((turns, project))) => Some(turns.take(*project).await),
            _ => None,
        };
        let done = record.await?;
        if let Some(pool) = self.pool.take() {
            forget(&pool, self.id).await?;
        }
        Ok(done)
    }

    /// Leaves the room held after this guard goes: a resumable upload's,
    /// until it completes, is discarded or expires.
    pub fn keep(mut self) {
        self.pool = None;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let (Some(pool), Ok(runtime)) = (self.pool.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let id = self.id;
        runtime.spawn(async move {
            if let Err(error) = forget(&pool, id).await {
                // It lapses at its expiry anyway.
                tracing::warn!(%error, reservation = %id, "giving back quota room failed");
            }
        });
    }
}

/// Gives back the room held for upload `id`, if any.
pub async fn forget(pool: &PgPool, id: Uuid) -> Result<(), Error> {
    sqlx::query("DELETE FROM quota_reservations WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
