//! Import errors name the file, and where known the line or JSON pointer and the field.

use std::fmt;

/// A problem that stops one file (the file's transaction is rolled back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportError {
    pub file: String,
    pub locator: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl ImportError {
    /// A problem with the file as a whole.
    pub fn file(file: &str, message: impl Into<String>) -> ImportError {
        ImportError { file: file.to_string(), locator: None, field: None, message: message.into() }
    }

    /// A problem at a line / pointer, optionally in a field.
    pub fn at(file: &str, locator: &str, field: Option<&str>, message: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_string(),
            locator: (!locator.is_empty()).then(|| locator.to_string()),
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// An I/O failure reading the file.
    pub fn io(file: &str, e: std::io::Error) -> ImportError {
        ImportError::file(file, format!("cannot read: {e}"))
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = &self.locator {
            write!(f, ", {l}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field '{field}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ImportError {}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::file("database", e.to_string())
    }
}

impl From<crate::store::StoreError> for ImportError {
    fn from(e: crate::store::StoreError) -> Self {
        ImportError::file("database", e.to_string())
    }
}
