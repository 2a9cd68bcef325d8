//! Property tests (proptest, 16 cases each so they stay fast): the findings — compared without
//! database ids (rule, subject key, purpose, recipient, severity, at, occurrences) — do not
//! depend on the order files are imported (each file in its own import call, Salesforce consents
//! before their DataUsePurpose lookup included), nor on splitting a canonical file in two at a
//! random row (the halves imported in either order). SPEC §4: "Findings are recomputed
//! deterministically from the events and the profile".

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;

use consenttrail_engine::rules::audit;
use consenttrail_engine::store;

use crate::rules::{
    assert_clean, canonical_csv, disclosed, given, load_profile, negative, refused, row, used, withdrawn, Row, F,
};
use crate::support::*;

/// A canonical scenario touching every rule under the golden profile, with cross-system ties,
/// undirected negative signals, corroborating copies, an undated grant and flag, and rows about
/// a subject of the export set (Anna) so that identities join across files.
fn canonical_rows() -> Vec<Row> {
    let anna = "anna.kowalska@example.pl";
    vec![
        // R7 high + R3 + R9 (mailchimp grant never confirmed)
        given("p1@example.com", "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        given("p1@example.com", "2022-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
        withdrawn("p1@example.com", "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
        used("p1@example.com", "2023-02-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        // a tie: grant and undirected negative at the same instant in two systems
        given("p2@example.com", "2023-01-01T00:00:00Z", "personalised-ads").sys("onetrust"),
        negative("p2@example.com", "2023-01-01T00:00:00Z", "personalised-ads").sys("segment"),
        disclosed("p2@example.com", "2023-01-10T00:00:00Z", "personalised-ads", "Facebook Custom Audiences"),
        // an undated opt-out flag and a dated grant
        negative("p3@example.com", "", "email-marketing").sys("hubspot"),
        given("p3@example.com", "2022-05-01T00:00:00Z", "email-marketing").sys("webform"),
        row("consent.confirmed", "p3@example.com", "2022-05-01T00:03:00Z")
            .p("email-marketing")
            .m("double-opt-in")
            .sys("webform"),
        // R5 then cured, R4
        given("p4@example.com", "2022-01-01T00:00:00Z", "loyalty-partners")
            .m("imported-list")
            .by("DataCo List Services Ltd"),
        used("p4@example.com", "2022-02-01T00:00:00Z", "loyalty-partners"),
        given("p4@example.com", "2022-03-01T00:00:00Z", "loyalty-partners").m("double-opt-in"),
        disclosed("p4@example.com", "2022-04-01T00:00:00Z", "loyalty-partners", "Acme Travel"),
        disclosed("p4@example.com", "2022-04-02T00:00:00Z", "loyalty-partners", "Globex Corp"),
        // R6 + R2
        given("p5@example.com", "2022-01-01T00:00:00Z", "sms-marketing").m("pre-ticked"),
        used("p5@example.com", "2022-02-01T00:00:00Z", "sms-marketing"),
        refused("p5@example.com", "2022-03-01T00:00:00Z", "sms-marketing").sys("salesforce"),
        used("p5@example.com", "2022-03-02T00:00:00Z", "sms-marketing"),
        // R10 (date of birth from another system) and R8
        used("p6@example.com", "2020-01-01T00:00:00Z", "sms-marketing").sys("crm").dob("2010-06-30"),
        given("p6@example.com", "2021-08-01T00:00:00Z", "personalised-ads").to("Meta"),
        used("p6@example.com", "2023-08-02T00:00:00Z", "personalised-ads"),
        // R11
        given("p7@example.com", "2023-05-01T10:00:00Z", "personalised-ads")
            .sys("tcf")
            .ev(r#"{"tc_string": "CPprop", "tcf_policy_version": 4, "invalid_li_purposes": [3]}"#),
        // R1 clause 1 and 2, corroborating copies of the grant
        given("p8@example.com", "2021-08-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        given("p8@example.com", "2021-08-01T00:00:00Z", "email-marketing").sys("salesforce"),
        row("consent.confirmed", "p8@example.com", "2021-08-01T00:05:00Z")
            .p("email-marketing")
            .m("double-opt-in")
            .sys("mailchimp"),
        disclosed("p8@example.com", "2021-09-01T00:00:00Z", "email-marketing", "Meta|Globex Corp"),
        used("p8@example.com", "2021-09-02T00:00:00Z", "email-marketing").sys("esp"),
        used("p8@example.com", "2021-09-02T00:00:00Z", "email-marketing").sys("cdp"),
        // an undated grant (R4 without an instant)
        row("consent.given", "p9@example.com", "").p("email-marketing"),
        // Anna, joined with the export set: a loyalty withdrawal and uses around it
        withdrawn(anna, "2023-01-01T00:00:00Z", "loyalty-partners").sys("webform"),
        disclosed(anna, "2023-01-02T00:00:00Z", "loyalty-partners", "Acme Travel Ltd"),
        disclosed(anna, "2023-01-05T00:00:00Z", "loyalty-partners", "Acme Travel Ltd"),
        used(anna, "2023-07-01T00:00:00Z", "email-marketing"),
    ]
}

fn golden_profile() -> consenttrail_engine::profile::Profile {
    load_profile("golden-profile.json")
}

/// Imports each file in its own call, in the order given, and returns the findings.
fn findings_of(files: &[PathBuf]) -> Vec<F> {
    let (_dir, mut store) = temp_store();
    store::profile_doc::save(store.conn(), &golden_profile()).unwrap();
    for file in files {
        let report = import(&mut store, std::slice::from_ref(file));
        assert!(!report.any_failed(), "{report:#?}");
    }
    let mut v: Vec<F> = audit::run(&mut store).unwrap().findings.iter().map(F::from).collect();
    v.sort();
    v
}

/// The export files (mailchimp, salesforce, logs) and the canonical scenario, one path each.
fn order_files() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static FILES: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let canonical = dir.path().join("scenario.csv");
        std::fs::write(&canonical, canonical_csv(&canonical_rows())).unwrap();
        let mut files = vec![canonical];
        for system in ["mailchimp", "salesforce", "logs"] {
            let mut in_folder: Vec<PathBuf> = std::fs::read_dir(fixtures().join("exports").join(system))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            in_folder.sort();
            files.extend(in_folder);
        }
        assert_eq!(files.len(), 10);
        (dir, files)
    })
}

/// Findings with everything imported in one call (the engine orders lookups first).
fn order_baseline() -> &'static Vec<F> {
    static BASE: OnceLock<Vec<F>> = OnceLock::new();
    BASE.get_or_init(|| {
        let (_dir, mut store) = temp_store();
        store::profile_doc::save(store.conn(), &golden_profile()).unwrap();
        let report = import(&mut store, &order_files().1);
        assert!(!report.any_failed(), "{report:#?}");
        let mut v: Vec<F> = audit::run(&mut store).unwrap().findings.iter().map(F::from).collect();
        v.sort();
        v
    })
}

/// Findings of the canonical scenario imported as one file.
fn split_baseline() -> &'static Vec<F> {
    static BASE: OnceLock<Vec<F>> = OnceLock::new();
    BASE.get_or_init(|| {
        let (dir, mut store) = temp_store();
        store::profile_doc::save(store.conn(), &golden_profile()).unwrap();
        let path = dir.path().join("whole.csv");
        std::fs::write(&path, canonical_csv(&canonical_rows())).unwrap();
        assert_clean(&import(&mut store, &[path]));
        let mut v: Vec<F> = audit::run(&mut store).unwrap().findings.iter().map(F::from).collect();
        v.sort();
        v
    })
}

