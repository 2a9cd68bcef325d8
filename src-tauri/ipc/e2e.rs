//! Test-only (feature `e2e`): WebDriver cannot carry files from the OS nor click a native dialog,
//! so the end-to-end test drops files through the same registration a real drop uses
//! (`paths::register_drop`) and registers the path the next dialog "chooses".

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use tauri::{AppHandle, Manager, Runtime};

use super::IpcError;

/// Paths queued by `e2e_choose`: each dialog takes the oldest entry instead of showing itself.
#[derive(Debug, Default)]
pub struct E2eChoices(Mutex<VecDeque<Vec<PathBuf>>>);

/// Drops `paths` on the main window, as a person dragging files from their desktop would.
#[tauri::command]
pub fn e2e_drop<R: Runtime>(app: AppHandle<R>, paths: Vec<PathBuf>) -> Result<(), IpcError> {
    super::register_drop(&app, paths)
}

/// The next native dialog (open or save) returns `paths` as if the user had chosen them.
#[tauri::command]
pub fn e2e_choose<R: Runtime>(app: AppHandle<R>, paths: Vec<PathBuf>) -> Result<(), IpcError> {
    let choices = app.state::<E2eChoices>();
    let mut queue = choices
        .0
        .lock()
        .map_err(|_| IpcError::new(super::IpcErrorCode::Internal, "the queued test choices are unavailable"))?;
    queue.push_back(paths);
    Ok(())
}

/// The oldest queued choice, if the test queued one.
pub(super) fn take_choice<R: Runtime>(app: &AppHandle<R>) -> Option<Vec<PathBuf>> {
    let choices = app.try_state::<E2eChoices>()?;
    let mut queue = choices.0.lock().ok()?;
    queue.pop_front()
}
