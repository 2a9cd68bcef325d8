//! Reading events and their rows: timelines, the audit, packs.
//!
//! Events come back as read, in no particular order within a subject: sorting, folding and
//! resolving them is the reconciliation's work (`reconcile::timeline`), done on what these
//! functions return.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use crate::model::timeline::{Recipient, SourceRef, TimelineEvent};
use crate::model::EventKind;
use crate::store::StoreError;

const EVENT_COLUMNS: &str = "e.id, i.kind, i.value, e.system, e.kind, e.occurred_at, e.occurred_at_text, e.zone_basis,
    e.purpose, e.purpose_label, e.channel, e.method, e.capture_source, e.collected_by,
    e.notice_version, e.evidence, e.fingerprint, e.row_id";

/// A timeline event from [`EVENT_COLUMNS`] starting at column `offset` (no recipients, no
/// source, nothing resolved yet).
fn event_from_row(r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<TimelineEvent> {
    // Borrowed from the row: millions of events are read per audit.
    let kind = r.get_ref(offset + 4)?.as_str()?.parse::<EventKind>().unwrap_or(EventKind::Processing);
    let identifier =
        crate::model::Identifier::written(r.get_ref(offset + 1)?.as_str()?, r.get_ref(offset + 2)?.as_str()?);
    Ok(TimelineEvent {
        id: r.get(offset)?,
        identifier,
        system: r.get(offset + 3)?,
        kind,
        stated_kind: kind,
        occurred_at_ms: r.get(offset + 5)?,
        occurred_at_text: r.get(offset + 6)?,
        zone_basis: r.get(offset + 7)?,
        purpose: r.get(offset + 8)?,
        purpose_label: r.get(offset + 9)?,
        recipients: Vec::new(),
        channel: r.get(offset + 10)?,
        method: r.get(offset + 11)?,
        capture_source: r.get(offset + 12)?,
        collected_by: r.get(offset + 13)?,
        notice_version: r.get(offset + 14)?,
        evidence_json: r.get(offset + 15)?,
        fingerprint: r.get(offset + 16)?,
        row_id: r.get(offset + 17)?,
        source: None,
        corroborated_by: Vec::new(),
        partial: None,
        folded_into: None,
    })
}

/// Every event of a subject with its source and recipients, unsorted (a timeline sorts and
/// resolves them: `reconcile::timeline::subject_events`).
pub fn subject_events(conn: &Connection, subject_id: i64) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS}, s.id, s.path, s.sha256, r.line, r.locator
         FROM event_details e
         JOIN identifiers i ON i.id = e.identifier_id
         JOIN sources s ON s.id = e.source_id
         JOIN source_rows r ON r.id = e.row_id
         WHERE i.subject_id = ?1"
    ))?;
    let mut events: Vec<TimelineEvent> = stmt
        .query_map(params![subject_id], |r| {
            let mut e = event_from_row(r, 0)?;
            e.source = Some(SourceRef {
                id: r.get(18)?,
                path: r.get(19)?,
                sha256: r.get(20)?,
                line: r.get(21)?,
                locator: r.get(22)?,
                row_id: e.row_id,
            });
            Ok(e)
        })?
        .collect::<Result<_, _>>()?;
    let mut recipients = conn.prepare_cached(
        "SELECT er.event_id, er.label, er.legal_name FROM event_recipients er
         JOIN events e ON e.id = er.event_id JOIN identifiers i ON i.id = e.identifier_id
         WHERE i.subject_id = ?1 ORDER BY er.event_id, er.label",
    )?;
    let mut by_event: HashMap<i64, Vec<Recipient>> = HashMap::new();
    for row in recipients.query_map(params![subject_id], |r| {
        Ok((r.get::<_, i64>(0)?, Recipient { label: r.get(1)?, legal_name: r.get(2)? }))
    })? {
        let (id, rec) = row?;
        by_event.entry(id).or_default().push(rec);
    }
    for e in &mut events {
        if let Some(r) = by_event.remove(&e.id) {
            e.recipients = r;
        }
    }
    Ok(events)
}

/// What an organisation pack's digest of all events covers, of one event.
#[derive(Debug)]
pub struct EventStamp {
    pub id: i64,
    pub fingerprint: Vec<u8>,
    pub kind: String,
    pub occurred_at_ms: Option<i64>,
    pub purpose: Option<String>,
    pub source_sha256: String,
    pub locator: String,
}

/// Streams every event in id order, with its source's hash and its row's locator, to `each`
/// (one row at a time: organisation packs hash millions of them).
pub fn for_each_event_stamp<E: From<StoreError>>(
    conn: &Connection,
    mut each: impl FnMut(EventStamp) -> Result<(), E>,
) -> Result<(), E> {
    let sql = |e: rusqlite::Error| E::from(StoreError::from(e));
    let mut stmt = conn
        .prepare(
            "SELECT e.id, e.fingerprint, e.kind, e.occurred_at, e.purpose, s.sha256, r.locator
             FROM events e JOIN sources s ON s.id = e.source_id JOIN source_rows r ON r.id = e.row_id ORDER BY e.id",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let stamp = (|| {
            Ok::<_, rusqlite::Error>(EventStamp {
                id: r.get(0)?,
                fingerprint: r.get(1)?,
                kind: r.get(2)?,
                occurred_at_ms: r.get(3)?,
                purpose: r.get(4)?,
                source_sha256: r.get(5)?,
                locator: r.get(6)?,
            })
        })()
        .map_err(sql)?;
        each(stamp)?;
    }
    Ok(())
}

