//! The audit log proves its own history (issue 15 item 4, SPEC §7): append-only by triggers,
//! each entry chained to the one before by SHA-256, every change written in the same
//! transaction as its entry; and an auditor's decisions kept as a history, a remediated finding
//! that occurs again `reopened` (SPEC §4.1).

use consenttrail_engine::import::derive::apply_profile;
use consenttrail_engine::rules::browse::{self, FindingFilter};
use consenttrail_engine::rules::{audit, decisions};
use consenttrail_engine::store::audit_log::{self, GENESIS};
use consenttrail_engine::store::{self, Store};
use serde_json::json;

use crate::rules::{profile, scenario, used};
use crate::support::*;

/// A store with three entries of its own.
fn logged_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = temp_store();
    for (i, action) in ["import", "audit", "decide"].iter().enumerate() {
        audit_log::record(store.conn(), action, &json!({"n": i, "z": "last key", "a": "first key"})).unwrap();
    }
    (dir, store)
}

fn actions(store: &Store) -> Vec<String> {
    audit_log::list(store.conn()).unwrap().into_iter().map(|e| e.action).collect()
}

#[test]
fn entries_are_chained_from_the_first_to_the_last() {
    let (_dir, store) = logged_store();
    let entries = audit_log::list(store.conn()).unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(entries[0].prev_hash, GENESIS);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash, "entry {} links to entry {}", pair[1].id, pair[0].id);
    }
    // The detail is stored with sorted keys (canonical), and the hash is what the module says.
    let detail: String = store.conn().query_row("SELECT detail FROM audit_log WHERE id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(detail, r#"{"a":"first key","n":0,"z":"last key"}"#);
    let e = &entries[0];
    assert_eq!(e.hash, audit_log::entry_hash(GENESIS, 1, &e.at, "import", &detail));
    let report = audit_log::verify(store.conn()).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!((report.entries, report.head.as_deref()), (3, Some(entries[2].hash.as_str())));
    // An empty log verifies, its head the genesis hash.
    let (_dir, empty) = temp_store();
    let report = audit_log::verify(empty.conn()).unwrap();
    assert!(report.ok && report.entries == 0 && report.head.as_deref() == Some(GENESIS), "{report:?}");
}

#[test]
fn an_update_or_delete_on_the_log_fails_with_a_clear_error() {
    let (_dir, store) = logged_store();
    let conn = store.conn();
    let err = conn.execute("UPDATE audit_log SET detail = '{}' WHERE id = 2", []).unwrap_err();
    assert!(err.to_string().contains("the audit log is append-only: an entry cannot be changed"), "{err}");
    let err = conn.execute("DELETE FROM audit_log WHERE id = 2", []).unwrap_err();
    assert!(err.to_string().contains("the audit log is append-only: an entry cannot be deleted"), "{err}");
    let err = conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    // An entry that does not follow the last one (a fork, a back-dated id) is refused too.
    let last_hash: String = conn.query_row("SELECT hash FROM audit_log WHERE id = 3", [], |r| r.get(0)).unwrap();
    let first_hash: String = conn.query_row("SELECT hash FROM audit_log WHERE id = 1", [], |r| r.get(0)).unwrap();
    for (id, prev) in [(4, first_hash.as_str()), (4, GENESIS), (10, "x")] {
        let err = conn
            .execute(
                "INSERT INTO audit_log (id, at, action, detail, prev_hash, hash) VALUES (?1, 'now', 'forged', '{}', ?2, ?3)",
                rusqlite::params![id, prev, format!("forged{id}{prev}")],
            )
            .unwrap_err();
        assert!(err.to_string().contains("must follow the last one"), "{err}");
    }
    let err = conn
        .execute(
            "INSERT INTO audit_log (at, action, detail, prev_hash, hash) VALUES ('now', 'forged', '{}', ?1, 'h')",
            [&last_hash],
        )
        .unwrap_err();
    assert!(err.to_string().contains("must follow the last one"), "an entry without its id: {err}");
    // Nothing changed.
    assert_eq!(actions(&store), vec!["import", "audit", "decide"]);
    assert!(audit_log::verify(conn).unwrap().ok);
}

/// The triggers dropped, as someone editing the file with a SQLite tool could.
fn without_triggers(store: &Store) {
    store
        .conn()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_log_append_only;",
        )
        .unwrap();
}

