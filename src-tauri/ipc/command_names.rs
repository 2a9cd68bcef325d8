// Included by `src-tauri/build.rs` (`include!`) and compiled as `ipc::command_names`: keep this
// file to plain items so it means the same in both places.

/// Every Tauri command the app registers, by name: the single source for the build script's app
/// manifest (which generates the `allow-<command>` permissions) and for the test that checks
/// this list against `ipc::handler` and the capability file.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "print_window",
    "open_sample_data",
    "leave_sample_data",
    "database_info",
    "import_catalog",
    "preview_files",
    "import_files",
    "cancel_import",
    "save_mapping",
    "list_subjects",
    "subject_timeline",
    "event_source",
    "run_audit",
    "findings_page",
    "findings_breakdown",
    "decide_finding",
    "decide_findings",
    "export_findings",
    "make_subject_pack",
    "make_organisation_pack",
    "verify_pack",
    "open_pack",
    "set_signing_key",
    "signing_key",
    "clear_signing_key",
    "list_sources",
    "source_issues",
    "remove_source",
    "get_profile",
    "save_profile",
    "preview_profile_import",
    "import_profile",
    "export_profile",
    "audit_log",
    "choose_files",
    "choose_save_path",
];

/// Commands that exist only in end-to-end test builds (feature `e2e`), granted by
/// `src-tauri/capabilities-e2e/` which only those builds read.
pub const E2E_COMMANDS: &[&str] = &["e2e_drop", "e2e_choose"];

/// The core and plugin permissions the main window holds besides the app's commands: listening
/// for events (how a native file drop reaches the page, as tokens) and closing its own window
/// once the page agreed (a close the unsaved-changes guard listens for waits for the page; the
/// page then destroys the window); nothing else (no file system, no dialogs — the Rust side runs
/// them, see `ipc::paths` —, no opener, no shell, no emitting events).
pub const PLUGIN_PERMISSIONS: &[&str] =
    &["core:event:allow-listen", "core:event:allow-unlisten", "core:window:allow-destroy"];
