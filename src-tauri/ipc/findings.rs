//! Findings commands: run the audit, browse the stored findings, decide on one or several,
//! export them.

use std::path::PathBuf;

use consenttrail_engine::ops;
use consenttrail_engine::rules::audit;
use consenttrail_engine::rules::browse::{self, FindingBreakdown, FindingFilter, FindingPage};
use consenttrail_engine::rules::decisions::Decision;
use consenttrail_engine::rules::export::{self, ExportFormat};
use consenttrail_engine::rules::AuditSummary;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use super::state::{with_reader_blocking, with_store_blocking};
use super::{AppState, IpcError};

/// Progress of a running audit: subjects checked so far, of all.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AuditProgress {
    pub done: usize,
    pub total: usize,
}

/// Runs every rule over the database and stores the findings, streaming progress.
#[tauri::command]
pub async fn run_audit<R: Runtime>(
    app: AppHandle<R>,
    on_progress: Channel<AuditProgress>,
) -> Result<AuditSummary, IpcError> {
    with_store_blocking(app, move |store| {
        // A closed window drops the channel; the audit itself carries on.
        let mut report = |done, total| drop(on_progress.send(AuditProgress { done, total }));
        Ok(audit::run_stored(store, &mut report)?)
    })
    .await
}

/// A page of the stored findings matching `filter`.
#[tauri::command]
pub async fn findings_page<R: Runtime>(
    app: AppHandle<R>,
    filter: FindingFilter,
    limit: i64,
    offset: i64,
) -> Result<FindingPage, IpcError> {
    with_reader_blocking(app, move |store| Ok(browse::page(store.conn(), &filter, limit, offset)?)).await
}

/// Counts of the findings matching `filter`, for the dashboard.
#[tauri::command]
pub async fn findings_breakdown<R: Runtime>(
    app: AppHandle<R>,
    filter: FindingFilter,
) -> Result<FindingBreakdown, IpcError> {
    with_reader_blocking(app, move |store| Ok(browse::breakdown(store.conn(), &filter)?)).await
}

/// Records an auditor's decision (accepted / false-positive / remediated) with a note.
#[tauri::command]
pub async fn decide_finding<R: Runtime>(
    app: AppHandle<R>,
    finding_id: String,
    status: String,
    note: String,
    by: Option<String>,
) -> Result<Decision, IpcError> {
    if note.trim().is_empty() {
        return Err(super::error::invalid("a decision needs a note saying why"));
    }
    let by = by.filter(|b| !b.trim().is_empty());
    with_store_blocking(app, move |store| Ok(ops::decide(store, &finding_id, &status, &note, by.as_deref())?)).await
}

/// Records one decision with one note on several findings (the Findings screen's bulk
/// decision): all of them with their audit-log entries in one transaction, or — when one cannot
/// be decided — none. The decisions come back in the order of `finding_ids`.
#[tauri::command]
pub async fn decide_findings<R: Runtime>(
    app: AppHandle<R>,
    finding_ids: Vec<String>,
    status: String,
    note: String,
    by: Option<String>,
) -> Result<Vec<Decision>, IpcError> {
    if note.trim().is_empty() {
        return Err(super::error::invalid("a decision needs a note saying why"));
    }
    if finding_ids.is_empty() {
        return Err(super::error::invalid("select at least one finding to decide on"));
    }
    let by = by.filter(|b| !b.trim().is_empty());
    with_store_blocking(app, move |store| Ok(ops::decide_many(store, &finding_ids, &status, &note, by.as_deref())?))
        .await
}

/// A written findings export. Mirrored by `FindingsExport` in ui/src/api/backend.ts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FindingsExport {
    pub path: PathBuf,
    pub rows: u64,
}

/// Writes the findings matching `filter` to the file chosen in the save dialog (`token`) as CSV
/// or XLSX.
#[tauri::command]
pub async fn export_findings<R: Runtime>(
    app: AppHandle<R>,
    filter: FindingFilter,
    token: String,
) -> Result<FindingsExport, IpcError> {
    let path = app.state::<AppState>().paths.writable(&token)?;
    if !path.is_absolute() || ExportFormat::from_path(&path).is_none() {
        return Err(super::error::invalid(format!("{}: choose a full path ending in .csv or .xlsx", path.display())));
    }
    with_reader_blocking(app, move |store| {
        let rows = export::export_findings(store.conn(), &filter, &path)?;
        Ok(FindingsExport { path, rows })
    })
    .await
}
