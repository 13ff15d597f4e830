//! One integration-test binary; every test gets its own fresh database
//! (`#[sqlx::test]` creates and migrates a new one per test).
mod channels_consumer;
mod helpers;
mod processes;
mod redis_server;
mod subscriber;

mod access_tokens;
mod archive;
mod auth;
mod bridge;
mod conformance;
mod diffs;
mod documents;
mod event_store;
mod events_cli;
mod index_cli;
mod indexing;
mod lifecycle;
mod live;
mod live_nodes;
mod locks;
mod permissions;
mod platform_tokens;
mod previews;
mod projections;
mod projects;
mod replay_cli;
mod revisions;
mod search;
mod sessions;
mod settings;
mod slow_files;
mod storage;
mod ui;
mod uploads;
mod verify;
