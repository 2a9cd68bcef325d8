//! An international Mailchimp + Salesforce export set (`tests/fixtures/exports-intl`): duplicate
//! column names, mixed-case e-mails, names in Greek, Cyrillic, Polish and CJK. One subject per
//! person with the right identifiers, the right events, names kept for display and never used
//! to join, every rejected row listed with line, field and reason. Also the Mailchimp ZIP.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use consenttrail_engine::import::{ImportOptions, ImportReport};
use consenttrail_engine::reconcile::{subjects, timeline};
use consenttrail_engine::store::{identity, Store};

use crate::db_snapshot;
use crate::support::*;

fn intl() -> PathBuf {
    fixtures().join("exports-intl")
}

fn subject(store: &Store, identifier: &str) -> i64 {
    identity::subject_of(store.conn(), identifier).unwrap().unwrap_or_else(|| panic!("no subject for {identifier}"))
}

/// A subject's timeline, one line per event:
/// `instant system kind [stated kind when resolved] zone 'original' method purpose channel`.
fn timeline_lines(store: &Store, identifier: &str) -> Vec<String> {
    let events = timeline::subject_events(store.conn(), subject(store, identifier)).unwrap();
    let mut lines: Vec<String> = events
        .iter()
        .map(|e| {
            let stated = if e.stated_kind != e.kind { format!(" (stated {})", e.stated_kind) } else { String::new() };
            format!(
                "{} {} {}{} {} '{}' {} {} {}",
                e.occurred_at().unwrap_or_else(|| "-".into()),
                e.system,
                e.kind,
                stated,
                e.zone_basis.as_deref().unwrap_or("-"),
                e.occurred_at_text.as_deref().unwrap_or("-"),
                e.method.as_deref().unwrap_or("-"),
                e.purpose.as_deref().unwrap_or("-"),
                e.channel.as_deref().unwrap_or("-"),
            )
        })
        .collect();
    lines.sort();
    lines
}

fn rejections(report: &ImportReport) -> BTreeSet<String> {
    report
        .files
        .iter()
        .flat_map(|f| {
            let name = PathBuf::from(&f.path).file_name().unwrap().to_string_lossy().into_owned();
            f.rejections.iter().map(move |r| format!("{name} {} [{}]", r.locator, r.field.as_deref().unwrap_or("-")))
        })
        .collect()
}

fn import_all() -> (tempfile::TempDir, Store, ImportReport) {
    let (dir, mut store) = temp_store();
    let report = import(&mut store, &[intl()]);
    (dir, store, report)
}

