//! An upload's place under its project's quota: a 507 at once (nothing
//! read) when the declared length cannot fit, then room held for the real
//! size before the bytes get their content address, so uploads racing for
//! the last room cannot all be kept (decision 0060).
use std::time::Duration;

use actix_web::HttpRequest;
use time::OffsetDateTime;
use uuid::Uuid;

use super::AppState;
use super::form::{FORM_ALLOWANCE, declared_length};
use crate::error::Error;
use crate::retention::quota::{Reservation, over_quota};
use crate::storage::{Staged, StoredBlob};

/// How long the room of an upload between its staging and its event stays
/// held if its node dies before giving it back.
const HELD_AT_MOST: Duration = Duration::from_secs(3600);

/// The project an upload's bytes will count in.
pub struct Room<'a> {
    state: &'a AppState,
    project: Uuid,
}

/// 507 before reading when the declared length already cannot fit (a
/// form's own overhead is small) or the project is full.
pub async fn check<'a>(
    req: &HttpRequest,
    state: &'a AppState,
    project: Uuid,
) -> Result<Room<'a>, Error> {
    let room = state.quota.room(state.pool(), project).await?;
    if let (Some(room), Some(declared)) = (room, declared_length(req))
        && declared > room + FORM_ALLOWANCE
    {
        return Err(over_quota(declared, room));
    }
    if room == Some(0) {
        return Err(over_quota(1, 0));
    }
    Ok(Room { state, project })
}

impl Room<'_> {
    /// Holds the staged file's size under the quota, then gives the file
    /// its content address; a file that does not fit is discarded (507).
    pub async fn commit(&self, staged: Staged) -> Result<(StoredBlob, Reservation), Error> {
        let until = OffsetDateTime::now_utc() + HELD_AT_MOST;
        let size = staged.blob().size;
        let pool = self.state.pool();
        let reserved = self
            .state
            .quota
            .reserve(pool, self.project, Uuid::now_v7(), size, until)
            .await;
        match reserved {
            Ok(reservation) => Ok((staged.commit().await?, reservation)),
            Err(error) => {
                staged.discard().await;
                Err(error)
            }
        }
    }
}
