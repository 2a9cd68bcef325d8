//! The state the app manages: the database opened at start-up (a writer connection behind a
//! mutex, and a reader connection of its own for the screens' reads), and the flag that cancels
//! a running import.
//!
//! The database is in WAL mode, so a reader sees the last committed state while a writer's
//! transaction is open: Subjects, Timeline and Findings stay usable during an import, an audit
//! or a pack, which hold the writer for minutes.

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
    /// A second connection to the same file for read-only commands (`with_reader`). None until
    /// opened, or after `close_reader` (the database is being switched): reads then go through
    /// the writer until the writer's next command opens it again on the database then open.
    reader: Mutex<Option<Store>>,
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
        let database = Store::open(path).map_err(IpcError::from);
        let reader = database.as_ref().ok().and_then(|writer| open_reader(writer.path()));
        AppState {
            database: database.map(Mutex::new),
            reader: Mutex::new(reader),
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
            reader: Mutex::new(None),
            import_cancel: AtomicBool::new(false),
            signer: Mutex::new(None),
            paths: PathGrants::default(),
        }
    }

    /// Why the database could not be opened, if it could not.
    pub fn open_error(&self) -> Option<&IpcError> {
        self.database.as_ref().err()
    }

    /// Runs `f` with the open store (the writer), or returns the start-up error. Afterwards the
    /// reader is (re)opened if it is missing or on another file (`f` switched the database).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, IpcError>) -> Result<T, IpcError> {
        let database = self.database.as_ref().map_err(Clone::clone)?;
        let mut store = database.lock().map_err(|_| unavailable())?;
        let result = f(&mut store);
        if let Ok(mut reader) = self.reader.lock() {
            if reader.as_ref().is_none_or(|r| r.path() != store.path()) {
                *reader = open_reader(store.path());
            }
        }
        result
    }

    /// Runs `f` with the reader connection, so a read never waits for an import, audit or pack
    /// holding the writer. `f` must not write (the connection is `query_only`). Without a reader
    /// (it could not be opened, or the database is being switched) the read takes the writer.
    pub fn with_reader<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, IpcError>) -> Result<T, IpcError> {
        self.database.as_ref().map_err(Clone::clone)?;
        let mut reader = self.reader.lock().map_err(|_| unavailable())?;
        match reader.as_mut() {
            Some(store) => f(store),
            None => {
                drop(reader);
                self.with_store(f)
            }
        }
    }

    /// Closes the reader before the database is switched (sample data): it is reopened on the
    /// new database when the switching command returns, and reads meanwhile go through the
    /// writer, so no read sees the old file and the old file is not held open.
    pub fn close_reader(&self) {
        if let Ok(mut reader) = self.reader.lock() {
            *reader = None;
        }
    }
}

fn unavailable() -> IpcError {
    IpcError::new(
        IpcErrorCode::Internal,
        "the database is unavailable after an earlier command failed unexpectedly; restart ConsentTrail",
    )
}

/// A reader connection on the database the writer has open (and so already created and
/// migrated). `query_only`: a read command that tried to write would fail instead of waiting for
/// the writer. None when it cannot be opened: reads then share the writer, as before.
fn open_reader(path: &Path) -> Option<Store> {
    let store = Store::open(path).ok()?;
    store.conn().pragma_update(None, "query_only", true).ok()?;
    Some(store)
}

/// Runs the read-only `f` with the reader connection on a blocking-work thread (see
/// [`AppState::with_reader`]): it does not wait for a running import, audit or pack.
pub async fn with_reader_blocking<R, T, F>(app: AppHandle<R>, f: F) -> Result<T, IpcError>
where
    R: Runtime,
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, IpcError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().with_reader(f))
        .await
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("the background job stopped unexpectedly: {e}")))?
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