#[test]
fn every_file_imports_with_exact_row_counts() {
    let (_dir, _store, report) = import_all();
    let got: BTreeMap<String, (String, String, u64, u64)> = report
        .files
        .iter()
        .map(|f| {
            let name = PathBuf::from(&f.path).file_name().unwrap().to_string_lossy().into_owned();
            (name, (f.status.clone(), f.system.clone().unwrap_or_default(), f.rows_imported, f.rows_rejected))
        })
        .collect();
    let want =
        |status: &str, system: &str, ok: u64, rejected: u64| (status.to_string(), system.to_string(), ok, rejected);
    let expected: BTreeMap<String, _> = [
        ("subscribed_members_export_intl.csv", want("imported", "mailchimp", 6, 3)),
        ("unsubscribed_members_export_intl.csv", want("imported", "mailchimp", 2, 0)),
        ("cleaned_members_export_intl.csv", want("imported", "mailchimp", 1, 0)),
        ("DataUsePurpose.csv", want("imported", "salesforce", 2, 0)),
        ("Individual.csv", want("imported", "salesforce", 4, 0)),
        ("ContactPointEmail.csv", want("imported", "salesforce", 3, 1)),
        ("ContactPointTypeConsent.csv", want("imported", "salesforce", 6, 3)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(got, expected, "{report:#?}");
}

#[test]
fn every_rejected_row_is_listed_with_line_field_and_reason() {
    let (_dir, store, report) = import_all();
    let expected: BTreeSet<String> = [
        "subscribed_members_export_intl.csv line 7 [Email Address]",
        "subscribed_members_export_intl.csv line 8 [OPTIN_TIME]",
        "subscribed_members_export_intl.csv line 9 [Email Address]",
        "ContactPointEmail.csv line 5 [EmailAddress]",
        "ContactPointTypeConsent.csv line 8 [PrivacyConsentStatus]",
        "ContactPointTypeConsent.csv line 9 [CaptureDate]",
        "ContactPointTypeConsent.csv line 10 [PartyId]",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(rejections(&report), expected);
    // The reasons say what is wrong with the value, quoting it.
    let message = |file: &str, line: &str| -> String {
        report
            .files
            .iter()
            .filter(|f| f.path.ends_with(file))
            .flat_map(|f| f.rejections.iter())
            .find(|r| r.locator == line)
            .map(|r| r.message.clone())
            .unwrap()
    };
    assert!(message("subscribed_members_export_intl.csv", "line 7").contains("'not-an-email'"));
    assert!(message("subscribed_members_export_intl.csv", "line 8").contains("2023-02-30 08:00:00"));
    assert!(message("subscribed_members_export_intl.csv", "line 9").contains("missing"));
    assert!(message("ContactPointEmail.csv", "line 5").contains("'bad address'"));
    assert!(message("ContactPointTypeConsent.csv", "line 8").contains("'Maybe'"));
    assert!(message("ContactPointTypeConsent.csv", "line 9").contains("'yesterday'"));
    assert!(message("ContactPointTypeConsent.csv", "line 10").contains("PartyId"));
    // Rejected rows keep their raw text in the database for the report.
    assert_eq!(count(&store, "SELECT count(*) FROM import_issues WHERE severity = 'rejected' AND raw IS NOT NULL"), 7);
    // Nothing of a rejected row is stored: no identifier from it exists.
    for absent in
        ["late.opt@example.com", "mailchimp:euid:e6e6e6e6e6", "mailchimp:euid:e7e7e7e7e7", "mailchimp:leid:508"]
    {
        assert_eq!(identity::subject_of(store.conn(), absent).unwrap(), None, "{absent} came from a rejected row");
    }
}

#[test]
fn one_subject_per_person_joined_only_by_identifiers() {
    let (_dir, store, _report) = import_all();
    let got = db_snapshot::subjects(store.conn());
    let expected: BTreeSet<String> = [
        "email:eleni.papadopoulou@example.gr + mailchimp:euid:e1e1e1e1e1 + mailchimp:leid:501 + salesforce:contactpoint:9lEintl00000001 + salesforce:individual:0PKintl00000001",
        "email:zofia.wojcik@example.pl + mailchimp:euid:e2e2e2e2e2 + mailchimp:leid:502 + salesforce:contactpoint:9lEintl00000002 + salesforce:individual:0PKintl00000002",
        "email:ivan.petrov@example.ru + mailchimp:euid:e3e3e3e3e3 + mailchimp:leid:503",
        // Same names (芳 王) as Salesforce Individual 0PKintl00000003, no shared identifier: two people.
        "email:wang.fang@example.cn + mailchimp:euid:e4e4e4e4e4 + mailchimp:leid:504",
        "salesforce:individual:0PKintl00000003",
        // Same names (Anna Nowak), different addresses: two people.
        "email:anna.nowak@example.com + mailchimp:euid:e5e5e5e5e5 + mailchimp:leid:505",
        "email:anna.nowak@firma.pl + salesforce:contactpoint:9lEintl00000004 + salesforce:individual:0PKintl00000004",
        "email:мария.иванова@почта.рф + mailchimp:euid:e9e9e9e9e9 + mailchimp:leid:509",
        "email:olga.kuznetsova@example.ru + mailchimp:euid:u1u1u1u1u1 + mailchimp:leid:601",
        "email:kenji.sato@example.jp + mailchimp:euid:u2u2u2u2u2 + mailchimp:leid:602",
        "email:hanako.sato@example.jp + mailchimp:euid:c1c1c1c1c1 + mailchimp:leid:701",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(got, expected);
    // Every written form of an address finds the same person.
    let eleni = subject(&store, "eleni.papadopoulou@example.gr");
    for form in
        ["Eleni.Papadopoulou@Example.GR", "ELENI.Papadopoulou@example.GR", "  email:ELENI.PAPADOPOULOU@EXAMPLE.GR "]
    {
        assert_eq!(subject(&store, form), eleni, "{form}");
    }
    assert_eq!(subject(&store, "МАРИЯ.ИВАНОВА@ПОЧТА.РФ"), subject(&store, "mailchimp:euid:e9e9e9e9e9"));
}

#[test]
fn names_are_kept_per_source_for_display() {
    let (_dir, store, _report) = import_all();
    let names = |identifier: &str| -> BTreeSet<String> {
        subjects::attributes_of(store.conn(), subject(&store, identifier))
            .unwrap()
            .into_iter()
            .map(|a| format!("{} {}={}", a.system, a.attribute, a.value))
            .collect()
    };
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        names("eleni.papadopoulou@example.gr"),
        set(&[
            "mailchimp first_name=Ελένη",
            "mailchimp last_name=Παπαδοπούλου",
            "salesforce first_name=Ελένη",
            "salesforce last_name=Παπαδοπούλου",
            "salesforce date_of_birth=1988-04-12",
        ])
    );
    assert_eq!(
        names("zofia.wojcik@example.pl"),
        set(&[
            "mailchimp first_name=Zofia",
            "mailchimp last_name=Wójcik-Łęcka-Żółć",
            "salesforce first_name=Zofia",
            "salesforce last_name=Wójcik-Łęcka-Żółć",
            "salesforce date_of_birth=1979-01-30",
        ])
    );
    assert_eq!(names("ivan.petrov@example.ru"), set(&["mailchimp first_name=Иван", "mailchimp last_name=Петров"]));
    // The first "First Name" column is empty, the duplicate one holds the name: it is not lost.
    assert_eq!(names("wang.fang@example.cn"), set(&["mailchimp first_name=芳", "mailchimp last_name=王"]));
    assert_eq!(
        names("salesforce:individual:0PKintl00000003"),
        set(&["salesforce first_name=芳", "salesforce last_name=王", "salesforce date_of_birth=1995-07-07"])
    );
    assert_eq!(names("hanako.sato@example.jp"), set(&["mailchimp first_name=花子", "mailchimp last_name=佐藤"]));
}

#[test]
fn mailchimp_events_have_utc_instants_original_text_assumed_zone_and_method() {
    let (_dir, store, _report) = import_all();
    assert_eq!(
        timeline_lines(&store, "ivan.petrov@example.ru"),
        // Empty OPTIN_TIME with CONFIRM_TIME: added by import/API, an imported-list grant at CONFIRM_TIME.
        vec!["2022-06-15T12:00:00Z mailchimp consent.given assumed:UTC '2022-06-15 12:00:00' imported-list email-marketing email"]
    );
    assert_eq!(
        timeline_lines(&store, "мария.иванова@почта.рф"),
        vec![
            "2022-09-09T09:09:09Z mailchimp consent.given assumed:UTC '2022-09-09 09:09:09' explicit-opt-in email-marketing email",
            "2022-09-09T09:19:09Z mailchimp consent.confirmed assumed:UTC '2022-09-09 09:19:09' double-opt-in email-marketing email",
        ]
    );
    assert_eq!(
        timeline_lines(&store, "olga.kuznetsova@example.ru"),
        vec![
            "2020-05-05T10:00:00Z mailchimp consent.given assumed:UTC '2020-05-05 10:00:00' explicit-opt-in email-marketing email",
            "2020-05-05T10:02:00Z mailchimp consent.confirmed assumed:UTC '2020-05-05 10:02:00' double-opt-in email-marketing email",
            "2023-04-01T07:30:00Z mailchimp consent.withdrawn assumed:UTC '2023-04-01 07:30:00' - email-marketing email",
        ]
    );
    // An unsubscribed member without UNSUB_TIME: the grant is kept, and the withdrawal is kept as
    // the member's state as of the export, without a date (SPEC §2), never dropped.
    assert_eq!(
        timeline_lines(&store, "kenji.sato@example.jp"),
        vec![
            "- mailchimp consent.withdrawn - '-' - email-marketing email",
            "2021-01-01T00:00:00Z mailchimp consent.given assumed:UTC '2021-01-01 00:00:00' explicit-opt-in email-marketing email"
        ]
    );
    // Cleaned (a bounce) is not a withdrawal: nothing comes from CLEAN_TIME.
    assert_eq!(
        timeline_lines(&store, "hanako.sato@example.jp"),
        vec![
            "2019-01-01T00:00:00Z mailchimp consent.given assumed:UTC '2019-01-01 00:00:00' explicit-opt-in email-marketing email",
            "2019-01-01T00:01:00Z mailchimp consent.confirmed assumed:UTC '2019-01-01 00:01:00' double-opt-in email-marketing email",
        ]
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM event_details WHERE occurred_at_text = '2022-01-01 00:00:00'"),
        0,
        "CLEAN_TIME made an event"
    );
}

#[test]
fn withdrawal_evidence_keeps_the_unsubscribe_campaign_and_reason() {
    let (_dir, store, _report) = import_all();
    let events = timeline::subject_events(store.conn(), subject(&store, "olga.kuznetsova@example.ru")).unwrap();
    let withdrawal = events.iter().find(|e| e.kind.as_str() == "consent.withdrawn").unwrap();
    let evidence = withdrawal.evidence();
    assert_eq!(evidence["UNSUB_CAMPAIGN_TITLE"], "Spring Sale 2023");
    assert_eq!(evidence["UNSUB_CAMPAIGN_ID"], "c0ffee01");
    assert_eq!(evidence["UNSUB_REASON"], "NORMAL");
    let grant = events.iter().find(|e| e.kind.as_str() == "consent.given").unwrap();
    assert_eq!(grant.evidence()["OPTIN_IP"], "198.51.100.7");
    // The source row: the file, its line and the raw row verbatim.
    let source = grant.source.as_ref().unwrap();
    assert!(source.path.ends_with("unsubscribed_members_export_intl.csv"), "{}", source.path);
    assert_eq!(source.line, Some(2));
    let raw: String =
        store.conn().query_row("SELECT raw FROM source_rows WHERE id = ?1", [source.row_id], |r| r.get(0)).unwrap();
    assert!(raw.starts_with("Olga.Kuznetsova@Example.RU,Ольга,Кузнецова,"), "{raw}");
}

#[test]
fn salesforce_and_mailchimp_facts_join_on_one_timeline_and_corroborate() {
    let (_dir, store, _report) = import_all();
    assert_eq!(
        timeline_lines(&store, "salesforce:individual:0PKintl00000001"),
        vec![
            "2021-11-20T18:00:00Z mailchimp consent.given assumed:UTC '2021-11-20 18:00:00' explicit-opt-in email-marketing email",
            "2021-11-20T18:00:00Z salesforce consent.given explicit '2021-11-20T18:00:00.000Z' - email-marketing email",
            "2021-11-20T18:05:10Z mailchimp consent.confirmed assumed:UTC '2021-11-20 18:05:10' double-opt-in email-marketing email",
            "2021-11-20T18:05:10Z salesforce consent.confirmed explicit '2021-11-20T18:05:10.000Z' - email-marketing email",
        ],
        "the Seen row (SMS) makes no event"
    );
    // The two grants are the same fact from two systems: two events that point at each other.
    let events = timeline::subject_events(store.conn(), subject(&store, "eleni.papadopoulou@example.gr")).unwrap();
    let grants: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "consent.given").collect();
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0].corroborated_by, vec![grants[1].id]);
    assert_eq!(grants[1].corroborated_by, vec![grants[0].id]);
    // The Seen row is kept as a source row even though it is no event.
    assert_eq!(count(&store, "SELECT count(*) FROM source_rows WHERE raw LIKE '%Eleni sms%'"), 1);
}

