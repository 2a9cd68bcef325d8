//! Subjects: search by any identifier, with counts; names as recorded per source.

use rusqlite::{params, Connection};

use crate::store::identity::{identifiers_of, StoredIdentifier};
use crate::store::StoreError;

/// One row of the subject list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectSummary {
    pub id: i64,
    pub identifiers: Vec<StoredIdentifier>,
    pub events: i64,
    pub systems: Vec<String>,
    /// Findings of the latest audit, in total and by severity.
    pub findings: i64,
    pub findings_high: i64,
    pub findings_medium: i64,
    pub findings_low: i64,
}

/// Subjects whose identifiers contain `search` (case-insensitive), by id, paged in SQLite.
pub fn list(
    conn: &Connection,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<SubjectSummary>, StoreError> {
    let pattern = search.map(|s| format!("%{}%", s.trim().to_lowercase().replace('%', "\\%").replace('_', "\\_")));
    let mut stmt = conn.prepare(
        "SELECT s.subject_id, count(e.id), group_concat(DISTINCT e.system)
         FROM (SELECT DISTINCT subject_id FROM identifiers
               WHERE ?1 IS NULL OR lower(value) LIKE ?1 ESCAPE '\\' OR lower(kind || ':' || value) LIKE ?1 ESCAPE '\\') s
         JOIN identifiers i ON i.subject_id = s.subject_id
         LEFT JOIN events e ON e.identifier_id = i.id
         GROUP BY s.subject_id ORDER BY s.subject_id LIMIT ?2 OFFSET ?3",
    )?;
    let rows: Vec<(i64, i64, Option<String>)> = stmt
        .query_map(params![pattern, limit, offset], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, events, systems)| {
            let mut systems: Vec<String> =
                systems.map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default();
            systems.sort();
            let (findings, high, medium, low) = conn.query_row(
                "SELECT count(*), count(*) FILTER (WHERE severity = 'high'), count(*) FILTER (WHERE severity = 'medium'),
                        count(*) FILTER (WHERE severity = 'low')
                 FROM findings WHERE subject_id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            Ok(SubjectSummary {
                id,
                identifiers: identifiers_of(conn, id)?,
                events,
                systems,
                findings,
                findings_high: high,
                findings_medium: medium,
                findings_low: low,
            })
        })
        .collect()
}

/// A display attribute recorded by a source.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedAttribute {
    pub attribute: String,
    pub value: String,
    pub system: String,
    pub source_path: String,
}

/// The names (and date of birth) each source recorded for a subject — for display only.
pub fn attributes_of(conn: &Connection, subject_id: i64) -> Result<Vec<RecordedAttribute>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.attribute, a.value, s.system, s.path FROM identifier_attributes a
         JOIN identifiers i ON i.id = a.identifier_id JOIN sources s ON s.id = a.source_id
         WHERE i.subject_id = ?1 ORDER BY s.id, a.attribute, a.value",
    )?;
    let rows = stmt.query_map(params![subject_id], |r| {
        Ok(RecordedAttribute { attribute: r.get(0)?, value: r.get(1)?, system: r.get(2)?, source_path: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
