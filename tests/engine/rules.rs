//! Rules R1–R11 against SPEC §2 (consent state), §4 and §4.1 ("implement exactly these"), one
//! scenario at a time: for each rule the cases that must be flagged and the near-misses that must
//! not, asserting the exact rule, severity, subject, purpose, recipient, `at` and `occurrences` of
//! every finding of the scenario (a scenario's whole finding set is compared, so a finding of the
//! wrong kind fails the test as surely as a missing one).
//!
//! Scenarios are written in the canonical CSV format (the `system` column names the recording
//! system) and imported with the test profile `tests/fixtures/rules/profile.json`, stored before
//! the import so that purposes and recipients resolve.

use std::path::PathBuf;

use consenttrail_engine::import::ImportReport;
use consenttrail_engine::model::timestamp::format_millis;
use consenttrail_engine::profile::Profile;
use consenttrail_engine::reconcile::{state, timeline};
use consenttrail_engine::rules::{audit, decisions, Finding, RuleId};
use consenttrail_engine::store::{self, identity, Store};

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Helpers (shared with rules_golden.rs and rules_properties.rs)
// ---------------------------------------------------------------------------------------------

/// `tests/fixtures/rules`.
pub(crate) fn rules_fixtures() -> PathBuf {
    fixtures().join("rules")
}

/// A profile document from `tests/fixtures/rules`.
pub(crate) fn load_profile(name: &str) -> Profile {
    let text = std::fs::read_to_string(rules_fixtures().join(name)).unwrap();
    Profile::from_json(&text).unwrap()
}

/// The rules test profile (grace 48 h, refresh 24 months, no double opt-in channel, age 16, UTC).
pub(crate) fn profile() -> Profile {
    load_profile("profile.json")
}

/// One canonical event row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub subject: String,
    pub kind: String,
    pub at: String,
    pub purpose: String,
    pub recipients: String,
    pub channel: String,
    pub method: String,
    pub capture: String,
    pub by: String,
    pub notice: String,
    pub evidence: String,
    pub system: String,
    pub dob: String,
}

pub(crate) fn row(kind: &str, subject: &str, at: &str) -> Row {
    Row { subject: subject.into(), kind: kind.into(), at: at.into(), ..Default::default() }
}

#[allow(dead_code)]
impl Row {
    pub fn p(mut self, purpose: &str) -> Row {
        self.purpose = purpose.into();
        self
    }
    pub fn to(mut self, recipients: &str) -> Row {
        self.recipients = recipients.into();
        self
    }
    pub fn m(mut self, method: &str) -> Row {
        self.method = method.into();
        self
    }
    pub fn notice(mut self, version: &str) -> Row {
        self.notice = version.into();
        self
    }
    pub fn sys(mut self, system: &str) -> Row {
        self.system = system.into();
        self
    }
    pub fn ev(mut self, evidence: &str) -> Row {
        self.evidence = evidence.into();
        self
    }
    pub fn dob(mut self, date: &str) -> Row {
        self.dob = date.into();
        self
    }
    pub fn by(mut self, collector: &str) -> Row {
        self.by = collector.into();
        self
    }
    pub fn cap(mut self, capture_source: &str) -> Row {
        self.capture = capture_source.into();
        self
    }
    pub fn ch(mut self, channel: &str) -> Row {
        self.channel = channel.into();
        self
    }
}

/// A direct, explicit opt-in with no notice version recorded (the notice in effect applies).
pub(crate) fn given(subject: &str, at: &str, purpose: &str) -> Row {
    row("consent.given", subject, at).p(purpose).m("explicit-opt-in")
}
pub(crate) fn withdrawn(subject: &str, at: &str, purpose: &str) -> Row {
    row("consent.withdrawn", subject, at).p(purpose)
}
pub(crate) fn refused(subject: &str, at: &str, purpose: &str) -> Row {
    row("consent.refused", subject, at).p(purpose)
}
pub(crate) fn negative(subject: &str, at: &str, purpose: &str) -> Row {
    row("consent.negative", subject, at).p(purpose)
}
pub(crate) fn used(subject: &str, at: &str, purpose: &str) -> Row {
    row("processing", subject, at).p(purpose)
}
pub(crate) fn disclosed(subject: &str, at: &str, purpose: &str, to: &str) -> Row {
    row("disclosure", subject, at).p(purpose).to(to)
}

fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) const CANONICAL_HEADER: &str = "subject,kind,occurred_at,purpose,recipients,channel,method,capture_source,collected_by,notice_version,evidence,system,first_name,last_name,date_of_birth";

/// One canonical CSV line (no newline).
pub(crate) fn canonical_line(r: &Row) -> String {
    [
        &r.subject,
        &r.kind,
        &r.at,
        &r.purpose,
        &r.recipients,
        &r.channel,
        &r.method,
        &r.capture,
        &r.by,
        &r.notice,
        &r.evidence,
        &r.system,
        "",
        "",
        &r.dob,
    ]
    .iter()
    .map(|c| cell(c))
    .collect::<Vec<_>>()
    .join(",")
}

/// A canonical CSV document.
pub(crate) fn canonical_csv(rows: &[Row]) -> String {
    let mut out = String::from(CANONICAL_HEADER);
    out.push('\n');
    for r in rows {
        out.push_str(&canonical_line(r));
        out.push('\n');
    }
    out
}

/// A database with a profile and imported files.
pub(crate) struct Scenario {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

/// Fails on any failed file or rejected row: a typo in a scenario must not pass silently.
pub(crate) fn assert_clean(report: &ImportReport) {
    assert!(!report.any_failed(), "{report:#?}");
    for f in &report.files {
        assert_eq!(f.rows_rejected, 0, "{}: {:#?}", f.path, f.rejections);
    }
}

/// A fresh database with `profile` stored.
pub(crate) fn empty(profile: &Profile) -> Scenario {
    let (dir, store) = temp_store();
    store::profile_doc::save(store.conn(), profile).unwrap();
    Scenario { dir, store }
}

impl Scenario {
    /// Writes a canonical CSV into the scenario folder and imports it.
    pub fn import_rows(&mut self, name: &str, rows: &[Row]) -> ImportReport {
        let path = self.dir.path().join(name);
        std::fs::write(&path, canonical_csv(rows)).unwrap();
        let report = import(&mut self.store, &[path]);
        assert_clean(&report);
        report
    }

    /// Runs the audit (stores findings and summary) and returns the findings.
    pub fn audit(&mut self) -> audit::AuditReport {
        audit::run(&mut self.store).unwrap()
    }

    pub fn findings(&mut self) -> Vec<F> {
        let mut v: Vec<F> = self.audit().findings.iter().map(F::from).collect();
        v.sort();
        v
    }

    pub fn subject(&self, identifier: &str) -> i64 {
        identity::subject_of(self.store.conn(), identifier)
            .unwrap()
            .unwrap_or_else(|| panic!("no subject {identifier}"))
    }
}

/// A scenario of canonical rows under `profile`.
pub(crate) fn scenario(profile: &Profile, rows: &[Row]) -> Scenario {
    let mut s = empty(profile);
    s.import_rows("events.csv", rows);
    s
}

/// A finding as compared by these tests (no database ids).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct F {
    pub subject: String,
    pub rule: String,
    pub purpose: Option<String>,
    pub recipient: Option<String>,
    pub severity: String,
    pub at: Option<String>,
    pub occurrences: Vec<String>,
}

impl From<&Finding> for F {
    fn from(x: &Finding) -> F {
        F {
            subject: x.subject_key.clone(),
            rule: x.rule.as_str().to_string(),
            purpose: x.purpose.clone(),
            recipient: x.recipient.clone(),
            severity: x.severity.as_str().to_string(),
            at: x.at.map(format_millis),
            occurrences: x.occurrences.iter().copied().map(format_millis).collect(),
        }
    }
}

