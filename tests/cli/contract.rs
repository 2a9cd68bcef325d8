//! SPEC §9: `--json` before or after the subcommand prints one JSON document whose field names
//! are the contract; exit 0 on success, 1 on a user error with one line on stderr, 2 on usage
//! errors. Covers import, sources, remove-source, subjects, timeline, profile import|export.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::support::*;

fn intl() -> PathBuf {
    fixtures().join("exports-intl")
}

fn unsubscribed() -> PathBuf {
    intl().join("mailchimp/unsubscribed_members_export_intl.csv")
}

fn subscribed() -> PathBuf {
    intl().join("mailchimp/subscribed_members_export_intl.csv")
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn imported_db() -> Db {
    let db = Db::new();
    db.run(&["import", &s(&intl())]).ok();
    db
}

#[test]
fn import_json_has_the_contract_fields_with_exact_values() {
    let db = Db::new();
    let run = db.run(&["--json", "import", &s(&subscribed())]);
    run.ok();
    let doc = run.json();
    // SPEC §9: fields may be added — the audit the import re-ran.
    assert_eq!(keys(&doc), vec!["audit", "files"]);
    assert_has_keys(&doc["audit"], &["findings", "by_rule"], "import audit");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert_has_keys(
        f,
        &["path", "system", "sha256", "status", "rows_imported", "rows_rejected", "warnings", "error"],
        "import files[]",
    );
    assert_eq!(f["path"], json!(s(&subscribed())));
    assert_eq!(f["system"], "mailchimp");
    assert_eq!(f["sha256"], json!(sha256(&subscribed())));
    assert_eq!(f["status"], "imported");
    assert_eq!(f["rows_imported"], 6);
    assert_eq!(f["rows_rejected"], 3);
    assert!(f["warnings"].is_array(), "{f}");
    assert_eq!(f["error"], Value::Null);
    // The same file again: a no-op that says so, still a success.
    let again = db.run(&["import", &s(&subscribed()), "--json"]);
    again.ok();
    let f = &again.json()["files"][0];
    assert_eq!(f["status"], "already-imported");
    assert_eq!(f["sha256"], json!(sha256(&subscribed())));
    assert_eq!(f["error"], Value::Null);
}

#[test]
fn json_is_accepted_before_and_after_the_subcommand_with_the_same_document() {
    let db = imported_db();
    let dbp = db.arg();
    for args in [
        vec!["sources"],
        vec!["subjects", "--search", "example.ru"],
        vec!["timeline", "olga.kuznetsova@example.ru"],
        vec!["profile", "export"],
    ] {
        let mut before = vec!["--json", "--db", dbp.as_str()];
        before.extend_from_slice(&args);
        let mut after = vec!["--db", dbp.as_str()];
        after.extend_from_slice(&args);
        after.push("--json");
        let mut middle = vec!["--db", dbp.as_str(), "--json"];
        middle.extend_from_slice(&args);
        let (a, b, c) = (run(&before), run(&after), run(&middle));
        a.ok();
        b.ok();
        c.ok();
        assert_eq!(a.json(), b.json(), "{args:?}");
        assert_eq!(a.json(), c.json(), "{args:?}");
    }
}

#[test]
fn output_is_human_text_without_json() {
    let db = imported_db();
    let run = db.run(&["sources"]);
    run.ok();
    assert!(serde_json::from_str::<Value>(&run.stdout).is_err(), "text by default: {}", run.stdout);
    assert!(run.stdout.contains("subscribed_members_export_intl.csv"), "{}", run.stdout);
}

#[test]
fn sources_json_lists_every_file_with_the_contract_fields() {
    let db = imported_db();
    let run = db.run(&["sources", "--json"]);
    run.ok();
    let list = run.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 7);
    for src in list {
        assert_has_keys(
            src,
            &["id", "path", "system", "sha256", "bytes", "imported_at", "rows_imported", "rows_rejected"],
            "sources[]",
        );
        let path = PathBuf::from(src["path"].as_str().unwrap());
        assert_eq!(src["sha256"], json!(sha256(&path)));
        assert_eq!(src["bytes"], json!(std::fs::metadata(&path).unwrap().len()));
        let at = src["imported_at"].as_str().unwrap();
        assert!(at.ends_with('Z') && at.len() == 20, "RFC 3339 UTC: {at}");
    }
    let sub = list.iter().find(|x| x["path"] == json!(s(&subscribed()))).unwrap();
    assert_eq!(
        (sub["system"].as_str(), sub["rows_imported"].as_i64(), sub["rows_rejected"].as_i64()),
        (Some("mailchimp"), Some(6), Some(3))
    );
}

