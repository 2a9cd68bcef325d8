//! The ConsentTrail desktop app: a thin Tauri shell over `consenttrail-engine`.
//!
//! This file is start-up only: where the database is, the managed state, and the command list.
//! Commands and their error mapping live in [`ipc`], the only module that names Tauri commands.

pub mod ipc;

use std::path::PathBuf;

use ipc::AppState;

/// Environment variable that overrides where the database is.
pub const DB_PATH_ENV: &str = consenttrail_engine::store::settings::DB_PATH_ENV;

/// The database the app opens at start-up: `$CONSENTTRAIL_DB` when set and not empty (tests,
/// portable installs, a second workspace), else the app setting `database_path`
/// (`settings.json` in the config folder), else `consenttrail.db` in the app-data folder — the
/// same rule the CLI follows (`consenttrail_engine::store::settings::app_database_path`).
pub fn database_path() -> Result<PathBuf, String> {
    consenttrail_engine::store::settings::app_database_path()
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
    let state = match database_path() {
        Ok(path) => AppState::open(&path),
        Err(error) => AppState::failed(error),
    };
    if let Some(error) = state.open_error() {
        eprintln!("ConsentTrail: {error}");
    }

    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .on_webview_event(pass_drops_as_tokens)
        .invoke_handler(ipc::handler());
    #[cfg(feature = "e2e")]
    let builder = builder.manage(ipc::E2eChoices::default());
    builder.run(context())
}

/// A native drag on the window: the dropped paths are registered here, on the Rust side, and
/// the page hears only tokens and names (`ipc::paths`).
fn pass_drops_as_tokens<R: tauri::Runtime>(webview: &tauri::Webview<R>, event: &tauri::WebviewEvent) {
    let tauri::WebviewEvent::DragDrop(drag) = event else { return };
    let app = tauri::Manager::app_handle(webview);
    let passed = match drag {
        tauri::DragDropEvent::Drop { paths, .. } => ipc::register_drop(app, paths.clone()),
        tauri::DragDropEvent::Leave => ipc::emit_drop(app, ipc::DropEvent::Leave),
        _ => ipc::emit_drop(app, ipc::DropEvent::Over),
    };
    if let Err(error) = passed {
        eprintln!("ConsentTrail: {error}");
    }
}