/// One event as [`for_each_event_by_subject`] reads it, its text borrowed from the row (nothing
/// is copied out of SQLite unless the reader keeps it).
pub struct SubjectEventRow<'r> {
    pub subject_id: i64,
    pub identifier_id: i64,
    pub identifier_kind: &'r str,
    pub identifier_value: &'r str,
    pub id: i64,
    pub system: Option<&'r str>,
    pub kind: Option<&'r str>,
    pub occurred_at_ms: Option<i64>,
    pub occurred_at_text: Option<&'r str>,
    pub zone_basis: Option<&'r str>,
    pub purpose: Option<&'r str>,
    pub purpose_label: Option<&'r str>,
    pub channel: Option<&'r str>,
    pub method: Option<&'r str>,
    pub capture_source: Option<&'r str>,
    pub collected_by: Option<&'r str>,
    pub notice_version: Option<&'r str>,
    pub evidence: Option<&'r str>,
    pub fingerprint: &'r [u8],
    pub row_id: i64,
    pub source_id: i64,
    pub locator: Option<&'r str>,
    pub raw: Option<&'r str>,
    /// The event's recipients as a JSON array of `[label, legal name]` pairs, by label
    /// (SQLite's own JSON: it always reads back).
    pub recipients_json: Option<&'r str>,
}

/// A text column as stored, borrowed from the row.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        value => value
            .as_str()
            .map(Some)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e))),
    }
}

/// Streams every event with its identifier, row and recipients to `each`, in subject id order,
/// in one pass with no per-subject query (organisation packs and their verification digest
/// every subject this way, in memory that does not grow with the data).
pub fn for_each_event_by_subject<E: From<StoreError>>(
    conn: &Connection,
    mut each: impl FnMut(&SubjectEventRow<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let sql = |e: rusqlite::Error| E::from(StoreError::from(e));
    // CROSS JOIN keeps SQLite's join order: identifiers in subject order (their index), then
    // each one's events and rows by index, so no temporary B-tree sorts every row. An event's
    // recipients come with it (by their primary key), as a JSON array of [label, legal name].
    let mut stmt = conn
        .prepare(
            "SELECT i.subject_id, i.id, i.kind, i.value, e.id, e.system, e.kind, e.occurred_at, e.occurred_at_text,
                e.zone_basis, e.purpose, e.purpose_label, e.channel, e.method, e.capture_source, e.collected_by,
                e.notice_version, e.evidence, e.fingerprint, e.row_id, e.source_id, r.locator, r.raw,
                (SELECT json_group_array(json_array(label, legal_name))
                 FROM (SELECT label, legal_name FROM event_recipients WHERE event_id = e.id ORDER BY label))
         FROM identifiers i CROSS JOIN event_details e ON e.identifier_id = i.id
         CROSS JOIN source_rows r ON r.id = e.row_id
         ORDER BY i.subject_id",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let row = (|| {
            Ok::<_, rusqlite::Error>(SubjectEventRow {
                subject_id: r.get(0)?,
                identifier_id: r.get(1)?,
                identifier_kind: text(r, 2)?.unwrap_or_default(),
                identifier_value: text(r, 3)?.unwrap_or_default(),
                id: r.get(4)?,
                system: text(r, 5)?,
                kind: text(r, 6)?,
                occurred_at_ms: r.get(7)?,
                occurred_at_text: text(r, 8)?,
                zone_basis: text(r, 9)?,
                purpose: text(r, 10)?,
                purpose_label: text(r, 11)?,
                channel: text(r, 12)?,
                method: text(r, 13)?,
                capture_source: text(r, 14)?,
                collected_by: text(r, 15)?,
                notice_version: text(r, 16)?,
                evidence: text(r, 17)?,
                fingerprint: r.get_ref(18)?.as_blob().map_err(rusqlite::Error::from)?,
                row_id: r.get(19)?,
                source_id: r.get(20)?,
                locator: text(r, 21)?,
                raw: text(r, 22)?,
                recipients_json: text(r, 23)?,
            })
        })()
        .map_err(sql)?;
        each(&row)?;
    }
    Ok(())
}

/// A source row as imported.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub id: i64,
    pub source_id: i64,
    pub locator: String,
    pub line: Option<i64>,
    pub raw: String,
}

/// One source row by id.
pub fn raw_row(conn: &Connection, id: i64) -> Result<RawRow, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, source_id, locator, line, raw FROM source_rows WHERE id = ?1")?;
    Ok(stmt.query_row(params![id], |r| {
        Ok(RawRow { id: r.get(0)?, source_id: r.get(1)?, locator: r.get(2)?, line: r.get(3)?, raw: r.get(4)? })
    })?)
}
