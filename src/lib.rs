#![forbid(unsafe_code)]
//! Stockage: a secure, versioned, event-sourced document store.

pub mod access;
pub mod api;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod cli;
pub mod commands;
pub mod db;
pub mod diff;
pub mod documents;
pub mod domain;
pub mod index;
pub mod live;
pub mod permissions;
pub mod policy;
pub mod preview;
pub mod projects;
pub mod revisions;
pub mod search;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod ui;