#[test]
fn a_low_level_edit_of_an_entry_is_reported_at_that_entry() {
    let (_dir, store) = logged_store();
    without_triggers(&store);
    store.conn().execute("UPDATE audit_log SET detail = '{\"n\":99}' WHERE id = 2", []).unwrap();
    let report = audit_log::verify(store.conn()).unwrap();
    assert!(!report.ok);
    assert_eq!(report.head, None);
    let broken = report.broken.unwrap();
    assert_eq!((broken.entry_id, broken.field), (2, "hash"), "{broken:?}");
    assert!(broken.reason.contains("entry 2 (audit at") && broken.reason.contains("changed"), "{}", broken.reason);
    assert_ne!(broken.expected, broken.found);
}

#[test]
fn an_edit_that_also_rewrites_the_entry_hash_is_reported_at_the_next_entry() {
    let (_dir, store) = logged_store();
    without_triggers(&store);
    let e = audit_log::list(store.conn()).unwrap().remove(1);
    let forged = audit_log::entry_hash(&e.prev_hash, 2, &e.at, "audit", "{}");
    store.conn().execute("UPDATE audit_log SET detail = '{}', hash = ?1 WHERE id = 2", [&forged]).unwrap();
    let broken = audit_log::verify(store.conn()).unwrap().broken.unwrap();
    assert_eq!((broken.entry_id, broken.field), (3, "prev_hash"), "{broken:?}");
    assert_eq!(broken.found, e.hash, "entry 3 still names the original hash");
    assert_eq!(broken.expected, forged);
    assert!(broken.reason.contains("entry 3 does not follow entry 2"), "{}", broken.reason);
}

#[test]
fn a_deleted_entry_is_reported_at_the_entry_after_it() {
    let (_dir, store) = logged_store();
    without_triggers(&store);
    store.conn().execute("DELETE FROM audit_log WHERE id = 2", []).unwrap();
    let broken = audit_log::verify(store.conn()).unwrap().broken.unwrap();
    assert_eq!((broken.entry_id, broken.field), (3, "prev_hash"), "{broken:?}");
    assert!(broken.reason.contains("does not follow entry 1"), "{}", broken.reason);

    let (_dir, store) = logged_store();
    without_triggers(&store);
    store.conn().execute("DELETE FROM audit_log WHERE id = 1", []).unwrap();
    let broken = audit_log::verify(store.conn()).unwrap().broken.unwrap();
    assert_eq!((broken.entry_id, broken.field), (2, "prev_hash"), "{broken:?}");
    assert!(broken.reason.contains("first entry"), "{}", broken.reason);
}

#[test]
fn every_action_is_logged_and_the_chain_holds() {
    let p = profile();
    let a = "logged@example.com";
    let mut s = scenario(&p, &[used(a, "2023-01-01T00:00:00Z", "email-marketing")]);
    let id = s.audit().findings[0].id.clone();
    decisions::decide(s.store.conn(), &id, "accepted", "test send", None).unwrap();
    apply_profile(&mut s.store, &p, json!({"from": "test"})).unwrap();
    let source = store::sources::list(s.store.conn()).unwrap()[0].id;
    consenttrail_engine::import::derive::remove_source(s.store.conn_mut(), source).unwrap();
    assert_eq!(actions(&s.store), vec!["import", "audit", "decide", "profile-import", "remove-source"]);
    let entries = audit_log::list(s.store.conn()).unwrap();
    assert_eq!(entries[2].detail["finding"], id.as_str());
    assert_eq!(entries[2].detail["occurrences_seen"], 1);
    assert_eq!(entries[4].detail["source_id"], source);
    assert_eq!(entries[4].detail["events_removed"], 1);
    assert!(audit_log::verify(s.store.conn()).unwrap().ok);
}

/// A trigger that makes every new log entry fail, standing in for a failure (disk full, a bug)
/// between the change and its entry.
fn fail_log_writes(store: &Store) {
    store
        .conn()
        .execute_batch(
            "CREATE TRIGGER test_log_fails BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'log write failed'); END;",
        )
        .unwrap();
}

