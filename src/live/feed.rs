//! One subscriber's ordered view of a project's events: the log first
//! (catch-up, in pages), then the node's broadcast, deduplicated by
//! position. Falling behind the broadcast just sends it back to the log.
use std::sync::Arc;

use sqlx::PgPool;
use stockage_store::log::{self, Filter};
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::LiveEvent;

const PAGE: i64 = 500;
const RETRY: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Feed {
    pool: PgPool,
    live: broadcast::Receiver<Arc<LiveEvent>>,
    project_id: Uuid,
    /// The last position handed out.
    after: i64,
    catching_up: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the node is shutting down")]
    Closed,
}

impl Feed {
    pub(super) fn new(
        pool: PgPool,
        live: broadcast::Receiver<Arc<LiveEvent>>,
        project_id: Uuid,
        after: i64,
    ) -> Self {
        Self {
            pool,
            live,
            project_id,
            after,
            catching_up: true,
        }
    }

    pub fn after(&self) -> i64 {
        self.after
    }

    /// The next events of the project, in order, none twice.
    pub async fn next(&mut self) -> Result<Vec<Arc<LiveEvent>>, FeedError> {
        loop {
            if self.catching_up {
                // The log is the truth: a database that is briefly away
                // (a restart) delays the catch-up, it does not end it.
                let (events, last) = match self.read_page().await {
                    Ok(page) => page,
                    Err(error) => {
                        tracing::warn!(%error, after = self.after, "catch-up read failed; retrying");
                        tokio::time::sleep(RETRY).await;
                        continue;
                    }
                };
                match last {
                    Some(last) => {
                        self.after = last;
                        if !events.is_empty() {
                            return Ok(events);
                        }
                    }
                    None => self.catching_up = false,
                }
                continue;
            }
            match self.live.recv().await {
                Ok(event) if event.project_id == self.project_id && event.position > self.after => {
                    self.after = event.position;
                    return Ok(vec![event]);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(
                        missed,
                        "subscriber fell behind the broadcast; reading the log"
                    );
                    self.catching_up = true;
                }
                Err(RecvError::Closed) => return Err(FeedError::Closed),
            }
        }
    }

    /// The next page of the log, and the last position it covered.
    async fn read_page(&self) -> Result<(Vec<Arc<LiveEvent>>, Option<i64>), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let filter = Filter {
            project_id: Some(self.project_id),
            ..Filter::default()
        };
        let page = log::read_filtered(&mut conn, &filter, self.after, PAGE).await?;
        Ok((
            LiveEvent::decode_all(&page),
            page.last().map(|e| e.position),
        ))
    }
}
