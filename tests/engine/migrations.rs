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

#[test]
fn audit_log_entries_and_decisions_of_a_version_3_database_are_kept_chained_and_as_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    let details =
        [r#"{"path":"a.csv","system":"mailchimp"}"#, r#"{"findings":1}"#, r#"{"status":"remediated","finding":"F-1"}"#];
    {
        let conn = Connection::open(&path).unwrap();
        for sql in &MIGRATION_SQL[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        for (i, (action, detail)) in ["import", "audit", "decide"].iter().zip(details).enumerate() {
            conn.execute(
                "INSERT INTO audit_log (id, at, action, detail) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![i as i64 + 1, format!("2025-01-0{}T00:00:00Z", i + 1), action, detail],
            )
            .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO findings (id, rule, code, severity, subject_id, subject_key, at, occurrences, event_ids, systems,
                 explanation, legal_reference)
                 VALUES ('F-1', 'R2', 'no-valid-consent', 'high', 1, 'email:a@example.com', 1672531200000,
                 '[1672531200000]', '[1]', '[\"consenttrail\"]', 'x', 'y');
             INSERT INTO finding_decisions (finding_id, status, note, decided_by, decided_at, rule, subject_key)
                 VALUES ('F-1', 'remediated', 'fixed', 'DPO', '2025-01-03T00:00:00Z', 'R2', 'email:a@example.com');
             INSERT INTO finding_decisions (finding_id, status, note, decided_by, decided_at, rule, subject_key)
                 VALUES ('F-gone', 'accepted', 'old', NULL, '2025-01-02T00:00:00Z', 'R4', 'email:b@example.com');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let log = consenttrail_engine::store::audit_log::list(store.conn()).unwrap();
    assert_eq!(
        log.iter().map(|e| (e.id, e.action.as_str())).collect::<Vec<_>>(),
        vec![(1, "import"), (2, "audit"), (3, "decide")]
    );
    assert_eq!(log[0].at, "2025-01-01T00:00:00Z");
    for (entry, detail) in log.iter().zip(details) {
        let stored: String =
            store.conn().query_row("SELECT detail FROM audit_log WHERE id = ?1", [entry.id], |r| r.get(0)).unwrap();
        assert_eq!(stored, detail, "entry {} kept verbatim", entry.id);
    }
    let report = consenttrail_engine::store::audit_log::verify(store.conn()).unwrap();
    assert!(report.ok && report.entries == 3, "{report:?}");
    assert_eq!(report.head.as_deref(), Some(log[2].hash.as_str()));
    let temp: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM sqlite_temp_schema WHERE name = 'audit_log_unchained'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(temp, 0, "the parked rows are dropped");
    // New entries follow the migrated ones.
    consenttrail_engine::store::audit_log::record(store.conn(), "remove-source", &serde_json::json!({})).unwrap();
    assert!(consenttrail_engine::store::audit_log::verify(store.conn()).unwrap().ok);

    // Decisions: kept, with the occurrences their finding has (none for a finding gone).
    use consenttrail_engine::rules::decisions::decision_for;
    let d = decision_for(store.conn(), "F-1").unwrap().unwrap();
    assert_eq!((d.status.as_str(), d.note.as_str(), d.by.as_deref()), ("remediated", "fixed", Some("DPO")));
    assert_eq!(d.occurrences_seen, vec!["2023-01-01T00:00:00Z"]);
    assert_eq!(d.history.len(), 1);
    let gone = decision_for(store.conn(), "F-gone").unwrap().unwrap();
    assert!(gone.occurrences_seen.is_empty() && gone.status == "accepted");
}