#[test]
fn salesforce_opt_out_resolves_to_withdrawal_after_a_grant_and_refusal_without_one() {
    let (_dir, store, _report) = import_all();
    assert_eq!(
        timeline_lines(&store, "ZOFIA.WOJCIK@example.pl"),
        vec![
            "2022-03-01T09:15:02Z mailchimp consent.given assumed:UTC '2022-03-01 09:15:02' explicit-opt-in email-marketing email",
            "2022-03-01T09:15:02Z salesforce consent.given explicit '2022-03-01T09:15:02.000Z' - email-marketing email",
            "2023-03-03T11:00:00Z salesforce consent.withdrawn (stated consent.negative) explicit '2023-03-03T11:00:00.000Z' - email-marketing email",
        ]
    );
    assert_eq!(
        timeline_lines(&store, "salesforce:individual:0PKintl00000003"),
        vec!["2023-05-05T10:01:00Z salesforce consent.refused (stated consent.negative) explicit '2023-05-05T10:01:00.000Z' - sms-marketing phone"]
    );
    // NotSeen: no event for the Salesforce Anna Nowak.
    assert_eq!(timeline_lines(&store, "anna.nowak@firma.pl"), Vec::<String>::new());
}

#[test]
fn the_assumed_zone_for_mailchimp_comes_from_the_import_settings() {
    let (_dir, mut store) = temp_store();
    let options = ImportOptions {
        assume_tz: [("mailchimp".to_string(), "Europe/Warsaw".to_string())].into_iter().collect(),
        ..Default::default()
    };
    let report = import_with(&mut store, &[intl().join("mailchimp")], &options);
    assert!(!report.any_failed(), "{report:#?}");
    // Warsaw is CET (UTC+1) in November.
    assert_eq!(
        timeline_lines(&store, "eleni.papadopoulou@example.gr")[0],
        "2021-11-20T17:00:00Z mailchimp consent.given assumed:Europe/Warsaw '2021-11-20 18:00:00' explicit-opt-in email-marketing email"
    );
    // Summer time: 2022-06-15 12:00 in Warsaw is 10:00 UTC.
    assert_eq!(
        timeline_lines(&store, "ivan.petrov@example.ru"),
        vec!["2022-06-15T10:00:00Z mailchimp consent.given assumed:Europe/Warsaw '2022-06-15 12:00:00' imported-list email-marketing email"]
    );
}

