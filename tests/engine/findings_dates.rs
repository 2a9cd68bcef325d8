//! The Findings date range (rules/browse.rs `FindingFilter::from`/`to`): a finding is in the
//! range when one of its occurrences falls on a day from `from` to `to`, both inclusive, in UTC;
//! undated findings ("as of the export") stay unless explicitly left out; the list, the
//! breakdown and the export honour the same filter.

use consenttrail_engine::rules::browse::{self, FindingFilter};
use consenttrail_engine::rules::export::export_findings;

use crate::rules::{disclosed, given, profile, row, scenario, Scenario};

const EARLY: &str = "early@example.com";
const LATE: &str = "late@example.com";
const UNDATED: &str = "undated@example.com";

/// Three findings: R1 for EARLY at the last instant of 2021-04-02, R1 for LATE at the first
/// instant of 2021-04-03, and an undated R4 for UNDATED (a grant recorded without a time).
fn dated_findings() -> Scenario {
    let p = profile();
    let mut s = scenario(
        &p,
        &[
            given(EARLY, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(EARLY, "2021-04-02T23:59:59.999Z", "partner-sharing", "Globex Corp"),
            given(LATE, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(LATE, "2021-04-03T00:00:00Z", "partner-sharing", "Globex Corp"),
            row("consent.given", UNDATED, "").p("email-marketing").m("paper").notice("PN-1"),
        ],
    );
    s.audit();
    s
}

fn range(from: Option<&str>, to: Option<&str>) -> FindingFilter {
    FindingFilter { from: from.map(Into::into), to: to.map(Into::into), ..Default::default() }
}

/// The subjects of the findings `filter` lists, sorted.
fn subjects(s: &Scenario, filter: &FindingFilter) -> Vec<String> {
    let page = browse::page(s.store.conn(), filter, 100, 0).unwrap();
    let mut out: Vec<String> = page.rows.iter().map(|r| r.subject.identifiers[0].value.clone()).collect();
    out.sort();
    out
}

#[test]
fn both_bounds_are_inclusive_whole_utc_days() {
    let s = dated_findings();
    let dated_only =
        |f: Option<&str>, t: Option<&str>| subjects(&s, &FindingFilter { exclude_undated: true, ..range(f, t) });
    assert_eq!(dated_only(Some("2021-04-02"), Some("2021-04-02")), [EARLY], "23:59:59.999 is still that day");
    assert_eq!(dated_only(Some("2021-04-03"), Some("2021-04-03")), [LATE], "00:00 starts the day");
    assert_eq!(dated_only(Some("2021-04-02"), Some("2021-04-03")), [EARLY, LATE]);
    assert_eq!(dated_only(Some("2021-04-03"), None), [LATE], "open-ended to the future");
    assert_eq!(dated_only(None, Some("2021-04-02")), [EARLY], "open-ended to the past");
    assert!(dated_only(Some("2021-04-04"), None).is_empty());
}

#[test]
fn undated_findings_stay_in_a_range_unless_left_out() {
    let s = dated_findings();
    assert_eq!(subjects(&s, &FindingFilter::default()), [EARLY, LATE, UNDATED]);
    assert_eq!(subjects(&s, &range(Some("2021-04-03"), Some("2021-04-03"))), [LATE, UNDATED]);
    let without = FindingFilter { exclude_undated: true, ..range(Some("2030-01-01"), None) };
    assert!(subjects(&s, &without).is_empty());
    // Without a range there is nothing to leave undated findings out of.
    assert_eq!(subjects(&s, &FindingFilter { exclude_undated: true, ..Default::default() }).len(), 3);
}

#[test]
fn the_breakdown_and_the_export_honour_the_same_range() {
    let s = dated_findings();
    let filter = FindingFilter { exclude_undated: true, ..range(Some("2021-04-03"), Some("2021-12-31")) };
    let counts = browse::breakdown(s.store.conn(), &filter).unwrap();
    assert_eq!(counts.total, 1);
    assert_eq!(counts.by_rule.iter().map(|c| (c.key.as_str(), c.count)).collect::<Vec<_>>(), [("R1", 1)]);

    let path = s.dir.path().join("range.csv");
    assert_eq!(export_findings(s.store.conn(), &filter, &path).unwrap(), 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(LATE) && !text.contains(EARLY) && !text.contains(UNDATED), "{text}");
}

#[test]
fn a_range_that_ends_before_it_starts_or_is_not_a_date_is_refused() {
    let s = dated_findings();
    let conn = s.store.conn();
    let backwards = browse::page(conn, &range(Some("2021-05-01"), Some("2021-04-30")), 10, 0).unwrap_err();
    assert!(backwards.to_string().contains("starts after it ends"), "{backwards}");
    let not_a_date = browse::breakdown(conn, &range(Some("2021-02-30"), None)).unwrap_err();
    assert!(not_a_date.to_string().contains("2021-02-30"), "{not_a_date}");
}

/// Under a date range the "by month" chart and its month filter place a finding at its first
/// occurrence inside the range, not at its first instant overall (which may lie before the
/// range: a bar outside the period the user chose, and a click on the in-range bar that found
/// nothing).
#[test]
fn under_a_range_a_finding_counts_in_the_month_of_its_first_occurrence_in_the_range() {
    let p = profile();
    let mut s = scenario(
        &p,
        &[
            given(EARLY, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme"),
            disclosed(EARLY, "2021-04-02T10:00:00Z", "partner-sharing", "Globex Corp"),
            disclosed(EARLY, "2021-06-15T10:00:00Z", "partner-sharing", "Globex Corp"),
        ],
    );
    s.audit();
    let conn = s.store.conn();
    let months = |filter: &FindingFilter| {
        let counts = browse::breakdown(conn, filter).unwrap();
        counts.by_month.iter().map(|c| (c.key.clone(), c.count)).collect::<Vec<_>>()
    };
    assert_eq!(months(&FindingFilter::default()), [("2021-04".to_string(), 1)], "no range: the first instant");
    let june = range(Some("2021-06-01"), Some("2021-06-30"));
    assert_eq!(months(&june), [("2021-06".to_string(), 1)], "in June the finding is June's");
    let june_bar = FindingFilter { month: Some("2021-06".into()), ..june.clone() };
    assert_eq!(browse::page(conn, &june_bar, 10, 0).unwrap().total, 1, "the June bar's filter finds it");
    let april_bar = FindingFilter { month: Some("2021-04".into()), ..june };
    assert_eq!(browse::page(conn, &april_bar, 10, 0).unwrap().total, 0, "April is outside the range");
}
