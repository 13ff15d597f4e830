//! Rendering off the async runtime, within a time budget. Renderers check
//! the deadline themselves where they loop (the rasterizer) and bound
//! their memory by caps (image limits, triangle and pixel caps); a renderer
//! that overruns is abandoned and answered with the failed placeholder.
use std::sync::Arc;
use std::time::{Duration, Instant};

use stockage_events::FileKind;

use super::{Preview, PreviewError, Size};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            time: Duration::from_secs(10),
        }
    }
}

pub async fn render(kind: FileKind, bytes: Arc<Vec<u8>>, size: Size, budget: Budget) -> Preview {
    let deadline = Instant::now() + budget.time;
    let task = tokio::task::spawn_blocking(move || super::preview(kind, &bytes, size, deadline));
    // A little grace past the deadline for a renderer that checks it.
    match tokio::time::timeout(budget.time + Duration::from_millis(500), task).await {
        Ok(Ok(preview)) => preview,
        Ok(Err(error)) => {
            super::placeholder_for(kind, size, &PreviewError::Panicked(error.to_string()))
        }
        Err(_) => {
            let why = format!("rendering took longer than {} s", budget.time.as_secs_f64());
            tracing::warn!(?kind, %why, "preview abandoned");
            super::placeholder_for(kind, size, &PreviewError::Budget(why))
        }
    }
}
