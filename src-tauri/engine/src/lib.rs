//! ConsentTrail engine: everything the desktop app and the CLI share.
//!
//! The engine has no Tauri or webview dependency so that it builds and is tested on a machine
//! without webkit, and so that data staff can run it headless on large exports.

/// The engine's version, shown in the app and written into evidence packs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod cells;
pub mod import;
pub mod model;
pub mod ops;
pub mod pack;
pub mod profile;
pub mod reconcile;
pub mod rules;
pub mod sample;
pub mod store;
