//! An auditor's decisions on findings (table `finding_decisions`), kept by finding id across
//! audit runs: every decision is added, none is changed, the latest is the one in force.
//! Which statuses may be decided and what a decision means is `rules::decisions`' business.

use rusqlite::{params, Connection};

use super::StoreError;

/// A decision to store, with the key of the finding it is taken on (copied so that the
/// decision stays readable once a later audit no longer finds it).
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub finding_id: &'a str,
    pub status: &'a str,
    pub note: &'a str,
    pub by: Option<&'a str>,
    pub at: &'a str,
    pub rule: &'a str,
    pub subject_key: &'a str,
    pub purpose: Option<&'a str>,
    pub recipient: Option<&'a str>,
    /// The finding's occurrences when the decision is taken, as the findings table holds them
    /// (a JSON array of ms).
    pub occurrences_seen: &'a str,
}

/// Adds a decision; the caller holds the transaction that also logs it.
pub fn insert(conn: &Connection, d: &NewDecision<'_>) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO finding_decisions (finding_id, status, note, decided_by, decided_at, rule, subject_key, purpose,
            recipient, occurrences_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            d.finding_id,
            d.status,
            d.note,
            d.by,
            d.at,
            d.rule,
            d.subject_key,
            d.purpose,
            d.recipient,
            d.occurrences_seen
        ],
    )?;
    Ok(())
}

/// A stored decision, its occurrences seen in ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    pub status: String,
    pub note: String,
    pub by: Option<String>,
    pub at: String,
    pub seen: Vec<i64>,
}

/// Every decision on the finding `finding_id`, oldest first (the last is the one in force).
/// Cached: the findings list and its export ask once per finding.
pub fn history(conn: &Connection, finding_id: &str) -> Result<Vec<StoredDecision>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, note, decided_by, decided_at, occurrences_seen FROM finding_decisions
         WHERE finding_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![finding_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
    })?;
    let mut history = Vec::new();
    for row in rows {
        let (status, note, by, at, seen) = row?;
        history.push(StoredDecision { status, note, by, at, seen: serde_json::from_str(&seen)? });
    }
    Ok(history)
}
