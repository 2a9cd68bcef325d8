//! `consent-trail sample` and `consent-trail systems` (issue 16 item 1): the demo set goes only
//! into a database named on the command line that holds no imports.

use crate::support::run;

#[test]
fn sample_fills_a_new_database_and_the_findings_list_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db = db.to_str().unwrap();
    let out = run(&["--db", db, "--json", "sample"]);
    let doc = out.ok().json();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 11, "{doc}");
    assert!(files.iter().all(|f| f["status"] == "imported"), "{doc}");
    assert_eq!(doc["audit"]["findings"], 19, "{doc}");
    assert!(dir.path().join("sample-exports/mailchimp").is_dir(), "exports written next to the database");

    let findings = run(&["--db", db, "--json", "findings"]).ok().json();
    let rules: std::collections::BTreeSet<String> =
        findings.as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    for rule in ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10"] {
        assert!(rules.contains(rule), "no {rule} among {rules:?}");
    }
}

#[test]
fn sample_refuses_without_db_or_into_a_database_with_imports() {
    let message = run(&["sample"]).user_error();
    assert!(message.contains("--db"), "{message}");

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db = db.to_str().unwrap();
    run(&["--db", db, "sample"]).ok();
    let message = run(&["--db", db, "sample"]).user_error();
    assert!(message.contains("already holds imported files"), "{message}");
}

#[test]
fn systems_says_which_file_each_export_is() {
    let out = run(&["--json", "systems"]);
    let list = out.ok().json();
    let mailchimp = list.as_array().unwrap().iter().find(|s| s["id"] == "mailchimp").unwrap();
    assert!(mailchimp["file"].as_str().unwrap().contains("Audience"), "{mailchimp}");
    assert!(list.as_array().unwrap().iter().all(|s| s["file"].is_string()), "{list}");
}
