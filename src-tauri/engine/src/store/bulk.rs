//! Connection settings a bulk import switches for the length of one file.

use rusqlite::Connection;

use super::StoreError;

/// Sets the journal mode if that is possible without waiting for other connections; true
/// when the mode is now `mode`. A large file is written with a rollback journal ("delete")
/// rather than the WAL, which would hold a copy of every page of the import until the
/// checkpoint; another connection keeps the mode from changing, and then nothing waits for it.
pub fn try_journal_mode(conn: &Connection, mode: &str) -> bool {
    if conn.busy_timeout(std::time::Duration::ZERO).is_err() {
        return false;
    }
    let now = conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get::<_, String>(0));
    let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
    now.is_ok_and(|m| m.eq_ignore_ascii_case(mode))
}

/// Turns foreign-key checks off (an import, whose rows reference only rows its own
/// transaction wrote or checked) or on again.
pub fn set_foreign_keys(conn: &Connection, on: bool) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", on)?;
    Ok(())
}

/// Puts temporary data (the sort that rebuilds an index) in files rather than memory, or back.
/// Only between transactions: the setting drops the connection's temporary tables.
pub fn set_temp_store_in_files(conn: &Connection, files: bool) -> Result<(), StoreError> {
    conn.pragma_update(None, "temp_store", if files { "FILE" } else { "MEMORY" })?;
    Ok(())
}