fn source_id(db: &Db, path: &Path) -> i64 {
    let list = db.run(&["--json", "sources"]).json();
    list.as_array().unwrap().iter().find(|x| x["path"] == json!(s(path))).unwrap()["id"].as_i64().unwrap()
}

#[test]
fn remove_source_json_and_its_effect() {
    let db = imported_db();
    let id = source_id(&db, &unsubscribed());
    let run = db.run(&["remove-source", &id.to_string(), "--json"]);
    run.ok();
    // Olga's opt-in, confirmation and withdrawal, Kenji's opt-in and his withdrawal as of the
    // export (no UNSUB_TIME: kept undated, SPEC §2).
    let doc = run.json();
    assert_eq!((doc["removed"].clone(), doc["events_removed"].clone()), (json!(id), json!(5)));
    // The audit re-run after the removal (a field added to SPEC §9's shape).
    assert_has_keys(&doc["audit"], &["findings", "by_rule"], "remove-source audit");
    assert_eq!(db.run(&["--json", "sources"]).json().as_array().unwrap().len(), 6);
    let gone = db.run(&["timeline", "olga.kuznetsova@example.ru"]);
    let line = gone.user_error();
    assert!(line.contains("olga.kuznetsova@example.ru"), "{line}");
    // Removing it again is a user error naming the id.
    let again = db.run(&["remove-source", &id.to_string()]);
    let line = again.user_error();
    assert!(line.contains(&id.to_string()), "{line}");
}

#[test]
fn subjects_json_has_identifiers_events_and_findings() {
    let db = imported_db();
    let run = db.run(&["--json", "subjects", "--search", "ELENI"]);
    run.ok();
    let list = run.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let subject = &list[0];
    assert_has_keys(subject, &["id", "identifiers", "events", "findings"], "subjects[]");
    assert_eq!(
        subject["identifiers"],
        json!([
            {"kind": "email", "value": "eleni.papadopoulou@example.gr"},
            {"kind": "mailchimp:euid", "value": "e1e1e1e1e1"},
            {"kind": "mailchimp:leid", "value": "501"},
            {"kind": "salesforce:contactpoint", "value": "9lEintl00000001"},
            {"kind": "salesforce:individual", "value": "0PKintl00000001"},
        ])
    );
    assert_eq!(subject["events"], 4);
    let all = db.run(&["subjects", "--json"]).json();
    assert_eq!(all.as_array().unwrap().len(), 11);
}

#[test]
fn timeline_json_has_the_contract_fields_with_exact_values() {
    let db = imported_db();
    let run = db.run(&["timeline", "Olga.Kuznetsova@EXAMPLE.ru", "--json"]);
    run.ok();
    let doc = run.json();
    assert_has_keys(&doc, &["subject", "events"], "timeline");
    assert_has_keys(&doc["subject"], &["id", "identifiers"], "timeline.subject");
    assert_eq!(
        doc["subject"]["identifiers"],
        json!([
            {"kind": "email", "value": "olga.kuznetsova@example.ru"},
            {"kind": "mailchimp:euid", "value": "u1u1u1u1u1"},
            {"kind": "mailchimp:leid", "value": "601"},
        ])
    );
    let events = doc["events"].as_array().unwrap();
    let sha = sha256(&unsubscribed());
    let summary: Vec<Value> = events
        .iter()
        .map(|e| {
            assert_has_keys(
                e,
                &[
                    "id",
                    "occurred_at",
                    "kind",
                    "purpose",
                    "recipients",
                    "system",
                    "method",
                    "channel",
                    "notice_version",
                    "source",
                ],
                "timeline.events[]",
            );
            assert_has_keys(&e["source"], &["path", "sha256", "line"], "timeline.events[].source");
            assert_eq!(e["source"]["path"], json!(s(&unsubscribed())));
            assert_eq!(e["source"]["sha256"], json!(sha));
            assert_eq!(e["source"]["line"], 2);
            assert!(e["id"].is_i64());
            json!([
                e["occurred_at"],
                e["kind"],
                e["purpose"],
                e["recipients"],
                e["system"],
                e["method"],
                e["channel"],
                e["notice_version"]
            ])
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            json!([
                "2020-05-05T10:00:00Z",
                "consent.given",
                "email-marketing",
                [],
                "mailchimp",
                "explicit-opt-in",
                "email",
                null
            ]),
            json!([
                "2020-05-05T10:02:00Z",
                "consent.confirmed",
                "email-marketing",
                [],
                "mailchimp",
                "double-opt-in",
                "email",
                null
            ]),
            json!([
                "2023-04-01T07:30:00Z",
                "consent.withdrawn",
                "email-marketing",
                [],
                "mailchimp",
                null,
                "email",
                null
            ]),
        ]
    );
}

