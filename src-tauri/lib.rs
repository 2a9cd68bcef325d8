//! The ConsentTrail desktop app: a thin Tauri shell over `consenttrail-engine`.
//!
//! This file is start-up only: where the database is, the managed state, and the command list.
//! Commands and their error mapping live in [`ipc`], the only module that names Tauri commands.

pub mod ipc;

use std::path::PathBuf;

use ipc::AppState;

/// Environment variable that overrides where the database is.
pub const DB_PATH_ENV: &str = "CONSENTTRAIL_DB";

/// The database the app opens at start-up: the path in the `CONSENTTRAIL_DB` environment
/// variable when it is set and not empty (tests, portable installs, a second workspace),
/// otherwise `consenttrail.db` in the platform's app-data folder
/// (`consenttrail_engine::store::default_db_path`).
pub fn database_path() -> PathBuf {
    match std::env::var_os(DB_PATH_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => consenttrail_engine::store::default_db_path(),
    }
}

/// The Tauri context generated from `tauri.conf.json` (configuration, embedded `ui/dist`,
/// icons and the access-control list built from `src-tauri/capabilities`). Generic so the IPC
/// tests can run the real configuration on Tauri's mock runtime.
pub(crate) fn context<R: tauri::Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Starts the app: opens the database (a failure is kept and shown in the window, never a
/// crash), registers the commands and runs the event loop until the last window closes.
pub fn run() -> Result<(), tauri::Error> {
    let state = AppState::open(&database_path());
    if let Some(error) = state.open_error() {
        eprintln!("ConsentTrail: {error}");
    }

    tauri::Builder::default().manage(state).invoke_handler(ipc::handler()).run(context())
}
