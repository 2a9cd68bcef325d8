//! Issue 14: the audit run's own machinery — chunks of subjects read on several threads, the
//! findings tables' secondary indexes built once at the end — must give the same audit as
//! reading subject by subject, and a run that fails must leave the previous audit as it was.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use consenttrail_engine::ops;
use consenttrail_engine::rules::audit;
use consenttrail_engine::store::Store;

use crate::support::*;

/// The definitions of every index on the audit's tables, by name.
fn audit_indexes(store: &Store) -> Vec<(String, Option<String>)> {
    store
        .conn()
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'
             AND tbl_name IN ('findings', 'subject_counts') ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every stored finding and subject count, as text, in a fixed order.
fn audit_rows(store: &Store) -> (Vec<String>, Vec<String>) {
    let rows = |sql: &str| -> Vec<String> {
        store.conn().prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    (
        rows("SELECT id || '|' || rule || '|' || subject_id || '|' || explanation || '|' || event_ids FROM findings ORDER BY id"),
        rows("SELECT subject_id || '|' || events || '|' || findings || '|' || findings_high FROM subject_counts ORDER BY subject_id"),
    )
}

fn sample_store() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    let exports = dir.path().join("sample-exports");
    let cancel = AtomicBool::new(false);
    ops::import_sample(&mut store, &exports, &mut |_| {}, &mut |_, _| {}, &cancel).unwrap();
    (dir, store)
}

#[test]
fn the_audit_builds_the_same_indexes_again_and_the_list_uses_them() {
    let (_dir, mut store) = sample_store();
    let before = audit_indexes(&store);
    assert_eq!(before.iter().filter(|(_, sql)| sql.is_some()).count(), 6, "{before:#?}");
    let first = audit_rows(&store);
    assert!(!first.0.is_empty(), "the sample data plants findings");

    audit::run_stored(&mut store, &mut |_, _| {}).unwrap();
    assert_eq!(audit_indexes(&store), before, "same indexes, same definitions");
    assert_eq!(audit_rows(&store), first, "the same audit again");
    let check: String = store.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let plan: String = store
        .conn()
        .query_row(
            "EXPLAIN QUERY PLAN SELECT subject_id FROM subject_counts
             ORDER BY findings_high DESC, findings DESC, subject_id LIMIT 50",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("subject_counts_findings_desc"), "{plan}");
}

#[test]
fn an_audit_that_fails_midway_leaves_the_previous_audit_and_its_indexes() {
    let (_dir, mut store) = sample_store();
    let before = audit_indexes(&store);
    let first = audit_rows(&store);
    assert!(first.0.len() > 3);
    // A failure after three findings are written (a full disk, say).
    store
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER fail_fourth BEFORE INSERT ON main.findings
             WHEN (SELECT count(*) FROM main.findings) >= 3
             BEGIN SELECT RAISE(ABORT, 'planted failure'); END;",
        )
        .unwrap();
    let failed = audit::run_stored(&mut store, &mut |_, _| {});
    assert!(format!("{:?}", failed.unwrap_err()).contains("planted failure"));
    store.conn().execute_batch("DROP TRIGGER temp.fail_fourth").unwrap();
    assert_eq!(audit_indexes(&store), before, "the indexes are back with the rollback");
    assert_eq!(audit_rows(&store), first, "the previous findings and counts are untouched");
}

/// Findings' ids are unique (decisions are keyed by them): two findings with one id fail the
/// audit, which is undone, the previous one kept with its indexes.
#[test]
fn an_audit_that_writes_one_finding_id_twice_fails_and_leaves_the_previous_audit() {
    let (_dir, mut store) = sample_store();
    let before = audit_indexes(&store);
    let first = audit_rows(&store);
    // A rule raising the same finding twice, planted: every finding is written once more.
    store
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER write_twice AFTER INSERT ON main.findings
             WHEN NEW.rule <> 'copy'
             BEGIN
                 INSERT INTO findings (id, rule, code, severity, subject_id, subject_key, occurrences, event_ids,
                     systems, explanation, legal_reference)
                 VALUES (NEW.id, 'copy', NEW.code, NEW.severity, NEW.subject_id, NEW.subject_key, '[]', '[]', '[]',
                     'a copy', NEW.legal_reference);
             END;",
        )
        .unwrap();
    let failed = audit::run_stored(&mut store, &mut |_, _| {});
    let error = format!("{:?}", failed.expect_err("two findings with one id must fail the audit"));
    assert!(error.contains("UNIQUE constraint failed: findings.id"), "{error}");
    store.conn().execute_batch("DROP TRIGGER temp.write_twice").unwrap();
    assert_eq!(audit_indexes(&store), before, "the indexes are back with the rollback");
    assert_eq!(audit_rows(&store), first, "the previous findings and counts are untouched");
}

/// The summary names unmapped labels per system as met in subject order: the first 50, the
/// same whichever chunk or reader thread met them (3,000 people, so several chunks of 1,024).
#[test]
fn unmapped_labels_are_named_in_the_order_met_across_chunks_and_readers() {
    let (dir, mut store) = temp_store();
    let mut csv = String::from("subject,kind,occurred_at,purpose\n");
    for i in 0..3000 {
        // Labels 999 down to 930 in the first chunk (the first 50 met are 999 … 950), then
        // labels that sort before all of them, met only after 50 were named.
        let label = if i < 1024 { format!("Label {}", 999 - i % 70) } else { format!("Label 0{i:04}") };
        csv.push_str(&format!("person{i:04}@example.com,processing,2023-03-01T10:00:00Z,{label}\n"));
    }
    let path: PathBuf = dir.path().join("unmapped.csv");
    std::fs::write(&path, csv).unwrap();
    let report = import(&mut store, &[path]);
    assert_eq!(report.files[0].rows_rejected, 0);

    let summary = audit::run_stored(&mut store, &mut |_, _| {}).unwrap();
    let reasons: Vec<&str> = summary.not_evaluated.iter().map(|n| n.reason.as_str()).collect();
    let named: Vec<String> = (950..962).map(|n| format!("Label {n}")).collect();
    let expected = format!(
        "R1–R11 not evaluated for 3000 consenttrail event(s) with unmapped purposes {} and at least 38 more: map them in the profile",
        named.join(", ")
    );
    assert!(reasons.contains(&expected.as_str()), "{reasons:#?}");
    assert_eq!(summary.events, 3000);
    assert_eq!(summary.subjects, 3000);
}