#[test]
fn an_unknown_subject_is_a_one_line_user_error() {
    let db = imported_db();
    for who in ["nobody@example.com", "salesforce:individual:0PKnothere", "hello"] {
        let run = db.run(&["--json", "timeline", who]);
        let line = run.user_error();
        assert!(line.contains(who), "{who}: {line}");
        assert_eq!(run.stdout, "", "nothing on stdout for a failed command");
    }
}

#[test]
fn profile_export_and_import_round_trip() {
    let db = Db::new();
    let exported = db.run(&["profile", "export"]);
    exported.ok();
    let mut profile = exported.json();
    assert_eq!(profile["format"], "consenttrail-profile/1");
    assert_eq!(db.run(&["--json", "profile", "export"]).json(), profile, "--json changes nothing for export");
    profile["organisation"]["name"] = json!("Fernhill Outdoor Ltd");
    let file = db.file("profile.json", serde_json::to_string_pretty(&profile).unwrap().as_bytes());
    db.run(&["profile", "import", &s(&file)]).ok();
    let back = db.run(&["profile", "export"]).json();
    assert_eq!(back, profile);
}

#[test]
fn a_bad_profile_is_a_one_line_error_naming_the_file_and_the_json_path() {
    let db = Db::new();
    let mut profile = db.run(&["profile", "export"]).json();
    profile["purposes"][1]["lawful_basis"] = json!("vibes");
    let file = db.file("bad-profile.json", profile.to_string().as_bytes());
    let run = db.run(&["profile", "import", &s(&file)]);
    let line = run.user_error();
    assert!(line.contains(&s(&file)), "{line}");
    assert!(line.contains("$.purposes[1].lawful_basis"), "{line}");
    // Nothing changed.
    assert_eq!(db.run(&["profile", "export"]).json()["purposes"][1]["lawful_basis"], "consent");
    // Not JSON at all; a missing file.
    let garbage = db.file("garbage.json", b"{ not json");
    let line = db.run(&["profile", "import", &s(&garbage)]).user_error();
    assert!(line.contains(&s(&garbage)), "{line}");
    let missing = db.dir.path().join("missing.json");
    let line = db.run(&["profile", "import", &s(&missing)]).user_error();
    assert!(line.contains(&s(&missing)), "{line}");
    // The same through `import --profile`: no file is imported with a bad profile.
    let run = db.run(&["import", "--profile", &s(&file), &s(&subscribed())]);
    let line = run.user_error();
    assert!(line.contains("$.purposes[1].lawful_basis"), "{line}");
    assert_eq!(db.run(&["--json", "sources"]).json(), json!([]));
}

#[test]
fn a_failed_file_is_exit_1_with_one_line_and_the_json_report_still_printed() {
    let db = Db::new();
    let empty = db.file("empty.csv", b"");
    let run = db.run(&["import", &s(&empty), &s(&subscribed()), "--json"]);
    let line = run.user_error();
    assert!(line.contains(&s(&empty)) && line.contains("empty"), "{line}");
    let files = run.json()["files"].as_array().unwrap().clone();
    let by_path = |p: &PathBuf| files.iter().find(|f| f["path"] == json!(s(p))).unwrap().clone();
    let failed = by_path(&empty);
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("empty"), "{failed}");
    assert_eq!(by_path(&subscribed())["status"], "imported", "the other file still imports");
}

#[test]
fn usage_errors_exit_2() {
    let db = Db::new();
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["import"],
        vec!["remove-source", "abc"],
        vec!["sources", "--no-such-flag"],
        vec!["timeline"],
        vec!["profile"],
        vec!["profile", "import"],
    ] {
        let run = db.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
    assert!(!db.path().exists() || db.run(&["--json", "sources"]).json() == json!([]));
}

