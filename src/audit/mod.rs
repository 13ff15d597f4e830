//! Reading the log for audits, without the web server.
pub mod replay;
pub mod verify;
