//! Reading the log for audits, without the web server.
pub mod archive;
mod frame;
mod live_blobs;
pub mod replay;
pub mod verify;