#[test]
fn bad_flag_values_are_user_errors_with_one_line() {
    let db = Db::new();
    for (args, needle) in [
        (vec!["import", "--assume-tz", "mailchimp", "x.csv"], "SYSTEM=ZONE"),
        (vec!["import", "--assume-tz", "mailchimp=Mars/Olympus", "x.csv"], "Mars/Olympus"),
        (vec!["import", "--date-format", "ymd", "x.csv"], "ymd"),
    ] {
        let line = db.run(&args).user_error();
        assert!(line.contains(needle), "{args:?}: {line}");
    }
}

/// A bad option is refused before anything is written: `--profile` given with a bad
/// `--assume-tz` leaves the profile in force as it was (it used to be saved first).
#[test]
fn a_bad_import_option_leaves_the_profile_as_it_was() {
    let db = Db::new();
    let before = db.run(&["profile", "export"]).json();
    let mut changed = before.clone();
    changed["organisation"]["name"] = json!("Fernhill Outdoor Ltd");
    let file = db.file("profile.json", serde_json::to_string_pretty(&changed).unwrap().as_bytes());
    let line = db
        .run(&["import", "--profile", &s(&file), "--assume-tz", "mailchimp=Mars/Olympus", &s(&subscribed())])
        .user_error();
    assert!(line.contains("Mars/Olympus"), "{line}");
    assert_eq!(db.run(&["profile", "export"]).json(), before, "the profile changed although the import was refused");
}

/// A database of `n` subjects, one canonical row each.
fn db_with_subjects(n: usize) -> Db {
    let db = Db::new();
    let mut text = String::from("subject,kind,occurred_at,purpose\n");
    for i in 0..n {
        text.push_str(&format!("person{i:05}@example.com,consent.given,2023-01-01T10:00:00Z,email-marketing\n"));
    }
    let path = db.file("many.csv", text.as_bytes());
    db.run(&["import", &s(&path)]).ok();
    db
}

#[test]
fn a_file_whose_every_row_is_rejected_exits_1_and_the_rejections_file_lists_them_all() {
    let db = Db::new();
    let mut text = String::from("subject,kind,occurred_at,purpose\n");
    for i in 0..1500 {
        text.push_str(&format!("p{i}@example.com,consent.given\n"));
    }
    let path = db.file("all-bad.csv", text.as_bytes());
    let list = db.dir.path().join("rejected.csv");
    let run = db.run(&["--json", "import", "--rejections", &s(&list), &s(&path)]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.user_error().contains("no row was imported"), "{}", run.stderr);
    let file = run.json()["files"][0].clone();
    assert_eq!(file["status"], "failed");
    assert_eq!(file["rows_rejected"], 1500);
    assert_eq!(file["rejections"].as_array().map(Vec::len), Some(1000), "the report is capped");
    assert_eq!(file["rejections_omitted"], 500);
    let written = std::fs::read_to_string(&list).unwrap();
    assert_eq!(written.lines().count(), 1501, "header and every rejected row");
    assert!(written.lines().nth(1500).unwrap_or_default().contains("line 1501"), "{}", written.lines().last().unwrap());
    // On screen too: the first 1,000 and a count of the rest.
    let text = db.run(&["import", &s(&path)]);
    assert!(text.stdout.contains("500 more rejected row(s)"), "{}", text.stdout);
}

#[test]
fn subjects_limit_is_honoured_beyond_one_page_and_a_cut_list_says_how_to_get_the_rest() {
    let db = db_with_subjects(2500);
    let all = db.run(&["--json", "subjects", "--limit", "5000"]);
    all.ok();
    assert_eq!(all.json().as_array().map(Vec::len), Some(2500));
    assert!(!all.stderr.contains("cut"), "nothing was cut: {}", all.stderr);
    let cut = db.run(&["--json", "subjects", "--limit", "1200"]);
    cut.ok();
    assert_eq!(cut.json().as_array().map(Vec::len), Some(1200));
    assert!(cut.stderr.contains("of 2500") && cut.stderr.contains("--offset 1200"), "{}", cut.stderr);
    let rest = db.run(&["--json", "subjects", "--limit", "5000", "--offset", "1200"]);
    assert_eq!(rest.json().as_array().map(Vec::len), Some(1300));
    let default = db.run(&["subjects"]);
    assert_eq!(default.stdout.lines().count(), 1000);
    assert!(default.stderr.contains("--offset 1000"), "{}", default.stderr);
}

