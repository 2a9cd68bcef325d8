//! What sources say about their own labels (`label_lookups`: a Salesforce DataUsePurpose id's
//! name, an IAB Global Vendor List's vendor names) and the column mappings saved for CSV
//! headers no importer knows (`column_mappings`).

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// Stores a lookup a source provides (the latest source's value wins where several give one).
pub fn insert_lookup(
    conn: &Connection,
    source_id: i64,
    system: &str,
    kind: &str,
    key: &str,
    value: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO label_lookups (source_id, system, kind, key, value) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![source_id, system, kind, key, value])?;
    Ok(())
}

/// The name a system's own lookup gives a purpose label, any source's (for a warning's text).
pub fn purpose_name(conn: &Connection, system: &str, label: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM label_lookups WHERE system = ?1 AND kind = 'purpose' AND key = ?2 LIMIT 1")?
        .query_row(params![system, label], |r| r.get(0))
        .optional()?)
}

/// The name the latest source's lookup gives a purpose label of `system`.
pub fn latest_purpose_name(conn: &Connection, system: &str, label: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM label_lookups WHERE system = ?1 AND kind = 'purpose' AND key = ?2 ORDER BY source_id DESC LIMIT 1")?
        .query_row(params![system, label], |r| r.get(0))
        .optional()?)
}

/// The name the latest Global Vendor List gives a TCF vendor, keyed `<list version>:<vendor id>`.
pub fn gvl_vendor_name(conn: &Connection, version_and_id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT value FROM label_lookups WHERE system = 'tcf' AND kind = 'gvl-vendor' AND key = ?1
                 ORDER BY source_id DESC LIMIT 1",
        )?
        .query_row(params![version_and_id], |r| r.get(0))
        .optional()?)
}

/// True when some source provided lookups for `system` (its events are then re-derived after
/// an import).
pub fn has_lookups(conn: &Connection, system: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM label_lookups WHERE system = ?1)", params![system], |r| r.get(0))?)
}

/// Saves a mapping document under a header signature, replacing an older one.
pub fn save_mapping(
    conn: &Connection,
    header_signature: &str,
    name: &str,
    document: &str,
    saved_at: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO column_mappings (header_signature, name, document, saved_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(header_signature) DO UPDATE SET name = excluded.name, document = excluded.document, saved_at = excluded.saved_at",
        params![header_signature, name, document, saved_at],
    )?;
    Ok(())
}

/// The mapping document saved under a header signature, if any.
pub fn mapping_document(conn: &Connection, header_signature: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT document FROM column_mappings WHERE header_signature = ?1", params![header_signature], |r| {
            r.get(0)
        })
        .optional()?)
}
