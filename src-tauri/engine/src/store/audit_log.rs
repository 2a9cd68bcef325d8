//! The user's own actions (imports, removals, decisions, packs): append-only.

use rusqlite::{params, Connection};

use super::{now_rfc3339, StoreError};

/// Records one action with a JSON detail.
pub fn record(conn: &Connection, action: &str, detail: &serde_json::Value) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_log (at, action, detail) VALUES (?1, ?2, ?3)",
        params![now_rfc3339(), action, detail.to_string()],
    )?;
    Ok(())
}

/// One audit-log entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// All entries, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, at, action, detail FROM audit_log ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        let detail: String = r.get(3)?;
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
