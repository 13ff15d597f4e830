//! One integration-test binary; every test gets its own fresh database
//! (`#[sqlx::test]` creates and migrates a new one per test).
mod channels_consumer;
mod helpers;
mod processes;
mod redis_server;
mod subscriber;

mod archive;
mod auth;
mod bridge;
mod conformance;
mod diffs;
mod document_list;
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
mod previews;
mod projections;
mod projects;
mod replay_cli;
mod retention;
mod revisions;
mod search;
mod settings;
mod shares;
mod slow_files;
mod storage;
mod ui;
mod uploads;
mod verify;
