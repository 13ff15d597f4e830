//! Reading the log for audits, without the web server.
pub mod archive;
pub mod replay;
pub mod verify;
