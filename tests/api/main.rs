//! One integration-test binary; every test gets its own fresh database
//! (`#[sqlx::test]` clones nothing: it creates and migrates a new one).
mod helpers;

mod auth;
mod documents;
mod event_store;
mod projections;
mod projects;
mod storage;
mod uploads;