#[test]
fn output_into_a_pipe_closed_early_ends_quietly() {
    let db = db_with_subjects(2500);
    let script =
        format!("'{}' --db '{}' subjects --limit 5000 | head -n 1; exit ${{PIPESTATUS[0]}}", bin().display(), db.arg());
    let out = std::process::Command::new("bash").arg("-c").arg(&script).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Issue 14: `audit` prints the findings as it reads them from the store, one at a time (a
/// 10M-event audit has over a million): the JSON document holds the same FINDING objects, in
/// the same order, as `findings --json`, the text lists every one, and a reader that stops
/// early ends either form quietly.
#[test]
fn audit_prints_every_stored_finding_and_stops_quietly_when_the_reader_does() {
    let db = Db::new();
    let mut text = String::from("subject,kind,occurred_at,purpose\n");
    for i in 0..3000 {
        // A use of email marketing without any consent: at least one finding per person.
        text.push_str(&format!("person{i:05}@example.com,processing,2023-01-01T10:00:00Z,email-marketing\n"));
    }
    let path = db.file("uses.csv", text.as_bytes());
    db.run(&["import", &s(&path)]).ok();

    let audited = db.run(&["--json", "audit"]);
    audited.ok();
    let doc = audited.json();
    let findings = doc["findings"].as_array().expect("a findings array").clone();
    assert!(findings.len() >= 3000, "{}", findings.len());
    assert_eq!(doc["summary"]["findings"].as_u64(), Some(findings.len() as u64));
    assert_eq!(doc["findings"], db.run(&["--json", "findings"]).json(), "same objects, same order");

    let printed = db.run(&["audit"]);
    printed.ok();
    assert!(
        printed.stdout.starts_with(&format!("{} finding(s) over 3000 subject(s)", findings.len())),
        "{}",
        printed.stdout
    );
    for f in &findings {
        assert!(printed.stdout.contains(f["id"].as_str().unwrap()), "{} not printed", f["id"]);
    }

    for form in ["--json audit", "audit"] {
        let script = format!("'{}' --db '{}' {form} | head -n 1; exit ${{PIPESTATUS[0]}}", bin().display(), db.arg());
        let out = std::process::Command::new("bash").arg("-c").arg(&script).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "{form}");
        assert!(!stderr.contains("panicked") && !stderr.contains("cannot write"), "{form}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{form}: {stderr}");
        // A write that fails for another reason (a full disk) is reported, with exit 1.
        let script = format!("'{}' --db '{}' {form} > /dev/full", bin().display(), db.arg());
        let out = std::process::Command::new("bash").arg("-c").arg(&script).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot write the output") && !stderr.contains("panicked"), "{form}: {stderr}");
        assert_eq!(out.status.code(), Some(1), "{form}: {stderr}");
    }
}

/// Issue 15: the CLI, like the app, re-runs the audit after an import, a source removal and a
/// profile import, so `findings` never describes data older than what is stored.
#[test]
fn findings_follow_the_data_without_a_separate_audit() {
    let db = Db::new();
    let logs = fixtures().join("exports/logs");
    let sf = fixtures().join("exports/salesforce");
    let profile = fixtures().join("rules/golden-profile.json");
    db.run(&["profile", "import", &s(&profile)]).ok();
    let imported = db.run(&["--json", "import", &s(&sf), &s(&logs)]);
    imported.ok();
    let audit_after_import = imported.json()["audit"]["findings"].as_u64().expect("the import re-ran the audit");
    let ids = |v: Value| -> Vec<String> {
        let mut ids: Vec<String> =
            v.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let listed = ids(db.run(&["--json", "findings"]).json());
    assert!(!listed.is_empty(), "the fixtures have gaps to find");
    assert_eq!(listed.len() as u64, audit_after_import);
    // An explicit audit finds exactly what the import's audit stored.
    let audited = db.run(&["--json", "audit"]).json();
    assert_eq!(ids(audited["findings"].clone()), listed);
    // Removing the disclosure logs re-runs it too: no finding may point at removed events.
    let sources = db.run(&["--json", "sources"]).json();
    for source in sources.as_array().unwrap().iter().filter(|x| x["path"].as_str().unwrap().contains("logs")) {
        let removed = db.run(&["--json", "remove-source", &source["id"].as_i64().unwrap().to_string()]);
        removed.ok();
        assert!(removed.json()["audit"]["findings"].is_u64());
    }
    let after = ids(db.run(&["--json", "findings"]).json());
    let fresh = ids(db.run(&["--json", "audit"]).json()["findings"].clone());
    assert_eq!(after, fresh, "findings after a removal are the audit of what is left");
    assert!(after.len() < listed.len(), "the uses the logs brought are no longer judged");
}
