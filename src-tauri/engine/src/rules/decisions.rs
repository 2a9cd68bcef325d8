//! An auditor's decisions on findings (accepted / false positive / remediated, with a note and
//! a name), kept by stable finding id across audit runs and re-imports, and written to the
//! audit log.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{audit_log, now_rfc3339, StoreError};

/// The decision statuses.
pub const STATUSES: &[&str] = &["accepted", "false-positive", "remediated"];

/// A decision as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision {
    pub status: String,
    pub note: String,
    pub by: Option<String>,
    pub at: String,
}

/// Records a decision on a finding of the latest audit.
pub fn decide(
    conn: &Connection,
    finding_id: &str,
    status: &str,
    note: &str,
    by: Option<&str>,
) -> Result<Decision, StoreError> {
    if !STATUSES.contains(&status) {
        return Err(StoreError::Invalid(format!("unknown status '{status}' (expected {})", STATUSES.join(", "))));
    }
    let key: Option<(String, String, Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT rule, subject_key, purpose, recipient FROM findings WHERE id = ?1",
            params![finding_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((rule, subject_key, purpose, recipient)) = key else {
        return Err(StoreError::NotFound(format!("no finding with id {finding_id} (run the audit first)")));
    };
    let at = now_rfc3339();
    conn.execute(
        "INSERT INTO finding_decisions (finding_id, status, note, decided_by, decided_at, rule, subject_key, purpose, recipient)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(finding_id) DO UPDATE SET status = excluded.status, note = excluded.note,
            decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        params![finding_id, status, note, by, at, rule, subject_key, purpose, recipient],
    )?;
    audit_log::record(
        conn,
        "decide",
        &serde_json::json!({"finding": finding_id, "status": status, "note": note, "by": by}),
    )?;
    Ok(Decision { status: status.into(), note: note.into(), by: by.map(str::to_string), at })
}

/// The decision on a finding, if any.
pub fn decision_for(conn: &Connection, finding_id: &str) -> Result<Option<Decision>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT status, note, decided_by, decided_at FROM finding_decisions WHERE finding_id = ?1",
            params![finding_id],
            |r| Ok(Decision { status: r.get(0)?, note: r.get(1)?, by: r.get(2)?, at: r.get(3)? }),
        )
        .optional()?)
}
