//! Imported files: listing, and removing a source with exactly what it brought.

use rusqlite::{params, Connection, OptionalExtension};

use super::{identity, StoreError};

/// One imported file (SPEC §9 `sources`).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceInfo {
    pub id: i64,
    pub path: String,
    pub system: String,
    pub sha256: String,
    pub bytes: i64,
    pub imported_at: String,
    pub rows_imported: i64,
    pub rows_rejected: i64,
    pub rows_warned: i64,
}

fn row_to_source(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceInfo> {
    Ok(SourceInfo {
        id: r.get(0)?,
        path: r.get(1)?,
        system: r.get(2)?,
        sha256: r.get(3)?,
        bytes: r.get(4)?,
        imported_at: r.get(5)?,
        rows_imported: r.get(6)?,
        rows_rejected: r.get(7)?,
        rows_warned: r.get(8)?,
    })
}

const SOURCE_COLUMNS: &str = "id, path, system, sha256, bytes, imported_at, rows_imported, rows_rejected, rows_warned";

/// Every imported file, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<SourceInfo>, StoreError> {
    let mut stmt = conn.prepare(&format!("SELECT {SOURCE_COLUMNS} FROM sources ORDER BY id"))?;
    let rows = stmt.query_map([], row_to_source)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The source with this content hash, if it was imported already.
pub fn by_sha256(conn: &Connection, sha256: &str) -> Result<Option<SourceInfo>, StoreError> {
    Ok(conn
        .query_row(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE sha256 = ?1"), params![sha256], row_to_source)
        .optional()?)
}

/// True when a source of exactly this size exists (only such a file can be one imported before).
pub fn any_with_bytes(conn: &Connection, bytes: u64) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM sources WHERE bytes = ?1)", params![bytes as i64], |r| r.get(0))?)
}

/// One source by id.
pub fn get(conn: &Connection, id: i64) -> Result<Option<SourceInfo>, StoreError> {
    Ok(conn
        .query_row(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = ?1"), params![id], row_to_source)
        .optional()?)
}

/// A warning or rejection recorded for a source.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportIssue {
    #[cfg_attr(feature = "ts", ts(type = "\"warning\" | \"rejected\""))]
    pub severity: String,
    pub locator: String,
    pub field: Option<String>,
    pub message: String,
    pub raw: Option<String>,
}