/// An expected finding; `at` is the earliest occurrence (SPEC §4.1), occurrences given sorted.
pub(crate) fn f(
    rule: &str,
    severity: &str,
    subject: &str,
    purpose: &str,
    recipient: Option<&str>,
    occurrences: &[&str],
) -> F {
    F {
        subject: subject.into(),
        rule: rule.into(),
        purpose: Some(purpose.into()),
        recipient: recipient.map(str::to_string),
        severity: severity.into(),
        at: occurrences.first().map(|s| s.to_string()),
        occurrences: occurrences.iter().map(|s| s.to_string()).collect(),
    }
}

pub(crate) fn assert_findings(actual: &[F], expected: &[F]) {
    let mut a = actual.to_vec();
    let mut e = expected.to_vec();
    a.sort();
    e.sort();
    if a != e {
        let missing: Vec<&F> = e.iter().filter(|x| !a.contains(x)).collect();
        let unexpected: Vec<&F> = a.iter().filter(|x| !e.contains(x)).collect();
        panic!("findings differ\nmissing (expected, not produced): {missing:#?}\nunexpected (produced, not expected): {unexpected:#?}");
    }
}

fn raw_findings(s: &mut Scenario) -> Vec<Finding> {
    s.audit().findings
}

const H: &str = "high";
const M: &str = "medium";
const L: &str = "low";
const META: &str = "Meta Platforms Ireland Limited";
const ACME: &str = "Acme Partners Ltd";

// ---------------------------------------------------------------------------------------------
// R1 unnamed-recipient
// ---------------------------------------------------------------------------------------------

