//! `consent-trail log [--json] [--verify]` (issue 15 item 4): the audit log oldest first and its
//! hash-chain check; `decide` keeps the decision history and `findings` shows a remediated
//! finding that occurred again as `reopened` (SPEC §4.1), keeping the §9 shapes.

use std::process::Command;

use serde_json::Value;

use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose,recipients,channel,method,capture_source,collected_by,notice_version,evidence,system,first_name,last_name,date_of_birth";

/// A canonical CSV with one use of email-marketing (no consent: an R2 finding) at `at`.
fn use_at(db: &Db, name: &str, at: &str) -> String {
    let text = format!("{HEADER}\nrecur@example.com,processing,{at},email-marketing,,,,,,,,,,,\n");
    db.file(name, text.as_bytes()).display().to_string()
}

fn profile() -> String {
    fixtures().join("rules/profile.json").display().to_string()
}

fn actions(log: &Value) -> Vec<String> {
    log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
}

/// A database where a remediated finding has occurred again.
fn reopened_db() -> (Db, String) {
    let db = Db::new();
    db.run(&["profile", "import", &profile()]).ok();
    // The import re-runs the audit (as the app does): its findings are there at once.
    db.run(&["import", &use_at(&db, "first.csv", "2023-01-01T00:00:00Z")]).ok();
    let findings = db.run(&["--json", "findings"]);
    let finding = findings.ok().json()[0]["id"].as_str().unwrap().to_string();
    let decided =
        db.run(&["--json", "decide", &finding, "--status", "remediated", "--note", "list cleaned", "--by", "DPO"]);
    let d = decided.ok().json();
    assert_has_keys(&d, &["finding", "status"], "decide --json");
    assert_eq!((d["finding"].as_str(), d["status"].as_str()), (Some(finding.as_str()), Some("remediated")));
    assert_eq!(d["occurrences_seen"], serde_json::json!(["2023-01-01T00:00:00Z"]));
    assert_eq!(d["history"].as_array().unwrap().len(), 1);
    db.run(&["import", &use_at(&db, "later.csv", "2023-03-01T00:00:00Z")]).ok();
    (db, finding)
}

#[test]
fn findings_json_shows_a_remediated_finding_that_occurred_again_as_reopened_with_its_history() {
    let (db, finding) = reopened_db();
    let list = db.run(&["--json", "findings"]).ok().json();
    let f = &list.as_array().unwrap()[0];
    assert_eq!(f["id"].as_str(), Some(finding.as_str()));
    let decision = &f["decision"];
    assert_has_keys(decision, &["status", "note", "by", "at", "history"], "FINDING.decision");
    assert_eq!(decision["status"], "reopened");
    assert_eq!(decision["later_occurrences"], serde_json::json!(["2023-03-01T00:00:00Z"]));
    assert_eq!(decision["history"][0]["status"], "remediated");
    assert_eq!(decision["history"][0]["note"], "list cleaned");
    assert_eq!(decision["history"][0]["by"], "DPO");
    let text = db.run(&["findings"]).ok().stdout.clone();
    assert!(text.contains("[reopened]"), "{text}");
}

#[test]
fn log_lists_every_action_oldest_first_with_an_intact_chain() {
    let (db, finding) = reopened_db();
    let log = db.run(&["log", "--json"]).ok().json();
    // Every change re-runs the audit (issue 15: the CLI does what the app does).
    assert_eq!(actions(&log), vec!["profile-import", "audit", "import", "audit", "decide", "import", "audit"]);
    let entries = log["entries"].as_array().unwrap();
    for e in entries {
        assert_has_keys(e, &["id", "at", "action", "detail", "prev_hash", "hash"], "log entry");
    }
    assert_eq!(entries[4]["detail"]["finding"].as_str(), Some(finding.as_str()));
    assert_eq!(entries[4]["detail"]["status"], "remediated");
    let chain = &log["chain"];
    assert_eq!(chain["ok"], true);
    assert_eq!(chain["entries"], 7);
    assert_eq!(chain["head"], entries[6]["hash"]);
    assert!(chain["broken"].is_null());

    let text = db.run(&["log"]).ok().stdout.clone();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8, "{text}");
    assert!(lines[0].contains("profile-import") && lines[6].contains("audit"), "newest last: {text}");
    assert!(lines[7].starts_with("Chain intact: 7 entries, head sha256:"), "{text}");
    db.run(&["log", "--verify"]).ok();

    // An empty database has an empty, intact log.
    let empty = Db::new();
    let text = empty.run(&["log", "--verify"]).ok().stdout.clone();
    assert!(text.contains("The audit log is empty.") && text.contains("Chain intact: 0 entries"), "{text}");
}

#[test]
fn log_verify_fails_naming_the_entry_a_low_level_edit_changed() {
    let (db, _) = reopened_db();
    // The CLI itself cannot change the log: edit the file with the sqlite3 shell, triggers dropped.
    let status = Command::new("sqlite3")
        .arg(db.path())
        .arg(
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = '{\"status\":\"accepted\"}' WHERE id = 4;",
        )
        .status()
        .expect("the sqlite3 shell (a test dependency, see .ci/setup.sh)");
    assert!(status.success());

    let run = db.run(&["log", "--verify", "--json"]);
    let line = run.user_error();
    assert!(line.contains("broken at entry 4"), "{line}");
    let log = run.json();
    assert_eq!(log["chain"]["ok"], false);
    assert_eq!(log["chain"]["broken"]["entry_id"], 4);
    assert_eq!(log["chain"]["broken"]["field"], "hash");
    // Without --verify the log still prints, and says where it is broken.
    let text = db.run(&["log"]).ok().stdout.clone();
    assert!(text.contains("Chain BROKEN at entry 4"), "{text}");
}
