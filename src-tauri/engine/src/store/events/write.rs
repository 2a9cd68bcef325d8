//! Writing events and their rows during an import, one transaction per file: source rows,
//! events, their recipients and duplicates, the file's warnings and rejections, and the
//! re-derivation of stored events when the profile or a system's lookups change.

use rusqlite::{params, Connection, OptionalExtension, Statement};

use super::facts::{self, FactCheck, FactTable};
use crate::store::StoreError;

/// One warning or rejection in an import report.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Issue {
    pub locator: String,
    pub field: Option<String>,
    pub message: String,
}

/// An event as it is stored, every field borrowed from the importer's prepared event (nothing
/// is copied per row).
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'e> {
    pub source_id: i64,
    pub row_id: i64,
    pub identifier_id: i64,
    pub system: &'e str,
    pub kind: &'e str,
    pub occurred_at: Option<i64>,
    pub occurred_at_written: Option<&'e str>,
    pub zone_noted: Option<&'e str>,
    pub purpose: Option<&'e str>,
    pub purpose_label: Option<&'e str>,
    pub channel: Option<&'e str>,
    pub method: Option<&'e str>,
    pub method_stated: Option<&'e str>,
    pub capture_source: Option<&'e str>,
    pub collected_by: Option<&'e str>,
    pub collected_by_stated: Option<&'e str>,
    pub notice_version: Option<&'e str>,
    pub notice_stated: Option<&'e str>,
    pub evidence: Option<&'e str>,
    pub fingerprint: &'e [u8],
}

/// What [`EventWriter::insert_event`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored as this new event.
    New(i64),
    /// Not stored: it repeats this event, stored earlier.
    Repeats(i64),
}

const INSERT_EVENT: &str =
    "INSERT INTO events (source_id, row_id, identifier_id, system, kind, occurred_at, occurred_at_written,
        zone_noted, purpose, purpose_label, channel, method, method_stated, capture_source, collected_by,
        collected_by_stated, notice_version, notice_stated, evidence, fingerprint)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";
const ON_FACT_CONFLICT: &str = "ON CONFLICT(identifier_id, fingerprint) DO NOTHING";

/// The statements every row of a bulk import runs, prepared once per file from its
/// transaction: the statement cache would hash their SQL text on every call, and this is the
/// hot path of a ten-million-event import.
pub struct EventWriter<'tx> {
    conn: &'tx Connection,
    /// Set while the fact index is dropped for a bulk load (see [`facts`]).
    deferred: Option<(FactTable, FactCheck<'tx>)>,
    insert_row: Statement<'tx>,
    insert_event: Statement<'tx>,
    find_duplicate: Statement<'tx>,
    insert_duplicate: Statement<'tx>,
    insert_recipient: Statement<'tx>,
}

