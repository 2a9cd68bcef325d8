//! Scratch space for reads that outgrow memory: the connection's temporary storage sent to
//! disk while a long read runs, the temporary table an organisation pack sorts its subject
//! digests in, and the one `verify` recomputes the audit into. Nothing here outlives the
//! connection.

use rusqlite::{params, Connection};

use super::StoreError;

/// Temporary tables and sorts written to disk, not memory, while it lives: what an organisation
/// pack sorts grows with the data. The connection's setting is put back afterwards.
pub struct SpillToDisk<'c> {
    conn: &'c Connection,
    was: i64,
}

impl<'c> SpillToDisk<'c> {
    pub fn new(conn: &'c Connection) -> Result<Self, StoreError> {
        let was: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA temp_store = FILE")?;
        Ok(SpillToDisk { conn, was })
    }
}

impl Drop for SpillToDisk<'_> {
    fn drop(&mut self) {
        // 0, 1 or 2 as it was read: putting it back cannot fail in a way worth reporting.
        let _ = self.conn.execute_batch(&format!("PRAGMA temp_store = {}", self.was));
    }
}

/// A smaller page cache for the main database (and so a smaller in-memory sort: SQLite sizes a
/// sort's memory by it) while it lives, for work that holds a large document beside the
/// database: `verify` of an organisation pack. The connection's setting is put back afterwards.
pub struct SmallerCache<'c> {
    conn: &'c Connection,
    was: i64,
}

impl<'c> SmallerCache<'c> {
    /// At most `kib` KiB of page cache.
    pub fn new(conn: &'c Connection, kib: i64) -> Result<Self, StoreError> {
        let was: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        conn.execute_batch(&format!("PRAGMA cache_size = -{}", kib.abs()))?;
        Ok(SmallerCache { conn, was })
    }
}

impl Drop for SmallerCache<'_> {
    fn drop(&mut self) {
        // A number as it was read: putting it back cannot fail in a way worth reporting.
        let _ = self.conn.execute_batch(&format!("PRAGMA cache_size = {}", self.was));
    }
}

/// Runs `fill` with an empty `temp.pack_subject_digests` table (filled with
/// [`insert_subject_digest`]), then streams its rows to `each` sorted by key (insertion order
/// among equal keys) as (key, events, digest). The table is dropped afterwards whatever
/// happened; run it under a [`SpillToDisk`] so that the sort is on disk.
pub fn with_subject_digests<E: From<StoreError>>(
    conn: &Connection,
    fill: impl FnOnce() -> Result<(), E>,
    mut each: impl FnMut(String, usize, String) -> Result<(), E>,
) -> Result<(), E> {
    let sql = |e: rusqlite::Error| E::from(StoreError::from(e));
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.pack_subject_digests;
         CREATE TEMP TABLE pack_subject_digests (key TEXT NOT NULL, events INTEGER NOT NULL, digest TEXT NOT NULL);",
    )
    .map_err(sql)?;
    let result = fill().and_then(|()| {
        let mut stmt = conn
            .prepare("SELECT key, events, digest FROM temp.pack_subject_digests ORDER BY key, rowid")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let (key, events, digest) =
                (|| Ok::<_, rusqlite::Error>((r.get(0)?, r.get::<_, i64>(1)?, r.get(2)?)))().map_err(sql)?;
            each(key, events as usize, digest)?;
        }
        Ok(())
    });
    conn.execute_batch("DROP TABLE IF EXISTS temp.pack_subject_digests").map_err(sql)?;
    result
}

/// Adds one subject's digest to the table [`with_subject_digests`] made.
pub fn insert_subject_digest(conn: &Connection, key: &str, events: usize, digest: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO temp.pack_subject_digests (key, events, digest) VALUES (?1, ?2, ?3)")?
        .execute(params![key, events as i64, digest])?;
    Ok(())
}

/// An empty `temp.recomputed_findings`, shaped as the findings table, for as long as it lives
/// (see [`super::findings::FindingsTable::Recomputed`]). Create it under a [`SpillToDisk`]
/// that outlives it: changing the connection's temporary storage drops every temporary table.
pub struct RecomputedFindings<'c> {
    conn: &'c Connection,
}

impl<'c> RecomputedFindings<'c> {
    pub fn new(conn: &'c Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "DROP TABLE IF EXISTS temp.recomputed_findings;
             CREATE TEMP TABLE recomputed_findings AS SELECT * FROM main.findings WHERE 0;",
        )?;
        Ok(RecomputedFindings { conn })
    }
}

impl Drop for RecomputedFindings<'_> {
    fn drop(&mut self) {
        // Gone with the connection anyway: a failure here loses nothing.
        let _ = self.conn.execute_batch("DROP TABLE IF EXISTS temp.recomputed_findings");
    }
}
