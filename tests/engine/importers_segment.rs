//! Segment events (`tests/fixtures/exports/segment`): identify links user, anonymous and e-mail
//! identifiers; a consent-preferences event states every mapped category (missing = negative,
//! an empty object = negative for all); profile activities make processing and disclosure; an
//! unmapped track event is reported, not guessed.

use crate::importers_hubspot::{evidence, golden, issues, subject};
use crate::support::*;

#[test]
fn events_golden() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports/segment")]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("segment"));
    assert_eq!(
        golden(&store, "segment"),
        vec![
            // Stated categories (name order), then the mapped categories the event left out.
            "segment:user:u-1001 consent.given 2023-05-10T08:00:00Z Advertising→advertising []",
            "segment:user:u-1001 consent.negative 2023-05-10T08:00:00Z Analytics→analytics []",
            "segment:user:u-1001 consent.given 2023-05-10T08:00:00Z Functional→- []",
            "segment:user:u-1001 consent.negative 2023-05-10T08:00:00Z Email Marketing→email-marketing []",
            "segment:user:u-1001 consent.negative 2023-05-10T08:00:00Z Personalization→profiling []",
            // An empty object: every mapped category is negative.
            "segment:anonymous:anon-9c1d consent.negative 2023-05-11T21:14:03.500Z Email Marketing→email-marketing []",
            "segment:anonymous:anon-9c1d consent.negative 2023-05-11T21:14:03.500Z Personalization→profiling []",
            "segment:anonymous:anon-9c1d consent.negative 2023-05-11T21:14:03.500Z Analytics→analytics []",
            "segment:anonymous:anon-9c1d consent.negative 2023-05-11T21:14:03.500Z Advertising→advertising []",
            "segment:user:u-1002 consent.negative 2023-05-12T12:00:01Z Advertising→advertising []",
            "segment:user:u-1002 consent.given 2023-05-12T12:00:01Z Analytics→analytics []",
            "segment:user:u-1002 consent.given 2023-05-12T12:00:01Z Email Marketing→email-marketing []",
            "segment:user:u-1002 consent.negative 2023-05-12T12:00:01Z Personalization→profiling []",
            // Profile activities: Email Sent → processing; Audience Synced → disclosure to the
            // destination property.
            "segment:user:u-1002 processing 2023-05-20T09:00:00Z email-marketing→email-marketing []",
            "segment:user:u-1001 disclosure 2023-05-21T02:00:00Z advertising→advertising [Facebook Custom Audiences]",
        ]
    );
    assert!(issues(&report, true).is_empty());
    let warnings = issues(&report, false);
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0]
            .starts_with("segment-events-2023-05.jsonl line 8 [event] track event 'Product Viewed' is not mapped"),
        "{warnings:#?}"
    );
    assert!(warnings[1].starts_with("segment-events-2023-05.jsonl line 9 [event] a 'page' call"), "{warnings:#?}");
    assert!(warnings[2].contains("'Functional'"), "{warnings:#?}");
    assert_eq!(report.files[0].rows_imported, 9);

    // identify joins the user id, the anonymous id and the e-mail (Søren also in HubSpot's data).
    let soren = subject(&store, "soren.ostergaard@example.dk");
    assert_eq!(subject(&store, "segment:user:u-1001"), soren);
    assert_eq!(subject(&store, "segment:anonymous:anon-7f3a"), soren);
    assert_eq!(subject(&store, "segment:user:u-1002"), subject(&store, "anna.kowalska@example.pl"));
    assert_ne!(subject(&store, "segment:anonymous:anon-9c1d"), soren);
    let given = evidence(&store, "system = 'segment' AND purpose_label = 'Advertising' AND kind = 'consent.given'");
    assert_eq!(given[0]["ip"], "192.0.2.44");
    assert_eq!(given[0]["messageId"], "ajs-next-2b3c4d");
    let missing =
        evidence(&store, "system = 'segment' AND purpose_label = 'Email Marketing' AND occurred_at < 1683800000000");
    assert_eq!(missing[0]["category_missing"], true);
    assert_eq!(count(&store, "SELECT count(*) FROM identifier_attributes WHERE value = 'Østergaard'"), 1);
}

#[test]
fn malformed_events_are_rejected_precisely_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    std::fs::write(
        &path,
        r#"[
 {"type":"track","event":"Segment Consent Preference Updated","userId":"u-9","timestamp":"2023-01-01T00:00:00Z","context":{"consent":{"categoryPreferences":{"Advertising":true,"Analytics":true,"Email Marketing":true,"Personalization":true}}}},
 {"type":"track","event":"Segment Consent Preference Updated","userId":"u-9","timestamp":"2023-01-01T00:00:00Z","context":{"consent":{"categoryPreferences":["Advertising"]}}},
 {"type":"track","event":"Audience Synced","userId":"u-9","timestamp":"2023-01-02T00:00:00Z","properties":{}},
 {"type":"track","event":"Email Sent","timestamp":"2023-01-03T00:00:00Z"},
 {"type":"track","event":"Segment Consent Preference Updated","userId":"u-9","timestamp":"not a time","context":{"consent":{"categoryPreferences":{}}}},
 {"type":"track","event":"Segment Consent Preference Updated","userId":"u-9","timestamp":"2023-01-05T00:00:00Z","context":{"consent":{"categoryPreferences":{"Advertising":"yes","Analytics":true}}}},
 {"type":"track","event":"Email Sent","userId":"u-9","timest"#,
    )
    .unwrap();
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("segment"));
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 5, "{rejected:#?}");
    assert!(rejected[0].starts_with("events.json /1/context/consent/categoryPreferences [categoryPreferences] categoryPreferences must be an object"), "{rejected:#?}");
    assert!(rejected[1].starts_with("events.json /2/properties/destination [properties.destination]"), "{rejected:#?}");
    assert!(rejected[2].starts_with("events.json /3/userId [userId] neither userId nor anonymousId"), "{rejected:#?}");
    assert!(
        rejected[3].starts_with("events.json /4/timestamp [timestamp]") && rejected[3].contains("'not a time'"),
        "{rejected:#?}"
    );
    assert!(rejected[4].contains("not valid JSON"), "{rejected:#?}");
    let warned = issues(&report, false);
    assert!(
        warned
            .iter()
            .any(|w| w
                .starts_with("events.json /5/context/consent/categoryPreferences/Advertising [categoryPreferences]")),
        "{warned:#?}"
    );
    assert_eq!(
        golden(&store, "segment"),
        vec![
            "segment:user:u-9 consent.given 2023-01-01T00:00:00Z Advertising→advertising []",
            "segment:user:u-9 consent.given 2023-01-01T00:00:00Z Analytics→analytics []",
            "segment:user:u-9 consent.given 2023-01-01T00:00:00Z Email Marketing→email-marketing []",
            "segment:user:u-9 consent.given 2023-01-01T00:00:00Z Personalization→profiling []",
            // A malformed category is neither a grant nor a refusal: Advertising is left alone.
            "segment:user:u-9 consent.given 2023-01-05T00:00:00Z Analytics→analytics []",
            "segment:user:u-9 consent.negative 2023-01-05T00:00:00Z Email Marketing→email-marketing []",
            "segment:user:u-9 consent.negative 2023-01-05T00:00:00Z Personalization→profiling []",
        ]
    );
}
