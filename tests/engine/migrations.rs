//! Schema migrations (DESIGN "migrations tested from an empty and from every older schema"):
//! a database left at any earlier schema version is brought to exactly the schema a fresh
//! database gets, keeping its data. (Foreign and newer files are refused: unit-tested in
//! `store/mod.rs`.)

use consenttrail_engine::store::{Store, APPLICATION_ID, MIGRATION_SQL};
use rusqlite::Connection;

use crate::support::*;

/// The schema as SQLite records it: every table, index and trigger with its SQL.
fn schema(conn: &Connection) -> Vec<(String, String, String, Option<String>)> {
    let mut stmt = conn
        .prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap();
    rows.map(Result::unwrap).collect()
}

fn pragma(conn: &Connection, name: &str) -> i64 {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap()
}

fn fresh_schema() -> Vec<(String, String, String, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("fresh.db")).unwrap();
    schema(store.conn())
}

#[test]
fn an_empty_database_gets_every_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATION_SQL.len() as i64);
    assert_eq!(pragma(store.conn(), "application_id"), APPLICATION_ID);
    let journal: String = store.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(pragma(store.conn(), "foreign_keys"), 1);
    let tables: Vec<String> =
        schema(store.conn()).into_iter().filter(|(t, ..)| t == "table").map(|(_, name, ..)| name).collect();
    for t in [
        "sources",
        "source_rows",
        "identifiers",
        "identity_links",
        "events",
        "event_duplicates",
        "import_issues",
        "audit_log",
    ] {
        assert!(tables.contains(&t.to_string()), "{t} missing from {tables:?}");
    }
    // A zero-byte file (e.g. created by a file dialog) is an empty database, not a foreign one.
    let empty = dir.path().join("zero.db");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(Store::open(&empty).unwrap().schema_version().unwrap(), MIGRATION_SQL.len() as i64);
}

#[test]
fn every_older_schema_is_migrated_to_exactly_the_fresh_schema() {
    let fresh = fresh_schema();
    for applied in 0..=MIGRATION_SQL.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("v{applied}.db"));
        {
            // A database as that older version left it: its migrations, its version number, our id.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
            for sql in &MIGRATION_SQL[..applied] {
                conn.execute_batch(sql).unwrap_or_else(|e| panic!("migration {applied}: {e}"));
            }
            if applied > 0 {
                conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
            }
            conn.pragma_update(None, "user_version", applied as i64).unwrap();
        }
        let store = Store::open(&path).unwrap_or_else(|e| panic!("opening a version-{applied} database: {e}"));
        assert_eq!(store.schema_version().unwrap(), MIGRATION_SQL.len() as i64, "from version {applied}");
        assert_eq!(schema(store.conn()), fresh, "schema after migrating from version {applied}");
        assert_eq!(pragma(store.conn(), "application_id"), APPLICATION_ID);
    }
}

#[test]
fn data_imported_under_the_first_schema_survives_the_later_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATION_SQL[0]).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO sources (id, path, file_name, system, sha256, bytes, imported_at, settings)
                 VALUES (1, 'old.csv', 'old.csv', 'consenttrail', 'abc', 10, '2024-01-01T00:00:00Z', '{}');
             INSERT INTO source_rows (id, source_id, locator, line, raw) VALUES (1, 1, 'line 2', 2, 'x');
             INSERT INTO identifiers (id, kind, value, subject_id) VALUES (1, 'email', 'old@example.com', 1);
             INSERT INTO events (id, source_id, row_id, identifier_id, system, kind, occurred_at, fingerprint)
                 VALUES (1, 1, 1, 1, 'consenttrail', 'consent.given', 1704067200000, 'f1');",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM events WHERE kind = 'consent.given'"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM sources"), 1);
    // And the migrated database takes new imports.
    let report = import(&mut store, &[fixtures().join("exports-intl/mailchimp/cleaned_members_export_intl.csv")]);
    assert_eq!(report.files[0].status, "imported", "{report:#?}");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 3);
}
