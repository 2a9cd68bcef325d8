//! Issue 11 / SPEC §2 and §4.1 as revised: consent per (subject, purpose, recipient), undated
//! states as of an export, recipient names compared case-insensitively, unmapped purposes not
//! judged, R4 for consent mechanisms, R10's youngest date of birth. Each test fails on the model
//! before the revision (one state per purpose, recipients compared as written, every label judged).

use std::collections::BTreeSet;

use consenttrail_engine::reconcile::state::{self, ConsentState};
use consenttrail_engine::reconcile::timeline;

use crate::rules::chrono_ms;
use crate::rules::{
    assert_findings, disclosed, f, given, negative, profile, refused, row, scenario, used, withdrawn, F,
};

const H: &str = "high";
const M: &str = "medium";

#[test]
fn a_refusal_for_one_recipient_leaves_the_grant_for_another_standing() {
    let p = profile();
    let who = "hannah.scoped@example.com";
    let mut s = scenario(
        &p,
        &[
            // One ISO 27560-style decision per recipient, at the same instant.
            given(who, "2023-03-01T09:00:00Z", "partner-sharing").to("Alpha Ltd").sys("dpv"),
            refused(who, "2023-03-01T09:00:00Z", "partner-sharing").to("Beta GmbH").sys("dpv"),
            disclosed(who, "2023-04-01T00:00:00Z", "partner-sharing", "Alpha Ltd"),
            disclosed(who, "2023-04-02T00:00:00Z", "partner-sharing", "Beta GmbH"),
        ],
    );
    // No R2 on the disclosure to Alpha (the grant names it); Beta was refused: R2 for Beta.
    assert_findings(&s.findings(), &[f("R2", H, who, "partner-sharing", Some("Beta GmbH"), &["2023-04-02T00:00:00Z"])]);
    let subject = s.subject(who);
    let events = timeline::subject_events(s.store.conn(), subject).unwrap();
    let states = state::subject_state(&p, &events, chrono_ms("2023-05-01T00:00:00Z"));
    let partner = states.iter().find(|x| x.purpose == "partner-sharing").unwrap();
    assert_eq!(partner.state, ConsentState::Given, "{partner:#?}");
    assert!(partner.recipients.iter().any(|r| r == "Alpha Ltd"), "{partner:#?}");
    assert_eq!(partner.exceptions.len(), 1, "{partner:#?}");
    assert_eq!(partner.exceptions[0].recipient, "Beta GmbH");
    assert_eq!(partner.exceptions[0].state, ConsentState::Refused);
    assert!(partner.summary.contains("refused for Beta GmbH since 2023-03-01T09:00:00Z"), "{}", partner.summary);
    // The bars show the exception as a bar of its own.
    let bars = state::state_bars(&events);
    let beta = bars.iter().find(|b| b.recipient.as_deref() == Some("Beta GmbH")).expect("a bar for Beta");
    assert_eq!(beta.segments[0].state, ConsentState::Refused);
    assert!(bars.iter().all(|b| b.recipient.as_deref() != Some("Alpha Ltd")), "Alpha's state is the purpose's");
}

#[test]
fn a_purpose_wide_withdrawal_covers_every_recipient_and_a_later_scoped_grant_only_its_own() {
    let p = profile();
    let who = "scoped.regrant@example.com";
    let mut s = scenario(
        &p,
        &[
            given(who, "2023-01-01T00:00:00Z", "partner-sharing").to("Alpha Ltd|Beta GmbH").sys("kantara"),
            withdrawn(who, "2023-02-01T00:00:00Z", "partner-sharing").sys("webform"),
            // Re-consent for Alpha only.
            given(who, "2023-03-01T00:00:00Z", "partner-sharing").to("Alpha Ltd").sys("kantara"),
            disclosed(who, "2023-04-01T00:00:00Z", "partner-sharing", "Alpha Ltd"),
            disclosed(who, "2023-04-01T00:00:00Z", "partner-sharing", "Beta GmbH"),
        ],
    );
    assert_findings(&s.findings(), &[f("R3", H, who, "partner-sharing", Some("Beta GmbH"), &["2023-04-01T00:00:00Z"])]);
}