#[test]
fn a_decision_and_a_source_removal_commit_together_with_their_entry_or_not_at_all() {
    let p = profile();
    let mut s = scenario(&p, &[used("atomic@example.com", "2023-01-01T00:00:00Z", "email-marketing")]);
    let id = s.audit().findings[0].id.clone();
    let entries_before = audit_log::list(s.store.conn()).unwrap().len();
    fail_log_writes(&s.store);

    let err = decisions::decide(s.store.conn(), &id, "accepted", "will not be kept", None).unwrap_err();
    assert!(err.to_string().contains("log write failed"), "{err}");
    assert_eq!(decisions::decision_for(s.store.conn(), &id).unwrap(), None, "the decision is rolled back");
    assert_eq!(count(&s.store, "SELECT count(*) FROM finding_decisions"), 0);

    let source = store::sources::list(s.store.conn()).unwrap()[0].id;
    let err = consenttrail_engine::import::derive::remove_source(s.store.conn_mut(), source).unwrap_err();
    assert!(err.to_string().contains("log write failed"), "{err}");
    assert_eq!(store::sources::list(s.store.conn()).unwrap().len(), 1, "the source is still there");
    assert_eq!(count(&s.store, "SELECT count(*) FROM events"), 1);

    s.store.conn().execute_batch("DROP TRIGGER test_log_fails").unwrap();
    assert_eq!(audit_log::list(s.store.conn()).unwrap().len(), entries_before);
    decisions::decide(s.store.conn(), &id, "accepted", "kept", None).unwrap();
    assert_eq!(audit_log::list(s.store.conn()).unwrap().len(), entries_before + 1);
}

#[test]
fn a_decision_inside_a_callers_transaction_rolls_back_with_it() {
    let p = profile();
    let mut s = scenario(&p, &[used("outer@example.com", "2023-01-01T00:00:00Z", "email-marketing")]);
    let id = s.audit().findings[0].id.clone();
    let entries_before = audit_log::list(s.store.conn()).unwrap().len();
    let result: Result<(), store::StoreError> = s.store.with_tx(|tx| {
        decisions::decide(tx, &id, "accepted", "undone", None)?;
        Err(store::StoreError::Invalid("caller fails later".into()))
    });
    assert!(result.is_err());
    assert_eq!(decisions::decision_for(s.store.conn(), &id).unwrap(), None);
    assert_eq!(audit_log::list(s.store.conn()).unwrap().len(), entries_before);
}

// ---------------------------------------------------------------------------------------------
// Decision history and recurrence (SPEC §4.1)
// ---------------------------------------------------------------------------------------------

fn status_filter(status: &str) -> FindingFilter {
    FindingFilter { status: Some(status.into()), ..Default::default() }
}

#[test]
fn a_new_decision_does_not_overwrite_the_one_before() {
    let p = profile();
    let mut s = scenario(&p, &[used("history@example.com", "2023-01-01T00:00:00Z", "email-marketing")]);
    let id = s.audit().findings[0].id.clone();
    let first = decisions::decide(s.store.conn(), &id, "false-positive", "looked like a test", Some("QA")).unwrap();
    assert_eq!(first.history.len(), 1);
    assert_eq!(first.occurrences_seen, vec!["2023-01-01T00:00:00Z"]);
    let second = decisions::decide(s.store.conn(), &id, "accepted", "it was real", Some("DPO")).unwrap();
    assert_eq!(
        (second.status.as_str(), second.note.as_str(), second.by.as_deref()),
        ("accepted", "it was real", Some("DPO"))
    );
    let history: Vec<(&str, &str, Option<&str>)> =
        second.history.iter().map(|d| (d.status.as_str(), d.note.as_str(), d.by.as_deref())).collect();
    assert_eq!(
        history,
        vec![("false-positive", "looked like a test", Some("QA")), ("accepted", "it was real", Some("DPO"))]
    );
    assert_eq!(decisions::decision_for(s.store.conn(), &id).unwrap().unwrap(), second);
    // Decisions themselves cannot be rewritten either.
    let err = s.store.conn().execute("UPDATE finding_decisions SET note = 'x'", []).unwrap_err();
    assert!(err.to_string().contains("decisions are kept"), "{err}");
    let err = s.store.conn().execute("DELETE FROM finding_decisions", []).unwrap_err();
    assert!(err.to_string().contains("decisions are kept"), "{err}");
    // The current one counts, once.
    let counts = browse::breakdown(s.store.conn(), &FindingFilter::default()).unwrap();
    assert_eq!(counts.by_status.iter().map(|c| (c.key.as_str(), c.count)).collect::<Vec<_>>(), vec![("accepted", 1)]);
    assert_eq!(browse::page(s.store.conn(), &status_filter("false-positive"), 10, 0).unwrap().total, 0);
}

