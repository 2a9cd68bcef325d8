//! The database's `settings` table: text values by key, for what belongs to one database and
//! no other (its own signing key and certificate). Not the app's settings file
//! (`store::settings`), which follows the user across databases.
//!
//! No migration creates the table: it is created on first use, so a database that never
//! signed a pack has none (and reading one never writes to it).

use rusqlite::{Connection, OptionalExtension};

use super::StoreError;

/// Creates the table when the database has none yet.
pub fn ensure_table(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)", [])?;
    Ok(())
}

/// True when the table exists (without creating it: readers must not write).
pub fn table_exists(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'settings')",
        [],
        |r| r.get(0),
    )?)
}

/// The value stored under `key`, if any. The table must exist ([`ensure_table`]).
pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

/// Stores two values in one statement, each only if its key is not taken: another process may
/// have stored its own pair meanwhile, and the first pair written is kept whole.
pub fn insert_pair_if_absent(conn: &Connection, a: (&str, &str), b: (&str, &str)) -> Result<(), StoreError> {
    conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2), (?3, ?4)", [a.0, a.1, b.0, b.1])?;
    Ok(())
}
