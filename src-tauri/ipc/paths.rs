//! Paths by tokens: the webview never names a file. The Rust side receives paths itself — from a
//! native drop on the window or a native dialog it ran — and hands the page an opaque, random
//! token and a display name; commands take the token back and refuse anything else (a raw path,
//! a token from another session, a guess). A page that was tricked into calling a command can
//! therefore only touch what the user dropped or chose in this session.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use tauri::{AppHandle, Emitter, EventTarget, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;

use super::{AppState, IpcError, IpcErrorCode};

/// The event the main webview listens to for native drops (instead of `tauri://drag-drop`,
/// which carries raw paths the commands would refuse).
pub const FILE_DROP_EVENT: &str = "file-drop";

/// What the user did with a path, and so what it may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Dropped on the window or picked in an open dialog: may be read.
    Read,
    /// Chosen in a save dialog (which already asked before replacing a file): may be written,
    /// and read back (opening the pack just written).
    Write,
}

/// A path the page may name, as the page sees it. Mirrored by `Chosen` in ui/src/api/backend.ts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Chosen {
    /// Opaque and random; valid until the app closes.
    pub token: String,
    /// The file or folder name, for display.
    pub name: String,
}

/// Token → the path it stands for and what it may be used for.
type Grants = HashMap<String, (PathBuf, Access)>;

/// The tokens issued in this session. Kept in [`AppState`]; nothing is written anywhere.
#[derive(Debug, Default)]
pub struct PathGrants {
    grants: Mutex<Grants>,
}

impl PathGrants {
    /// Registers `path` as dropped or picked for reading.
    pub fn grant_read(&self, path: PathBuf) -> Result<Chosen, IpcError> {
        self.grant(path, Access::Read)
    }

    /// Registers `path` as chosen in a save dialog: the token is bound to exactly this path.
    pub fn grant_write(&self, path: PathBuf) -> Result<Chosen, IpcError> {
        self.grant(path, Access::Write)
    }

    fn grant(&self, path: PathBuf, access: Access) -> Result<Chosen, IpcError> {
        let token = random_token()?;
        let name = display_name(&path);
        self.lock()?.insert(token.clone(), (path, access));
        Ok(Chosen { token, name })
    }

    /// The path behind a token the user dropped, picked or saved to, to read it.
    pub fn readable(&self, token: &str) -> Result<PathBuf, IpcError> {
        self.resolve(token, |_| true)
    }

    /// The path behind a save-dialog token, to write it.
    pub fn writable(&self, token: &str) -> Result<PathBuf, IpcError> {
        self.resolve(token, |access| access == Access::Write)
    }

    /// Every token in `tokens` as a readable path, or the first refusal.
    pub fn readable_all(&self, tokens: &[String]) -> Result<Vec<PathBuf>, IpcError> {
        tokens.iter().map(|t| self.readable(t)).collect()
    }

    fn resolve(&self, token: &str, allowed: impl Fn(Access) -> bool) -> Result<PathBuf, IpcError> {
        match self.lock()?.get(token) {
            Some((path, access)) if allowed(*access) => Ok(path.clone()),
            Some(_) => {
                Err(forbidden("this file was chosen to be read, not written: choose where to save it with Choose…"))
            }
            None => Err(refusal(token)),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Grants>, IpcError> {
        self.grants.lock().map_err(|_| {
            IpcError::new(
                IpcErrorCode::Internal,
                "the chosen files are unavailable after an earlier failure; restart ConsentTrail",
            )
        })
    }
}

/// 128 random bits as hex: not guessable, not a counter.
fn random_token() -> Result<String, IpcError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("no random source for a file token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn forbidden(message: impl Into<String>) -> IpcError {
    IpcError::new(IpcErrorCode::ForbiddenPath, message)
}

/// The refusal of something that is not a token of this session. Never echoes a path back as
/// if it were known; says what to do instead.
fn refusal(token: &str) -> IpcError {
    let looks_like_path = token.contains(['/', '\\', ':']) || token.starts_with('.');
    if looks_like_path {
        forbidden("ConsentTrail only uses files dropped on its window or chosen in its dialogs; drop or choose the file again")
    } else {
        forbidden("this file choice is not known (it may be from an earlier session); drop or choose the file again")
    }
}

/// Registers paths dropped on the window and tells the main webview, with tokens and names.
/// The real drop handler (`lib.rs`) and the end-to-end test's `e2e_drop` both come here.
pub fn register_drop<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) -> Result<(), IpcError> {
    let grants = &app.state::<AppState>().paths;
    let files = paths.into_iter().map(|p| grants.grant_read(p)).collect::<Result<Vec<_>, _>>()?;
    emit_drop(app, DropEvent::Drop { files })
}

/// What the page hears about a drag: over the window, left it, or dropped (files as tokens).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum DropEvent {
    Over,
    Leave,
    Drop { files: Vec<Chosen> },
}

/// Sends a drag event to the main webview.
pub fn emit_drop<R: Runtime>(app: &AppHandle<R>, event: DropEvent) -> Result<(), IpcError> {
    app.emit_to(EventTarget::webview("main"), FILE_DROP_EVENT, event)
        .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("could not pass the drop to the window: {e}")))
}

/// What a dialog is for: its title, filters and whether it picks folders or several files.
struct DialogKind {
    title: &'static str,
    filters: &'static [(&'static str, &'static [&'static str])],
    multiple: bool,
    folders: bool,
}

