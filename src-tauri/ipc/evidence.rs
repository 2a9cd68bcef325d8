//! Evidence commands: write a subject or organisation pack, verify a pack, open one in the
//! system viewer.

use std::path::{Path, PathBuf};

use consenttrail_engine::pack::{self, PackOptions, PackProgress, VerifyReport};
use consenttrail_engine::store::identity::identifiers_of;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use tauri_plugin_opener::OpenerExt;

use super::error::invalid;
use super::state::with_store_blocking;
use super::{IpcError, IpcErrorCode};

/// A written pack. Mirrored by `PackResult` in ui/src/api/backend.ts.
#[derive(Debug, Clone, Serialize)]
pub struct PackResult {
    pub path: String,
    pub sha256: String,
    pub manifest_sha256: String,
    pub pages: usize,
}

impl From<pack::PackOutput> for PackResult {
    fn from(o: pack::PackOutput) -> Self {
        PackResult { path: o.path, sha256: o.sha256, manifest_sha256: o.manifest_sha256, pages: o.pages }
    }
}

/// Packs are PDF files written to an absolute path the user chose.
fn pdf_target(path: &Path) -> Result<(), IpcError> {
    if !path.is_absolute() {
        return Err(invalid(format!("{}: choose a full path for the pack (e.g. with Choose…)", path.display())));
    }
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        return Err(invalid(format!("{}: an evidence pack is a PDF; end the file name with .pdf", path.display())));
    }
    Ok(())
}

/// Writes the evidence pack of one subject to `path`.
#[tauri::command]
pub async fn make_subject_pack<R: Runtime>(
    app: AppHandle<R>,
    subject_id: i64,
    path: PathBuf,
    case_reference: Option<String>,
) -> Result<PackResult, IpcError> {
    pdf_target(&path)?;
    with_store_blocking(app, move |store| {
        let identifier = identifiers_of(store.conn(), subject_id)?
            .first()
            .map(|i| i.display())
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotFound, format!("no subject {subject_id}")))?;
        // The path comes from the save dialog, which has already asked before replacing a file.
        let options = PackOptions {
            case_reference: case_reference.filter(|c| !c.trim().is_empty()),
            generated_at: None,
            overwrite: true,
        };
        Ok(pack::write_subject_pack(store, &identifier, &path, &options)?.into())
    })
    .await
}

/// Writes the organisation pack (it runs the audit first) to `path`, streaming its steps.
#[tauri::command]
pub async fn make_organisation_pack<R: Runtime>(
    app: AppHandle<R>,
    path: PathBuf,
    on_progress: Channel<PackProgress>,
) -> Result<PackResult, IpcError> {
    pdf_target(&path)?;
    with_store_blocking(app, move |store| {
        // A closed window drops the channel; the pack is still written.
        let mut report = |progress: PackProgress| drop(on_progress.send(progress));
        // The save dialog has already asked before replacing a file.
        let options = PackOptions { overwrite: true, ..PackOptions::default() };
        Ok(pack::write_organisation_pack_with_progress(store, &path, &options, &mut report)?.into())
    })
    .await
}

/// Checks a pack's signature and seal, compares its manifest with this database and its pages
/// with the pack re-rendered from it, streaming its steps.
#[tauri::command]
pub async fn verify_pack<R: Runtime>(
    app: AppHandle<R>,
    path: PathBuf,
    on_progress: Channel<PackProgress>,
) -> Result<VerifyReport, IpcError> {
    with_store_blocking(app, move |store| {
        let mut report = |progress: PackProgress| drop(on_progress.send(progress));
        Ok(pack::verify_with_progress(store, &path, &mut report)?)
    })
    .await
}

/// Opens a PDF in the system's viewer. Only existing `.pdf` files: the UI cannot use this to
/// launch anything else.
#[tauri::command]
pub fn open_pack<R: Runtime>(app: AppHandle<R>, path: PathBuf) -> Result<(), IpcError> {
    pdf_target(&path)?;
    if !path.is_file() {
        return Err(IpcError::new(IpcErrorCode::NotFound, format!("{}: no such file", path.display())));
    }
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("{}: could not open it: {e}", path.display())))
}
