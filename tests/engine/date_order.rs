//! SPEC §3: `dd/mm/yyyy` vs `mm/dd/yyyy` — if a column is ambiguous, require the order (CLI
//! flag); never guess silently. A value elsewhere in the column that can only be one order
//! settles it.

use std::path::{Path, PathBuf};

use consenttrail_engine::import::ImportOptions;
use consenttrail_engine::model::DateOrder;
use consenttrail_engine::store::Store;

use crate::support::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const AMBIGUOUS: &str = "date,email,campaign_type\n\
    01/02/2023,a@example.com,Email Marketing\n\
    03/04/2023 10:30,b@example.com,Email Marketing\n";

fn times(store: &Store) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT i.value || ' ' || e.kind || ' ' || strftime('%Y-%m-%dT%H:%M:%SZ', e.occurred_at / 1000, 'unixepoch')
             FROM events e JOIN identifiers i ON i.id = e.identifier_id ORDER BY i.value",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn with_order(order: Option<DateOrder>) -> ImportOptions {
    ImportOptions { date_order: order, ..Default::default() }
}

#[test]
fn an_ambiguous_column_fails_the_file_naming_file_line_and_column_and_asking_for_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "sends.csv", AMBIGUOUS);
    let (_d, mut store) = temp_store();
    let report = import(&mut store, std::slice::from_ref(&path));
    let file = &report.files[0];
    assert_eq!(file.system.as_deref(), Some("disclosure-log"), "{file:#?}");
    assert_eq!(file.status, "failed", "the file must stop and ask, not import with every row rejected: {file:#?}");
    let error = file.error.clone().unwrap_or_default();
    for part in [path.display().to_string().as_str(), "line 2", "'date'", "01/02/2023", "--date-format"] {
        assert!(error.contains(part), "the error should mention {part:?}: {error}");
    }
    assert_eq!(count(&store, "SELECT count(*) FROM sources"), 0, "a failed file leaves nothing behind");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 0);
}

#[test]
fn after_the_question_the_same_file_imports_with_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "sends.csv", AMBIGUOUS);
    let (_d, mut store) = temp_store();
    import(&mut store, std::slice::from_ref(&path));
    // The user answers: the same file, now with the day first. It must not be "already imported".
    let report = import_with(&mut store, &[path], &with_order(Some(DateOrder::Dmy)));
    let file = &report.files[0];
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 0));
    assert_eq!(
        times(&store),
        vec!["a@example.com processing 2023-02-01T00:00:00Z", "b@example.com processing 2023-04-03T10:30:00Z"]
    );
}

#[test]
fn the_given_order_decides_both_ways() {
    for (order, a, b) in [
        (DateOrder::Dmy, "2023-02-01T00:00:00Z", "2023-04-03T10:30:00Z"),
        (DateOrder::Mdy, "2023-01-02T00:00:00Z", "2023-03-04T10:30:00Z"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "sends.csv", AMBIGUOUS);
        let (_d, mut store) = temp_store();
        let report = import_with(&mut store, &[path], &with_order(Some(order)));
        assert_eq!(report.files[0].status, "imported", "{report:#?}");
        assert_eq!(
            times(&store),
            vec![format!("a@example.com processing {a}"), format!("b@example.com processing {b}")],
            "{order:?}"
        );
        // The order used is recorded with the source's settings.
        let settings: String = store.conn().query_row("SELECT settings FROM sources", [], |r| r.get(0)).unwrap();
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
        assert_eq!(settings["date_order"], serde_json::json!(format!("{order:?}").to_lowercase()));
    }
}

#[test]
fn one_unambiguous_value_settles_the_column() {
    let dir = tempfile::tempdir().unwrap();
    // The day-first value comes after the ambiguous ones: the whole column is looked at.
    let path = write(dir.path(), "sends.csv", &format!("{AMBIGUOUS}25/12/2022 08:00,c@example.com,Email Marketing\n"));
    let (_d, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    let file = &report.files[0];
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (3, 0));
    assert_eq!(
        times(&store),
        vec![
            "a@example.com processing 2023-02-01T00:00:00Z",
            "b@example.com processing 2023-04-03T10:30:00Z",
            "c@example.com processing 2022-12-25T08:00:00Z",
        ]
    );
    // Month-first evidence settles it the other way.
    let path = write(dir.path(), "us.csv", &format!("{AMBIGUOUS}12/25/2022,c@example.com,Email Marketing\n"));
    let (_d2, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert_eq!(report.files[0].status, "imported", "{report:#?}");
    assert_eq!(
        times(&store),
        vec![
            "a@example.com processing 2023-01-02T00:00:00Z",
            "b@example.com processing 2023-03-04T10:30:00Z",
            "c@example.com processing 2022-12-25T00:00:00Z",
        ]
    );
}

#[test]
fn a_column_mixing_both_orders_fails_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "mixed.csv",
        &format!("{AMBIGUOUS}25/12/2022,c@example.com,Email Marketing\n12/25/2022,d@example.com,Email Marketing\n"),
    );
    let (_d, mut store) = temp_store();
    let report = import(&mut store, std::slice::from_ref(&path));
    let file = &report.files[0];
    assert_eq!(file.status, "failed", "{file:#?}");
    let error = file.error.clone().unwrap_or_default();
    for part in [path.display().to_string().as_str(), "line 4", "line 5", "'date'"] {
        assert!(error.contains(part), "the error should mention {part:?}: {error}");
    }
    assert_eq!(count(&store, "SELECT count(*) FROM sources"), 0);
}

#[test]
fn a_value_contradicting_the_given_order_is_rejected_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "sends.csv", &format!("{AMBIGUOUS}25/12/2022,c@example.com,Email Marketing\n"));
    let (_d, mut store) = temp_store();
    let report = import_with(&mut store, &[path], &with_order(Some(DateOrder::Mdy)));
    let file = &report.files[0];
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 1));
    let r = &file.rejections[0];
    assert_eq!((r.locator.as_str(), r.field.as_deref()), ("line 4", Some("date")));
    assert!(r.message.contains("25/12/2022"), "{}", r.message);
}
