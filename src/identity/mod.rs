//! Who is calling: bearer tokens and the configuration they are checked
//! with.
mod config;
pub mod tokens;

pub use config::AuthConfig;
pub use tokens::{AuthUser, Claims, Keys, parse_ttl};
