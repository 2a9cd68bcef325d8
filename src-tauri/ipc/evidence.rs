//! Evidence commands: write a subject or organisation pack, verify a pack, open one in the
//! system viewer.

use std::path::Path;

use consenttrail_engine::ops::{self, PackSubject};
use consenttrail_engine::pack::{self, PackOptions, PackProgress, Signer, VerifyReport};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use super::error::invalid;
use super::state::with_store_blocking;
use super::{AppState, IpcError, IpcErrorCode};

/// A written pack. Mirrored by `PackResult` in ui/src/api/backend.ts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PackResult {
    pub path: String,
    pub sha256: String,
    pub manifest_sha256: String,
    pub pages: usize,
    /// Who signed the pack: the certificate's subject and SHA-256.
    pub signed_by: SigningKey,
}

impl From<pack::PackOutput> for PackResult {
    fn from(o: pack::PackOutput) -> Self {
        PackResult {
            path: o.path,
            sha256: o.sha256,
            manifest_sha256: o.manifest_sha256,
            pages: o.pages,
            signed_by: SigningKey { subject: o.signed_by.subject, sha256: o.signed_by.sha256 },
        }
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

/// Writes the evidence pack of one subject to the file chosen in the save dialog (`token`).
#[tauri::command]
pub async fn make_subject_pack<R: Runtime>(
    app: AppHandle<R>,
    subject_id: i64,
    token: String,
    case_reference: Option<String>,
) -> Result<PackResult, IpcError> {
    let path = app.state::<AppState>().paths.writable(&token)?;
    pdf_target(&path)?;
    let job = app.clone();
    with_store_blocking(app, move |store| {
        // The path comes from the save dialog, which has already asked before replacing a file.
        let options = PackOptions {
            case_reference: case_reference.filter(|c| !c.trim().is_empty()),
            generated_at: None,
            overwrite: true,
        };
        let state = job.state::<AppState>();
        let signer = state.signer.lock().map_err(|_| signer_unavailable())?;
        Ok(ops::make_subject_pack(store, PackSubject::Id(subject_id), &path, &options, signer.as_ref())?.into())
    })
    .await
}

/// Writes the organisation pack (it runs the audit first) to the file chosen in the save dialog
/// (`token`), streaming its steps.
#[tauri::command]
pub async fn make_organisation_pack<R: Runtime>(
    app: AppHandle<R>,
    token: String,
    on_progress: Channel<PackProgress>,
) -> Result<PackResult, IpcError> {
    let path = app.state::<AppState>().paths.writable(&token)?;
    pdf_target(&path)?;
    let job = app.clone();
    with_store_blocking(app, move |store| {
        // A closed window drops the channel; the pack is still written.
        let mut report = |progress: PackProgress| drop(on_progress.send(progress));
        // The save dialog has already asked before replacing a file.
        let options = PackOptions { overwrite: true, ..PackOptions::default() };
        let state = job.state::<AppState>();
        let signer = state.signer.lock().map_err(|_| signer_unavailable())?;
        Ok(ops::make_organisation_pack(store, &path, &options, signer.as_ref(), &mut report)?.into())
    })
    .await
}

/// Checks a pack's signature and seal, compares its manifest with this database and its pages
/// with the pack re-rendered from it, streaming its steps. `token`: a dropped or picked pack.
#[tauri::command]
pub async fn verify_pack<R: Runtime>(
    app: AppHandle<R>,
    token: String,
    on_progress: Channel<PackProgress>,
) -> Result<VerifyReport, IpcError> {
    let path = app.state::<AppState>().paths.readable(&token)?;
    with_store_blocking(app, move |store| {
        let mut report = |progress: PackProgress| drop(on_progress.send(progress));
        Ok(ops::verify_pack(Some(store), &path, &mut report)?)
    })
    .await
}

/// Opens a PDF in the system's viewer: a pack just written, dropped or picked (`token`). Only
/// existing `.pdf` files: the UI cannot use this to launch anything else.
#[tauri::command]
pub fn open_pack<R: Runtime>(app: AppHandle<R>, token: String) -> Result<(), IpcError> {
    let path = app.state::<AppState>().paths.readable(&token)?;
    pdf_target(&path)?;
    if !path.is_file() {
        return Err(IpcError::new(IpcErrorCode::NotFound, format!("{}: no such file", path.display())));
    }
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("{}: could not open it: {e}", path.display())))
}

/// The certificate packs are signed with in this session. Mirrored by `SigningKey` in
/// ui/src/api/backend.ts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SigningKey {
    /// The certificate's subject, e.g. `CN=Fernhill Outdoor Ltd,O=Fernhill Outdoor Ltd`.
    pub subject: String,
    /// SHA-256 of the certificate (what the integrity page prints).
    pub sha256: String,
}

/// A PKCS#12 file is a few kilobytes; anything far larger is not one.
const PKCS12_MAX_BYTES: u64 = 1 << 20;

fn signer_unavailable() -> IpcError {
    IpcError::new(
        IpcErrorCode::Internal,
        "the signing key is unavailable after an earlier failure; restart ConsentTrail",
    )
}

/// Chooses the organisation's certificate and key (a PKCS#12 `.p12`/`.pfx` file the user picked
/// and its password; `token` from the open dialog) for the packs of this session. The key stays
/// in memory; the password is not kept at all.
#[tauri::command]
pub async fn set_signing_key<R: Runtime>(
    app: AppHandle<R>,
    token: String,
    password: String,
) -> Result<SigningKey, IpcError> {
    let path = app.state::<AppState>().paths.readable(&token)?;
    let meta = std::fs::metadata(&path)
        .map_err(|e| IpcError::new(IpcErrorCode::NotFound, format!("{}: {e}", path.display())))?;
    if !meta.is_file() || meta.len() > PKCS12_MAX_BYTES {
        return Err(invalid(format!("{}: not a PKCS#12 (.p12 / .pfx) certificate file", path.display())));
    }
    let bytes =
        std::fs::read(&path).map_err(|e| IpcError::new(IpcErrorCode::NotFound, format!("{}: {e}", path.display())))?;
    let signer = tauri::async_runtime::spawn_blocking(move || Signer::from_pkcs12(&bytes, &password))
        .await
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("reading the certificate failed: {e}")))?
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    let key = SigningKey { subject: signer.identity().subject.clone(), sha256: signer.identity().sha256.clone() };
    *app.state::<AppState>().signer.lock().map_err(|_| signer_unavailable())? = Some(signer);
    Ok(key)
}

/// The certificate chosen for this session; None: packs are signed with the database's own key.
#[tauri::command]
pub fn signing_key(state: State<'_, AppState>) -> Result<Option<SigningKey>, IpcError> {
    let signer = state.signer.lock().map_err(|_| signer_unavailable())?;
    Ok(signer
        .as_ref()
        .map(|s| SigningKey { subject: s.identity().subject.clone(), sha256: s.identity().sha256.clone() }))
}

/// Forgets the chosen certificate: packs are signed with the database's own key again.
#[tauri::command]
pub fn clear_signing_key(state: State<'_, AppState>) -> Result<(), IpcError> {
    *state.signer.lock().map_err(|_| signer_unavailable())? = None;
    Ok(())
}
