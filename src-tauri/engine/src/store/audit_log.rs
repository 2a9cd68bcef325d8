//! The user's own actions (imports, removals, decisions, profile changes, audits, packs):
//! append-only and hash-chained, so the log can prove its own history.
//!
//! - Append-only: SQLite triggers (migration 0004) refuse every UPDATE and DELETE, and any INSERT
//!   whose `id` and `prev_hash` do not follow the last entry.
//! - Chained: `hash = SHA-256(prev_hash ‖ "\n" ‖ canonical)`, hex, where `prev_hash` is the hex
//!   hash of the entry before (64 zeros for the first) and `canonical` the JSON array
//!   `[id, at, action, detail]` as serde_json writes it (`detail` is the stored JSON text, written
//!   with its object keys sorted). Anyone can recompute it with `sqlite3` and `sha256sum`.
//! - Written in the same transaction as the change it records: [`record`] on a connection inside
//!   a transaction joins it; on one in autocommit mode it takes its own (an entry is never half
//!   written, and two writers cannot fork the chain).
//!
//! What a chain cannot show on its own: entries cut from the end, or the whole table rewritten.
//! [`ChainReport::head`] is the hash to write down elsewhere to catch those.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{in_transaction, now_rfc3339, StoreError};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The entry's hash: SHA-256 over the previous hash and the canonical encoding of the entry.
pub fn entry_hash(prev_hash: &str, id: i64, at: &str, action: &str, detail: &str) -> String {
    // A tuple of an integer and strings always serialises; the fallback is never taken.
    let canonical = serde_json::to_string(&(id, at, action, detail)).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// `value` as JSON text with every object's keys sorted, whatever map order serde_json was
/// built with (the CLI turns on `preserve_order`), so equal details are stored alike.
fn canonical_json(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), sorted(v))).collect())
            }
            serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// The last entry's id and hash (0 and [`GENESIS`] when the log is empty).
