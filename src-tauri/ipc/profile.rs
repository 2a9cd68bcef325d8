//! Profile commands: read the profile in force, replace it.

use consenttrail_engine::ops;
use consenttrail_engine::profile::Profile;
use consenttrail_engine::store::profile_doc;
use serde::Serialize;
use tauri::{AppHandle, Runtime};

use super::error::invalid;
use super::state::with_store_blocking;
use super::IpcError;

/// The profile in force (the built-in one until the user saves their own).
#[tauri::command]
pub async fn get_profile<R: Runtime>(app: AppHandle<R>) -> Result<Profile, IpcError> {
    with_store_blocking(app, |store| Ok(profile_doc::load(store.conn())?)).await
}

/// What saving the profile changed.
#[derive(Debug, Clone, Serialize)]
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
