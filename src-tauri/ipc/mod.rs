//! The IPC layer: the only code that names Tauri commands.
//!
//! Each command only translates: arguments in, one engine call, a result or an [`IpcError`] out.
//! The command names are listed once, in [`COMMANDS`]; the build script turns them into
//! `allow-<command>` permissions and a test checks that [`handler`], [`COMMANDS`] and the
//! capability file agree. Commands that touch the database run on a blocking-work thread
//! ([`state::with_store_blocking`]) so the window never freezes.

mod app_info;
mod command_names;
#[cfg(feature = "e2e")]
mod e2e;
mod error;
mod evidence;
mod findings;
mod import;
mod log;
mod paths;
mod profile;
mod sample;
mod sources;
mod state;
mod subjects;

#[cfg(test)]
mod generated_types;
#[cfg(test)]
mod tests;

pub use app_info::AppInfo;
pub use command_names::{COMMANDS, E2E_COMMANDS, PLUGIN_PERMISSIONS};
#[cfg(feature = "e2e")]
pub use e2e::E2eChoices;
pub use error::{IpcError, IpcErrorCode};
pub use paths::{emit_drop, register_drop, DropEvent};
pub use state::AppState;

/// In end-to-end test builds, the paths the test registered "as if chosen in a dialog"
/// (`e2e_choose`), taken instead of showing the dialog.
#[cfg(feature = "e2e")]
fn e2e_choice<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Option<Vec<std::path::PathBuf>> {
    e2e::take_choice(app)
}

/// Shipped builds always show the dialog.
#[cfg(not(feature = "e2e"))]
fn e2e_choice<R: tauri::Runtime>(_app: &tauri::AppHandle<R>) -> Option<Vec<std::path::PathBuf>> {
    None
}

/// `tauri::generate_handler!` over every app command plus `$extra`. One list for both builds.
macro_rules! handler_with {
    ($($extra:path),* $(,)?) => {
        tauri::generate_handler![
            app_info::app_info,
            app_info::print_window,
            sample::open_sample_data,
            sample::leave_sample_data,
            sample::database_info,
            import::import_catalog,
            import::preview_files,
            import::import_files,
            import::cancel_import,
            import::save_mapping,
            subjects::list_subjects,
            subjects::subject_timeline,
            subjects::event_source,
            findings::run_audit,
            findings::findings_page,
            findings::findings_breakdown,
            findings::decide_finding,
            findings::decide_findings,
            findings::export_findings,
            evidence::make_subject_pack,
            evidence::make_organisation_pack,
            evidence::verify_pack,
            evidence::open_pack,
            evidence::set_signing_key,
            evidence::signing_key,
            evidence::clear_signing_key,
            sources::list_sources,
            sources::source_issues,
            sources::remove_source,
            profile::get_profile,
            profile::save_profile,
            profile::preview_profile_import,
            profile::import_profile,
            profile::export_profile,
            log::audit_log,
            paths::choose_files,
            paths::choose_save_path,
            $($extra,)*
        ]
    };
}

/// The invoke handler with every app command. Keep in step with [`COMMANDS`] (a test checks).
#[cfg(not(feature = "e2e"))]
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    handler_with!()
}

/// The end-to-end test build's handler: the app's commands plus [`E2E_COMMANDS`].
#[cfg(feature = "e2e")]
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    handler_with!(e2e::e2e_drop, e2e::e2e_choose)
}
