//! Driving operations: a closed loop (N clients, each starting its next
//! operation when the last one ends) and an open loop (operations started
//! at a fixed rate, however long each takes).
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::stats::{Percentiles, percentiles};

/// What a run of operations did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub done: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentiles(&self) -> Option<Percentiles> {
        percentiles(&self.latencies)
    }

    fn record(&mut self, took: Duration, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.done += 1;
                self.latencies.push(took);
            }
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.done += other.done;
        self.errors += other.errors;
        self.latencies.extend(other.latencies);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// `clients` concurrent tasks, each running `op(client)` back to back
/// until `duration` has passed.
pub async fn closed_loop<F, Fut>(clients: usize, duration: Duration, op: F) -> Outcome
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                while Instant::now() < deadline {
                    let began = Instant::now();
                    let result = op(client).await;
                    outcome.record(began.elapsed(), result);
                }
                outcome
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        match task.await {
            Ok(outcome) => total.merge(outcome),
            Err(panic) => total.record(Duration::ZERO, Err(panic.to_string())),
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Starts `op(n)` `rate` times a second for `duration`, without waiting
/// for earlier ones; latency is measured from each operation's scheduled
/// start, so a server that falls behind shows it.
pub async fn open_loop<F, Fut>(rate: f64, duration: Duration, op: F) -> Outcome
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let shared = Arc::new(Mutex::new(Outcome::default()));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let fut = op(n);
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let result = fut.await;
            let took = due.elapsed();
            if let Ok(mut outcome) = shared.lock() {
                outcome.record(took, result);
            }
        }));
    }
    for task in tasks {
        if let Err(panic) = task.await
            && let Ok(mut outcome) = shared.lock()
        {
            outcome.record(Duration::ZERO, Err(panic.to_string()));
        }
    }
    let mut outcome = std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner()));
    // The schedule spans `duration`; only a server that falls behind stretches it.
    outcome.elapsed = started.elapsed().max(duration);
    outcome
}
