//! Test-only (feature `e2e`): emits the event a native file drop on the window emits, so the
//! end-to-end test drives the same code path as a person dragging files from their desktop.

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, Emitter, EventTarget, Runtime};

use super::IpcError;

/// Tauri's `tauri://drag-drop` payload (`DragDropPayload`): the paths and where they landed.
#[derive(Debug, Clone, Serialize)]
struct DropPayload {
    paths: Vec<PathBuf>,
    position: Position,
}

#[derive(Debug, Clone, Serialize)]
struct Position {
    x: f64,
    y: f64,
}

/// Emits a drop of `paths` on the main window's webview.
#[tauri::command]
pub fn e2e_drop<R: Runtime>(app: AppHandle<R>, paths: Vec<PathBuf>) -> Result<(), IpcError> {
    let payload = DropPayload { paths, position: Position { x: 400.0, y: 300.0 } };
    app.emit_to(EventTarget::webview("main"), "tauri://drag-drop", payload)
        .map_err(|e| IpcError::new(super::IpcErrorCode::Internal, format!("could not emit the drop: {e}")))
}