#[test]
fn a_remediated_finding_that_occurs_again_later_is_reopened_with_its_history() {
    let p = profile();
    let a = "recurring@example.com";
    let mut s = scenario(&p, &[used(a, "2023-01-01T00:00:00Z", "email-marketing")]);
    let id = s.audit().findings[0].id.clone();
    let decided = decisions::decide(s.store.conn(), &id, "remediated", "list cleaned", Some("DPO")).unwrap();
    assert_eq!(decided.status, "remediated");
    assert!(decided.later_occurrences.is_empty());

    // A re-run of the audit over the same data keeps it remediated.
    s.audit();
    assert_eq!(decisions::decision_for(s.store.conn(), &id).unwrap().unwrap().status, "remediated");

    // An older use found in another export is covered: it is not after the occurrences seen.
    s.import_rows("older.csv", &[used(a, "2022-12-01T00:00:00Z", "email-marketing")]);
    let report = s.audit();
    assert_eq!(report.findings[0].occurrences.len(), 2);
    assert_eq!(decisions::decision_for(s.store.conn(), &id).unwrap().unwrap().status, "remediated");

    // A later use of the same purpose: the same finding, occurring after the remediation.
    s.import_rows("later.csv", &[used(a, "2023-03-01T00:00:00Z", "email-marketing")]);
    let report = s.audit();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].id, id);
    let d = decisions::decision_for(s.store.conn(), &id).unwrap().unwrap();
    assert_eq!(d.status, "reopened");
    assert_eq!(d.later_occurrences, vec!["2023-03-01T00:00:00Z"]);
    assert_eq!(d.occurrences_seen, vec!["2023-01-01T00:00:00Z"]);
    assert_eq!((d.note.as_str(), d.by.as_deref()), ("list cleaned", Some("DPO")));
    assert_eq!(d.history.len(), 1);
    assert_eq!((d.history[0].status.as_str(), d.history[0].note.as_str()), ("remediated", "list cleaned"));

    // Findings lists, filters and counts say reopened, not remediated.
    let conn = s.store.conn();
    let reopened = browse::page(conn, &status_filter("reopened"), 10, 0).unwrap();
    assert_eq!(reopened.total, 1);
    assert_eq!(reopened.rows[0].decision.as_ref().unwrap().status, "reopened");
    let view = &browse::views(conn, &audit::stored_findings(conn, None, None).unwrap()).unwrap()[0];
    assert_eq!(view.decision.as_ref().unwrap(), &d);
    assert_eq!(browse::page(conn, &status_filter("remediated"), 10, 0).unwrap().total, 0);
    assert_eq!(browse::page(conn, &status_filter("open"), 10, 0).unwrap().total, 0);
    let counts = browse::breakdown(conn, &FindingFilter::default()).unwrap();
    assert_eq!(counts.by_status.iter().map(|c| (c.key.as_str(), c.count)).collect::<Vec<_>>(), vec![("reopened", 1)]);
    let json = serde_json::to_value(view).unwrap();
    assert_eq!(json["decision"]["status"], "reopened");
    assert_eq!(json["decision"]["history"][0]["status"], "remediated");
    assert!(browse::page(conn, &status_filter("closed"), 10, 0).unwrap_err().to_string().contains("reopened"));

    // Remediating again covers the new occurrence.
    let again = decisions::decide(conn, &id, "remediated", "second list cleaned", None).unwrap();
    assert_eq!(again.status, "remediated");
    assert_eq!(again.history.len(), 2);
    assert_eq!(browse::page(conn, &status_filter("remediated"), 10, 0).unwrap().total, 1);
}

#[test]
fn other_decisions_are_not_reopened_but_say_what_they_do_not_cover() {
    let p = profile();
    let a = "accepted@example.com";
    let mut s = scenario(&p, &[used(a, "2023-01-01T00:00:00Z", "email-marketing")]);
    let id = s.audit().findings[0].id.clone();
    decisions::decide(s.store.conn(), &id, "accepted", "risk accepted", None).unwrap();
    s.import_rows("later.csv", &[used(a, "2023-03-01T00:00:00Z", "email-marketing")]);
    s.audit();
    let d = decisions::decision_for(s.store.conn(), &id).unwrap().unwrap();
    assert_eq!(d.status, "accepted");
    assert_eq!(d.later_occurrences, vec!["2023-03-01T00:00:00Z"]);
    assert_eq!(browse::page(s.store.conn(), &status_filter("accepted"), 10, 0).unwrap().total, 1);
}
