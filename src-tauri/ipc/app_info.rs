//! `app_info`: what the shell shows about the app itself.

use serde::Serialize;
use tauri::{Runtime, State, Webview};

use super::{AppState, IpcError, IpcErrorCode};

/// The engine version and the database in use. Mirrored by `AppInfo` in ui/src/api/backend.ts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    /// `consenttrail_engine::VERSION`.
    pub engine_version: String,
    /// The database file opened at start-up, for display (lossy if not valid UTF-8).
    pub database_path: String,
}

/// Returns the engine version and the open database's path, or the error that kept the
/// database from opening.
#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    let database_path = state.with_store(|store| Ok(store.path().to_string_lossy().into_owned()))?;
    Ok(AppInfo { engine_version: consenttrail_engine::VERSION.to_owned(), database_path })
}

/// Opens the platform's print dialog for the window (the screen's print stylesheet applies):
/// `window.print()` does nothing in macOS's WKWebView, the webview's own print works everywhere.
#[tauri::command]
pub fn print_window<R: Runtime>(webview: Webview<R>) -> Result<(), IpcError> {
    webview.print().map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("the window could not be printed: {e}")))
}
