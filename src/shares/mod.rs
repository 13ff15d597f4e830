//! Share links: a public URL for one document (its latest revision or a
//! fixed one) with an expiry, an optional password and an optional
//! download limit. Each link is a stream of its own (`domain::share`);
//! creation, revocation and every download are events. The token and the
//! password live only hashed, in `share_secrets`, never in the log.
mod links;
mod password;
mod public;
mod secret;
mod throttle;

pub use links::{
    DEFAULT_EXPIRY, MAX_EXPIRY, NewShare, ShareView, create, list, revoke, set_sharing,
};
pub use public::{Opened, PublicShare, open, record_download, truncate_address};
pub use secret::Token;
pub use throttle::Throttle;

/// The longest a presigned S3 URL handed out by a link stays valid.
pub const PRESIGN_TTL: std::time::Duration = std::time::Duration::from_secs(300);
