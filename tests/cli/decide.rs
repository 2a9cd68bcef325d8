//! `consent-trail decide ID [ID …]` (issue 16 item 6): one decision and one note on several
//! findings, all of them or — when one id is unknown — none, each with its own log entry.

use serde_json::Value;

use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose,recipients,channel,method,capture_source,collected_by,notice_version,evidence,system,first_name,last_name,date_of_birth";

/// A database with three R2 findings (uses of email-marketing without consent) and their ids.
fn three_findings() -> (Db, Vec<String>) {
    let db = Db::new();
    db.run(&["profile", "import", &fixtures().join("rules/profile.json").display().to_string()]).ok();
    let text = format!(
        "{HEADER}\nann@example.com,processing,2023-01-01T00:00:00Z,email-marketing,,,,,,,,,,,\nbo@example.com,processing,2023-02-01T00:00:00Z,email-marketing,,,,,,,,,,,\ncy@example.com,processing,2023-03-01T00:00:00Z,email-marketing,,,,,,,,,,,\n"
    );
    db.run(&["import", &db.file("uses.csv", text.as_bytes()).display().to_string()]).ok();
    let list = db.run(&["--json", "findings"]).ok().json();
    let ids: Vec<String> = list.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 3, "{list}");
    (db, ids)
}

fn decide_entries(db: &Db) -> Vec<Value> {
    let log = db.run(&["log", "--json"]).ok().json();
    log["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "decide").cloned().collect()
}

#[test]
fn decide_with_several_ids_records_the_same_decision_on_each() {
    let (db, ids) = three_findings();
    let mut args = vec!["--json", "decide"];
    args.extend(ids.iter().take(2).map(String::as_str));
    args.extend(["--status", "accepted", "--note", "DPA in place", "--by", "DPO"]);
    let decided = db.run(&args).ok().json();
    let decided = decided.as_array().expect("several findings: an array");
    assert_eq!(decided.len(), 2);
    for (d, id) in decided.iter().zip(&ids) {
        assert_has_keys(d, &["finding", "status"], "decide --json");
        assert_eq!((d["finding"].as_str(), d["status"].as_str()), (Some(id.as_str()), Some("accepted")));
        assert_eq!(d["note"], "DPA in place");
    }
    let list = db.run(&["--json", "findings"]).ok().json();
    let status_of = |id: &str| {
        let f = list.as_array().unwrap().iter().find(|f| f["id"] == id).unwrap();
        f["decision"]["status"].as_str().map(str::to_string)
    };
    assert_eq!(status_of(&ids[0]).as_deref(), Some("accepted"));
    assert_eq!(status_of(&ids[1]).as_deref(), Some("accepted"));
    assert_eq!(status_of(&ids[2]), None, "the third was not named");
    assert_eq!(decide_entries(&db).len(), 2);

    let text = db.run(&["decide", &ids[2], "--status", "remediated", "--note", "cleaned"]).ok().stdout.clone();
    assert_eq!(text.trim(), format!("Finding {} marked remediated.", ids[2]));
}

#[test]
fn decide_with_an_unknown_id_among_several_decides_none() {
    let (db, ids) = three_findings();
    let run = db.run(&["decide", &ids[0], &ids[1], "F-000000000000", "--status", "accepted", "--note", "x"]);
    let error = run.user_error();
    assert!(error.contains("F-000000000000"), "{error}");
    let list = db.run(&["--json", "findings"]).ok().json();
    assert!(list.as_array().unwrap().iter().all(|f| f["decision"].is_null()), "{list}");
    assert!(decide_entries(&db).is_empty());
}
