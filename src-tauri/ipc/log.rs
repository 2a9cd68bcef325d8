//! The Audit log view: the user's own actions and whether the log's hash chain holds.

use consenttrail_engine::store::audit_log::{self, AuditLogView};
use tauri::{AppHandle, Runtime};

use super::state::with_reader_blocking;
use super::IpcError;

/// Every audit-log entry, oldest first, with the chain check (first broken link, if any).
#[tauri::command]
pub async fn audit_log<R: Runtime>(app: AppHandle<R>) -> Result<AuditLogView, IpcError> {
    with_reader_blocking(app, |store| Ok(audit_log::view(store.conn())?)).await
}