/// Builds `mailchimp.zip` holding the three member CSVs, as Mailchimp delivers them.
fn mailchimp_zip(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("members_export_intl.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for name in [
        "subscribed_members_export_intl.csv",
        "unsubscribed_members_export_intl.csv",
        "cleaned_members_export_intl.csv",
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(&std::fs::read(intl().join("mailchimp").join(name)).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    path
}

#[test]
fn the_mailchimp_zip_imports_like_its_csvs_and_they_are_then_already_imported() {
    let dir = tempfile::tempdir().unwrap();
    let zip = mailchimp_zip(dir.path());
    let (_d1, mut from_zip) = temp_store();
    let report = import(&mut from_zip, std::slice::from_ref(&zip));
    let mut files: Vec<(String, String, u64, u64)> =
        report.files.iter().map(|f| (f.path.clone(), f.status.clone(), f.rows_imported, f.rows_rejected)).collect();
    files.sort();
    let shown = |name: &str| format!("{}!/{name}", zip.display());
    assert_eq!(
        files,
        vec![
            (shown("cleaned_members_export_intl.csv"), "imported".into(), 1, 0),
            (shown("subscribed_members_export_intl.csv"), "imported".into(), 6, 3),
            (shown("unsubscribed_members_export_intl.csv"), "imported".into(), 2, 0),
        ]
    );
    let (_d2, mut from_csvs) = temp_store();
    import(&mut from_csvs, &[intl().join("mailchimp")]);
    let strip_paths = |s: &Store| {
        let mut snap = db_snapshot::logical(s);
        snap.remove("sources");
        snap
    };
    let (a, b) = (strip_paths(&from_zip), strip_paths(&from_csvs));
    assert!(a == b, "ZIP and CSV imports differ:\n{}", db_snapshot::diff(&a, &b));
    // The same content arriving as plain CSVs afterwards is recognised by its hash.
    let again = import(&mut from_zip, &[intl().join("mailchimp")]);
    assert_eq!(again.files.len(), 3);
    assert!(again.files.iter().all(|f| f.status == "already-imported"), "{again:#?}");
}
