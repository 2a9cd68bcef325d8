//! The canonical model every importer maps to (SPEC §2).

pub mod event;
pub mod finding;
pub mod identifier;
pub mod timeline;
pub mod timestamp;

pub use event::{EventKind, Method};
pub use identifier::{Identifier, IdentifierError};
pub use timestamp::{DateOrder, Timestamp, TimestampError, ZoneBasis};