fn last(conn: &Connection) -> Result<(i64, String), StoreError> {
    Ok(conn
        .query_row("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_else(|| (0, GENESIS.to_string())))
}

/// Appends one entry after the last, chained to it.
fn append(conn: &Connection, at: &str, action: &str, detail: &str) -> Result<i64, StoreError> {
    let (last_id, prev_hash) = last(conn)?;
    let id = last_id + 1;
    let hash = entry_hash(&prev_hash, id, at, action, detail);
    conn.execute(
        "INSERT INTO audit_log (id, at, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, at, action, detail, prev_hash, hash],
    )?;
    Ok(id)
}

/// Records one action with a JSON detail. Call it on the transaction that makes the change, so
/// the change and its entry commit together.
pub fn record(conn: &Connection, action: &str, detail: &serde_json::Value) -> Result<(), StoreError> {
    let detail = canonical_json(detail);
    in_transaction(conn, |conn| append(conn, &now_rfc3339(), action, &detail)).map(drop)
}

/// The up-hook of migration 0004: chains the entries the migration parked in
/// `temp.audit_log_unchained`, oldest first, keeping their id, time, action and detail text.
pub(crate) fn chain_parked_entries(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    let parked: Vec<(i64, String, String, String)> = {
        let mut stmt = tx.prepare("SELECT id, at, action, detail FROM temp.audit_log_unchained ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut prev_hash = GENESIS.to_string();
    for (id, at, action, detail) in parked {
        let hash = entry_hash(&prev_hash, id, &at, &action, &detail);
        tx.execute(
            "INSERT INTO audit_log (id, at, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, at, action, detail, prev_hash, hash],
        )?;
        prev_hash = hash;
    }
    tx.execute_batch("DROP TABLE temp.audit_log_unchained")?;
    Ok(())
}

/// One audit-log entry.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub action: String,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// All entries, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, at, action, detail, prev_hash, hash FROM audit_log ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        let detail: String = r.get(3)?;
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            prev_hash: r.get(4)?,
            hash: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The first entry where the chain does not hold, and what differs there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrokenLink {
    /// The entry's id.
    pub entry_id: i64,
    /// `prev_hash` (the entry before it was changed, removed or inserted) or `hash` (the entry
    /// itself was changed after it was written).
    #[cfg_attr(feature = "ts", ts(type = "\"prev_hash\" | \"hash\""))]
    pub field: &'static str,
    /// What the chain expects there.
    pub expected: String,
    /// What the database holds.
    pub found: String,
    /// The difference in words.
    pub reason: String,
}

/// The result of checking the chain from the first entry to the last.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChainReport {
    pub ok: bool,
    /// Entries checked.
    pub entries: usize,
    /// The last entry's hash ([`GENESIS`] for an empty log) when the chain holds: write it
    /// down to detect later truncation or a rewritten log.
    pub head: Option<String>,
    /// The first broken link; None when the chain holds.
    pub broken: Option<BrokenLink>,
}

/// Recomputes every entry's hash in id order and checks each link to the entry before; reports
/// the first place where they differ.
pub fn verify(conn: &Connection) -> Result<ChainReport, StoreError> {
    let mut stmt = conn.prepare("SELECT id, at, action, detail, prev_hash, hash FROM audit_log ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS.to_string();
    let mut previous_id: Option<i64> = None;
    let mut entries = 0usize;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let at: String = r.get(1)?;
        let action: String = r.get(2)?;
        let detail: String = r.get(3)?;
        let prev_hash: String = r.get(4)?;
        let hash: String = r.get(5)?;
        entries += 1;
        if prev_hash != expected_prev {
            let reason = match previous_id {
                Some(p) => format!(
                    "entry {id} does not follow entry {p}: its prev_hash is not entry {p}'s hash (an entry between \
                     them was removed or inserted, or entry {p}'s hash was changed)"
                ),
                None => format!(
                    "entry {id} is the first entry but does not start the chain (entries before it were removed)"
                ),
            };
            return Ok(broken(
                entries,
                BrokenLink { entry_id: id, field: "prev_hash", expected: expected_prev, found: prev_hash, reason },
            ));
        }
        let recomputed = entry_hash(&prev_hash, id, &at, &action, &detail);
        if recomputed != hash {
            let reason = format!(
                "entry {id} ({action} at {at}) was changed after it was written: its content no longer gives its hash"
            );
            return Ok(broken(
                entries,
                BrokenLink { entry_id: id, field: "hash", expected: recomputed, found: hash, reason },
            ));
        }
        expected_prev = hash;
        previous_id = Some(id);
    }
    Ok(ChainReport { ok: true, entries, head: Some(expected_prev), broken: None })
}

fn broken(entries: usize, link: BrokenLink) -> ChainReport {
    ChainReport { ok: false, entries, head: None, broken: Some(link) }
}

/// The whole log and its chain check: what `consent-trail log` and the app's Audit log view show.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditLogView {
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
    pub chain: ChainReport,
}

/// Every entry with the chain check.
pub fn view(conn: &Connection) -> Result<AuditLogView, StoreError> {
    Ok(AuditLogView { entries: list(conn)?, chain: verify(conn)? })
}

/// The latest `audit` entry and the latest change to the data an audit reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastAudit {
    /// The id of the latest `audit` entry.
    pub audit: Option<i64>,
    /// The engine version that audit recorded (None for audits logged before versions were).
    pub engine: Option<String>,
    /// The id of the latest import, source removal or profile import.
    pub change: Option<i64>,
}

/// The latest `audit` entry, with the engine version it ran under, and the latest change to the
/// data an audit reads (an import, a source removal, a profile import). Each is logged in the
/// transaction that makes it, so an audit after the last change, by this version, is the audit
/// of the data now under the rules now.
pub fn last_audit_and_change(conn: &Connection) -> Result<LastAudit, StoreError> {
    Ok(conn.query_row(
        "SELECT a.id, json_extract(a.detail, '$.engine'),
                (SELECT max(id) FROM audit_log WHERE action IN ('import', 'remove-source', 'profile-import'))
         FROM (SELECT 1) LEFT JOIN
              (SELECT id, detail FROM audit_log WHERE action = 'audit' ORDER BY id DESC LIMIT 1) a",
        [],
        |r| Ok(LastAudit { audit: r.get(0)?, engine: r.get(1)?, change: r.get(2)? }),
    )?)
}

/// True when a logged pack names the certificate with this SHA-256: `verify` accepts a pack
/// signed by a key this database signed packs with before (an organisation's own PKCS#12).
pub fn signed_pack_with(conn: &Connection, certificate_sha256: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'pack' AND instr(detail, ?1) > 0)",
        [certificate_sha256],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let h = entry_hash(GENESIS, 1, "2026-01-01T00:00:00Z", "import", "{}");
        assert_eq!(h.len(), 64);
        assert_ne!(h, entry_hash(GENESIS, 2, "2026-01-01T00:00:00Z", "import", "{}"));
        assert_ne!(h, entry_hash(GENESIS, 1, "2026-01-01T00:00:01Z", "import", "{}"));
        assert_ne!(h, entry_hash(GENESIS, 1, "2026-01-01T00:00:00Z", "audit", "{}"));
        assert_ne!(h, entry_hash(GENESIS, 1, "2026-01-01T00:00:00Z", "import", "{\"a\":1}"));
        assert_ne!(h, entry_hash(&h, 1, "2026-01-01T00:00:00Z", "import", "{}"));
        // Field boundaries are part of the encoding: moving text between fields changes the hash.
        assert_ne!(entry_hash(GENESIS, 1, "a", "bc", "{}"), entry_hash(GENESIS, 1, "ab", "c", "{}"));
    }
}
