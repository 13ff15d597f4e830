//! The load tool's parts: a server to drive, an HTTP client, the baselines
//! of this machine, latency statistics and the report. The benches of the
//! root package use the shared parts too (generated logs, disk, RSS).
#![forbid(unsafe_code)]

pub mod api;
pub mod broadcast;
pub mod disk;
pub mod drive;
pub mod generate;
pub mod raw;
pub mod report;
pub mod rng;
pub mod rss;
pub mod server;
pub mod stats;
