// Included by `src-tauri/build.rs` (`include!`) and compiled as `ipc::command_names`: keep this
// file to plain items so it means the same in both places.

/// Every Tauri command the app registers, by name: the single source for the build script's app
/// manifest (which generates the `allow-<command>` permissions) and for the test that checks
/// this list against `ipc::handler` and the capability file.
pub const COMMANDS: &[&str] = &["app_info"];
