//! `consent-trail findings --from/--to` (issue 16): the list and the export narrowed to findings
//! with an occurrence in an inclusive range of UTC days; a backwards range is a user error.

use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose,recipients,channel,method,capture_source,collected_by,notice_version,evidence,system,first_name,last_name,date_of_birth";

/// R2 for ann on 2023-01-01 and for bo on 2023-02-01 (uses of email-marketing without consent).
fn two_months() -> Db {
    let db = Db::new();
    db.run(&["profile", "import", &fixtures().join("rules/profile.json").display().to_string()]).ok();
    let text = format!(
        "{HEADER}\nann@example.com,processing,2023-01-01T00:00:00Z,email-marketing,,,,,,,,,,,\nbo@example.com,processing,2023-02-01T00:00:00Z,email-marketing,,,,,,,,,,,\n"
    );
    db.run(&["import", &db.file("uses.csv", text.as_bytes()).display().to_string()]).ok();
    db
}

fn subjects_listed(db: &Db, args: &[&str]) -> String {
    let mut all = vec!["--json", "findings"];
    all.extend_from_slice(args);
    db.run(&all).ok().json().to_string()
}

#[test]
fn findings_list_and_export_take_an_inclusive_date_range() {
    let db = two_months();
    let january = subjects_listed(&db, &["--from", "2023-01-01", "--to", "2023-01-01"]);
    assert!(january.contains("ann@") && !january.contains("bo@"), "{january}");
    let from_feb = subjects_listed(&db, &["--from", "2023-02-01"]);
    assert!(!from_feb.contains("ann@") && from_feb.contains("bo@"), "{from_feb}");
    let year = subjects_listed(&db, &["--from", "2023-01-01", "--to", "2023-12-31"]);
    assert!(year.contains("ann@") && year.contains("bo@"), "{year}");

    let csv = db.path().with_file_name("range.csv");
    let csv_arg = csv.display().to_string();
    let out = db.run(&["--json", "findings", "--export", &csv_arg, "--to", "2023-01-31"]).ok().json();
    assert_eq!(out["exported"], 1);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("ann@example.com") && !text.contains("bo@example.com"), "{text}");
}

#[test]
fn a_backwards_or_malformed_range_is_a_user_error() {
    let db = two_months();
    let backwards = db.run(&["findings", "--from", "2023-12-31", "--to", "2023-01-01"]).user_error();
    assert!(backwards.contains("starts after it ends"), "{backwards}");
    let malformed = db.run(&["findings", "--from", "31/12/2023"]).user_error();
    assert!(malformed.contains("YYYY-MM-DD"), "{malformed}");
}
