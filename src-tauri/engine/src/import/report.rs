//! What an import says it did: progress while it runs, a report per file and for the run.

use super::ImportError;

/// Warnings and rejections listed per file in a report (memory and screen stay bounded whatever
/// the file); the rest are counted in `warnings_omitted` / `rejections_omitted` and can be
/// written whole with [`ImportOptions::rejections_file`].
pub const REPORT_ISSUES: usize = 1000;

/// Progress of a long import, for the progress bar: where the reader is in the current file, and
/// which file of the run that is ("file 3 of 12").
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    pub file: String,
    pub rows: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// 1-based number of the current file among all the files of the run, counting those that
    /// failed before they could be read (they are reported first).
    pub file_number: u64,
    /// How many files the run has (dropped folders and archives expanded).
    pub file_count: u64,
}

/// What happened to one file (SPEC §9 `import --json` `files[]`).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileReport {
    pub path: String,
    pub system: Option<String>,
    pub sha256: Option<String>,
    /// `imported`, `already-imported` or `failed`.
    #[cfg_attr(feature = "ts", ts(type = "\"imported\" | \"already-imported\" | \"failed\""))]
    pub status: String,
    pub rows_imported: u64,
    pub rows_rejected: u64,
    pub rows_warned: u64,
    pub events: u64,
    pub duplicate_events: u64,
    pub source_id: Option<i64>,
    pub encoding: Option<String>,
    pub warnings: Vec<Issue>,
    pub rejections: Vec<Issue>,
    /// Warnings and rejections beyond the first [`REPORT_ISSUES`], not listed above.
    pub warnings_omitted: u64,
    pub rejections_omitted: u64,
    pub error: Option<String>,
}

/// One warning or rejection in a report (the store reads them back as such).
pub use crate::store::events::write::Issue;

impl FileReport {
    /// The report of a file that could not be imported, saying why.
    pub(super) fn failed(
        path: String,
        sha256: Option<String>,
        system: Option<String>,
        error: &ImportError,
    ) -> FileReport {
        FileReport {
            path,
            system,
            sha256,
            status: "failed".into(),
            rows_imported: 0,
            rows_rejected: 0,
            rows_warned: 0,
            events: 0,
            duplicate_events: 0,
            source_id: None,
            encoding: None,
            warnings: Vec::new(),
            rejections: Vec::new(),
            warnings_omitted: 0,
            rejections_omitted: 0,
            error: Some(error.to_string()),
        }
    }
}

/// The whole run.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub files: Vec<FileReport>,
}

impl ImportReport {
    /// True when any file failed.
    pub fn any_failed(&self) -> bool {
        self.files.iter().any(|f| f.status == "failed")
    }
}
