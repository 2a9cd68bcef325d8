//! The queries behind the desktop app's screens: the paged and sorted subject list, state bars,
//! an event's raw source row, findings pages and dashboard counts with filters, and the import
//! preview — on real SQLite files with canonical scenarios and the multi-system export set.

use consenttrail_engine::import::preview::preview_paths;
use consenttrail_engine::reconcile::state::{state_bars, ConsentState};
use consenttrail_engine::reconcile::subjects::{self, page, SubjectQuery, SubjectSort};
use consenttrail_engine::reconcile::timeline;
use consenttrail_engine::rules::browse::{self, Count, FindingFilter};
use consenttrail_engine::rules::decisions;
use consenttrail_engine::store::{sources, Store};

use crate::rules::{disclosed, given, profile, scenario, used, withdrawn, Scenario};
use crate::support::*;

const A: &str = "anna@example.com";
const B: &str = "bo@example.com";
const C: &str = "cai@example.com";

/// A: one R1 (disclosure to an unnamed party) and one R3 (processing after withdrawal);
/// B: clean; C: one R1 in another month.
fn three_subjects() -> Scenario {
    let p = profile();
    let mut s = scenario(
        &p,
        &[
            given(A, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(A, "2021-04-02T10:00:00Z", "partner-sharing", "Globex Corp"),
            given(A, "2021-03-01T10:00:00Z", "email-marketing").m("double-opt-in"),
            withdrawn(A, "2021-05-01T10:00:00Z", "email-marketing"),
            used(A, "2021-06-01T10:00:00Z", "email-marketing"),
            given(B, "2021-03-01T10:00:00Z", "email-marketing").m("double-opt-in"),
            used(B, "2021-03-05T10:00:00Z", "email-marketing"),
            given(C, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(C, "2021-07-02T10:00:00Z", "partner-sharing", "Globex Corp"),
        ],
    );
    s.audit();
    s
}

fn query(search: &str, sort: SubjectSort, descending: bool) -> SubjectQuery {
    SubjectQuery { search: search.into(), sort, descending, limit: 10, offset: 0 }
}

fn first_identifiers(p: &consenttrail_engine::reconcile::subjects::SubjectPage) -> Vec<String> {
    p.rows.iter().map(|r| r.identifiers[0].value.clone()).collect()
}

#[test]
fn subjects_are_searched_sorted_and_paged_in_sqlite() {
    let s = three_subjects();
    let conn = s.store.conn();

    let all = page(conn, &query("", SubjectSort::Id, false)).unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(first_identifiers(&all), [A, B, C]);

    let by_findings = page(conn, &query("", SubjectSort::Findings, true)).unwrap();
    assert_eq!(first_identifiers(&by_findings), [A, C, B], "most findings first");
    assert_eq!(by_findings.rows[0].findings, 2);
    assert_eq!(by_findings.rows[0].findings_high, 2, "R1 and R3 are high");
    assert_eq!(by_findings.rows[2].findings, 0);

    let by_events = page(conn, &query("", SubjectSort::Events, false)).unwrap();
    assert_eq!(first_identifiers(&by_events), [B, C, A], "fewest events first");
    assert_eq!(by_events.rows.iter().map(|r| r.events).collect::<Vec<_>>(), [2, 2, 5]);

    let searched = page(conn, &query("BO@", SubjectSort::Id, false)).unwrap();
    assert_eq!((searched.total, first_identifiers(&searched)), (1, vec![B.to_string()]), "case-insensitive");
    let by_kind = page(conn, &query("email:cai", SubjectSort::Id, false)).unwrap();
    assert_eq!(by_kind.total, 1, "kind:value matches");
    let wildcard = page(conn, &query("%", SubjectSort::Id, false)).unwrap();
    assert_eq!(wildcard.total, 0, "SQL wildcards in the search are literal");

    let second = page(conn, &SubjectQuery { limit: 2, offset: 2, ..query("", SubjectSort::Id, false) }).unwrap();
    assert_eq!((second.total, first_identifiers(&second)), (3, vec![C.to_string()]));
}

#[test]
fn the_store_pages_a_kept_order_and_sorts_again_once_the_data_changed() {
    let mut s = three_subjects();
    for sort in [SubjectSort::Findings, SubjectSort::Events] {
        for descending in [true, false] {
            let whole = first_identifiers(&page(s.store.conn(), &query("", sort, descending)).unwrap());
            let mut paged = Vec::new();
            for offset in 0..3 {
                let one =
                    s.store.subject_page(&SubjectQuery { limit: 1, offset, ..query("", sort, descending) }).unwrap();
                assert_eq!(one.total, 3);
                paged.extend(first_identifiers(&one));
            }
            assert_eq!(paged, whole, "{sort:?} descending={descending}: pages of the kept order");
        }
    }
    let searched = s.store.subject_page(&query("cai", SubjectSort::Events, false)).unwrap();
    assert_eq!(
        (searched.total, first_identifiers(&searched)),
        (1, vec![C.to_string()]),
        "the search is part of the key"
    );

    let fewest_events = query("", SubjectSort::Events, false);
    assert_eq!(first_identifiers(&s.store.subject_page(&fewest_events).unwrap()), [B, C, A]);
    let more_for_b: Vec<_> =
        (1..=4).map(|day| used(B, &format!("2021-04-0{day}T10:00:00Z"), "email-marketing")).collect();
    s.import_rows("later.csv", &more_for_b);
    let after_import = s.store.subject_page(&fewest_events).unwrap();
    assert_eq!(first_identifiers(&after_import), [C, A, B], "an import changes the order");
    assert_eq!(after_import.rows[2].events, 6);

    let most_findings = query("", SubjectSort::Findings, true);
    assert_eq!(first_identifiers(&s.store.subject_page(&most_findings).unwrap()), [A, C, B]);
    s.import_rows(
        "shared.csv",
        &[
            disclosed(B, "2021-04-05T10:00:00Z", "email-marketing", "Initech"),
            disclosed(B, "2021-04-06T10:00:00Z", "email-marketing", "Umbrella"),
            disclosed(B, "2021-04-07T10:00:00Z", "email-marketing", "Hooli"),
        ],
    );
    s.audit();
    let after_audit = s.store.subject_page(&most_findings).unwrap();
    assert_eq!(after_audit.rows[0].identifiers[0].value, B, "the new audit's findings reorder the list");
    assert!(after_audit.rows[0].findings_high > 2);

    // Another connection's commit (the CLI importing while the app is open) counts too.
    assert_eq!(first_identifiers(&s.store.subject_page(&fewest_events).unwrap()), [C, A, B]);
    let cli = Store::open(s.store.path()).unwrap();
    let mut app = std::mem::replace(&mut s.store, cli);
    let more_for_c: Vec<_> =
        (1..=5).map(|day| used(C, &format!("2021-08-0{day}T10:00:00Z"), "partner-sharing")).collect();
    s.import_rows("cli.csv", &more_for_c);
    let after_cli = app.subject_page(&fewest_events).unwrap();
    let counts: Vec<_> = after_cli.rows.iter().map(|r| (r.identifiers[0].value.as_str(), r.events)).collect();
    assert_eq!(counts, [(A, 5), (C, 7), (B, 9)], "C's five new events move it past A");
}

#[test]
fn state_bars_follow_the_consent_state_over_time() {
    let s = three_subjects();
    let events = timeline::subject_events(s.store.conn(), s.subject(A)).unwrap();
    let bars = state_bars(&events);
    let email = bars.iter().find(|b| b.purpose == "email-marketing").expect("email bar");
    let t = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis();
    assert_eq!(email.segments.len(), 2, "{email:?}");
    assert_eq!(email.segments[0].state, ConsentState::Given);
    assert_eq!(
        (email.segments[0].from_ms, email.segments[0].to_ms),
        (t("2021-03-01T10:00:00Z"), Some(t("2021-05-01T10:00:00Z")))
    );
    assert_eq!(email.segments[1].state, ConsentState::Withdrawn);
    assert_eq!(email.segments[1].to_ms, None, "the withdrawal still holds");
    let started_by = events.iter().find(|e| e.id == email.segments[1].event_id).unwrap();
    assert_eq!(started_by.kind.as_str(), "consent.withdrawn");
}

#[test]
fn an_event_shows_its_raw_source_row() {
    let s = three_subjects();
    let conn = s.store.conn();
    let events = timeline::subject_events(conn, s.subject(B)).unwrap();
    let used = events.iter().find(|e| e.kind.as_str() == "processing").unwrap();

    let source = sources::event_source(conn, used.id).unwrap().expect("source row");
    assert!(source.path.ends_with("events.csv"), "{}", source.path);
    assert_eq!(source.locator, "line 8", "header, five rows of A, then B's grant and use");
    assert_eq!(source.line, Some(8));
    assert!(source.raw.starts_with("bo@example.com,processing,2021-03-05T10:00:00Z"), "{}", source.raw);
    let header = source.header.expect("CSV header");
    assert_eq!(&header[..3], ["subject", "kind", "occurred_at"]);
    assert!(source.also_in.is_empty());

    assert!(sources::event_source(conn, 999_999).unwrap().is_none());
}

fn keys(counts: &[Count]) -> Vec<(String, i64)> {
    counts.iter().map(|c| (c.key.clone(), c.count)).collect()
}

fn owned(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn findings_are_filtered_counted_and_paged() {
    let s = three_subjects();
    let conn = s.store.conn();
    let any = FindingFilter::default();

    let all = browse::breakdown(conn, &any).unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(keys(&all.by_rule), owned(&[("R1", 2), ("R3", 1)]));
    assert_eq!(keys(&all.by_severity), owned(&[("high", 3)]));
    assert_eq!(keys(&all.by_month), owned(&[("2021-04", 1), ("2021-06", 1), ("2021-07", 1)]));
    assert_eq!(keys(&all.by_status), owned(&[("open", 3)]));
    assert_eq!(keys(&all.by_purpose), owned(&[("partner-sharing", 2), ("email-marketing", 1)]));
    assert_eq!(keys(&all.by_system), owned(&[("consenttrail", 3)]));
    assert!(all.audited_at.is_some());

    let r1 = FindingFilter { rule: Some("R1".into()), ..Default::default() };
    let page = browse::page(conn, &r1, 1, 0).unwrap();
    assert_eq!((page.total, page.rows.len()), (2, 1), "total counts every match; the page holds `limit`");
    assert_eq!(page.rows[0].rule, "R1");
    assert_eq!(page.rows[0].recipient.as_deref(), Some("Globex Corp"));
    assert_eq!(page.rows[0].subject.identifiers[0].value, A, "ordered by subject within a severity");
    let next = browse::page(conn, &r1, 1, 1).unwrap();
    assert_eq!(next.rows[0].subject.identifiers[0].value, C);

    let july = FindingFilter { month: Some("2021-07".into()), ..Default::default() };
    assert_eq!(browse::breakdown(conn, &july).unwrap().total, 1);
    let other_system = FindingFilter { system: Some("mailchimp".into()), ..Default::default() };
    assert_eq!(browse::page(conn, &other_system, 10, 0).unwrap().total, 0);

    // A decision moves a finding from open to its status, in counts and filters.
    decisions::decide(conn, &page.rows[0].id, "remediated", "partner contract amended", Some("DPO")).unwrap();
    let decided = browse::breakdown(conn, &any).unwrap();
    assert_eq!(keys(&decided.by_status), owned(&[("open", 2), ("remediated", 1)]));
    let open = FindingFilter { status: Some("open".into()), ..Default::default() };
    assert_eq!(browse::page(conn, &open, 10, 0).unwrap().total, 2);
    let remediated =
        browse::page(conn, &FindingFilter { status: Some("remediated".into()), ..Default::default() }, 10, 0).unwrap();
    assert_eq!(remediated.rows[0].decision.as_ref().map(|d| d.note.as_str()), Some("partner contract amended"));

    let bad = FindingFilter { rule: Some("R99".into()), ..Default::default() };
    assert!(browse::page(conn, &bad, 10, 0).unwrap_err().to_string().contains("R99"));
}

#[test]
fn the_import_preview_detects_each_system_and_writes_nothing() {
    let (_dir, mut store) = temp_store();
    let exports = fixtures().join("exports");
    let previews = preview_paths(&store, std::slice::from_ref(&exports)).unwrap();
    assert!(previews.len() >= 10, "{}", previews.len());
    for p in &previews {
        assert_eq!(p.status, "ready", "{}: {:?}", p.path, p.message);
        assert_eq!(p.dropped_path, exports.display().to_string());
        assert!(p.sha256.as_ref().is_some_and(|h| h.len() == 64));
        assert!(!p.rows.is_empty(), "{}: the first records are shown", p.path);
    }
    let mailchimp = previews.iter().find(|p| p.system.as_deref() == Some("mailchimp")).expect("mailchimp");
    let header = mailchimp.header.as_ref().expect("CSV header");
    assert!(header.iter().any(|h| h == "Email Address"), "{header:?}");
    assert_eq!(mailchimp.rows[0].len(), header.len());
    assert_eq!(count(&store, "SELECT count(*) FROM sources"), 0, "a preview writes nothing");

    // Once imported, the same files preview as already imported.
    import(&mut store, std::slice::from_ref(&exports));
    let again = preview_paths(&store, &[exports]).unwrap();
    assert!(
        again.iter().all(|p| p.status == "already-imported"),
        "{:?}",
        again.iter().map(|p| p.status).collect::<Vec<_>>()
    );
}

#[test]
fn an_unknown_layout_needs_a_mapping_and_a_saved_one_makes_it_ready() {
    let (dir, store) = temp_store();
    let file = dir.path().join("call-centre.csv");
    std::fs::write(&file, "Caller e-mail,Call time,Outcome\nx@example.com,2024-01-02T10:00:00Z,Agreed\n").unwrap();
    let before = preview_paths(&store, std::slice::from_ref(&file)).unwrap();
    assert_eq!(before[0].status, "needs-mapping", "{:?}", before[0].message);
    assert_eq!(before[0].rows, vec![vec!["x@example.com", "2024-01-02T10:00:00Z", "Agreed"]]);

    let mapping = consenttrail_engine::import::mapping::ColumnMapping::from_json(
        r#"{"format": "consenttrail-mapping/1", "name": "Call centre", "system": "callcentre",
            "columns": {"subject": "Caller e-mail", "occurred_at": "Call time", "kind": "Outcome"},
            "values": {"kind": {"Agreed": "consent.given"}}}"#,
    )
    .unwrap();
    let header = consenttrail_engine::import::csv_table::Header::new(before[0].header.clone().unwrap());
    consenttrail_engine::import::mapping::save(store.conn(), &header, &mapping).unwrap();
    let after = preview_paths(&store, &[file]).unwrap();
    assert_eq!(after[0].status, "ready");
    assert_eq!(after[0].mapping_name.as_deref(), Some("Call centre"));
    assert_eq!(after[0].system.as_deref(), Some("callcentre"));

    let missing = preview_paths(&store, &[dir.path().join("nope.csv")]).unwrap();
    assert_eq!(missing[0].status, "unreadable");
    assert!(missing[0].message.as_deref().is_some_and(|m| m.contains("nope.csv")), "{:?}", missing[0].message);
}

/// The multi-system export set with a fourth system recording Anna under another name.
fn named_subjects() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    import(&mut store, &[repo().join("tests/fixtures/exports")]);
    let other = dir.path().join("events.csv");
    std::fs::write(
        &other,
        format!(
            "{}\nanna.kowalska@example.pl,consent.given,2023-01-01T00:00:00Z,email-marketing,,,explicit-opt-in,,,,,,Anna,Nowak,\n",
            crate::rules::CANONICAL_HEADER
        ),
    )
    .unwrap();
    import(&mut store, &[other]);
    (dir, store)
}

#[test]
fn a_subjects_names_are_shown_with_the_systems_that_agree_and_conflicts_flagged() {
    let (_dir, store) = named_subjects();
    let conn = store.conn();
    let anna = page(conn, &query("anna.kowalska@", SubjectSort::Id, false)).unwrap();
    assert_eq!(anna.total, 1);
    let names = &anna.rows[0].names;
    let shown: Vec<(&str, Vec<&str>)> =
        names.iter().map(|n| (n.name.as_str(), n.systems.iter().map(String::as_str).collect())).collect();
    assert_eq!(names.len(), 2, "{shown:?}");
    assert_eq!(names[0].name, "Anna Kowalska-Żółć", "{shown:?}");
    assert!(names[0].systems.len() >= 3, "several systems agree: {shown:?}");
    for system in ["hubspot", "mailchimp", "salesforce"] {
        assert!(names[0].systems.iter().any(|s| s == system), "{system} missing: {shown:?}");
    }
    assert_eq!(names[1].name, "Anna Nowak", "the conflicting name: {shown:?}");
    assert_eq!(names[1].systems.len(), 1, "{shown:?}");
    assert_eq!(subjects::names_of(conn, anna.rows[0].id).unwrap(), *names, "the timeline's names are the list's");
}

#[test]
fn a_search_ignores_case_in_every_script_not_only_ascii() {
    let (_dir, store) = named_subjects();
    let conn = store.conn();
    let anna = page(conn, &query("anna.kowalska@", SubjectSort::Id, false)).unwrap().rows[0].id;
    // Recorded as "Anna Kowalska-Żółć". SQLite's lower() folds ASCII only: "żółć" did not find it.
    // The last form is NFD (z + combining dot above, o + combining acute, c + combining acute).
    for search in ["żółć", "ŻÓŁĆ", "KOWALSKA-ŻÓŁĆ", "anna kowalska-żółć", "z\u{307}o\u{301}łc\u{301}"]
    {
        let ids: Vec<i64> =
            page(conn, &query(search, SubjectSort::Id, false)).unwrap().rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, [anna], "{search}");
    }
    assert_eq!(page(conn, &query("żółw", SubjectSort::Id, false)).unwrap().total, 0, "a different word finds nobody");
}

#[test]
fn subjects_are_found_by_a_recorded_name_which_never_joins_them() {
    let (_dir, store) = named_subjects();
    let conn = store.conn();
    let anna = page(conn, &query("anna.kowalska@", SubjectSort::Id, false)).unwrap().rows[0].id;
    for search in ["nowak", "KOWALSKA-", "anna kowalska", "Anna  Nowak"] {
        let found = page(conn, &query(search, SubjectSort::Id, false)).unwrap();
        let ids: Vec<i64> = found.rows.iter().map(|r| r.id).collect();
        if search == "Anna  Nowak" {
            assert!(ids.is_empty(), "two spaces are not the recorded name: {ids:?}");
        } else {
            assert_eq!(ids, [anna], "{search}");
        }
    }
    assert_eq!(page(conn, &query("nowak%", SubjectSort::Id, false)).unwrap().total, 0, "wildcards stay literal");
    // A name shared by two people finds both and joins neither.
    let before = count(&store, "SELECT count(DISTINCT subject_id) FROM identifiers");
    let anns = page(conn, &query("anna", SubjectSort::Id, false)).unwrap();
    assert!(anns.total >= 1);
    assert_eq!(count(&store, "SELECT count(DISTINCT subject_id) FROM identifiers"), before);
}