/// The warnings and rejections of one source, in file order.
pub fn issues(conn: &Connection, source_id: i64) -> Result<Vec<ImportIssue>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT severity, locator, field, message, raw FROM import_issues WHERE source_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![source_id], |r| {
        Ok(ImportIssue {
            severity: r.get(0)?,
            locator: r.get(1)?,
            field: r.get(2)?,
            message: r.get(3)?,
            raw: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes a source and everything derived from it, and records the removal in the audit log,
/// in one transaction. Events that another source also reported (overlapping exports) stay,
/// re-attributed to that source's row. `rederive` re-applies the profile to what stays (the
/// source's lookups may have named other sources' labels): that is import logic, so the caller
/// passes it in (`import::derive::remove_source`). Returns the number of events removed.
pub fn remove(
    conn: &mut Connection,
    source_id: i64,
    rederive: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    let Some(info) = get(&tx, source_id)? else {
        return Err(StoreError::NotFound(format!("no source with id {source_id}")));
    };
    // Re-attribute events that another source also reported.
    let moves: Vec<(i64, i64, i64, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT e.id, d.id, d.source_id, d.row_id FROM events e
             JOIN event_duplicates d ON d.event_id = e.id
             WHERE e.source_id = ?1 AND d.source_id != ?1
             AND d.id = (SELECT min(d2.id) FROM event_duplicates d2 WHERE d2.event_id = e.id AND d2.source_id != ?1)",
        )?;
        let rows = stmt.query_map(params![source_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (event_id, dup_id, new_source, new_row) in &moves {
        tx.execute(
            "UPDATE events SET source_id = ?2, row_id = ?3 WHERE id = ?1",
            params![event_id, new_source, new_row],
        )?;
        tx.execute("DELETE FROM event_duplicates WHERE id = ?1", params![dup_id])?;
    }
    let events_removed = tx.execute("DELETE FROM events WHERE source_id = ?1", params![source_id])?;
    tx.execute("DELETE FROM sources WHERE id = ?1", params![source_id])?;
    identity::prune_orphan_identifiers(&tx)?;
    identity::recompute_subjects(&tx)?;
    // Lookups the source provided (e.g. Salesforce purpose names) resolved other sources'
    // labels: those are re-derived without them.
    rederive(&tx)?;
    super::audit_log::record(
        &tx,
        "remove-source",
        &serde_json::json!({"source_id": source_id, "path": info.path, "sha256": info.sha256, "events_removed": events_removed}),
    )?;
    tx.commit()?;
    Ok(events_removed)
}

// ---- Writing a source during its import ----

/// What a source row is created with when its import starts.
#[derive(Debug, Clone, Copy)]
pub struct NewSource<'s> {
    pub path: &'s str,
    pub file_name: &'s str,
    pub system: &'s str,
    /// Unique until the file's hash is known ([`finish_import`] replaces it).
    pub sha256: &'s str,
    pub bytes: i64,
    pub imported_at: &'s str,
    /// The import settings as JSON.
    pub settings: &'s str,
}

/// Creates the source row of a file being imported (in the file's transaction); returns its id.
pub fn insert(conn: &Connection, s: &NewSource<'_>) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO sources (path, file_name, system, sha256, bytes, imported_at, settings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![s.path, s.file_name, s.system, s.sha256, s.bytes, s.imported_at, s.settings],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records a CSV source's header (JSON array of the column names).
pub fn set_header(conn: &Connection, source_id: i64, header: &str) -> Result<(), StoreError> {
    conn.execute("UPDATE sources SET header = ?2 WHERE id = ?1", params![source_id, header])?;
    Ok(())
}

/// The counts, hash and size of a source once its file is read.
#[derive(Debug, Clone, Copy)]
pub struct ImportedCounts<'s> {
    pub rows_imported: i64,
    pub rows_rejected: i64,
    pub rows_warned: i64,
    pub sha256: &'s str,
    pub bytes: i64,
}

/// Stores what the import of a source found, before its transaction commits.
pub fn finish_import(conn: &Connection, source_id: i64, c: &ImportedCounts<'_>) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sources SET rows_imported = ?2, rows_rejected = ?3, rows_warned = ?4, sha256 = ?5, bytes = ?6
                 WHERE id = ?1",
        params![source_id, c.rows_imported, c.rows_rejected, c.rows_warned, c.sha256, c.bytes],
    )?;
    Ok(())
}

/// An event's raw source row, as the file had it (the app's "show the source" panel).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventSource {
    pub event_id: i64,
    pub system: String,
    pub path: String,
    pub sha256: String,
    pub locator: String,
    pub line: Option<i64>,
    /// The file's CSV header, when it has one.
    pub header: Option<Vec<String>>,
    /// The record: one CSV line (values re-serialised), or the JSON record.
    pub raw: String,
    /// Other rows that report the same fact (overlapping exports).
    pub also_in: Vec<RowRef>,
}

/// A row of another file.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowRef {
    pub path: String,
    pub locator: String,
}

/// Where event `event_id` came from, with its raw row; None when there is no such event.
pub fn event_source(conn: &Connection, event_id: i64) -> Result<Option<EventSource>, StoreError> {
    let found = conn
        .query_row(
            "SELECT e.system, s.path, s.sha256, r.locator, r.line, s.header, r.raw
             FROM events e JOIN sources s ON s.id = e.source_id JOIN source_rows r ON r.id = e.row_id
             WHERE e.id = ?1",
            params![event_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((system, path, sha256, locator, line, header, raw)) = found else { return Ok(None) };
    let header = header.map(|h| serde_json::from_str::<Vec<String>>(&h)).transpose()?;
    let mut stmt = conn.prepare_cached(
        "SELECT s.path, r.locator FROM event_duplicates d JOIN sources s ON s.id = d.source_id
         JOIN source_rows r ON r.id = d.row_id WHERE d.event_id = ?1 ORDER BY s.id, r.id",
    )?;
    let also_in = stmt
        .query_map(params![event_id], |r| Ok(RowRef { path: r.get(0)?, locator: r.get(1)? }))?
        .collect::<Result<_, _>>()?;
    Ok(Some(EventSource { event_id, system, path, sha256, locator, line, header, raw, also_in }))
}
