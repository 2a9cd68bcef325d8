//! Import commands: what the import screen offers, previews, the import itself (progress over a
//! channel, cancellable) and saving a column mapping.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use consenttrail_engine::import::csv_table::Header;
use consenttrail_engine::import::mapping::{self, ColumnMapping, MAPPABLE};
use consenttrail_engine::import::preview::{preview_paths, FilePreview};
use consenttrail_engine::import::which_file::which_file;
use consenttrail_engine::import::{registry, ImportOptions, ImportReport, Progress};
use consenttrail_engine::model::{DateOrder, EventKind, Method};
use consenttrail_engine::ops;
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};

use super::error::invalid;
use super::state::{with_reader_blocking, with_store_blocking};
use super::{AppState, IpcError, IpcErrorCode};

/// A source system the engine reads.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SystemInfo {
    pub id: &'static str,
    pub name: &'static str,
    /// Which export file it reads, in the system's own words (empty-screen help).
    pub file: Option<&'static str>,
}

/// The choices the import screen offers. Mirrored by `ImportCatalog` in ui/src/api/backend.ts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ImportCatalog {
    pub systems: Vec<SystemInfo>,
    pub mappable_fields: Vec<&'static str>,
    pub event_kinds: Vec<&'static str>,
    pub methods: Vec<&'static str>,
}

/// Systems, mappable fields, event kinds and methods (static: no database needed).
#[tauri::command]
pub fn import_catalog() -> ImportCatalog {
    ImportCatalog {
        systems: registry()
            .iter()
            .map(|i| SystemInfo { id: i.id(), name: i.name(), file: which_file(i.id()) })
            .collect(),
        mappable_fields: MAPPABLE.to_vec(),
        // The internal undirected negative signal is not something a mapping may produce.
        event_kinds: EventKind::ALL.iter().filter(|k| **k != EventKind::ConsentNegative).map(|k| k.as_str()).collect(),
        methods: Method::ALL.iter().map(|m| m.as_str()).collect(),
    }
}

/// Previews dropped or picked files (by their tokens): detected system, encoding, first
/// records. Writes nothing. Each preview's `dropped_path` is the token it came from (what
/// `import_files` takes); `path` is the file as displayed.
#[tauri::command]
pub async fn preview_files<R: Runtime>(app: AppHandle<R>, tokens: Vec<String>) -> Result<Vec<FilePreview>, IpcError> {
    let paths = app.state::<AppState>().paths.readable_all(&tokens)?;
    with_reader_blocking(app, move |store| {
        let mut previews = preview_paths(store, &paths)?;
        let token_of: BTreeMap<String, &String> = paths.iter().map(|p| p.display().to_string()).zip(&tokens).collect();
        for preview in &mut previews {
            if let Some(token) = token_of.get(&preview.dropped_path) {
                preview.dropped_path = (*token).clone();
            }
        }
        Ok(previews)
    })
    .await
}

/// One import run, as the UI asks for it (the same options for every file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ImportRequest {
    /// Tokens of dropped or picked files, folders or ZIP archives (`ipc::paths`).
    pub tokens: Vec<String>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub system: Option<String>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<_>", optional))]
    pub assume_tz: BTreeMap<String, String>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<consenttrail_engine::model::DateOrder>", optional = nullable))]
    pub date_order: Option<String>,
}

/// A progress message: the engine's per-file progress, or the audit that follows the import.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ImportProgress {
    /// `importing` or `auditing`.
    #[cfg_attr(test, ts(type = "\"importing\" | \"auditing\""))]
    pub phase: &'static str,
    #[serde(flatten)]
    pub progress: Progress,
}

/// Imports the request's paths (one transaction per file), then re-runs the audit so findings
/// match the data. Progress streams over `on_progress`; `cancel_import` stops it, rolling back
/// the file in progress.
#[tauri::command]
pub async fn import_files<R: Runtime>(
    app: AppHandle<R>,
    request: ImportRequest,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportReport, IpcError> {
    let date_order = match request.date_order.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("dmy") => Some(DateOrder::Dmy),
        Some("mdy") => Some(DateOrder::Mdy),
        Some(other) => return Err(invalid(format!("unknown date order '{other}' (expected dmy or mdy)"))),
    };
    let options = ImportOptions {
        system: request.system.filter(|s| !s.is_empty()),
        assume_tz: request.assume_tz,
        date_order,
        ..ImportOptions::default()
    };
    let paths = app.state::<AppState>().paths.readable_all(&request.tokens)?;
    let job = app.clone();
    with_store_blocking(app, move |store| {
        let cancel = &job.state::<AppState>().import_cancel;
        cancel.store(false, Ordering::SeqCst);
        // A closed window drops the channel; the import itself carries on and commits.
        let sender = &on_progress;
        let mut report_progress =
            |progress: Progress| drop(sender.send(ImportProgress { phase: "importing", progress }));
        // The bar then counts subjects checked by the rules.
        let mut auditing = |done: usize, total: usize| {
            let progress = Progress {
                rows: done as u64,
                bytes_done: done as u64,
                bytes_total: total as u64,
                ..Progress::default()
            };
            drop(sender.send(ImportProgress { phase: "auditing", progress }));
        };
        let imported = ops::import_then_audit(store, &paths, &options, &mut report_progress, &mut auditing, cancel)?;
        let report = imported.report;
        if imported.cancelled {
            let kept = report.files.iter().filter(|f| f.status == "imported").count();
            return Err(IpcError::new(
                IpcErrorCode::Cancelled,
                format!(
                    "import cancelled: the file in progress was rolled back; {kept} file(s) finished before it stay imported"
                ),
            ));
        }
        Ok(report)
    })
    .await
}

/// Asks the running import to stop at its next record.
#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>) {
    state.import_cancel.store(true, Ordering::SeqCst);
}

/// Saves a column mapping for a CSV header; later files with that header import with it.
#[tauri::command]
pub async fn save_mapping<R: Runtime>(
    app: AppHandle<R>,
    header: Vec<String>,
    mapping: serde_json::Value,
) -> Result<(), IpcError> {
    let mapping = ColumnMapping::from_json(&mapping.to_string()).map_err(invalid)?;
    let header = Header::new(header);
    if !mapping.fits(&header) {
        return Err(invalid("the mapping names a column that is not in this file's header"));
    }
    with_store_blocking(app, move |store| Ok(mapping::save(store.conn(), &header, &mapping)?)).await
}
