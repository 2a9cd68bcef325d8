//! "Try with sample data": the fictional demo set (`consenttrail_engine::sample`) in a demo
//! database of its own, next to the user's (`consenttrail-sample-data.sqlite` in the same
//! folder), recreated fresh each time it is opened. The app's one store is switched to it and back
//! under the database lock, so no command ever sees a half-switched state and the user's own
//! database never receives a sample record.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use consenttrail_engine::import::{ImportReport, Progress};
use consenttrail_engine::ops::{self, SampleError};
use consenttrail_engine::store::Store;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use super::import::ImportProgress;
use super::state::with_store_blocking;
use super::{AppState, IpcError, IpcErrorCode};

/// The demo database's file name, in the folder of the user's database.
pub const SAMPLE_DATABASE: &str = "consenttrail-sample-data.sqlite";
/// The folder the demo exports are written to (the sources list names these files).
pub const SAMPLE_EXPORTS: &str = "consenttrail-sample-exports";

/// While the demo database is open: the user's database to go back to. Managed lazily (on the
/// first `open_sample_data`), so the app's start-up and its other state are untouched.
#[derive(Default)]
pub struct SampleHome(Mutex<Option<PathBuf>>);

/// Which database is open. Mirrored by `DatabaseInfo` in ui/src/api/backend.ts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DatabaseInfo {
    /// The open database file, for display (lossy if not valid UTF-8).
    pub database_path: String,
    /// True while the fictional demo database is open instead of the user's.
    pub sample_data: bool,
}

/// The user's database to return to, when the demo database is open.
pub fn home_while_sample<R: Runtime>(app: &AppHandle<R>) -> Result<Option<PathBuf>, IpcError> {
    match app.try_state::<SampleHome>() {
        None => Ok(None),
        Some(home) => Ok(home.0.lock().map_err(|_| poisoned())?.clone()),
    }
}

fn poisoned() -> IpcError {
    IpcError::new(IpcErrorCode::Internal, "the sample-data switch failed earlier; restart ConsentTrail")
}

/// The demo database's path for a user's database at `home`; refused when it would be the same
/// file (a user's database that happens to carry the demo's name is never replaced).
fn sample_path(home: &Path) -> Result<PathBuf, IpcError> {
    let path = home.with_file_name(SAMPLE_DATABASE);
    if path == home {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("your database is itself named {SAMPLE_DATABASE}; the sample data cannot be opened next to it"),
        ));
    }
    Ok(path)
}

/// Deletes the demo database and its SQLite side files, so it is recreated fresh.
fn remove_sample_database(path: &Path) -> Result<(), IpcError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(IpcError::new(
                    IpcErrorCode::Database,
                    format!("the previous sample database {} could not be removed: {e}", path.display()),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Switches the app to a fresh demo database and imports the sample set into it (progress as an
/// import's, cancellable with `cancel_import`). The user's database is closed, not changed.
#[tauri::command]
pub async fn open_sample_data<R: Runtime>(
    app: AppHandle<R>,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportReport, IpcError> {
    if app.try_state::<SampleHome>().is_none() {
        app.manage(SampleHome::default());
    }
    let job = app.clone();
    with_store_blocking(app, move |store| {
        // Reads wait for the switch (the reader reopens on the demo database afterwards).
        job.state::<AppState>().close_reader();
        let state = job.state::<SampleHome>();
        let mut home = state.0.lock().map_err(|_| poisoned())?;
        let user = home.clone().unwrap_or_else(|| store.path().to_path_buf());
        let sample = sample_path(&user)?;
        // Back on the user's database first: the demo file may then be deleted and recreated.
        if home.is_some() {
            *store = Store::open(&user)?;
            *home = None;
        }
        remove_sample_database(&sample)?;
        *store = Store::open(&sample)?;
        *home = Some(user);
        drop(home);

        let exports = sample.with_file_name(SAMPLE_EXPORTS);
        let cancel = &job.state::<AppState>().import_cancel;
        cancel.store(false, Ordering::SeqCst);
        let sender = &on_progress;
        let mut importing = |progress: Progress| drop(sender.send(ImportProgress { phase: "importing", progress }));
        let mut auditing = |done: usize, total: usize| {
            let progress = Progress {
                rows: done as u64,
                bytes_done: done as u64,
                bytes_total: total as u64,
                ..Progress::default()
            };
            drop(sender.send(ImportProgress { phase: "auditing", progress }));
        };
        let imported =
            ops::import_sample(store, &exports, &mut importing, &mut auditing, cancel).map_err(|e| match e {
                SampleError::Store(store) => IpcError::from(store),
                other => IpcError::new(IpcErrorCode::Internal, other.to_string()),
            })?;
        if imported.cancelled {
            return Err(IpcError::new(
                IpcErrorCode::Cancelled,
                "sample data cancelled: the demo database is open with what was imported; leave it to return to yours",
            ));
        }
        Ok(imported.report)
    })
    .await
}

/// Switches back to the user's database (nothing happens when it is already open).
#[tauri::command]
pub async fn leave_sample_data<R: Runtime>(app: AppHandle<R>) -> Result<DatabaseInfo, IpcError> {
    let job = app.clone();
    with_store_blocking(app, move |store| {
        job.state::<AppState>().close_reader();
        if let Some(state) = job.try_state::<SampleHome>() {
            let mut home = state.0.lock().map_err(|_| poisoned())?;
            if let Some(user) = home.as_ref() {
                *store = Store::open(user)?;
                *home = None;
            }
        }
        Ok(DatabaseInfo { database_path: store.path().to_string_lossy().into_owned(), sample_data: false })
    })
    .await
}

/// Which database is open, and whether it is the demo one.
#[tauri::command]
pub async fn database_info<R: Runtime>(app: AppHandle<R>) -> Result<DatabaseInfo, IpcError> {
    let job = app.clone();
    with_store_blocking(app, move |store| {
        Ok(DatabaseInfo {
            database_path: store.path().to_string_lossy().into_owned(),
            sample_data: home_while_sample(&job)?.is_some(),
        })
    })
    .await
}