impl<'tx> EventWriter<'tx> {
    /// Prepares the writer's statements on `conn` (the file's transaction). With
    /// `defer_index_for` (the events a large file is expected to add), the fact index is dropped
    /// until [`facts::restore_index`], which must run before the transaction commits.
    pub fn new(conn: &'tx Connection, defer_index_for: Option<u64>) -> Result<EventWriter<'tx>, StoreError> {
        let deferred = match defer_index_for {
            Some(expected) => Some((facts::defer_index(conn, expected)?, FactCheck::new(conn)?)),
            None => None,
        };
        let insert_event =
            if deferred.is_some() { INSERT_EVENT.to_string() } else { format!("{INSERT_EVENT} {ON_FACT_CONFLICT}") };
        Ok(EventWriter {
            conn,
            deferred,
            insert_row: conn
                .prepare("INSERT INTO source_rows (source_id, locator, line, raw) VALUES (?1, ?2, ?3, ?4)")?,
            insert_event: conn.prepare(&insert_event)?,
            find_duplicate: conn.prepare("SELECT id FROM events WHERE identifier_id = ?1 AND fingerprint = ?2")?,
            insert_duplicate: conn
                .prepare("INSERT INTO event_duplicates (event_id, source_id, row_id) VALUES (?1, ?2, ?3)")?,
            insert_recipient: conn
                .prepare("INSERT OR IGNORE INTO event_recipients (event_id, label, legal_name) VALUES (?1, ?2, ?3)")?,
        })
    }

    /// Stores a source row verbatim; returns its id.
    pub fn insert_row(
        &mut self,
        source_id: i64,
        locator: &str,
        line: Option<i64>,
        raw: &str,
    ) -> Result<i64, StoreError> {
        self.insert_row.execute(params![source_id, locator, line, raw])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores an event, unless the same fact (identifier and fingerprint) is already stored
    /// (overlapping exports): then the first event that stated it is returned.
    pub fn insert_event(&mut self, e: &NewEvent<'_>) -> Result<Stored, StoreError> {
        if let Some((table, check)) = &mut self.deferred {
            if let Some(first) = table.find(e.fingerprint, |id| check.is(id, e.identifier_id, e.fingerprint))? {
                return Ok(Stored::Repeats(first));
            }
        }
        let inserted = self.insert_event.execute(params![
            e.source_id,
            e.row_id,
            e.identifier_id,
            e.system,
            e.kind,
            e.occurred_at,
            e.occurred_at_written,
            e.zone_noted,
            e.purpose,
            e.purpose_label,
            e.channel,
            e.method,
            e.method_stated,
            e.capture_source,
            e.collected_by,
            e.collected_by_stated,
            e.notice_version,
            e.notice_stated,
            e.evidence,
            e.fingerprint,
        ])?;
        if inserted == 0 {
            let first = self.find_duplicate.query_row(params![e.identifier_id, e.fingerprint], |r| r.get(0))?;
            return Ok(Stored::Repeats(first));
        }
        let id = self.conn.last_insert_rowid();
        if let Some((table, _)) = &mut self.deferred {
            table.insert(e.fingerprint, id)?;
        }
        Ok(Stored::New(id))
    }

    /// Keeps a row that repeats stored event `event_id` as its corroboration.
    pub fn insert_duplicate(&mut self, event_id: i64, source_id: i64, row_id: i64) -> Result<(), StoreError> {
        self.insert_duplicate.execute(params![event_id, source_id, row_id])?;
        Ok(())
    }

    /// Stores one recipient of an event with the legal name the profile gives it.
    pub fn insert_recipient(&mut self, event_id: i64, label: &str, legal_name: Option<&str>) -> Result<(), StoreError> {
        self.insert_recipient.execute(params![event_id, label, legal_name])?;
        Ok(())
    }
}

/// Removes a stored source row (a row rejected after it was stored); returns its raw text.
pub fn take_row(conn: &Connection, row_id: i64) -> Result<Option<String>, StoreError> {
    let raw: Option<String> =
        conn.query_row("SELECT raw FROM source_rows WHERE id = ?1", params![row_id], |r| r.get(0)).optional()?;
    conn.execute("DELETE FROM source_rows WHERE id = ?1", params![row_id])?;
    Ok(raw)
}

/// Stores one warning or rejected row of a file. Cached: rejections arrive one at a time from
/// the readers' callbacks, which hold the connection, not a writer.
pub fn insert_issue(
    conn: &Connection,
    source_id: i64,
    severity: &str,
    locator: &str,
    field: Option<&str>,
    message: &str,
    raw: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO import_issues (source_id, severity, locator, field, message, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![source_id, severity, locator, field, message, raw])?;
    Ok(())
}

/// The first `limit` issues of one severity of a source, in file order, and how many there are
/// in all (the report lists a bounded number).
pub fn issues_listed(
    conn: &Connection,
    source_id: i64,
    severity: &str,
    limit: i64,
) -> Result<(Vec<Issue>, i64), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT locator, field, message FROM import_issues WHERE source_id = ?1 AND severity = ?2 ORDER BY id LIMIT ?3",
    )?;
    let issues = stmt
        .query_map(params![source_id, severity, limit], |r| {
            Ok(Issue { locator: r.get(0)?, field: r.get(1)?, message: r.get(2)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM import_issues WHERE source_id = ?1 AND severity = ?2",
        params![source_id, severity],
        |r| r.get(0),
    )?;
    Ok((issues, total))
}

/// Streams every rejected row of a source, in file order, to `each` as (locator, field,
/// message, raw): a file's rejections can be many more than a report lists.
pub fn for_each_rejection<E: From<rusqlite::Error>>(
    conn: &Connection,
    source_id: i64,
    mut each: impl FnMut(&str, Option<&str>, &str, Option<&str>) -> Result<(), E>,
) -> Result<(), E> {
    let mut stmt = conn.prepare(
        "SELECT locator, field, message, raw FROM import_issues WHERE source_id = ?1 AND severity = 'rejected' ORDER BY id",
    )?;
    let mut rows = stmt.query(params![source_id])?;
    while let Some(row) = rows.next()? {
        let (locator, field, message, raw): (String, Option<String>, String, Option<String>) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        each(&locator, field.as_deref(), &message, raw.as_deref())?;
    }
    Ok(())
}

// ---- Re-deriving stored events (the profile or a system's lookups changed) ----

/// The distinct (system, purpose label) pairs of the stored events, of one system or all.
pub fn purpose_labels(
    conn: &Connection,
    only_system: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT DISTINCT system, purpose_label FROM events WHERE (?1 IS NULL OR system = ?1)")?;
    let rows = stmt.query_map(params![only_system], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A temporary (system, label) → (purpose, channel) table, applied to the events in one pass
/// rather than one scan per label.
pub struct PurposeMap<'c> {
    conn: &'c Connection,
    insert: Statement<'c>,
}

impl<'c> PurposeMap<'c> {
    /// Creates the (empty) temporary table.
    pub fn create(conn: &'c Connection) -> Result<PurposeMap<'c>, StoreError> {
        conn.execute_batch(
            "DROP TABLE IF EXISTS temp.purpose_map;
             CREATE TEMP TABLE purpose_map (system TEXT NOT NULL, label TEXT, purpose TEXT, channel TEXT);
             CREATE INDEX temp.purpose_map_key ON purpose_map (system, label);",
        )?;
        let insert =
            conn.prepare("INSERT INTO temp.purpose_map (system, label, purpose, channel) VALUES (?1, ?2, ?3, ?4)")?;
        Ok(PurposeMap { conn, insert })
    }

    /// Maps one label of a system.
    pub fn insert(
        &mut self,
        system: &str,
        label: Option<&str>,
        purpose: Option<&str>,
        channel: Option<&str>,
    ) -> Result<(), StoreError> {
        self.insert.execute(params![system, label, purpose, channel])?;
        Ok(())
    }

    /// Sets every event's purpose (and channel, where the purpose has one) from the map, then
    /// drops it. Returns how many events changed.
    pub fn apply(self, only_system: Option<&str>) -> Result<usize, StoreError> {
        let PurposeMap { conn, insert } = self;
        drop(insert);
        let changed = conn.execute(
            "UPDATE events SET
            purpose = (SELECT m.purpose FROM temp.purpose_map m WHERE m.system = events.system AND m.label IS events.purpose_label),
            channel = COALESCE((SELECT m.channel FROM temp.purpose_map m WHERE m.system = events.system AND m.label IS events.purpose_label), channel)
         WHERE (?1 IS NULL OR system = ?1)
           AND purpose IS NOT (SELECT m.purpose FROM temp.purpose_map m WHERE m.system = events.system AND m.label IS events.purpose_label)",
            params![only_system],
        )?;
        conn.execute_batch("DROP TABLE temp.purpose_map;")?;
        Ok(changed)
    }
}

/// Every distinct recipient label of the stored events.
pub fn recipient_labels(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT DISTINCT label FROM event_recipients")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sets the legal name of every recipient with this label; returns how many changed.
pub fn set_recipient_legal_name(conn: &Connection, label: &str, legal_name: Option<&str>) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE event_recipients SET legal_name = ?2 WHERE label = ?1 AND legal_name IS NOT ?2",
        params![label, legal_name],
    )?)
}

/// The distinct (system, capture source) pairs of the stored events, of one system or all.
pub fn capture_sources(conn: &Connection, only_system: Option<&str>) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT system, capture_source FROM events WHERE capture_source IS NOT NULL AND (?1 IS NULL OR system = ?1)",
    )?;
    let rows = stmt.query_map(params![only_system], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Applies a collection point's method, collector and notice to the events of a system's
/// capture source, where the row itself stated none; returns how many events changed.
pub fn apply_collection_point(
    conn: &Connection,
    system: &str,
    capture_source: &str,
    method: Option<&str>,
    collected_by: Option<&str>,
    notice_version: Option<&str>,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE events SET method = COALESCE(method_stated, ?3), collected_by = COALESCE(collected_by_stated, ?4),
                notice_version = COALESCE(notice_stated, ?5)
             WHERE system = ?1 AND capture_source = ?2
               AND (method IS NOT COALESCE(method_stated, ?3) OR collected_by IS NOT COALESCE(collected_by_stated, ?4)
                    OR notice_version IS NOT COALESCE(notice_stated, ?5))",
        params![system, capture_source, method, collected_by, notice_version],
    )?)
}

/// A label the profile does not map yet, with how many events carry it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnmappedLabel {
    pub system: String,
    pub label: String,
    pub events: i64,
}

/// Purpose labels no profile purpose maps (the derive step left their events without one).
pub fn unmapped_purpose_labels(conn: &Connection) -> Result<Vec<UnmappedLabel>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT system, purpose_label, count(*) FROM events WHERE purpose IS NULL AND purpose_label IS NOT NULL
         GROUP BY system, purpose_label ORDER BY system, purpose_label",
    )?;
    let rows = stmt.query_map([], |r| Ok(UnmappedLabel { system: r.get(0)?, label: r.get(1)?, events: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
