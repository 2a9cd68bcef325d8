//! The Findings screen's list exported to CSV and XLSX (rules/export.rs): the filter narrows
//! the rows, every column an officer needs is there (rule names, legal references, decisions),
//! cells a spreadsheet would run as formulas are neutralised, and a failed export leaves no file.

use std::io::Read;

use consenttrail_engine::rules::browse::FindingFilter;
use consenttrail_engine::rules::decisions;
use consenttrail_engine::rules::export::{export_findings, COLUMNS};

use crate::rules::{disclosed, given, profile, scenario, used, withdrawn, Scenario};

const A: &str = "anna@example.com";
const C: &str = "cai@example.com";
/// A recipient as an export could hold it: a spreadsheet would run it as a formula.
const FORMULA_RECIPIENT: &str = "=1+2";

/// A: one R1 (to a recipient that looks like a formula) and one R3; C: one R1.
fn findings() -> Scenario {
    let p = profile();
    let mut s = scenario(
        &p,
        &[
            given(A, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(A, "2021-04-02T10:00:00Z", "partner-sharing", FORMULA_RECIPIENT),
            given(A, "2021-03-01T10:00:00Z", "email-marketing").m("double-opt-in"),
            withdrawn(A, "2021-05-01T10:00:00Z", "email-marketing"),
            used(A, "2021-06-01T10:00:00Z", "email-marketing"),
            given(C, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(C, "2021-07-02T10:00:00Z", "partner-sharing", "Globex Corp"),
        ],
    );
    s.audit();
    s
}

fn r1() -> FindingFilter {
    FindingFilter { rule: Some("R1".into()), ..Default::default() }
}

/// Decides A's R1 with a note and a name that look like formulas; returns its id.
fn decide_first_r1(s: &Scenario) -> String {
    let conn = s.store.conn();
    let page = consenttrail_engine::rules::browse::page(conn, &r1(), 10, 0).unwrap();
    let id = page.rows[0].id.clone();
    decisions::decide(conn, &id, "remediated", "+44 20 call the partner", Some("@dpo")).unwrap();
    id
}

fn column(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap()
}

#[test]
fn the_filtered_findings_export_to_csv_with_names_references_and_decisions() {
    let s = findings();
    let id = decide_first_r1(&s);
    let path = s.dir.path().join("findings.csv");

    let n = export_findings(s.store.conn(), &r1(), &path).unwrap();
    assert_eq!(n, 2, "only the R1 findings");

    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let a = &rows[0];
    assert_eq!(&a[column("Finding ID")], id);
    assert_eq!(&a[column("Rule")], "R1");
    assert_eq!(&a[column("Rule name")], "Unnamed recipient");
    assert_eq!(&a[column("Severity")], "high");
    assert!(a[column("Subject")].contains(A), "{}", &a[column("Subject")]);
    assert_eq!(&a[column("Purpose")], "partner-sharing");
    assert_eq!(&a[column("Recipient")], "'=1+2", "a formula is neutralised with an apostrophe");
    assert_eq!(&a[column("First occurrence")], "2021-04-02T10:00:00Z");
    assert_eq!(&a[column("Occurrences")], "2021-04-02T10:00:00Z");
    assert!(a[column("Explanation")].contains("=1+2"), "{}", &a[column("Explanation")]);
    assert!(a[column("Legal reference")].starts_with("GDPR Art. 4(11)"));
    assert_eq!(&a[column("Decision")], "remediated");
    assert_eq!(&a[column("Decision note")], "'+44 20 call the partner");
    assert_eq!(&a[column("Decided by")], "'@dpo");
    assert!(!a[column("Decided at")].is_empty());
    let c = &rows[1];
    assert!(c[column("Subject")].contains(C));
    assert_eq!(&c[column("Recipient")], "Globex Corp");
    assert_eq!((&c[column("Decision")], &c[column("Decision note")]), ("open", ""), "no decision yet");

    for row in &rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "formula cell {cell:?}");
        }
    }
}

/// The worksheet XML of an XLSX file.
fn sheet_xml(path: &std::path::Path) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut xml).unwrap();
    xml
}

#[test]
fn the_filtered_findings_export_to_xlsx_with_formula_cells_as_text() {
    let s = findings();
    decide_first_r1(&s);
    let path = s.dir.path().join("Findings.XLSX");

    let n = export_findings(s.store.conn(), &FindingFilter::default(), &path).unwrap();
    assert_eq!(n, 3, "no filter: every finding");

    let xml = sheet_xml(&path);
    assert_eq!(xml.matches("<row ").count(), 4, "a header and three findings");
    for text in ["Rule name", "Unnamed recipient", "Processing after withdrawal", "GDPR Art. 7(3), 21(3)", "remediated"]
    {
        assert!(xml.contains(text), "{text} missing");
    }
    assert!(!xml.contains("<f>"), "no cell is a formula");
    // Strings are written inline (constant-memory mode); the recorded values are neutralised.
    for neutralised in ["'=1+2", "'+44 20 call the partner", "'@dpo"] {
        let escaped = neutralised.replace('\'', "&apos;");
        assert!(xml.contains(&format!(">{neutralised}<")) || xml.contains(&format!(">{escaped}<")), "{neutralised}");
    }
    assert!(!xml.contains(">=1+2<") && !xml.contains(">@dpo<"));
}

#[test]
fn a_failed_export_leaves_no_file() {
    let s = findings();
    let conn = s.store.conn();
    let bad = FindingFilter { rule: Some("R99".into()), ..Default::default() };
    let path = s.dir.path().join("findings.csv");
    assert!(export_findings(conn, &bad, &path).unwrap_err().to_string().contains("R99"));
    assert!(!path.exists());

    let txt = s.dir.path().join("findings.txt");
    assert!(export_findings(conn, &r1(), &txt).unwrap_err().to_string().contains(".xlsx"));
    assert!(!txt.exists());

    let before: Vec<_> = std::fs::read_dir(s.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    let _ = export_findings(conn, &bad, &s.dir.path().join("x.xlsx"));
    let after: Vec<_> = std::fs::read_dir(s.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before, after, "no temporary file is left behind");
}
