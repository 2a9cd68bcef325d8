//! Profile commands: read the profile in force, replace it (edited in the app, or imported from
//! a file after a preview), and export it as the document the CLI's `profile export` prints.

use std::path::PathBuf;

use consenttrail_engine::ops::{self, ProfileImportError};
use consenttrail_engine::profile::{diff, Profile, ProfileFile, ProfileFileError};
use consenttrail_engine::store::profile_doc;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

use super::error::invalid;
use super::state::{with_reader_blocking, with_store_blocking};
use super::{AppState, IpcError};

/// The profile in force (the built-in one until the user saves their own).
#[tauri::command]
pub async fn get_profile<R: Runtime>(app: AppHandle<R>) -> Result<Profile, IpcError> {
    with_reader_blocking(app, |store| Ok(profile_doc::load(store.conn())?)).await
}

/// What saving the profile changed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProfileSaved {
    pub events_rederived: usize,
}

/// Checks and saves an edited profile (errors name the JSON path), re-derives the stored
/// events under it and re-runs the audit.
#[tauri::command]
pub async fn save_profile<R: Runtime>(app: AppHandle<R>, profile: serde_json::Value) -> Result<ProfileSaved, IpcError> {
    let profile = Profile::from_json(&profile.to_string()).map_err(|e| invalid(format!("profile {e}")))?;
    with_store_blocking(app, move |store| {
        let saved = ops::save_profile(store, &profile, serde_json::json!({"from": "app"}))?;
        Ok(ProfileSaved { events_rederived: saved.events_rederived })
    })
    .await
}

/// A full path, as the native dialogs give (relative paths would depend on the app's working
/// directory).
fn chosen_path(path: PathBuf) -> Result<PathBuf, IpcError> {
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(invalid(format!("{}: choose the file in the dialog (a full path is needed)", path.display())))
    }
}

impl From<ProfileFileError> for IpcError {
    fn from(error: ProfileFileError) -> Self {
        // Every case is about the file the user chose: unreadable, not a profile, or changed.
        invalid(error.to_string())
    }
}

impl From<ProfileImportError> for IpcError {
    fn from(error: ProfileImportError) -> Self {
        match error {
            ProfileImportError::File(file) => file.into(),
            ProfileImportError::Store(store) => store.into(),
        }
    }
}

/// What importing a profile file would change, shown before anything is saved.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProfileImportPreview {
    pub path: PathBuf,
    /// SHA-256 of the file as read; `import_profile` refuses the file if it changed since.
    pub sha256: String,
    pub organisation: String,
    pub purposes: usize,
    /// One line per change against the profile in force; empty when they are the same.
    pub changes: Vec<String>,
}

/// Reads and validates a profile document (errors name the file and the JSON path) and lists
/// what importing it would change. Writes nothing.
#[tauri::command]
pub async fn preview_profile_import<R: Runtime>(
    app: AppHandle<R>,
    token: String,
) -> Result<ProfileImportPreview, IpcError> {
    let path = chosen_path(app.state::<AppState>().paths.readable(&token)?)?;
    with_reader_blocking(app, move |store| {
        let file = ProfileFile::read(&path)?;
        let current = profile_doc::load(store.conn())?;
        Ok(ProfileImportPreview {
            changes: diff::changes(&current, &file.profile),
            organisation: file.profile.organisation.name,
            purposes: file.profile.purposes.len(),
            sha256: file.sha256,
            path,
        })
    })
    .await
}

/// Imports the previewed profile document (the same engine path as the CLI's `profile import`):
/// saved, stored events re-derived, audit re-run. Refused when the file changed since the preview.
#[tauri::command]
pub async fn import_profile<R: Runtime>(
    app: AppHandle<R>,
    token: String,
    sha256: String,
) -> Result<ProfileSaved, IpcError> {
    let path = chosen_path(app.state::<AppState>().paths.readable(&token)?)?;
    with_store_blocking(app, move |store| {
        let detail = serde_json::json!({"from": "app", "path": path});
        let (_, saved) = ops::import_profile(store, &path, Some(&sha256), detail)?;
        Ok(ProfileSaved { events_rederived: saved.events_rederived })
    })
    .await
}

/// Where the profile was exported.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProfileExported {
    pub path: PathBuf,
}

/// Writes the saved profile to the file chosen in the save dialog (`token`) as the document the
/// CLI's `profile export` prints.
#[tauri::command]
pub async fn export_profile<R: Runtime>(app: AppHandle<R>, token: String) -> Result<ProfileExported, IpcError> {
    let path = chosen_path(app.state::<AppState>().paths.writable(&token)?)?;
    with_store_blocking(app, move |store| {
        let document = ops::export_profile(store)?;
        std::fs::write(&path, format!("{document}\n"))
            .map_err(|e| invalid(format!("{}: cannot write the profile: {e}", path.display())))?;
        Ok(ProfileExported { path })
    })
    .await
}