fn open_kind(kind: &str) -> Result<DialogKind, IpcError> {
    Ok(match kind {
        "import" => DialogKind { title: "Choose files to import", filters: &[], multiple: true, folders: false },
        "import_folder" => {
            DialogKind { title: "Choose folders to import", filters: &[], multiple: true, folders: true }
        }
        "pack" => DialogKind {
            title: "Choose an evidence pack",
            filters: &[("Evidence pack (PDF)", &["pdf"])],
            multiple: false,
            folders: false,
        },
        "certificate" => DialogKind {
            title: "Choose the certificate and key",
            filters: &[("Certificate and key (PKCS#12)", &["p12", "pfx"])],
            multiple: false,
            folders: false,
        },
        "profile" => DialogKind {
            title: "Choose a profile",
            filters: &[("Profile (JSON)", &["json"])],
            multiple: false,
            folders: false,
        },
        other => return Err(super::error::invalid(format!("unknown kind of file to choose: '{other}'"))),
    })
}

fn save_kind(kind: &str) -> Result<DialogKind, IpcError> {
    let (title, filters): (_, &'static [(&'static str, &'static [&'static str])]) = match kind {
        "pack" => ("Save the evidence pack", &[("PDF", &["pdf"])]),
        "findings" => ("Export findings", &[("Excel workbook", &["xlsx"]), ("CSV", &["csv"])]),
        "profile" => ("Export the profile", &[("Profile (JSON)", &["json"])]),
        other => return Err(super::error::invalid(format!("unknown kind of file to save: '{other}'"))),
    };
    Ok(DialogKind { title, filters, multiple: false, folders: false })
}

fn into_paths(picked: Option<Vec<tauri_plugin_dialog::FilePath>>) -> Option<Vec<PathBuf>> {
    picked.map(|files| files.into_iter().filter_map(|f| f.into_path().ok()).collect())
}

/// Runs a native open dialog on the Rust side; the picked paths come back as tokens. None:
/// the user cancelled.
#[tauri::command]
pub async fn choose_files<R: Runtime>(app: AppHandle<R>, kind: String) -> Result<Option<Vec<Chosen>>, IpcError> {
    let kind = open_kind(&kind)?;
    let dialog_app = app.clone();
    let picked = tauri::async_runtime::spawn_blocking(move || {
        if let Some(chosen) = super::e2e_choice(&dialog_app) {
            return Some(chosen);
        }
        let mut dialog = dialog_app.dialog().file().set_title(kind.title);
        for (name, extensions) in kind.filters {
            dialog = dialog.add_filter(*name, extensions);
        }
        match (kind.folders, kind.multiple) {
            (true, _) => into_paths(dialog.blocking_pick_folders()),
            (false, true) => into_paths(dialog.blocking_pick_files()),
            (false, false) => into_paths(dialog.blocking_pick_file().map(|f| vec![f])),
        }
    })
    .await
    .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("the dialog stopped unexpectedly: {e}")))?;
    let Some(paths) = picked else { return Ok(None) };
    let grants = &app.state::<AppState>().paths;
    paths.into_iter().map(|p| grants.grant_read(p)).collect::<Result<Vec<_>, _>>().map(Some)
}

/// Runs a native save dialog on the Rust side (it asks before replacing a file); the chosen
/// path comes back as a token bound to it. None: the user cancelled.
#[tauri::command]
pub async fn choose_save_path<R: Runtime>(
    app: AppHandle<R>,
    kind: String,
    default_name: String,
) -> Result<Option<Chosen>, IpcError> {
    let kind = save_kind(&kind)?;
    let dialog_app = app.clone();
    let picked = tauri::async_runtime::spawn_blocking(move || {
        if let Some(mut chosen) = super::e2e_choice(&dialog_app) {
            return chosen.pop();
        }
        let mut dialog = dialog_app.dialog().file().set_title(kind.title).set_file_name(default_name);
        for (name, extensions) in kind.filters {
            dialog = dialog.add_filter(*name, extensions);
        }
        dialog.blocking_save_file().and_then(|f| f.into_path().ok())
    })
    .await
    .map_err(|e| IpcError::new(IpcErrorCode::Internal, format!("the dialog stopped unexpectedly: {e}")))?;
    picked.map(|path| app.state::<AppState>().paths.grant_write(path)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_bound_to_their_access() {
        let grants = PathGrants::default();
        let read = grants.grant_read(PathBuf::from("/data/crm.csv")).expect("grant");
        let again = grants.grant_read(PathBuf::from("/data/crm.csv")).expect("grant");
        let write = grants.grant_write(PathBuf::from("/out/pack.pdf")).expect("grant");

        assert_ne!(read.token, again.token, "every grant gets a fresh token");
        assert_eq!(read.token.len(), 32);
        assert_eq!(read.name, "crm.csv");
        assert_eq!(grants.readable(&read.token).expect("known"), PathBuf::from("/data/crm.csv"));
        assert_eq!(grants.writable(&write.token).expect("known"), PathBuf::from("/out/pack.pdf"));
        assert_eq!(grants.readable(&write.token).expect("a saved pack may be opened"), PathBuf::from("/out/pack.pdf"));
        let error = grants.writable(&read.token).expect_err("a dropped file is not a save target");
        assert_eq!(error.code, IpcErrorCode::ForbiddenPath);
        assert_eq!(grants.readable("/data/crm.csv").expect_err("raw path").code, IpcErrorCode::ForbiddenPath);
    }
}