#[test]
fn recipient_names_compare_case_insensitively_and_the_audit_never_fails_on_them() {
    let p = profile();
    let who = "acme.case@example.com";
    let odd = "odd.names@example.com";
    let nfd = "Zoe\u{0301} Me\u{0301}dia SARL";
    let mut s = scenario(
        &p,
        &[
            given(who, "2023-01-01T00:00:00Z", "email-marketing"),
            // One recipient written three ways: one finding, shown as first written.
            disclosed(who, "2023-02-01T00:00:00Z", "email-marketing", "Acme Data Ltd"),
            disclosed(who, "2023-02-02T00:00:00Z", "email-marketing", "ACME DATA LTD"),
            disclosed(who, "2023-02-03T00:00:00Z", "email-marketing", "  acme data ltd "),
            // Named only in disclosures, in scripts and forms a log really holds.
            given(odd, "2023-01-01T00:00:00Z", "email-marketing"),
            disclosed(odd, "2023-02-01T00:00:00Z", "email-marketing", "شركة البيانات"),
            disclosed(odd, "2023-02-01T00:00:00Z", "email-marketing", "数据公司"),
            disclosed(odd, "2023-02-01T00:00:00Z", "email-marketing", nfd),
            // The same name in NFC: one recipient.
            disclosed(odd, "2023-02-04T00:00:00Z", "email-marketing", "Zoé Média SARL"),
            disclosed(odd, "2023-02-01T00:00:00Z", "email-marketing", "ΔΕΔΟΜΈΝΑ Α.Ε."),
            disclosed(odd, "2023-02-02T00:00:00Z", "email-marketing", "δεδομένα α.ε."),
            // A grant naming a party in one case covers a disclosure written in another.
            given("covered.case@example.com", "2023-01-01T00:00:00Z", "partner-sharing").to("acme data ltd"),
            disclosed("covered.case@example.com", "2023-02-01T00:00:00Z", "partner-sharing", "ACME Data Ltd"),
        ],
    );
    let report = s.audit();
    let ids: BTreeSet<&str> = report.findings.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids.len(), report.findings.len(), "finding ids are unique");
    let mut found: Vec<F> = report.findings.iter().map(F::from).collect();
    found.sort();
    assert_findings(
        &found,
        &[
            f(
                "R1",
                H,
                who,
                "email-marketing",
                Some("Acme Data Ltd"),
                &["2023-02-01T00:00:00Z", "2023-02-02T00:00:00Z", "2023-02-03T00:00:00Z"],
            ),
            f("R1", H, odd, "email-marketing", Some("شركة البيانات"), &["2023-02-01T00:00:00Z"]),
            f("R1", H, odd, "email-marketing", Some("数据公司"), &["2023-02-01T00:00:00Z"]),
            f("R1", H, odd, "email-marketing", Some(nfd), &["2023-02-01T00:00:00Z", "2023-02-04T00:00:00Z"]),
            f(
                "R1",
                H,
                odd,
                "email-marketing",
                Some("ΔΕΔΟΜΈΝΑ Α.Ε."),
                &["2023-02-01T00:00:00Z", "2023-02-02T00:00:00Z"],
            ),
        ],
    );
    // A second run keeps the same ids (decisions hang on them).
    let again: BTreeSet<String> = s.audit().findings.iter().map(|x| x.id.clone()).collect();
    assert_eq!(again, ids.iter().map(|x| x.to_string()).collect());
}

