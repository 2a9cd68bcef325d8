//! Sources commands: imported files, their warnings and rejections, removing one.

use consenttrail_engine::ops;
use consenttrail_engine::store::sources::{self, ImportIssue, SourceInfo};
use serde::Serialize;
use tauri::{AppHandle, Runtime};

use super::state::{with_reader_blocking, with_store_blocking};
use super::{IpcError, IpcErrorCode};

/// Every imported file, oldest first.
#[tauri::command]
pub async fn list_sources<R: Runtime>(app: AppHandle<R>) -> Result<Vec<SourceInfo>, IpcError> {
    with_reader_blocking(app, |store| Ok(sources::list(store.conn())?)).await
}

/// The warnings and rejected rows recorded when a source was imported.
#[tauri::command]
pub async fn source_issues<R: Runtime>(app: AppHandle<R>, source_id: i64) -> Result<Vec<ImportIssue>, IpcError> {
    with_reader_blocking(app, move |store| Ok(sources::issues(store.conn(), source_id)?)).await
}

/// What `remove_source` did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Removed {
    pub removed: i64,
    pub events_removed: usize,
}

/// Removes a source and everything derived from it, records it in the audit log and re-runs
/// the audit so no finding points at removed events.
#[tauri::command]
pub async fn remove_source<R: Runtime>(app: AppHandle<R>, source_id: i64) -> Result<Removed, IpcError> {
    with_store_blocking(app, move |store| {
        if sources::get(store.conn(), source_id)?.is_none() {
            return Err(IpcError::new(IpcErrorCode::NotFound, format!("no source {source_id}")));
        }
        // The removal and its audit-log entry are one transaction; the audit re-runs after it.
        let removed = ops::remove_source(store, source_id)?;
        Ok(Removed { removed: source_id, events_removed: removed.events_removed })
    })
    .await
}
