//! The error every command returns: `{code, message}` on the wire, with a fixed set of codes the
//! UI can branch on (ui/src/api/backend.ts mirrors them) and a message written for people.

use consenttrail_engine::pack::PackError;
use consenttrail_engine::rules::export::ExportError;
use consenttrail_engine::store::StoreError;
use serde::Serialize;

/// What kind of failure an [`IpcError`] is. The serialised names are part of the UI contract:
/// never rename one, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum IpcErrorCode {
    /// The database could not be opened, read or written (includes foreign or too-new files).
    Database,
    /// The UI sent something the backend cannot accept (a bad argument, an unreadable file).
    InvalidInput,
    /// The thing asked for does not exist (any more).
    NotFound,
    /// The user cancelled a long job.
    Cancelled,
    /// A bug or an unexpected state; the message says what happened.
    Internal,
    /// A file named by something other than a token this session issued for a drop or a
    /// dialog (a raw path, an unknown token): refused, see `ipc::paths`.
    ForbiddenPath,
}

/// An error as it crosses IPC, serialised as `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IpcError {
    /// The fixed code.
    pub code: IpcErrorCode,
    /// A human-readable explanation, naming the file or item concerned where there is one.
    pub message: String,
}

impl IpcError {
    /// An error with the given code and message.
    pub fn new(code: IpcErrorCode, message: impl Into<String>) -> Self {
        IpcError { code, message: message.into() }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IpcError {}

impl From<StoreError> for IpcError {
    fn from(error: StoreError) -> Self {
        let code = match error {
            StoreError::NotFound(_) => IpcErrorCode::NotFound,
            StoreError::Invalid(_) => IpcErrorCode::InvalidInput,
            _ => IpcErrorCode::Database,
        };
        IpcError::new(code, error.to_string())
    }
}

impl From<ExportError> for IpcError {
    fn from(error: ExportError) -> Self {
        match error {
            ExportError::Store(store) => IpcError::from(store),
            // The chosen file cannot be written (a read-only folder, a full disk) or named.
            _ => IpcError::new(IpcErrorCode::InvalidInput, error.to_string()),
        }
    }
}

impl From<PackError> for IpcError {
    fn from(error: PackError) -> Self {
        match error {
            PackError::Store(store) => IpcError::from(store),
            PackError::NotFound(_) => IpcError::new(IpcErrorCode::NotFound, error.to_string()),
            // Refused: verify was given a file it will not read (a FIFO, a Flate bomb).
            PackError::Io { .. } | PackError::Output(_) | PackError::Refused(_) => {
                IpcError::new(IpcErrorCode::InvalidInput, error.to_string())
            }
            _ => IpcError::new(IpcErrorCode::Internal, error.to_string()),
        }
    }
}

/// An `invalid_input` error: the UI sent something the backend cannot accept.
pub fn invalid(message: impl Into<String>) -> IpcError {
    IpcError::new(IpcErrorCode::InvalidInput, message)
}
