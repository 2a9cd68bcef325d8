//! The SQLite store: one file, WAL mode, foreign keys on, numbered migrations applied
//! all-or-nothing. One module per table family.

pub mod audit_log;
pub mod bulk;
pub mod decisions;
pub mod events;
pub mod findings;
pub mod identity;
pub mod key_values;
pub mod labels;
pub mod memory;
pub mod profile_doc;
pub mod scratch;
pub mod settings;
pub mod sources;
pub mod subjects;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

/// What can go wrong opening or using the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a ConsentTrail database ({reason})")]
    Foreign { path: PathBuf, reason: String },
    #[error("{path}: the database is busy: locked by another program (another ConsentTrail import, or the app in the middle of one); try again when it has finished")]
    Busy { path: PathBuf },
    #[error("{path}: the database was written by a newer ConsentTrail (schema {found}, this version knows up to {known}); update the app")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{path}: cannot open the database: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: schema migration failed: {reason}")]
    Migration { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    NotFound(String),
    /// A request the store cannot carry out as given (an unknown rule or status in a filter).
    #[error("{0}")]
    Invalid(String),
    /// A temporary file the engine writes while it works (the audit's buckets).
    #[error("temporary file: {0}")]
    TempFile(#[from] std::io::Error),
}

/// The application id written into the SQLite header, so a foreign SQLite file is recognised
/// and never migrated or overwritten ("CTRL" in ASCII).
pub const APPLICATION_ID: i64 = 0x4354_524C;

/// How long a statement waits for another connection's lock before it gives up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// True when SQLite refused because another connection holds a lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked))
}

/// Numbered migrations, oldest first. Never edit a released one: add the next.
pub const MIGRATION_SQL: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_findings.sql"),
    include_str!("migrations/0003_events_by_subject.sql"),
    include_str!("migrations/0004_audit_log_chain.sql"),
    include_str!("migrations/0005_subject_counts.sql"),
];

/// Migrations run with foreign keys off (a table rebuild must not cascade its drop) and each is
/// checked for dangling references before it commits. 0004 chains the existing audit-log
/// entries in Rust (SQL has no SHA-256), in the migration's own transaction.
fn migrations() -> Migrations<'static> {
    Migrations::new(
        MIGRATION_SQL
            .iter()
            .enumerate()
            .map(|(i, sql)| match i {
                3 => M::up_with_hook(sql, audit_log::chain_parked_entries).foreign_key_check(),
                _ => M::up(sql).foreign_key_check(),
            })
            .collect(),
    )
}

/// The default database: `consenttrail.db` in the platform's app-data folder
/// (e.g. `~/.local/share/consenttrail/` on Linux).
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("org", "ConsentTrail", "consenttrail")
        .map(|dirs| dirs.data_dir().join("consenttrail.db"))
        .unwrap_or_else(|| PathBuf::from("consenttrail.db"))
}

/// An open ConsentTrail database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The app's subject list pages through one order many times; it is kept here, with the
    /// connection whose writes invalidate it.
    subject_order: subjects::SubjectOrderCache,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// A file that is not a ConsentTrail database gets a clear error and is left untouched.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Foreign {
                    path: path.to_path_buf(),
                    reason: format!("cannot create folder {}: {e}", dir.display()),
                })?;
            }
        }
        let existed = path.exists() && std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        // Wait for another program's lock before anything is read, and report a lock as a lock.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        let foreign = |e: rusqlite::Error| match is_busy(&e) {
            true => StoreError::Busy { path: path.to_path_buf() },
            false => StoreError::Foreign { path: path.to_path_buf(), reason: e.to_string() },
        };
        let busy = |e: rusqlite::Error| match is_busy(&e) {
            true => StoreError::Busy { path: path.to_path_buf() },
            false => StoreError::Sql(e),
        };
        // Reading the header tells a non-database file apart before anything is written.
        let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(foreign)?;
        let user_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(foreign)?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(foreign)?;
        if existed && app_id != APPLICATION_ID && (tables > 0 || user_version != 0) {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                reason: format!(
                    "SQLite database of another application (application_id {app_id}, {tables} schema objects)"
                ),
            });
        }
        let known = MIGRATION_SQL.len() as i64;
        if user_version > known {
            return Err(StoreError::TooNew { path: path.to_path_buf(), found: user_version, known });
        }
        // A 64 MiB page cache keeps the event indexes of a million-row import in memory
        // (SPEC §8: import speed) while staying well under the memory target.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = OFF;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;",
        )
        .map_err(busy)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(busy)?;
        subjects::register_search_fold(&conn).map_err(busy)?;
        let mut conn = conn;
        migrations().to_latest(&mut conn).map_err(|e| match e {
            rusqlite_migration::Error::RusqliteError { err, .. } if is_busy(&err) => {
                StoreError::Busy { path: path.to_path_buf() }
            }
            e => StoreError::Migration { path: path.to_path_buf(), reason: e.to_string() },
        })?;
        conn.pragma_update(None, "foreign_keys", true).map_err(busy)?;
        Ok(Store { conn, path: path.to_path_buf(), subject_order: Default::default() })
    }

    /// The database file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// A page of the subject list, reusing the order of the previous page while nothing changed.
    pub fn subject_page(&mut self, query: &subjects::SubjectQuery) -> Result<subjects::SubjectPage, StoreError> {
        subjects::page_cached(&self.conn, query, &mut self.subject_order)
    }

    /// Direct access for engine modules.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable access for engine modules that open transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs `f` inside one transaction: committed if it returns Ok, rolled back otherwise.
    pub fn with_tx<T, E>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let tx = self.conn.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// A read-only connection to the same database file as `conn`, for a reader thread (the audit
/// reads chunks of subjects on several); None for a database without a file. Each reader has
/// its own 32 MiB page cache, half the writer's: several run at once.
pub fn read_connection(conn: &Connection) -> Option<Connection> {
    let path = conn.path().filter(|p| !p.is_empty())?;
    let reader =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).ok()?;
    reader.execute_batch("PRAGMA cache_size = -32768;").ok()?;
    Some(reader)
}

/// Runs `f` in a transaction: the caller's when `conn` is already in one (the caller commits or
/// rolls back), otherwise a new immediate one, taken before `f` reads anything so that no other
/// writer can slip in between its reads and its writes.
pub(crate) fn in_transaction<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if !conn.is_autocommit() {
        return f(conn);
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Current UTC time as RFC 3339 with seconds, the form every stored timestamp uses.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().expect("migrations validate");
    }

    #[test]
    fn opens_fresh_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/ct.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATION_SQL.len() as i64);
        let mode: String = store.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        let store = Store::open(&path).unwrap();
        let fk: i64 = store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn refuses_foreign_sqlite_and_text_files_without_touching_them() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("other.db");
        {
            let c = Connection::open(&other).unwrap();
            c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
        }
        let before = std::fs::read(&other).unwrap();
        let err = Store::open(&other).err().expect("foreign db refused");
        assert!(err.to_string().contains("not a ConsentTrail database"), "{err}");
        assert_eq!(std::fs::read(&other).unwrap(), before);

        let text = dir.path().join("notes.db");
        std::fs::write(&text, "this is not sqlite at all, just some words in a text file\n".repeat(20)).unwrap();
        let before = std::fs::read(&text).unwrap();
        let err = Store::open(&text).err().expect("text file refused");
        assert!(err.to_string().contains("notes.db"), "{err}");
        assert_eq!(std::fs::read(&text).unwrap(), before);
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ct.db");
        drop(Store::open(&path).unwrap());
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 999).unwrap();
        }
        let err = Store::open(&path).err().expect("newer refused");
        assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
    }
}
