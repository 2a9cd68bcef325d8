//! What an import would do, before it writes anything: per file, the detected system, the
//! encoding and the first records as the reader will read them (the app's import screen).

use std::path::PathBuf;

use super::csv_table::Header;
use super::detect::{self, Sniff};
use super::input::{self, Fingerprint, Input};
use super::{mapping, Importer};
use crate::store::{sources, Store, StoreError};

/// How many records a preview shows.
pub const PREVIEW_ROWS: usize = 5;

/// One file as the engine will read it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FilePreview {
    /// As displayed (ZIP entries as `archive.zip!/entry.csv`).
    pub path: String,
    /// The path the user gave that this file came from (a folder, a ZIP, or the file itself).
    pub dropped_path: String,
    /// `ready`, `already-imported`, `needs-mapping` or `unreadable`.
    #[cfg_attr(feature = "ts", ts(type = "\"ready\" | \"already-imported\" | \"needs-mapping\" | \"unreadable\""))]
    pub status: &'static str,
    pub system: Option<String>,
    pub system_name: Option<String>,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub encoding: Option<String>,
    /// `csv` or `json`.
    #[cfg_attr(feature = "ts", ts(type = "\"csv\" | \"json\" | null"))]
    pub format: Option<&'static str>,
    pub header: Option<Vec<String>>,
    /// The first records: CSV cells, or one pretty-printed JSON record.
    pub rows: Vec<Vec<String>>,
    /// The saved column mapping that will be used, if any.
    pub mapping_name: Option<String>,
    pub message: Option<String>,
}

/// Previews every file under `paths` (folders and ZIP archives expanded). Reads each file once
/// (for its hash) and writes nothing.
pub fn preview_paths(store: &Store, paths: &[PathBuf]) -> Result<Vec<FilePreview>, StoreError> {
    let mut out = Vec::new();
    for dropped in paths {
        let dropped_path = dropped.display().to_string();
        for expanded in input::expand(std::slice::from_ref(dropped)) {
            let preview = match expanded {
                Ok(input) => preview_one(store, &input, dropped_path.clone())?,
                Err(e) => unreadable(e.file.clone(), dropped_path.clone(), None, e.to_string()),
            };
            out.push(preview);
        }
    }
    Ok(out)
}

fn unreadable(path: String, dropped_path: String, fp: Option<&Fingerprint>, message: String) -> FilePreview {
    FilePreview {
        path,
        dropped_path,
        status: "unreadable",
        system: None,
        system_name: None,
        sha256: fp.and_then(|f| f.sha256.clone()),
        bytes: fp.map_or(0, |f| f.bytes),
        encoding: fp.map(|f| f.encoding.label().to_string()),
        format: None,
        header: None,
        rows: Vec::new(),
        mapping_name: None,
        message: Some(message),
    }
}

fn preview_one(store: &Store, input: &Input, dropped_path: String) -> Result<FilePreview, StoreError> {
    let fp = match input::fingerprint(input) {
        Ok(fp) => fp,
        Err(e) => return Ok(unreadable(input.display(), dropped_path, None, e.to_string())),
    };
    let sniff = detect::sniff(input, &fp);
    let detected = detect::choose(&sniff).filter(|i| i.id() != mapping::Mapped.id());
    let saved = match (&detected, &sniff.header) {
        (None, Some(header)) => mapping::saved_for(store.conn(), header)?,
        _ => None,
    };
    let (format, header, rows) = records(&sniff);
    let already = match &fp.sha256 {
        Some(sha256) => sources::by_sha256(store.conn(), sha256)?,
        None => None,
    };
    let importer: Option<&dyn Importer> = detected.or(saved.as_ref().map(|_| &mapping::Mapped as &dyn Importer));
    let (status, message) = match (&already, importer, &header) {
        (Some(source), _, _) => {
            ("already-imported", Some(format!("already imported as source {} on {}", source.id, source.imported_at)))
        }
        (None, Some(_), _) => ("ready", None),
        (None, None, Some(_)) => (
            "needs-mapping",
            Some("no importer recognises this CSV layout: map its columns once and the mapping is saved".into()),
        ),
        (None, None, None) => ("unreadable", Some(detect::unrecognised_reason(&sniff))),
    };
    Ok(FilePreview {
        path: input.display(),
        dropped_path,
        status,
        system: saved.as_ref().map(|m| m.system.clone()).or(importer.map(|i| i.id().to_string())),
        system_name: saved.as_ref().map(|m| m.system.clone()).or(importer.map(|i| i.name().to_string())),
        sha256: fp.sha256.clone(),
        bytes: fp.bytes,
        encoding: Some(fp.encoding.label().to_string()),
        format,
        header,
        rows,
        mapping_name: saved.map(|m| m.name),
        message,
    })
}

/// The header and first records of the file's head, read the way the importers read them.
fn records(sniff: &Sniff) -> (Option<&'static str>, Option<Vec<String>>, Vec<Vec<String>>) {
    if let Some(record) = &sniff.first_record {
        let pretty = serde_json::to_string_pretty(record).unwrap_or_default();
        return (Some("json"), None, vec![vec![pretty]]);
    }
    let Some(Header { names, .. }) = &sniff.header else { return (None, None, Vec::new()) };
    let text = sniff.head.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff.delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let rows = reader
        .records()
        .map_while(Result::ok)
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .take(PREVIEW_ROWS)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    (Some("csv"), Some(names.clone()), rows)
}
