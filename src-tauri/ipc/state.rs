//! The state the app manages: the database opened at start-up.

use std::path::Path;
use std::sync::Mutex;

use consenttrail_engine::store::Store;

use super::{IpcError, IpcErrorCode};

/// The app's managed state. The database is opened once, at start-up; when that fails the error
/// is kept so the window can say what is wrong (a foreign or too-new file is never overwritten,
/// and the app does not crash).
pub struct AppState {
    // A rusqlite connection is `Send` but not `Sync`: commands take turns through the mutex.
    database: Result<Mutex<Store>, IpcError>,
}

impl AppState {
    /// Opens (creating or migrating as needed) the database at `path`.
    pub fn open(path: &Path) -> Self {
        AppState { database: Store::open(path).map(Mutex::new).map_err(IpcError::from) }
    }

    /// A state whose database could not even be located (an unreadable settings file): the
    /// window shows why.
    pub fn failed(message: String) -> Self {
        AppState { database: Err(IpcError::new(IpcErrorCode::Database, message)) }
    }

    /// Why the database could not be opened, if it could not.
    pub fn open_error(&self) -> Option<&IpcError> {
        self.database.as_ref().err()
    }

    /// Runs `f` with the open store, or returns the start-up error.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, IpcError>) -> Result<T, IpcError> {
        let database = self.database.as_ref().map_err(Clone::clone)?;
        let mut store = database.lock().map_err(|_| {
            IpcError::new(
                IpcErrorCode::Internal,
                "the database is unavailable after an earlier command failed unexpectedly; restart ConsentTrail",
            )
        })?;
        f(&mut store)
    }
}
