#![forbid(unsafe_code)]
//! Stockage: a secure, versioned, event-sourced document store.

pub mod api;
pub mod auth;
pub mod cli;
pub mod db;
pub mod domain;
pub mod projects;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
