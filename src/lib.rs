#![forbid(unsafe_code)]
//! Stockage: a secure, versioned, event-sourced document store.
//!
//! Layers point one way: `api` (HTTP) → the service folders → `domain`
//! and the crates (`stockage-store`, `stockage-projections`,
//! `stockage-events`, `stockage-extract`). See docs/layout.md.

// The HTTP layer and the program around the services.
pub mod api;
pub mod cli;
pub mod startup;

// The services.
pub mod audit;
pub mod bridge;
pub mod documents;
pub mod identity;
pub mod live;
pub mod locks;
pub mod permissions;
pub mod preview;
pub mod retention;
pub mod search;
pub mod shares;
pub mod storage;
pub mod uploads;
pub mod versions;

// What they share.
pub mod db;
pub mod domain;
pub mod env;
pub mod error;
pub mod isolate;
pub mod paging;
pub mod settings;
pub mod telemetry;
