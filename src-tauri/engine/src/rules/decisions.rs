//! An auditor's decisions on findings (accepted / false positive / remediated, with a note and
//! a name), kept by stable finding id across audit runs and re-imports, and written to the
//! audit log in the same transaction.
//!
//! Every decision is kept (a new one is added, none is changed); the latest is the one in force.
//! A decision covers the occurrences the auditor saw, recorded with it (SPEC §4.1): when a later
//! audit finds an occurrence after those of a `remediated` decision, the finding is `reopened`.

use rusqlite::Connection;

use crate::reconcile::state::rfc3339;
use crate::store::decisions::{self as stored, NewDecision, StoredDecision};
use crate::store::{audit_log, findings, in_transaction, now_rfc3339, StoreError};

/// The statuses an auditor can decide.
pub const STATUSES: &[&str] = &["accepted", "false-positive", "remediated"];

/// The status of a remediated finding that occurred again after the occurrences the decision saw.
pub const REOPENED: &str = "reopened";

/// One decision as taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DecisionRecord {
    #[cfg_attr(feature = "ts", ts(type = "\"accepted\" | \"false-positive\" | \"remediated\""))]
    pub status: String,
    pub note: String,
    pub by: Option<String>,
    pub at: String,
    /// The finding's occurrences when the decision was taken (RFC 3339 UTC).
    pub occurrences_seen: Vec<String>,
}

/// The decision in force on a finding, with the history behind it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Decision {
    /// The latest decision's status, or `reopened` when it is `remediated` and the finding has
    /// occurred since.
    #[cfg_attr(feature = "ts", ts(type = "\"accepted\" | \"false-positive\" | \"remediated\" | \"reopened\""))]
    pub status: String,
    /// The latest decision's note, author and time.
    pub note: String,
    pub by: Option<String>,
    pub at: String,
    /// The occurrences the latest decision saw.
    pub occurrences_seen: Vec<String>,
    /// The finding's occurrences later than those seen: not covered by the decision.
    pub later_occurrences: Vec<String>,
    /// Every decision on the finding, oldest first; the last is the one in force.
    pub history: Vec<DecisionRecord>,
}

/// A stored decision as taken, its occurrences in RFC 3339.
fn record(d: &StoredDecision) -> DecisionRecord {
    DecisionRecord {
        status: d.status.clone(),
        note: d.note.clone(),
        by: d.by.clone(),
        at: d.at.clone(),
        occurrences_seen: d.seen.iter().map(|t| rfc3339(*t)).collect(),
    }
}

/// The occurrences in `occurrences` later than every one in `seen` (all of them when none was
/// seen). The SQL in `store::findings` (its `STATUS_SQL`) says the same.
fn later_than_seen(seen: &[i64], occurrences: &[i64]) -> Vec<i64> {
    match seen.iter().max() {
        Some(until) => occurrences.iter().copied().filter(|t| t > until).collect(),
        None => occurrences.to_vec(),
    }
}

/// Records a decision on a finding of the latest audit, with the occurrences it has now; the
/// decision and its audit-log entry are written together.
pub fn decide(
    conn: &Connection,
    finding_id: &str,
    status: &str,
    note: &str,
    by: Option<&str>,
) -> Result<Decision, StoreError> {
    let mut decided = decide_many(conn, &[finding_id], status, note, by)?;
    decided.pop().ok_or_else(|| StoreError::NotFound(format!("the decision on {finding_id} was not stored")))
}

