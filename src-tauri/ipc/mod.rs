//! The IPC layer: the only code that names Tauri commands.
//!
//! Each command only translates: arguments in, one engine call, a result or an [`IpcError`] out.
//! The command names are listed once, in [`COMMANDS`]; the build script turns them into
//! `allow-<command>` permissions and a test checks that [`handler`], [`COMMANDS`] and the
//! capability file agree.

mod app_info;
mod command_names;
mod error;
mod state;

#[cfg(test)]
mod tests;

pub use app_info::AppInfo;
pub use command_names::COMMANDS;
pub use error::{IpcError, IpcErrorCode};
pub use state::AppState;

/// The invoke handler with every app command. Keep in step with [`COMMANDS`] (a test checks).
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![app_info::app_info]
}
