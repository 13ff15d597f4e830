//! What leaves storage and when: the trash, retention policies, legal
//! hold, purges (events first, bytes after), quotas, and garbage
//! collection of unfinished uploads, unreferenced blobs and thumbnails.
mod config;
pub mod gc;
pub mod plan;
pub mod purge;
pub mod quota;
pub mod reservation;
pub mod scheduler;
pub mod trash;

pub use config::RetentionConfig;
