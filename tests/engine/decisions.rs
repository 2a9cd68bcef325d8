//! Bulk decisions (issue 16 item 6): one decision with one note on several findings, all of
//! them and their audit-log entries in one transaction, through `ops::decide_many` as the app
//! and the CLI call it.

use consenttrail_engine::ops;
use consenttrail_engine::rules::decisions;
use consenttrail_engine::store::audit_log;

use crate::rules::{profile, scenario, used, Scenario};
use crate::support::*;

/// A database with three findings (three uses of email-marketing without consent) and their ids.
fn three_findings() -> (Scenario, Vec<String>) {
    let p = profile();
    let mut s = scenario(
        &p,
        &[
            used("bulk1@example.com", "2023-01-01T00:00:00Z", "email-marketing"),
            used("bulk2@example.com", "2023-01-02T00:00:00Z", "email-marketing"),
            used("bulk3@example.com", "2023-01-03T00:00:00Z", "email-marketing"),
        ],
    );
    let ids: Vec<String> = s.audit().findings.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    (s, ids)
}

fn decide_entries(s: &Scenario) -> Vec<serde_json::Value> {
    audit_log::list(s.store.conn()).unwrap().into_iter().filter(|e| e.action == "decide").map(|e| e.detail).collect()
}

#[test]
fn bulk_decisions_record_one_note_on_every_finding_each_with_its_log_entry() {
    let (s, ids) = three_findings();
    let decided = ops::decide_many(&s.store, &ids, "accepted", "legacy list, DPA signed", Some("DPO")).unwrap();
    assert_eq!(decided.len(), 3);
    for (id, decision) in ids.iter().zip(&decided) {
        assert_eq!(decision.status, "accepted");
        assert_eq!(decision.note, "legacy list, DPA signed");
        assert_eq!(decision.by.as_deref(), Some("DPO"));
        assert_eq!(decisions::decision_for(s.store.conn(), id).unwrap().as_ref(), Some(decision));
    }
    let entries = decide_entries(&s);
    let logged: Vec<&str> = entries.iter().map(|e| e["finding"].as_str().unwrap()).collect();
    assert_eq!(logged, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(entries.iter().all(|e| e["batch_size"] == 3 && e["note"] == "legacy list, DPA signed"), "{entries:?}");
    assert!(audit_log::verify(s.store.conn()).unwrap().ok);
}

#[test]
fn bulk_decisions_with_one_unknown_id_leave_none_decided() {
    let (s, ids) = three_findings();
    let log_before = audit_log::list(s.store.conn()).unwrap().len();
    // The unknown id comes last: the two before it were already written when it failed.
    let asked = [ids[0].as_str(), ids[1].as_str(), "F-000000000000"];
    let err = ops::decide_many(&s.store, &asked, "remediated", "cleaned", None).unwrap_err();
    assert!(err.to_string().contains("F-000000000000"), "{err}");
    for id in &ids {
        assert_eq!(decisions::decision_for(s.store.conn(), id).unwrap(), None, "{id} was rolled back");
    }
    assert_eq!(count(&s.store, "SELECT count(*) FROM finding_decisions"), 0);
    assert_eq!(audit_log::list(s.store.conn()).unwrap().len(), log_before, "no log entry is left behind");
}

#[test]
fn bulk_decisions_refuse_an_unknown_status_or_no_finding_and_decide_a_repeated_id_once() {
    let (s, ids) = three_findings();
    assert!(ops::decide_many(&s.store, &ids, "maybe", "note", None).is_err());
    assert!(ops::decide_many::<&str>(&s.store, &[], "accepted", "note", None).is_err());
    assert_eq!(count(&s.store, "SELECT count(*) FROM finding_decisions"), 0);

    let twice = [ids[0].as_str(), ids[0].as_str()];
    let decided = ops::decide_many(&s.store, &twice, "false-positive", "test inbox", None).unwrap();
    assert_eq!(decided.len(), 1);
    assert_eq!(count(&s.store, "SELECT count(*) FROM finding_decisions"), 1);
    // A single decision's log entry reads as before: no batch size.
    assert!(decide_entries(&s)[0].get("batch_size").is_none());
}
