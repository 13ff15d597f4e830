//! Failed passwords per link, counted in memory (no database write per
//! attempt): at most `LIMIT` in any `WINDOW`. An attempt is counted as a
//! failure while it is being checked, so a burst of parallel guesses
//! cannot slip past the limit; a right password takes its count back.
//! Per node: N nodes allow N × LIMIT guesses a minute, still far too few
//! for any password worth setting.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

pub const LIMIT: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Links tracked at once before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Uuid, VecDeque<Instant>>>,
}

/// An attempt in progress, counted as a failure unless it `succeeded`.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    share: Uuid,
    at: Instant,
}

impl Throttle {
    /// Starts an attempt on `share`, or says in how many seconds one is
    /// allowed again.
    pub fn begin(&self, share: Uuid, now: Instant) -> Result<Attempt<'_>, u64> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, times| times.back().is_some_and(|t| now - *t < WINDOW));
        }
        let times = failures.entry(share).or_default();
        while times.front().is_some_and(|t| now - *t >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= LIMIT {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = WINDOW.saturating_sub(now - oldest);
            return Err(wait.as_secs().max(1));
        }
        times.push_back(now);
        Ok(Attempt {
            throttle: self,
            share,
            at: now,
        })
    }
}

impl Attempt<'_> {
    pub fn succeeded(self) {
        let mut failures = self
            .throttle
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(times) = failures.get_mut(&self.share)
            && let Some(i) = times.iter().rposition(|t| *t == self.at)
        {
            times.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_a_minute_then_wait() {
        let throttle = Throttle::default();
        let (share, start) = (Uuid::new_v4(), Instant::now());
        for i in 0..LIMIT as u64 {
            let _failed = throttle
                .begin(share, start + Duration::from_secs(i))
                .unwrap();
        }
        let later = start + Duration::from_secs(30);
        assert_eq!(throttle.begin(share, later).err(), Some(30));
        assert!(throttle.begin(Uuid::new_v4(), later).is_ok(), "per link");
        assert!(
            throttle.begin(share, start + WINDOW).is_ok(),
            "window slides"
        );
    }

    #[test]
    fn a_right_password_does_not_count() {
        let throttle = Throttle::default();
        let (share, now) = (Uuid::new_v4(), Instant::now());
        for _ in 0..LIMIT * 2 {
            throttle.begin(share, now).unwrap().succeeded();
        }
        assert!(throttle.begin(share, now).is_ok());
    }
}
