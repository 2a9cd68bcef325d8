//! Shared helpers: temporary databases, fixture paths, running imports.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use consenttrail_engine::import::{self, ImportOptions, ImportReport};
use consenttrail_engine::store::Store;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `../shared/data` beside the repository (CI has the same layout).
pub fn shared_data() -> PathBuf {
    repo().join("../shared/data")
}

/// `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

/// A fresh database in a temporary folder (kept alive by the returned guard).
pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("consenttrail.db")).unwrap();
    (dir, store)
}

/// Imports paths with options, no progress, no cancel.
pub fn import_with(store: &mut Store, paths: &[PathBuf], options: &ImportOptions) -> ImportReport {
    let cancel = AtomicBool::new(false);
    import::import_paths(store, paths, options, &mut |_| {}, &cancel).unwrap()
}

/// Imports paths with default options.
pub fn import(store: &mut Store, paths: &[PathBuf]) -> ImportReport {
    import_with(store, paths, &ImportOptions::default())
}

/// Runs a query returning one integer.
pub fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}
