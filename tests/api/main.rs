//! One integration-test binary; every test gets its own fresh database
//! (`#[sqlx::test]` creates and migrates a new one per test).
mod helpers;
mod processes;
mod relay;
mod subscriber;

mod archive;
mod archive_anchors;
mod auth;
mod conformance;
mod diff_limits;
mod diffs;
mod disclosure;
mod documents;
mod event_store;
mod events_cli;
mod index_cli;
mod indexing;
mod least_privilege;
mod live;
mod live_nodes;
mod names;
mod outages;
mod permissions;
mod previews;
mod projections;
mod projects;
mod replay_cli;
mod revisions;
mod search;
mod settings;
mod slow_files;
mod storage;
mod ui;
mod uploads;
mod verify;