/// Records the same decision (status, note, author) on several findings of the latest audit,
/// each with its own audit-log entry, in one transaction: when any finding cannot be decided
/// (an unknown id, a failed write) none is, so an officer never has to work out which part of
/// a bulk decision was kept. Returns the decisions in the order of `finding_ids`; an id given
/// twice is decided once.
pub fn decide_many<S: AsRef<str>>(
    conn: &Connection,
    finding_ids: &[S],
    status: &str,
    note: &str,
    by: Option<&str>,
) -> Result<Vec<Decision>, StoreError> {
    if !STATUSES.contains(&status) {
        return Err(StoreError::Invalid(format!("unknown status '{status}' (expected {})", STATUSES.join(", "))));
    }
    let mut ids: Vec<&str> = Vec::with_capacity(finding_ids.len());
    for id in finding_ids.iter().map(AsRef::as_ref) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(StoreError::Invalid("no finding to decide on".into()));
    }
    // Entries of a bulk decision say how many findings were decided together.
    let batch = (ids.len() > 1).then_some(ids.len());
    in_transaction(conn, |conn| ids.iter().map(|id| record_decision(conn, id, status, note, by, batch)).collect())
}

/// Writes one decision and its audit-log entry; the caller holds the transaction.
fn record_decision(
    conn: &Connection,
    finding_id: &str,
    status: &str,
    note: &str,
    by: Option<&str>,
    batch: Option<usize>,
) -> Result<Decision, StoreError> {
    let Some(key) = findings::key_of(conn, finding_id)? else {
        return Err(StoreError::NotFound(format!("no finding with id {finding_id} (run the audit first)")));
    };
    let seen: Vec<i64> = serde_json::from_str(&key.occurrences)?;
    let at = now_rfc3339();
    stored::insert(
        conn,
        &NewDecision {
            finding_id,
            status,
            note,
            by,
            at: &at,
            rule: &key.rule,
            subject_key: &key.subject_key,
            purpose: key.purpose.as_deref(),
            recipient: key.recipient.as_deref(),
            occurrences_seen: &key.occurrences,
        },
    )?;
    let mut detail = serde_json::json!({
        "finding": finding_id, "status": status, "note": note, "by": by,
        "occurrences_seen": seen.len(), "seen_until": seen.iter().max().map(|t| rfc3339(*t)),
    });
    if let Some(size) = batch {
        detail["batch_size"] = size.into();
    }
    audit_log::record(conn, "decide", &detail)?;
    decision_with(conn, finding_id, &seen)?
        .ok_or_else(|| StoreError::NotFound(format!("the decision on {finding_id} was not stored")))
}

/// The decision in force on a finding of the latest audit, if any, judged against its stored
/// occurrences.
pub fn decision_for(conn: &Connection, finding_id: &str) -> Result<Option<Decision>, StoreError> {
    let occurrences = findings::occurrences_of(conn, finding_id)?.unwrap_or_default();
    decision_with(conn, finding_id, &occurrences)
}

/// The decision in force on a finding whose occurrences (ms) are `occurrences`, if any.
pub fn decision_with(conn: &Connection, finding_id: &str, occurrences: &[i64]) -> Result<Option<Decision>, StoreError> {
    let history = stored::history(conn, finding_id)?;
    let Some(latest) = history.last() else { return Ok(None) };
    let later = later_than_seen(&latest.seen, occurrences);
    let status =
        if latest.status == "remediated" && !later.is_empty() { REOPENED.to_string() } else { latest.status.clone() };
    Ok(Some(Decision {
        status,
        note: latest.note.clone(),
        by: latest.by.clone(),
        at: latest.at.clone(),
        occurrences_seen: latest.seen.iter().map(|t| rfc3339(*t)).collect(),
        later_occurrences: later.iter().map(|t| rfc3339(*t)).collect(),
        history: history.iter().map(record).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_means_after_the_latest_seen_occurrence() {
        assert_eq!(later_than_seen(&[10, 20], &[5, 10, 20]), Vec::<i64>::new());
        // An earlier occurrence found later (an older export) is not "after" the decision.
        assert_eq!(later_than_seen(&[10, 20], &[5, 15, 20, 30]), vec![30]);
        assert_eq!(later_than_seen(&[], &[1, 2]), vec![1, 2]);
        assert_eq!(later_than_seen(&[], &[]), Vec::<i64>::new());
    }
}