#[test]
fn undated_states_as_of_an_export_show_beside_the_dated_state_and_judge_nothing() {
    let p = profile();
    let who = "yuki.flags@example.com";
    let mut s = scenario(
        &p,
        &[
            given(who, "2022-05-01T00:00:00Z", "email-marketing").sys("mailchimp"),
            // A HubSpot opt-out flag: a state as of the export, no date of its own.
            negative(who, "", "email-marketing").sys("hubspot"),
            used(who, "2022-06-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        ],
    );
    // The undated flag triggers no R1–R3 and is never system A of R7.
    assert_findings(&s.findings(), &[]);
    let events = timeline::subject_events(s.store.conn(), s.subject(who)).unwrap();
    let states = state::subject_state(&p, &events, chrono_ms("2023-01-01T00:00:00Z"));
    let email = states.iter().find(|x| x.purpose == "email-marketing").unwrap();
    assert_eq!(email.state, ConsentState::Given);
    assert_eq!(email.as_of_export.len(), 1, "{email:#?}");
    assert_eq!(email.as_of_export[0].system, "hubspot");
    assert!(email.as_of_export[0].state.is_negative());
    assert_eq!(
        email.summary, "given per mailchimp since 2022-05-01T00:00:00Z; opted out per hubspot as of its export",
        "{email:#?}"
    );
    let bars = state::state_bars(&events);
    let bar = bars.iter().find(|b| b.purpose == "email-marketing" && b.recipient.is_none()).unwrap();
    assert_eq!(bar.as_of_export.len(), 1);
}

#[test]
fn r10_uses_the_youngest_date_of_birth_and_names_the_conflict() {
    let p = profile();
    let who = "dmitri.dob@example.com";
    let mut s = scenario(
        &p,
        &[
            used(who, "2021-01-01T00:00:00Z", "post-marketing").sys("salesforce").dob("2000-03-03"),
            used(who, "2021-01-02T00:00:00Z", "post-marketing").sys("webform").dob("2009-09-09"),
            given(who, "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
        ],
    );
    let report = s.audit();
    assert_findings(
        &report.findings.iter().map(F::from).collect::<Vec<_>>(),
        &[f("R10", H, who, "email-marketing", None, &["2022-01-01T00:00:00Z"])],
    );
    let x = &report.findings[0].explanation;
    // Both dates come from one canonical file here: the system named is the file's.
    assert!(x.contains("born 2009-09-09, according to consenttrail"), "{x}");
    assert!(x.contains("disagree") && x.contains("2000-03-03 according to consenttrail"), "{x}");
}

#[test]
fn unmapped_purposes_are_not_judged_and_the_summary_names_system_labels_and_count() {
    let p = profile();
    let who = "unmapped@example.com";
    let mut s = scenario(
        &p,
        &[
            // Pre-ticked, no notice, used without consent: every rule would fire on a mapped purpose.
            given(who, "2023-01-01T00:00:00Z", "Loyalty Points").m("pre-ticked").sys("segment"),
            refused(who, "2023-01-02T00:00:00Z", "Loyalty Points").sys("segment"),
            used(who, "2023-02-01T00:00:00Z", "Loyalty Points").sys("segment"),
            disclosed(who, "2023-02-01T00:00:00Z", "Cookie Sync", "Acme").sys("segment"),
        ],
    );
    let report = s.audit();
    assert_findings(&report.findings.iter().map(F::from).collect::<Vec<_>>(), &[]);
    let lines: Vec<&str> = report.summary.not_evaluated.iter().map(|n| n.reason.as_str()).collect();
    assert!(
        lines.contains(
            &"R1–R11 not evaluated for 4 segment event(s) with unmapped purposes Cookie Sync, Loyalty Points: map them in the profile"
        ),
        "{lines:#?}"
    );
}

#[test]
fn r4_a_consent_mechanism_records_how_by_itself() {
    let p = profile();
    let (cmp, web) = ("cmp.how@example.com", "web.how@example.com");
    let mut s = scenario(
        &p,
        &[
            // A Segment consent-preferences grant: no method column, the event is the mechanism.
            row("consent.given", cmp, "2023-01-01T00:00:00Z").p("email-marketing").sys("segment"),
            // A web form grant with nothing that says how: R4.
            row("consent.given", web, "2023-01-01T00:00:00Z").p("email-marketing").sys("webform"),
        ],
    );
    assert_findings(&s.findings(), &[f("R4", M, web, "email-marketing", None, &["2023-01-01T00:00:00Z"])]);
}
