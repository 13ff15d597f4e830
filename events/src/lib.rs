//! Stockage's event vocabulary: the domain types events carry, the events
//! themselves, the envelope they are stored in and the hash chain over them.
//! No web or database dependency lives here.
#![forbid(unsafe_code)]

mod chain;
mod content;
mod envelope;
mod event;
mod retention;
mod tagged;
mod types;

pub use chain::{ChainError, GENESIS_HASH, Hash, canonical_bytes, chain_hash, verify_chain};
pub use content::{FileKind, Sha256};
pub use envelope::{EventMeta, NewEvent, RecordedEvent};
pub use event::{DecodeError, Event, SCHEMA_VERSION, TokenScope};
pub use retention::PurgeRule;
pub use types::{LifecycleState, ParseError, Permission, Principal, ProjectSlug, Role, UserId};
