//! `consent-trail findings --export FILE.csv|FILE.xlsx` (issue 16): the filtered findings list
//! written for a spreadsheet, with the Findings screen's filters; a bad file name is a one-line
//! user error that writes nothing.

use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose,recipients,channel,method,capture_source,collected_by,notice_version,evidence,system,first_name,last_name,date_of_birth";

/// A database with two R2 findings (uses of email-marketing without consent), one decided.
fn two_findings() -> Db {
    let db = Db::new();
    db.run(&["profile", "import", &fixtures().join("rules/profile.json").display().to_string()]).ok();
    let text = format!(
        "{HEADER}\nann@example.com,processing,2023-01-01T00:00:00Z,email-marketing,,,,,,,,,,,\nbo@example.com,processing,2023-02-01T00:00:00Z,email-marketing,,,,,,,,,,,\n"
    );
    db.run(&["import", &db.file("uses.csv", text.as_bytes()).display().to_string()]).ok();
    let list = db.run(&["--json", "findings"]).ok().json();
    let ann = list.as_array().unwrap().iter().find(|f| f["subject"].to_string().contains("ann@")).unwrap();
    let id = ann["id"].as_str().unwrap().to_string();
    db.run(&["decide", &id, "--status", "accepted", "--note", "=legacy list", "--by", "DPO"]).ok();
    db
}

#[test]
fn findings_export_writes_the_filtered_list_as_csv_and_xlsx() {
    let db = two_findings();
    let csv = db.path().with_file_name("findings.csv");
    let csv_arg = csv.display().to_string();
    let out = db.run(&["findings", "--export", &csv_arg]).ok().stdout.clone();
    assert!(out.contains("Exported 2 findings to"), "{out}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("Finding ID,Rule,Rule name,Severity,Subject"), "{}", lines[0]);
    assert!(text.contains("No valid consent") && text.contains("GDPR Art. 6(1)(a)"), "{text}");
    assert!(text.contains("'=legacy list"), "the note is neutralised: {text}");

    let open = db.run(&["--json", "findings", "--export", &csv_arg, "--status", "open"]).ok().json();
    assert_eq!(open["exported"], 1);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("bo@example.com") && !text.contains("ann@example.com"), "{text}");

    let xlsx = db.path().with_file_name("findings.xlsx");
    db.run(&["findings", "--export", &xlsx.display().to_string(), "--rule", "R2"]).ok();
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip");
}

#[test]
fn findings_export_to_an_unknown_format_is_a_user_error_that_writes_nothing() {
    let db = two_findings();
    let txt = db.path().with_file_name("findings.txt");
    let err = db.run(&["findings", "--export", &txt.display().to_string()]).user_error();
    assert!(err.contains(".csv or .xlsx"), "{err}");
    assert!(!txt.exists());
    let bad = db.run(&["findings", "--export", &txt.with_extension("csv").display().to_string(), "--status", "nope"]);
    assert!(bad.user_error().contains("nope"));
    let without = db.run(&["findings", "--status", "open"]);
    assert_ne!(without.code, 0, "the extra filters need --export");
}
