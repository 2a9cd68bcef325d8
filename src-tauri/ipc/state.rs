//! The state the app manages: the database opened at start-up, and the flag that cancels a
//! running import.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use consenttrail_engine::pack::Signer;
use consenttrail_engine::store::Store;
use tauri::{AppHandle, Manager, Runtime};

use super::paths::PathGrants;
use super::{IpcError, IpcErrorCode};

/// The app's managed state. The database is opened once, at start-up; when that fails the error
/// is kept so the window can say what is wrong (a foreign or too-new file is never overwritten,
/// and the app does not crash).
pub struct AppState {
    // A rusqlite connection is `Send` but not `Sync`: commands take turns through the mutex.
    database: Result<Mutex<Store>, IpcError>,
    /// Set by `cancel_import`; the engine checks it between records. Outside the mutex, because
    /// the import holds the database while it runs.
    pub(crate) import_cancel: AtomicBool,
    /// The organisation's key and certificate chosen for this session (a PKCS#12 file and its
    /// password): held in memory only, never written anywhere; None signs with the database's
    /// own key.
    pub(crate) signer: Mutex<Option<Signer>>,
    /// The files the user dropped or chose in this session, by token (the webview names files
    /// only by these).
    pub(crate) paths: PathGrants,
}

impl AppState {
    /// Opens (creating or migrating as needed) the database at `path`.
    pub fn open(path: &Path) -> Self {
        AppState {
            database: Store::open(path).map(Mutex::new).map_err(IpcError::from),
            import_cancel: AtomicBool::new(false),
            signer: Mutex::new(None),
            paths: PathGrants::default(),
        }
    }

    /// A state whose database could not even be located (an unreadable settings file): the
    /// window shows why.
    pub fn failed(message: String) -> Self {
        AppState {
            database: Err(IpcError::new(IpcErrorCode::Database, message)),
            import_cancel: AtomicBool::new(false),
            signer: Mutex::new(None),
            paths: PathGrants::default(),
        }
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

/// Runs `f` with the store on a blocking-work thread, so that SQLite and PDF work never holds
/// the async runtime's few workers (on a 2-core machine a long import on one would otherwise
/// starve the command that cancels it) and the window never freezes.
pub async fn with_store_blocking<R, T, F>(app: AppHandle<R>, f: F) -> Result<T, IpcError>
where
    R: Runtime,
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, IpcError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().with_store(f))
        .await
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("the background job stopped unexpectedly: {e}")))?
}