/// The baselines themselves must be meaningful: many rules fire.
#[test]
fn property_baselines_cover_many_rules() {
    let rules: std::collections::BTreeSet<&str> = order_baseline().iter().map(|x| x.rule.as_str()).collect();
    for r in ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11"] {
        assert!(rules.contains(r), "{r} missing from the property scenario: {:#?}", order_baseline());
    }
    let split_rules: std::collections::BTreeSet<&str> = split_baseline().iter().map(|x| x.rule.as_str()).collect();
    assert!(split_rules.len() >= 9, "{split_rules:?}");
    // Undated R4 (no `at`) is in the scenario.
    assert!(split_baseline().iter().any(|x| x.rule == "R4" && x.at.is_none()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn findings_do_not_depend_on_the_order_files_are_imported(
        order in Just((0..10usize).collect::<Vec<_>>()).prop_shuffle()
    ) {
        let files: Vec<PathBuf> = order.iter().map(|i| order_files().1[*i].clone()).collect();
        let found = findings_of(&files);
        prop_assert_eq!(&found, order_baseline(), "order: {:?}", files);
    }

    #[test]
    fn findings_do_not_depend_on_splitting_a_canonical_file(
        at in 1usize..canonical_rows().len(),
        second_first in any::<bool>()
    ) {
        let rows = canonical_rows();
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("part-a.csv");
        let b = dir.path().join("part-b.csv");
        std::fs::write(&a, canonical_csv(&rows[..at])).unwrap();
        std::fs::write(&b, canonical_csv(&rows[at..])).unwrap();
        let files = if second_first { vec![b, a] } else { vec![a, b] };
        let found = findings_of(&files);
        prop_assert_eq!(&found, split_baseline(), "split at row {} (second half first: {})", at, second_first);
    }
}
