//! Exporting the findings list (the Findings screen's filter) to CSV or XLSX for an officer's
//! spreadsheet. Rows are streamed from SQLite one at a time: the CSV is written as it is read and
//! the XLSX worksheet runs in `rust_xlsxwriter`'s constant-memory mode, so a million findings
//! never sit in memory. Every cell a spreadsheet would run as a formula is neutralised (SPEC §7).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::browse::FindingFilter;
use super::decisions::decision_with;
use super::Finding;
use crate::cells::neutral;
use crate::reconcile::state::rfc3339;
use crate::store::{findings, StoreError};

/// The columns of an export, in order.
pub const COLUMNS: [&str; 15] = [
    "Finding ID",
    "Rule",
    "Rule name",
    "Severity",
    "Subject",
    "Purpose",
    "Recipient",
    "First occurrence",
    "Occurrences",
    "Explanation",
    "Legal reference",
    "Decision",
    "Decision note",
    "Decided by",
    "Decided at",
];

/// The file formats a findings export can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// The format a path's extension names (`.csv`, `.xlsx`, any case); None for any other.
    pub fn from_path(path: &Path) -> Option<ExportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: cannot write the export: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot write the XLSX file: {reason}")]
    Xlsx { path: PathBuf, reason: String },
    #[error("{0}: an export is written as .csv or .xlsx")]
    UnknownFormat(PathBuf),
}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> Self {
        ExportError::Store(StoreError::from(e))
    }
}

/// The findings matching `filter`, in the Findings screen's order, written to `path` as CSV or
/// XLSX (by its extension). The file appears whole or not at all: it is written beside `path`
/// and renamed into place. Returns the number of findings written.
pub fn export_findings(conn: &Connection, filter: &FindingFilter, path: &Path) -> Result<u64, ExportError> {
    let format = ExportFormat::from_path(path).ok_or_else(|| ExportError::UnknownFormat(path.to_path_buf()))?;
    let io = |source: std::io::Error| ExportError::Io { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let written = match format {
        ExportFormat::Csv => {
            let mut out = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(std::io::BufWriter::new(tmp.as_file()));
            let csv_error = |e: csv::Error| io(std::io::Error::other(e));
            out.write_record(COLUMNS).map_err(csv_error)?;
            let n = for_each_row(conn, filter, |cells| {
                out.write_record(cells.iter().map(|c| neutral(c))).map_err(csv_error)
            })?;
            out.flush().map_err(io)?;
            n
        }
        ExportFormat::Xlsx => write_xlsx(conn, filter, tmp.as_file(), path)?,
    };
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(written)
}

/// Rows in an Excel worksheet (the header is one of them).
const XLSX_MAX_ROWS: u32 = 1_048_576;

/// The XLSX workbook: one constant-memory sheet "Findings", a bold frozen header with a filter.
fn write_xlsx(
    conn: &Connection,
    filter: &FindingFilter,
    file: &std::fs::File,
    path: &Path,
) -> Result<u64, ExportError> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let xlsx = |e: XlsxError| ExportError::Xlsx { path: path.to_path_buf(), reason: e.to_string() };
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(xlsx)?;
    sheet.set_name("Findings").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    for (col, name) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, col, name, &bold).map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    let mut row: u32 = 0;
    let n = for_each_row(conn, filter, |cells| {
        row += 1;
        if row >= XLSX_MAX_ROWS {
            return Err(ExportError::Xlsx {
                path: path.to_path_buf(),
                reason: format!(
                    "a worksheet holds at most {} findings; narrow the filters or export as .csv",
                    XLSX_MAX_ROWS - 1
                ),
            });
        }
        for (col, cell) in (0u16..).zip(cells) {
            if !cell.is_empty() {
                sheet.write_string(row, col, neutral(cell)).map_err(xlsx)?;
            }
        }
        Ok(())
    })?;
    let last_col = (COLUMNS.len() - 1) as u16;
    sheet.autofilter(0, 0, row, last_col).map_err(xlsx)?;
    workbook.save_to_writer(std::io::BufWriter::new(file)).map_err(xlsx)?;
    Ok(n)
}

/// Calls `row` with the cells of each finding matching `filter`, one finding at a time.
fn for_each_row(
    conn: &Connection,
    filter: &FindingFilter,
    mut row: impl FnMut(&[String; 15]) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let mut n = 0;
    findings::for_each_matching(conn, &filter.query()?, |finding| {
        row(&cells(conn, finding)?)?;
        n += 1;
        Ok::<(), ExportError>(())
    })?;
    Ok(n)
}

/// One finding's cells, in [`COLUMNS`] order, as recorded (not yet neutralised).
fn cells(conn: &Connection, f: &Finding) -> Result<[String; 15], StoreError> {
    let decision = decision_with(conn, &f.id, &f.occurrences)?;
    let occurrences: Vec<String> = f.occurrences.iter().map(|t| rfc3339(*t)).collect();
    let (status, note, by, at) = match decision {
        Some(d) => (d.status, d.note, d.by.unwrap_or_default(), d.at),
        None => ("open".to_string(), String::new(), String::new(), String::new()),
    };
    Ok([
        f.id.clone(),
        f.rule.as_str().to_string(),
        f.rule.name().to_string(),
        f.severity.as_str().to_string(),
        f.subject_key.clone(),
        f.purpose.clone().unwrap_or_default(),
        f.recipient.clone().unwrap_or_default(),
        f.at.map(rfc3339).unwrap_or_default(),
        occurrences.join("; "),
        f.explanation.clone(),
        f.rule.legal_reference().to_string(),
        status,
        note,
        by,
        at,
    ])
}