#[test]
fn r1_disclosure_to_a_recipient_the_grant_names_is_covered_others_are_flagged() {
    let p = profile();
    let a = "r1.record@example.com";
    let mut s = scenario(
        &p,
        &[
            // The record names Acme (by alias); PN-1 (recorded) names no one.
            given(a, "2021-03-01T10:00:00Z", "partner-sharing").to("Acme").notice("PN-1"),
            disclosed(a, "2021-04-01T10:00:00Z", "partner-sharing", "Acme Partners Ltd"),
            disclosed(a, "2021-04-02T10:00:00Z", "partner-sharing", "Meta"),
            disclosed(a, "2021-04-03T10:00:00Z", "partner-sharing", "Facebook Custom Audiences"),
            disclosed(a, "2021-04-04T10:00:00Z", "partner-sharing", "Globex Corp"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R1", H, a, "partner-sharing", Some(META), &["2021-04-02T10:00:00Z", "2021-04-03T10:00:00Z"]),
            f("R1", H, a, "partner-sharing", Some("Globex Corp"), &["2021-04-04T10:00:00Z"]),
        ],
    );
}

#[test]
fn r1_recipient_named_by_the_recorded_notice_version() {
    let p = profile();
    let (b1, b2) = ("r1.pn2@example.com", "r1.pn1@example.com");
    let mut s = scenario(
        &p,
        &[
            // PN-2 names "Facebook Custom Audiences" = Meta: covered.
            given(b1, "2022-03-01T10:00:00Z", "partner-sharing").notice("PN-2"),
            disclosed(b1, "2022-04-01T10:00:00Z", "partner-sharing", "Meta Platforms Ireland Limited"),
            // The recorded version (PN-1, naming no one) wins over the notice in effect (PN-2).
            given(b2, "2022-03-01T10:00:00Z", "partner-sharing").notice("PN-1"),
            disclosed(b2, "2022-04-01T10:00:00Z", "partner-sharing", "Meta"),
        ],
    );
    assert_findings(&s.findings(), &[f("R1", H, b2, "partner-sharing", Some(META), &["2022-04-01T10:00:00Z"])]);
}

#[test]
fn r1_notice_in_effect_at_the_grant_for_grants_the_organisation_collected() {
    let p = profile();
    let (c1, c2, c3) = ("r1.before@example.com", "r1.onthedot@example.com", "r1.sms@example.com");
    let mut s = scenario(
        &p,
        &[
            // One second before PN-2 takes effect: PN-1 (names no one) applies.
            given(c1, "2021-12-31T23:59:59Z", "partner-sharing"),
            disclosed(c1, "2022-02-01T00:00:00Z", "partner-sharing", "Meta"),
            // At PN-2's effective_from: PN-2 applies (latest effective_from <= grant) and names Meta.
            given(c2, "2022-01-01T00:00:00Z", "partner-sharing"),
            disclosed(c2, "2022-02-01T00:00:00Z", "partner-sharing", "Meta"),
            // PN-2 does not cover sms-marketing: the notice in effect that covers it is PN-1.
            given(c3, "2022-03-01T00:00:00Z", "sms-marketing"),
            disclosed(c3, "2022-04-01T00:00:00Z", "sms-marketing", "Facebook Custom Audiences"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R1", H, c1, "partner-sharing", Some(META), &["2022-02-01T00:00:00Z"]),
            f("R1", H, c3, "sms-marketing", Some(META), &["2022-04-01T00:00:00Z"]),
        ],
    );
}

#[test]
fn r1_an_indirect_grant_gets_no_notice_of_ours() {
    let p = profile();
    let d = "r1.list@example.com";
    let mut s = scenario(
        &p,
        &[
            // Bought list, no notice version: PN-2 (in effect, naming Meta) must NOT be applied.
            given(d, "2022-03-01T00:00:00Z", "partner-sharing").m("imported-list").by("DataCo List Services Ltd"),
            disclosed(d, "2022-04-01T00:00:00Z", "partner-sharing", "Meta"),
        ],
    );
    // SPEC §1: indirect consent is not valid consent, so R1 (which needs valid consent) gives way
    // to R5; R4 lists "what they were told" because no notice of ours applies.
    let found = raw_findings(&mut s);
    let simple: Vec<F> = found.iter().map(F::from).collect();
    assert_findings(
        &simple,
        &[
            f("R4", M, d, "partner-sharing", None, &["2022-03-01T00:00:00Z"]),
            f("R5", H, d, "partner-sharing", None, &["2022-04-01T00:00:00Z"]),
        ],
    );
    let r4 = found.iter().find(|x| x.rule == RuleId::R4).unwrap();
    assert!(r4.explanation.contains("what they were told"), "{}", r4.explanation);
    assert!(!r4.explanation.contains("how ("), "{}", r4.explanation);
    // The grant covers only what its record names: not the notice's Meta.
    let subject = s.subject(d);
    let events = timeline::subject_events(s.store.conn(), subject).unwrap();
    let grant = events.iter().find(|e| e.kind == consenttrail_engine::model::EventKind::ConsentGiven).unwrap();
    assert!(state::notice_for(&p, grant).is_none());
    assert!(state::covered_recipients(&p, grant).is_empty());
    let st = state::subject_state(&p, &events, chrono_ms("2022-05-01T00:00:00Z"));
    let ps = st.iter().find(|x| x.purpose == "partner-sharing").unwrap();
    assert_eq!(ps.state.as_str(), "given");
    assert!(ps.recipients.is_empty(), "{:?}", ps.recipients);
}

#[test]
fn r1_second_clause_profile_recipients_of_the_purpose() {
    let p = profile();
    let (e1, e2, e3) = ("r1.clause2@example.com", "r1.clause2.pn2@example.com", "r1.clause2.record@example.com");
    let mut s = scenario(
        &p,
        &[
            // personalised-ads discloses to Meta (profile); PN-1 in effect names no one.
            given(e1, "2021-03-01T00:00:00Z", "personalised-ads"),
            used(e1, "2021-04-01T00:00:00Z", "personalised-ads"),
            used(e1, "2021-05-01T00:00:00Z", "personalised-ads"),
            // clause 1 and clause 2 for the same party merge into the same finding, once.
            disclosed(e1, "2021-06-01T00:00:00Z", "personalised-ads", "Facebook Custom Audiences"),
            // a disclosure to Acme: R1 Acme (clause 1) and R1 Meta (clause 2).
            disclosed(e1, "2021-06-02T00:00:00Z", "personalised-ads", "Acme"),
            // PN-2 in effect names Meta.
            given(e2, "2022-03-01T00:00:00Z", "personalised-ads"),
            used(e2, "2022-04-01T00:00:00Z", "personalised-ads"),
            // The record names Meta.
            given(e3, "2021-03-01T00:00:00Z", "personalised-ads").to("Meta"),
            used(e3, "2021-04-01T00:00:00Z", "personalised-ads"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f(
                "R1",
                H,
                e1,
                "personalised-ads",
                Some(META),
                &["2021-04-01T00:00:00Z", "2021-05-01T00:00:00Z", "2021-06-01T00:00:00Z", "2021-06-02T00:00:00Z"],
            ),
            f("R1", H, e1, "personalised-ads", Some(ACME), &["2021-06-02T00:00:00Z"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// R2 no-valid-consent
// ---------------------------------------------------------------------------------------------

#[test]
fn r2_never_given_one_finding_per_recipient_with_all_occurrences() {
    let p = profile();
    let a = "r2.never@example.com";
    let mut s = scenario(
        &p,
        &[
            used(a, "2023-01-01T00:00:00Z", "email-marketing"),
            used(a, "2023-01-05T00:00:00Z", "email-marketing"),
            disclosed(a, "2023-01-02T00:00:00Z", "partner-sharing", "Acme"),
            disclosed(a, "2023-01-03T00:00:00Z", "partner-sharing", "Acme Partners Ltd|Meta"),
        ],
    );
    let found = raw_findings(&mut s);
    assert_findings(
        &found.iter().map(F::from).collect::<Vec<_>>(),
        &[
            f("R2", H, a, "email-marketing", None, &["2023-01-01T00:00:00Z", "2023-01-05T00:00:00Z"]),
            f("R2", H, a, "partner-sharing", Some(ACME), &["2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z"]),
            f("R2", H, a, "partner-sharing", Some(META), &["2023-01-03T00:00:00Z"]),
        ],
    );
    // Every triggering event is listed.
    let acme = found.iter().find(|x| x.recipient.as_deref() == Some(ACME)).unwrap();
    assert_eq!(acme.event_ids.len(), 2, "{acme:#?}");
    let email = found.iter().find(|x| x.purpose.as_deref() == Some("email-marketing")).unwrap();
    assert_eq!(email.event_ids.len(), 2, "{email:#?}");
    assert_eq!(email.systems, vec!["consenttrail".to_string()]);
    assert!(email.explanation.contains("no consent for it was ever recorded"), "{}", email.explanation);
}

#[test]
fn r2_refused_and_an_undirected_negative_without_prior_state() {
    let p = profile();
    let (g1, g2) = ("r2.refused@example.com", "r2.negative@example.com");
    let mut s = scenario(
        &p,
        &[
            refused(g1, "2023-01-01T00:00:00Z", "email-marketing"),
            used(g1, "2023-02-01T00:00:00Z", "email-marketing"),
            // A negative signal with no state before it is a refusal: no grace period applies.
            negative(g2, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            used(g2, "2023-01-01T12:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R2", H, g1, "email-marketing", None, &["2023-02-01T00:00:00Z"]),
            f("R2", H, g2, "email-marketing", None, &["2023-01-01T12:00:00Z"]),
        ],
    );
}

#[test]
fn r2_given_only_later() {
    let p = profile();
    let h = "r2.later@example.com";
    let mut s = scenario(
        &p,
        &[
            used(h, "2023-01-01T00:00:00Z", "email-marketing"),
            given(h, "2023-02-01T00:00:00Z", "email-marketing"),
            used(h, "2023-02-01T00:00:00Z", "email-marketing"), // same instant as the grant: covered
            used(h, "2023-03-01T00:00:00Z", "email-marketing"),
        ],
    );
    let found = raw_findings(&mut s);
    assert_findings(
        &found.iter().map(F::from).collect::<Vec<_>>(),
        &[f("R2", H, h, "email-marketing", None, &["2023-01-01T00:00:00Z"])],
    );
    assert!(found[0].explanation.contains("only given later"), "{}", found[0].explanation);
}

#[test]
fn r2_given_only_by_an_invalid_method() {
    let p = profile();
    let (i1, i2) = ("r2.preticked@example.com", "r2.preticked.then.explicit@example.com");
    let mut s = scenario(
        &p,
        &[
            given(i1, "2023-01-01T00:00:00Z", "email-marketing").m("pre-ticked"),
            used(i1, "2023-02-01T00:00:00Z", "email-marketing"),
            given(i2, "2023-01-01T00:00:00Z", "email-marketing").m("pre-ticked"),
            used(i2, "2023-02-01T00:00:00Z", "email-marketing"),
            given(i2, "2023-03-01T00:00:00Z", "email-marketing"),
            used(i2, "2023-04-01T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R2", H, i1, "email-marketing", None, &["2023-02-01T00:00:00Z"]),
            f("R6", H, i1, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
            f("R2", H, i2, "email-marketing", None, &["2023-02-01T00:00:00Z"]),
            f("R6", H, i2, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
        ],
    );
}

/// SPEC §2: a grant made with an invalid method does not establish valid consent, so an
/// undirected negative signal after a pre-ticked "grant" follows no given state: §4.1 makes it a
/// refusal (no grace period), and the use a day later is R2.
#[test]
fn r2_a_negative_signal_after_only_an_invalid_grant_is_a_refusal() {
    let p = profile();
    let i = "r2.preticked.optout@example.com";
    let mut s = scenario(
        &p,
        &[
            given(i, "2023-01-01T00:00:00Z", "email-marketing").m("pre-ticked").sys("salesforce"),
            negative(i, "2023-02-01T00:00:00Z", "email-marketing").sys("salesforce"),
            used(i, "2023-02-02T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R6", H, i, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
            f("R2", H, i, "email-marketing", None, &["2023-02-02T00:00:00Z"]),
        ],
    );
}

#[test]
fn r2_expired_consent() {
    let p = profile();
    let j = "r2.expired@example.com";
    let mut s = scenario(
        &p,
        &[
            given(j, "2023-01-01T00:00:00Z", "email-marketing"),
            row("consent.expired", j, "2023-06-01T00:00:00Z").p("email-marketing"),
            used(j, "2023-05-01T00:00:00Z", "email-marketing"),
            used(j, "2023-07-01T00:00:00Z", "email-marketing"),
            disclosed(j, "2023-07-02T00:00:00Z", "email-marketing", "Acme"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R2", H, j, "email-marketing", None, &["2023-07-01T00:00:00Z"]),
            f("R2", H, j, "email-marketing", Some(ACME), &["2023-07-02T00:00:00Z"]),
        ],
    );
}

#[test]
fn consent_state_tie_withdrawal_or_refusal_wins() {
    let p = profile();
    let (t1, t2) = ("tie.withdrawn@example.com", "tie.refused@example.com");
    let mut s = scenario(
        &p,
        &[
            given(t1, "2023-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(t1, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            used(t1, "2023-01-05T00:00:00Z", "email-marketing"),
            given(t2, "2023-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            refused(t2, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            used(t2, "2023-01-05T00:00:00Z", "email-marketing"),
        ],
    );
    // Same-instant grant in another system is not "B's latest predates A's" (b < w): no R7.
    assert_findings(
        &s.findings(),
        &[
            f("R3", H, t1, "email-marketing", None, &["2023-01-05T00:00:00Z"]),
            f("R2", H, t2, "email-marketing", None, &["2023-01-05T00:00:00Z"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// R3 processing-after-withdrawal
// ---------------------------------------------------------------------------------------------

#[test]
fn r3_grace_period_boundaries_and_recipient_for_disclosures() {
    let p = profile();
    let k = "r3.grace@example.com";
    let mut s = scenario(
        &p,
        &[
            given(k, "2023-01-01T00:00:00Z", "partner-sharing").to("Acme"),
            withdrawn(k, "2023-03-01T12:00:00Z", "partner-sharing"),
            used(k, "2023-03-03T11:00:00Z", "partner-sharing"), // +47 h
            used(k, "2023-03-03T12:00:00Z", "partner-sharing"), // +48 h exactly: t > w + grace is false
            used(k, "2023-03-03T12:00:01Z", "partner-sharing"), // +48 h 1 s
            disclosed(k, "2023-03-04T12:00:00Z", "partner-sharing", "Acme"), // +72 h, to a recipient
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R3", H, k, "partner-sharing", None, &["2023-03-03T12:00:01Z"]),
            f("R3", H, k, "partner-sharing", Some(ACME), &["2023-03-04T12:00:00Z"]),
        ],
    );
}

#[test]
fn r3_processing_inside_the_grace_period_gives_no_finding_of_any_kind() {
    let p = profile();
    let a = "r3.inside@example.com";
    let mut s = scenario(
        &p,
        &[
            // partner-sharing: a disclosure to a party the grant never named, inside the grace.
            given(a, "2022-03-01T00:00:00Z", "partner-sharing").notice("PN-1"),
            withdrawn(a, "2023-01-01T00:00:00Z", "partner-sharing"),
            disclosed(a, "2023-01-01T01:00:00Z", "partner-sharing", "Globex Corp"),
            // personalised-ads: profile recipient Meta not named, inside the grace.
            given(a, "2021-03-01T00:00:00Z", "personalised-ads"),
            withdrawn(a, "2023-01-01T00:00:00Z", "personalised-ads"),
            used(a, "2023-01-02T23:59:59Z", "personalised-ads"),
            // email-marketing: a stale grant (2019, > 24 months), inside the grace.
            given(a, "2019-01-01T00:00:00Z", "email-marketing").notice("PN-1"),
            withdrawn(a, "2023-01-01T00:00:00Z", "email-marketing"),
            used(a, "2023-01-03T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(&s.findings(), &[]);
}

#[test]
fn r3_a_copy_propagated_hours_later_does_not_restart_the_grace() {
    let p = profile();
    let (l1, l2) = ("r3.copy.negative@example.com", "r3.copy.withdrawn@example.com");
    let mut s = scenario(
        &p,
        &[
            given(l1, "2023-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(l1, "2023-03-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            // Salesforce OptOut-like copy 5 h later (undirected: a withdrawal, state before withdrawn).
            negative(l1, "2023-03-01T05:00:00Z", "email-marketing").sys("salesforce"),
            used(l1, "2023-03-03T02:00:00Z", "email-marketing"), // 50 h after w, 45 h after the copy
            given(l2, "2023-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(l2, "2023-03-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(l2, "2023-03-01T05:00:00Z", "email-marketing").sys("salesforce"),
            used(l2, "2023-03-03T02:00:00Z", "email-marketing"),
        ],
    );
    let found = raw_findings(&mut s);
    assert_findings(
        &found.iter().map(F::from).collect::<Vec<_>>(),
        &[
            f("R3", H, l1, "email-marketing", None, &["2023-03-03T02:00:00Z"]),
            f("R3", H, l2, "email-marketing", None, &["2023-03-03T02:00:00Z"]),
        ],
    );
    for x in &found {
        assert!(
            x.explanation.contains("2023-03-01 00:00 UTC"),
            "withdrawal instant must be the first one: {}",
            x.explanation
        );
    }
}

#[test]
fn r3_re_consent_after_a_withdrawal_cures_later_uses() {
    let p = profile();
    let m = "r3.reconsent@example.com";
    let mut s = scenario(
        &p,
        &[
            given(m, "2023-01-01T00:00:00Z", "email-marketing"),
            withdrawn(m, "2023-02-01T00:00:00Z", "email-marketing"),
            used(m, "2023-02-10T00:00:00Z", "email-marketing"),
            given(m, "2023-03-01T00:00:00Z", "email-marketing"),
            used(m, "2023-03-10T00:00:00Z", "email-marketing"),
            disclosed(m, "2023-03-11T00:00:00Z", "email-marketing", "Acme"), // R1 for Acme, not R3
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R3", H, m, "email-marketing", None, &["2023-02-10T00:00:00Z"]),
            f("R1", H, m, "email-marketing", Some(ACME), &["2023-03-11T00:00:00Z"]),
        ],
    );
}

#[test]
fn a_double_opt_in_confirmation_does_not_change_the_consent_state() {
    let p = profile();
    let a = "confirm.late@example.com";
    let mut s = scenario(
        &p,
        &[
            given(a, "2023-01-01T00:00:00Z", "email-marketing"),
            withdrawn(a, "2023-02-01T00:00:00Z", "email-marketing"),
            // A late click on the confirmation link: not a grant.
            row("consent.confirmed", a, "2023-02-02T00:00:00Z").p("email-marketing").m("double-opt-in"),
            used(a, "2023-03-01T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(&s.findings(), &[f("R3", H, a, "email-marketing", None, &["2023-03-01T00:00:00Z"])]);
}

/// SPEC §2/§4.1 with `assumed_time_zone` Europe/London for the canonical system: the grace
/// period is computed on UTC instants. 2023-10-29 01:30 London is ambiguous (01:30 BST = 00:30Z,
/// or 01:30 GMT = 01:30Z); the engine takes the earlier instant (model/timestamp.rs, documented).
#[test]
fn r3_grace_on_utc_instants_around_the_autumn_daylight_saving_change() {
    let mut p = profile();
    p.policy.assumed_time_zone.insert("consenttrail".into(), "Europe/London".into());
    let (x1, x2, x3) =
        ("dst.autumn.48local@example.com", "dst.autumn.exact@example.com", "dst.autumn.0115@example.com");
    let mut rows = Vec::new();
    for (x, use_at) in [(x1, "2023-10-31 01:30:00"), (x2, "2023-10-31 00:30:00"), (x3, "2023-10-31 01:15:00")] {
        rows.push(given(x, "2023-10-01 12:00:00", "email-marketing"));
        rows.push(withdrawn(x, "2023-10-29 01:30:00", "email-marketing"));
        rows.push(used(x, use_at, "email-marketing"));
    }
    let mut s = scenario(&p, &rows);
    // The withdrawal's instant and how the zone was known.
    let (ms, basis): (i64, String) = s
        .store
        .conn()
        .query_row(
            "SELECT e.occurred_at, e.zone_basis FROM event_details e JOIN identifiers i ON i.id = e.identifier_id
             WHERE i.value = ?1 AND e.kind = 'consent.withdrawn'",
            [x1],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(format_millis(ms), "2023-10-29T00:30:00Z");
    assert_eq!(basis, "assumed:Europe/London");
    // x1: 48 h later on the wall clock is 49 h later in UTC (01:30 GMT = 01:30Z): R3.
    // x2: 2023-10-31 00:30 GMT = 00:30Z, exactly 48 h: inside the grace, no finding.
    // x3: 01:15Z, 48 h 45 min: R3.
    assert_findings(
        &s.findings(),
        &[
            f("R3", H, x1, "email-marketing", None, &["2023-10-31T01:30:00Z"]),
            f("R3", H, x3, "email-marketing", None, &["2023-10-31T01:15:00Z"]),
        ],
    );
}

#[test]
fn r3_grace_on_utc_instants_around_the_spring_daylight_saving_change() {
    let mut p = profile();
    p.policy.assumed_time_zone.insert("consenttrail".into(), "Europe/London".into());
    let (y1, y2) = ("dst.spring.inside@example.com", "dst.spring.after@example.com");
    let mut rows = Vec::new();
    for (y, use_at) in [(y1, "2023-03-27 12:30:00"), (y2, "2023-03-27 13:30:00")] {
        rows.push(given(y, "2023-03-01 12:00:00", "email-marketing"));
        rows.push(withdrawn(y, "2023-03-25 12:00:00", "email-marketing")); // GMT: 12:00Z
        rows.push(used(y, use_at, "email-marketing")); // BST: 11:30Z (47.5 h) / 12:30Z (48.5 h)
    }
    let mut s = scenario(&p, &rows);
    assert_findings(&s.findings(), &[f("R3", H, y2, "email-marketing", None, &["2023-03-27T12:30:00Z"])]);

    // A local time that does not exist (the skipped hour) is rejected with its reason, not guessed.
    let path = s.dir.path().join("gap.csv");
    std::fs::write(&path, canonical_csv(&[used(y1, "2023-03-26 01:30:00", "email-marketing")])).unwrap();
    let report = import(&mut s.store, &[path]);
    assert_eq!(report.files[0].rows_rejected, 1, "{report:#?}");
    assert_eq!(report.files[0].rejections[0].field.as_deref(), Some("occurred_at"));
}

// ---------------------------------------------------------------------------------------------
// R4 incomplete-record
// ---------------------------------------------------------------------------------------------

#[test]
fn r4_lists_what_is_missing_and_near_misses() {
    let p = profile();
    let (n1, n2, n3, n4, n5, n6) = (
        "r4.nonotice@example.com",
        "r4.nomethod@example.com",
        "r4.capture@example.com",
        "r4.undated@example.com",
        "r4.ownversion@example.com",
        "r4.twice@example.com",
    );
    let mut s = scenario(
        &p,
        &[
            // Before any notice took effect, none recorded: "what they were told".
            given(n1, "2020-06-01T00:00:00Z", "email-marketing"),
            // No method, no capture source: "how".
            row("consent.given", n2, "2022-03-01T00:00:00Z").p("email-marketing"),
            // No method but a capture source: how is known (near-miss).
            row("consent.given", n3, "2022-03-01T00:00:00Z").p("email-marketing").cap("Shop counter tablet"),
            // No timestamp: "when"; `at` is null.
            row("consent.given", n4, "").p("email-marketing").m("paper").notice("PN-1"),
            // A recorded notice version the profile does not list still says what they were told.
            given(n5, "2020-06-01T00:00:00Z", "email-marketing").notice("FORM-7"),
            // Two incomplete grants of one purpose: one finding, two occurrences.
            row("consent.given", n6, "2020-02-01T00:00:00Z").p("email-marketing"),
            row("consent.given", n6, "2020-03-01T00:00:00Z").p("email-marketing").sys("salesforce"),
        ],
    );
    let found = raw_findings(&mut s);
    let undated = F {
        subject: n4.into(),
        rule: "R4".into(),
        purpose: Some("email-marketing".into()),
        recipient: None,
        severity: M.into(),
        at: None,
        occurrences: vec![],
    };
    assert_findings(
        &found.iter().map(F::from).collect::<Vec<_>>(),
        &[
            f("R4", M, n1, "email-marketing", None, &["2020-06-01T00:00:00Z"]),
            f("R4", M, n2, "email-marketing", None, &["2022-03-01T00:00:00Z"]),
            undated,
            f("R4", M, n6, "email-marketing", None, &["2020-02-01T00:00:00Z", "2020-03-01T00:00:00Z"]),
        ],
    );
    let by = |subject: &str| found.iter().find(|x| x.subject_key == subject).unwrap().explanation.clone();
    let e1 = by(n1);
    assert!(e1.contains("what they were told") && !e1.contains("how (") && !e1.contains("when ("), "{e1}");
    let e2 = by(n2);
    assert!(e2.contains("how (") && !e2.contains("what they were told") && !e2.contains("when ("), "{e2}");
    let e4 = by(n4);
    assert!(e4.contains("when (") && !e4.contains("what they were told") && !e4.contains("how ("), "{e4}");
    let e6 = by(n6);
    assert!(e6.contains("what they were told") && e6.contains("how ("), "{e6}");
    assert_eq!(found.iter().find(|x| x.subject_key == n6).unwrap().event_ids.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// R5 indirect-consent
// ---------------------------------------------------------------------------------------------

#[test]
fn r5_a_later_direct_grant_cures_the_uses_after_it_not_those_before() {
    let p = profile();
    let (o1, o2, o3) = ("r5.list@example.com", "r5.thirdparty@example.com", "r5.direct.first@example.com");
    let mut s = scenario(
        &p,
        &[
            given(o1, "2022-01-01T00:00:00Z", "email-marketing").m("imported-list").by("DataCo List Services Ltd"),
            used(o1, "2022-02-01T00:00:00Z", "email-marketing"),
            used(o1, "2022-02-15T00:00:00Z", "email-marketing"),
            given(o1, "2022-03-01T00:00:00Z", "email-marketing"),
            used(o1, "2022-04-01T00:00:00Z", "email-marketing"),
            given(o2, "2022-01-01T00:00:00Z", "email-marketing").m("third-party-collected").by("Acme Partners Ltd"),
            disclosed(o2, "2022-02-01T00:00:00Z", "email-marketing", "Acme"),
            // A direct grant first, a bought list later: the direct grant is still the valid one.
            given(o3, "2022-01-01T00:00:00Z", "email-marketing"),
            given(o3, "2022-03-01T00:00:00Z", "email-marketing").m("imported-list").by("DataCo List Services Ltd"),
            used(o3, "2022-04-01T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R4", M, o1, "email-marketing", None, &["2022-01-01T00:00:00Z"]),
            f("R5", H, o1, "email-marketing", None, &["2022-02-01T00:00:00Z", "2022-02-15T00:00:00Z"]),
            f("R4", M, o2, "email-marketing", None, &["2022-01-01T00:00:00Z"]),
            f("R5", H, o2, "email-marketing", None, &["2022-02-01T00:00:00Z"]),
            f("R4", M, o3, "email-marketing", None, &["2022-03-01T00:00:00Z"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// R6 invalid-method
// ---------------------------------------------------------------------------------------------

#[test]
fn r6_invalid_methods_flagged_at_the_grant_valid_ones_not() {
    let p = profile();
    let a = "r6.methods@example.com";
    let mut s = scenario(
        &p,
        &[
            given(a, "2023-01-01T00:00:00Z", "email-marketing").m("pre-ticked"),
            given(a, "2023-02-01T00:00:00Z", "email-marketing").m("implied"),
            given(a, "2023-03-01T00:00:00Z", "email-marketing").m("opt-out"),
            given(a, "2023-01-01T00:00:00Z", "sms-marketing").m("explicit-opt-in"),
            given(a, "2023-02-01T00:00:00Z", "sms-marketing").m("verbal"),
            given(a, "2023-03-01T00:00:00Z", "sms-marketing").m("paper"),
            given(a, "2023-04-01T00:00:00Z", "sms-marketing").m("double-opt-in"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[f(
            "R6",
            H,
            a,
            "email-marketing",
            None,
            &["2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z"],
        )],
    );
}

// ---------------------------------------------------------------------------------------------
// R7 withdrawal-not-propagated
// ---------------------------------------------------------------------------------------------

#[test]
fn r7_high_when_b_then_processes_medium_otherwise() {
    let p = profile();
    let (q1, q2, q3, q4) =
        ("r7.high@example.com", "r7.medium@example.com", "r7.refusal@example.com", "r7.b.later@example.com");
    let mut s = scenario(
        &p,
        &[
            given(q1, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            given(q1, "2022-01-01T00:05:00Z", "email-marketing").sys("salesforce"),
            withdrawn(q1, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            used(q1, "2023-02-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            given(q2, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(q2, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            given(q3, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            refused(q3, "2023-01-01T00:00:00Z", "email-marketing").sys("onetrust"),
            // Near-miss: B's latest grant is after A's withdrawal.
            given(q4, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(q4, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            given(q4, "2023-02-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            used(q4, "2023-03-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R7", H, q1, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
            f("R3", H, q1, "email-marketing", None, &["2023-02-01T00:00:00Z"]),
            f("R7", M, q2, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
            f("R7", M, q3, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
        ],
    );
}

#[test]
fn r7_an_undated_opt_out_flag_is_never_system_a() {
    let p = profile();
    let r = "r7.undated.a@example.com";
    let mut s = scenario(
        &p,
        &[
            given(r, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            // A HubSpot-style "Opted out of email" flag: a state as of the export, no date.
            negative(r, "", "email-marketing").sys("hubspot"),
        ],
    );
    assert_findings(&s.findings(), &[]);
}

/// SPEC §4.1: "a set flag does not 'show P as given'". System B (hubspot) has an old dated grant
/// but its opt-out flag is set (undated, as of the export): B does not show P as given, so A's
/// later withdrawal has nothing to propagate to.
#[test]
fn r7_a_set_opt_out_flag_does_not_show_p_as_given() {
    let p = profile();
    let r = "r7.flag.b@example.com";
    let mut s = scenario(
        &p,
        &[
            given(r, "2022-01-01T00:00:00Z", "email-marketing").sys("hubspot"),
            negative(r, "", "email-marketing").sys("hubspot"),
            given(r, "2022-02-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(r, "2023-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        ],
    );
    assert_findings(&s.findings(), &[]);
}

/// Judgement on SPEC §4.1 ("inside the grace period there is no finding of any kind"): B's use
/// inside the grace period is lawful, so it does not make R7 high; R7 stays medium.
#[test]
fn r7_use_by_b_inside_the_grace_period_does_not_make_it_high() {
    let p = profile();
    let q = "r7.grace@example.com";
    let mut s = scenario(
        &p,
        &[
            given(q, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(q, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            used(q, "2023-01-01T10:00:00Z", "email-marketing").sys("mailchimp"),
        ],
    );
    assert_findings(&s.findings(), &[f("R7", M, q, "email-marketing", None, &["2023-01-01T00:00:00Z"])]);
}

// ---------------------------------------------------------------------------------------------
// R8 stale-consent
// ---------------------------------------------------------------------------------------------

#[test]
fn r8_counts_calendar_months() {
    let p = profile();
    let (s1, s2) = ("r8.leap@example.com", "r8.jan31@example.com");
    let mut s = scenario(
        &p,
        &[
            // 2019-01-31 + 24 calendar months = 2021-01-31 (730 days would be 2021-01-30: 2020 is leap).
            given(s1, "2019-01-31T10:00:00Z", "email-marketing").notice("PN-1"),
            used(s1, "2021-01-30T12:00:00Z", "email-marketing"),
            used(s1, "2021-01-31T10:00:00Z", "email-marketing"), // exactly 24 months: not older
            used(s1, "2021-01-31T10:00:01Z", "email-marketing"),
            // SPEC example: grant 2021-01-31, refresh 24 months.
            given(s2, "2021-01-31T10:00:00Z", "email-marketing"),
            used(s2, "2023-01-31T09:59:59Z", "email-marketing"),
            used(s2, "2023-01-31T10:00:01Z", "email-marketing"),
            used(s2, "2023-06-01T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R8", L, s1, "email-marketing", None, &["2021-01-31T10:00:01Z"]),
            f("R8", L, s2, "email-marketing", None, &["2023-01-31T10:00:01Z", "2023-06-01T00:00:00Z"]),
        ],
    );
}

#[test]
fn r8_month_end_clamping_and_renewal() {
    let mut p = profile();
    p.policy.consent_refresh_months = 1;
    let (s3, s4, s5) = ("r8.feb@example.com", "r8.renewed@example.com", "r8.confirmed@example.com");
    let mut s = scenario(
        &p,
        &[
            // 2021-01-31 + 1 calendar month = 2021-02-28 (no 31 February).
            given(s3, "2021-01-31T10:00:00Z", "email-marketing"),
            used(s3, "2021-02-28T09:00:00Z", "email-marketing"),
            used(s3, "2021-02-28T10:00:01Z", "email-marketing"),
            // A renewal restarts the period.
            given(s4, "2021-03-01T00:00:00Z", "email-marketing"),
            given(s4, "2021-04-15T00:00:00Z", "email-marketing").sys("salesforce"),
            used(s4, "2021-05-01T00:00:00Z", "email-marketing"),
            used(s4, "2021-05-16T00:00:00Z", "email-marketing"),
            // A double opt-in confirmation is no renewal.
            given(s5, "2021-03-01T00:00:00Z", "email-marketing"),
            row("consent.confirmed", s5, "2021-03-20T00:00:00Z").p("email-marketing").m("double-opt-in"),
            used(s5, "2021-04-10T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R8", L, s3, "email-marketing", None, &["2021-02-28T10:00:01Z"]),
            f("R8", L, s4, "email-marketing", None, &["2021-05-16T00:00:00Z"]),
            f("R8", L, s5, "email-marketing", None, &["2021-04-10T00:00:00Z"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// R9 missing-double-opt-in
// ---------------------------------------------------------------------------------------------

fn double_opt_in_profile() -> Profile {
    let mut p = profile();
    p.policy.double_opt_in_channels = vec!["email".into()];
    p
}

#[test]
fn r9_with_mailchimp_style_confirmation_and_without() {
    let p = double_opt_in_profile();
    let mut s = empty(&p);
    let report = import(&mut s.store, &[rules_fixtures().join("mailchimp_r9")]);
    assert_clean(&report);
    assert_findings(
        &s.findings(),
        &[
            // OPTIN_TIME only: never confirmed.
            f("R9", M, "single@example.com", "email-marketing", None, &["2023-01-10T09:00:00Z"]),
            // Empty OPTIN_TIME, CONFIRM_TIME set: an imported-list grant at CONFIRM_TIME, not a confirmation;
            // an indirect grant has no notice of ours (R4).
            f("R9", M, "api@example.com", "email-marketing", None, &["2023-01-10T10:00:00Z"]),
            f("R4", M, "api@example.com", "email-marketing", None, &["2023-01-10T10:00:00Z"]),
            // CONFIRM_TIME before OPTIN_TIME is no confirmation.
            f("R9", M, "early@example.com", "email-marketing", None, &["2023-01-10T11:00:00Z"]),
        ],
    );
}

#[test]
fn r9_canonical_confirmations_cmp_confirmed_and_channels() {
    let p = double_opt_in_profile();
    let (t1, t2, t3, t4, t5) = (
        "r9.confirmed@example.com",
        "r9.cmp@example.com",
        "r9.sms@example.com",
        "r9.method@example.com",
        "r9.tworounds@example.com",
    );
    let mut s = scenario(
        &p,
        &[
            given(t1, "2023-01-01T00:00:00Z", "email-marketing").sys("webform"),
            row("consent.confirmed", t1, "2023-01-01T00:10:00Z").p("email-marketing").m("double-opt-in").sys("webform"),
            // A CMP's ordinary "confirmed" transaction is just a grant.
            given(t2, "2023-01-01T00:00:00Z", "email-marketing")
                .sys("onetrust")
                .ev(r#"{"TransactionType": "CONFIRMED"}"#),
            // sms is not a double opt-in channel.
            given(t3, "2023-01-01T00:00:00Z", "sms-marketing"),
            // A grant recorded as double opt-in is confirmed by itself.
            given(t4, "2023-01-01T00:00:00Z", "email-marketing").m("double-opt-in"),
            // Two grants, only the first confirmed.
            given(t5, "2023-01-01T00:00:00Z", "email-marketing").sys("webform"),
            row("consent.confirmed", t5, "2023-01-01T00:10:00Z").p("email-marketing").m("double-opt-in").sys("webform"),
            given(t5, "2023-06-01T00:00:00Z", "email-marketing").sys("webform"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R9", M, t2, "email-marketing", None, &["2023-01-01T00:00:00Z"]),
            f("R9", M, t5, "email-marketing", None, &["2023-06-01T00:00:00Z"]),
        ],
    );
}

#[test]
fn r9_not_applicable_without_a_policy_channel() {
    let p = profile();
    let a = "r9.nopolicy@example.com";
    let mut s = scenario(&p, &[given(a, "2023-01-01T00:00:00Z", "email-marketing")]);
    let report = s.audit();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(
        report.summary.not_evaluated.iter().any(|n| n.rule == "R9" && n.purpose.as_deref() == Some("email-marketing")),
        "{:#?}",
        report.summary.not_evaluated
    );
}

// ---------------------------------------------------------------------------------------------
// R10 child-consent
// ---------------------------------------------------------------------------------------------

#[test]
fn r10_age_in_whole_years_on_the_grants_utc_date() {
    let p = profile();
    let dob = "2009-02-01";
    let subjects = [
        ("r10.eve@example.com", "2025-01-31T23:59:59Z"),         // 15: flagged
        ("r10.birthday@example.com", "2025-02-01T00:00:00Z"),    // 16 on the UTC date: not flagged
        ("r10.plus1@example.com", "2025-02-01T00:30:00+01:00"),  // = 2025-01-31T23:30Z: 15, flagged
        ("r10.minus1@example.com", "2025-01-31T23:30:00-01:00"), // = 2025-02-01T00:30Z: 16, not flagged
    ];
    let mut rows = Vec::new();
    for (who, at) in subjects {
        rows.push(given(who, at, "email-marketing").dob(dob));
    }
    // Leap-day birthday: 16 only on 29 February 2024.
    rows.push(given("r10.leap@example.com", "2024-02-28T12:00:00Z", "email-marketing").dob("2008-02-29"));
    rows.push(given("r10.leap.ok@example.com", "2024-02-29T00:00:00Z", "email-marketing").dob("2008-02-29"));
    let mut s = scenario(&p, &rows);
    assert_findings(
        &s.findings(),
        &[
            f("R10", H, "r10.eve@example.com", "email-marketing", None, &["2025-01-31T23:59:59Z"]),
            f("R10", H, "r10.plus1@example.com", "email-marketing", None, &["2025-01-31T23:30:00Z"]),
            f("R10", H, "r10.leap@example.com", "email-marketing", None, &["2024-02-28T12:00:00Z"]),
        ],
    );
}

#[test]
fn r10_parental_authorisation_birth_date_from_another_system_and_the_grant_still_counts() {
    let p = profile();
    let (u1, u2, u3, u4, u5) = (
        "r10.parent.true@example.com",
        "r10.parent.named@example.com",
        "r10.parent.false@example.com",
        "r10.othersystem@example.com",
        "r10.nodob@example.com",
    );
    let mut s = scenario(
        &p,
        &[
            given(u1, "2022-01-01T00:00:00Z", "email-marketing")
                .dob("2012-05-05")
                .ev(r#"{"parental_authorisation": true}"#),
            given(u2, "2022-01-01T00:00:00Z", "email-marketing")
                .dob("2012-05-05")
                .ev(r#"{"parental_consent": "Jane Doe (mother)"}"#),
            given(u3, "2022-01-01T00:00:00Z", "email-marketing")
                .dob("2012-05-05")
                .ev(r#"{"parental_authorisation": false}"#),
            // The date of birth comes from a CRM row; the grant from the e-mail platform. The grant
            // still counts as a grant: the use after it is not R2.
            used(u4, "2021-06-01T00:00:00Z", "post-marketing").sys("salesforce").dob("2012-05-05"),
            given(u4, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            used(u4, "2022-02-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            given(u5, "2022-01-01T00:00:00Z", "email-marketing"),
        ],
    );
    assert_findings(
        &s.findings(),
        &[
            f("R10", H, u3, "email-marketing", None, &["2022-01-01T00:00:00Z"]),
            f("R10", H, u4, "email-marketing", None, &["2022-01-01T00:00:00Z"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// R11 tcf-invalid-legitimate-interest
// ---------------------------------------------------------------------------------------------

fn tc_row(subject: &str, at: &str, tc: &str, version: u32, li: &str) -> Row {
    given(subject, at, "personalised-ads")
        .sys("tcf")
        .ev(&format!(r#"{{"tc_string": "{tc}", "tcf_policy_version": {version}, "invalid_li_purposes": [{li}]}}"#))
}

#[test]
fn r11_one_finding_per_tc_string_on_the_mapped_purpose() {
    let p = profile();
    let (v1, v2) = ("r11.one@example.com", "r11.two@example.com");
    let mut s = scenario(
        &p,
        &[
            // The same TC string logged twice: one finding, at its first log time.
            tc_row(v1, "2023-05-01T10:00:00Z", "CPtcAAAAAAAAA", 4, "3, 4"),
            tc_row(v1, "2023-05-02T10:00:00Z", "CPtcAAAAAAAAA", 4, "3, 4"),
            // Purposes 5-6 map to profiling.
            tc_row(v2, "2023-05-01T10:00:00Z", "CPtcBBBBBBBBB", 4, "5, 6"),
        ],
    );
    let found = raw_findings(&mut s);
    assert_findings(
        &found.iter().map(F::from).collect::<Vec<_>>(),
        &[
            f("R11", M, v1, "personalised-ads", None, &["2023-05-01T10:00:00Z"]),
            f("R11", M, v2, "profiling", None, &["2023-05-01T10:00:00Z"]),
        ],
    );
    let one = found.iter().find(|x| x.subject_key == v1).unwrap();
    assert!(one.explanation.contains("3, 4"), "{}", one.explanation);
}

#[test]
fn r11_not_under_a_policy_version_below_4() {
    let p = profile();
    let v = "r11.v3@example.com";
    let mut s = scenario(&p, &[tc_row(v, "2023-05-01T10:00:00Z", "CPtcCCCCCCCCC", 3, "3")]);
    assert_findings(&s.findings(), &[]);
}

// ---------------------------------------------------------------------------------------------
// Lawful bases, corroboration, Salesforce Seen
// ---------------------------------------------------------------------------------------------

#[test]
fn a_legitimate_interest_purpose_processed_without_consent_gives_no_finding() {
    let p = profile();
    let a = "li@example.com";
    let mut s = scenario(
        &p,
        &[
            used(a, "2023-01-01T00:00:00Z", "post-marketing"),
            disclosed(a, "2023-01-02T00:00:00Z", "post-marketing", "Acme"),
            refused(a, "2023-01-03T00:00:00Z", "email-marketing"),
            used(a, "2023-01-04T00:00:00Z", "post-marketing"),
        ],
    );
    assert_findings(&s.findings(), &[]);
}

#[test]
fn the_same_fact_from_two_systems_corroborates_and_is_not_found_twice() {
    let p = profile();
    let w = "twice@example.com";
    let mut s = scenario(
        &p,
        &[
            // The same incomplete grant (no notice in effect in 2020) in two systems.
            given(w, "2020-06-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            given(w, "2020-06-01T00:00:00Z", "email-marketing").sys("salesforce"),
            withdrawn(w, "2023-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            withdrawn(w, "2023-01-01T00:00:00Z", "email-marketing").sys("salesforce"),
            // The same send seen by the ESP and the CDP.
            used(w, "2023-02-01T00:00:00Z", "email-marketing").sys("esp"),
            used(w, "2023-02-01T00:00:00Z", "email-marketing").sys("cdp"),
        ],
    );
    let found = raw_findings(&mut s);
    assert_findings(
        &found.iter().map(F::from).collect::<Vec<_>>(),
        &[
            f("R4", M, w, "email-marketing", None, &["2020-06-01T00:00:00Z"]),
            f("R3", H, w, "email-marketing", None, &["2023-02-01T00:00:00Z"]),
        ],
    );
    let r4 = found.iter().find(|x| x.rule == RuleId::R4).unwrap();
    assert_eq!(r4.event_ids.len(), 2);
    assert_eq!(r4.systems, vec!["mailchimp".to_string(), "salesforce".to_string()]);
    let r3 = found.iter().find(|x| x.rule == RuleId::R3).unwrap();
    assert!(r3.systems.contains(&"esp".to_string()) && r3.systems.contains(&"cdp".to_string()), "{r3:#?}");
    // Two pieces of evidence each, pointing at each other.
    let events = timeline::subject_events(s.store.conn(), s.subject(w)).unwrap();
    assert_eq!(events.len(), 6);
    for e in &events {
        assert_eq!(e.corroborated_by.len(), 1, "{e:#?}");
        let other = events.iter().find(|o| o.id == e.corroborated_by[0]).unwrap();
        assert_eq!((other.kind, other.occurred_at_ms), (e.kind, e.occurred_at_ms));
        assert_ne!(other.system, e.system);
    }
}

#[test]
fn a_salesforce_seen_record_is_no_consent_so_processing_after_it_is_r2() {
    let p = profile();
    let mut s = empty(&p);
    let report = import(&mut s.store, &[rules_fixtures().join("salesforce_seen")]);
    assert_clean(&report);
    let consent_events = |who: &str| -> i64 {
        s.store
            .conn()
            .query_row(
                "SELECT count(*) FROM events e JOIN identifiers i ON i.id = e.identifier_id
                 WHERE i.subject_id = ?1 AND e.kind LIKE 'consent.%'",
                [s.subject(who)],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(consent_events("seen@example.com"), 0);
    assert_eq!(consent_events("notseen@example.com"), 0);
    assert_eq!(consent_events("optin@example.com"), 2); // the grant and its double opt-in
    assert_findings(
        &s.findings(),
        &[
            f("R2", H, "seen@example.com", "email-marketing", None, &["2023-05-06T10:00:00Z"]),
            f("R2", H, "notseen@example.com", "email-marketing", None, &["2023-05-06T10:00:00Z"]),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Summary and decisions
// ---------------------------------------------------------------------------------------------

#[test]
fn not_evaluated_summary_names_rules_that_lack_data() {
    let p = profile();
    let a = "summary@example.com";
    let mut s = scenario(
        &p,
        &[
            given(a, "2023-01-01T00:00:00Z", "email-marketing"),
            used(a, "2023-02-01T00:00:00Z", "email-marketing"),
            given(a, "2023-01-01T00:00:00Z", "partner-sharing").to("Acme"),
            disclosed(a, "2023-02-01T00:00:00Z", "partner-sharing", "Acme"),
        ],
    );
    let report = s.audit();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let ne = &report.summary.not_evaluated;
    let has = |rule: &str, purpose: Option<&str>| ne.iter().any(|n| n.rule == rule && n.purpose.as_deref() == purpose);
    let r1_email = ne.iter().find(|n| n.rule == "R1" && n.purpose.as_deref() == Some("email-marketing")).unwrap();
    assert_eq!(
        r1_email.reason,
        "R1 not evaluated for purpose email-marketing: no disclosure data and no recipients in the profile"
    );
    assert!(has("R1", Some("sms-marketing")));
    assert!(!has("R1", Some("partner-sharing")), "a disclosure for it was imported: {ne:#?}");
    assert!(!has("R1", Some("personalised-ads")), "the profile names its recipients: {ne:#?}");
    assert!(!has("R1", Some("post-marketing")), "not consent-based: {ne:#?}");
    for rule in ["R2", "R3", "R5", "R8"] {
        assert!(!has(rule, Some("email-marketing")), "{rule}: {ne:#?}");
        assert!(has(rule, Some("sms-marketing")), "{rule}: {ne:#?}");
    }
    assert!(has("R7", Some("email-marketing")), "one system only: {ne:#?}");
    assert!(has("R10", None) && has("R11", None), "{ne:#?}");
    assert!(!has("R4", None) && !has("R6", None), "grants were imported: {ne:#?}");
    assert_eq!(report.summary.findings, 0);
    assert!(report.summary.by_rule.values().all(|n| *n == 0));
    // The summary is stored with the run.
    let stored: String =
        s.store.conn().query_row("SELECT summary FROM audit_runs ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert!(stored
        .contains("R1 not evaluated for purpose email-marketing: no disclosure data and no recipients in the profile"));
}

#[test]
fn decisions_survive_a_re_run_of_the_audit_and_a_re_import() {
    let p = profile();
    let a = "decided@example.com";
    let mut s = scenario(&p, &[used(a, "2023-01-01T00:00:00Z", "email-marketing")]);
    let first = s.audit();
    assert_eq!(first.findings.len(), 1);
    let id = first.findings[0].id.clone();
    assert!(id.starts_with("F-"), "{id}");
    decisions::decide(s.store.conn(), &id, "accepted", "send was to a test inbox", Some("QA")).unwrap();
    assert!(decisions::decide(s.store.conn(), &id, "maybe", "", None).is_err());
    assert!(decisions::decide(s.store.conn(), "F-000000000000", "accepted", "", None).is_err());

    // Re-run: same id, decision kept.
    let second = s.audit();
    assert_eq!(second.findings.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), vec![id.clone()]);
    let d = decisions::decision_for(s.store.conn(), &id).unwrap().unwrap();
    assert_eq!(
        (d.status.as_str(), d.note.as_str(), d.by.as_deref()),
        ("accepted", "send was to a test inbox", Some("QA"))
    );

    // Remove the source, re-import the same file: a new source, new event and subject ids.
    let source = store::sources::list(s.store.conn()).unwrap()[0].id;
    consenttrail_engine::import::derive::remove_source(s.store.conn_mut(), source).unwrap();
    assert!(s.audit().findings.is_empty());
    assert_clean(&import(&mut s.store, &[s.dir.path().join("events.csv")]));
    // And a further file with another occurrence of the same finding.
    s.import_rows("more.csv", &[used(a, "2023-01-05T00:00:00Z", "email-marketing")]);
    let third = s.audit();
    assert_eq!(third.findings.len(), 1);
    assert_eq!(third.findings[0].id, id);
    assert_eq!(third.findings[0].occurrences.len(), 2);
    let d = decisions::decision_for(s.store.conn(), &id).unwrap().unwrap();
    assert_eq!(d.status, "accepted");
    // The stored findings are the run's findings.
    let stored = audit::stored_findings(s.store.conn(), None, None).unwrap();
    assert_eq!(stored, third.findings);
    // Decisions are in the audit log.
    let logged: i64 =
        s.store.conn().query_row("SELECT count(*) FROM audit_log WHERE action = 'decide'", [], |r| r.get(0)).unwrap();
    assert_eq!(logged, 1);
}

pub(crate) fn chrono_ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}
