//! ISO/IEC TS 27560 consent records in W3C DPV terms: the real draft records
//! (`../shared/data/dpv-27560`, AUG23 and SEP-01a) and the export set's record with a
//! per-recipient grant and refusal. The right status per purpose and per recipient, zone-less
//! times in the assumed zone, controllers not counted as recipients.

use crate::importers_hubspot::{evidence, golden, issues, subject};
use crate::support::*;

#[test]
fn real_records_import_with_the_right_status_per_purpose_and_recipient() {
    let data = shared_data().join("dpv-27560");
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[data.join("AUG23.json"), data.join("SEP-01a.json")]);
    assert!(!report.any_failed(), "{report:#?}");
    assert!(report.files.iter().all(|f| f.system.as_deref() == Some("dpv")), "{report:#?}");
    assert_eq!(
        golden(&store, "dpv"),
        vec![
            // AUG23: the record's ConsentGiven (ConsentRequested is no consent event) covers each
            // process; company:1347 is the controller, so not a recipient.
            "dpv:subject:3 consent.given 2024-08-23T15:21:36.886Z dpv:EnforceSecurity→- []",
            "dpv:subject:3 consent.given 2024-08-23T15:21:36.886Z dpv:EnforceAccessControl→- []",
            "dpv:subject:3 consent.given 2024-08-23T15:21:36.886Z dpv:AcademicResearch→- []",
            // SEP-01a: given then withdrawn for both purposes, to the recipients Alpha and Beta
            // (company:SignatuAS is the controller); zone-less times in the assumed zone (UTC).
            "dpv:subject:UUID-4 consent.given 2023-11-05T16:08:50Z dpv:Marketing→- [Alpha | Beta]",
            "dpv:subject:UUID-4 consent.given 2023-11-05T16:08:50Z dpv:ServiceProvision→- [Alpha | Beta]",
            "dpv:subject:UUID-4 consent.withdrawn 2024-01-05T16:08:50Z dpv:Marketing→- [Alpha | Beta]",
            "dpv:subject:UUID-4 consent.withdrawn 2024-01-05T16:08:50Z dpv:ServiceProvision→- [Alpha | Beta]",
        ]
    );
    assert!(issues(&report, true).is_empty());
    // The purposes are DPV terms the built-in profile does not map: reported, mappable.
    let warnings = issues(&report, false);
    assert_eq!(warnings.len(), 5, "{warnings:#?}");
    assert!(warnings.iter().all(|w| w.contains("add it as a 'dpv' alias")), "{warnings:#?}");
    // The e-mail given as the subject's personal data joins the subject.
    assert_eq!(subject(&store, "hello@example.com"), subject(&store, "dpv:subject:UUID-4"));
    let zone: String = store
        .conn()
        .query_row(
            "SELECT zone_basis FROM event_details WHERE occurred_at_text = '2023-11-05T16:08:50' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(zone, "assumed:UTC");
    let given = evidence(&store, "system = 'dpv' AND purpose_label = 'dpv:Marketing' AND kind = 'consent.given'");
    assert_eq!(given[0]["record_id"], "UUID-4");
    assert_eq!(given[0]["controllers"], serde_json::json!(["company:SignatuAS"]));
    assert_eq!(given[0]["hasDuration"]["rdf:value"], "P6M");
    let aug = evidence(&store, "system = 'dpv' AND purpose_label = 'dpv:EnforceSecurity'");
    assert_eq!(
        aug[0]["purpose_description"],
        "To ensure the safety and security of employees and company assets through video surveillance."
    );
    assert_eq!(aug[0]["legal_basis"], serde_json::json!(["eu-gdpr:A6-1-a-non-explicit-consent"]));
    let (method, notice): (String, String) = store
        .conn()
        .query_row(
            "SELECT method, notice_version FROM events WHERE system = 'dpv' AND kind = 'consent.given' AND purpose_label = 'dpv:Marketing'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((method.as_str(), notice.as_str()), ("explicit-opt-in", "UUID-4"));
}

#[test]
fn export_set_record_golden_with_per_recipient_decisions() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports/dpv")]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(
        golden(&store, "dpv"),
        vec![
            // One purpose, two sub-processes: given to Meta, refused to Criteo at the same instant.
            "zoe.muller@example.de consent.given 2023-03-05T10:00:00Z dpv:PersonalisedAdvertising→advertising [Meta Platforms Ireland Limited]",
            "zoe.muller@example.de consent.refused 2023-03-05T10:00:00Z dpv:PersonalisedAdvertising→advertising [Criteo SA]",
            // A described purpose labelled by its broader term; requested (no event), given, withdrawn.
            "zoe.muller@example.de consent.given 2023-03-05T10:00:00Z dpv:DirectMarketing→email-marketing []",
            "zoe.muller@example.de consent.withdrawn 2023-09-01T16:30:00Z dpv:DirectMarketing→email-marketing []",
        ]
    );
    assert!(issues(&report, true).is_empty());
    assert!(issues(&report, false).is_empty(), "{:#?}", issues(&report, false));
    let scoped = evidence(&store, "system = 'dpv' AND purpose_label = 'dpv:PersonalisedAdvertising'");
    assert!(scoped.iter().all(|e| e["recipient_scoped"] == true), "{scoped:#?}");
    let notices: Vec<Option<String>> = store
        .conn()
        .prepare("SELECT notice_version FROM events WHERE system = 'dpv' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(notices, vec![Some("PN-2023.1".to_string()), Some("PN-2023.1".to_string()), None, None]);
}

#[test]
fn malformed_records_are_rejected_precisely_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.jsonld");
    std::fs::write(
        &path,
        r#"[
 {"dpv:hasDataSubject": {"dpv:hasIdentifier": "ok@example.org"},
  "dpv:hasProcess": [{"dpv:hasPurpose": "dpv:DirectMarketing",
    "dpv:hasConsentStatus": [{"@type": "dpv:ConsentGiven", "dpv:isIndicatedAtTime": "2023-01-01T09:00:00"},
                             {"@type": "dpv:ConsentMaybe", "dpv:isIndicatedAtTime": "2023-01-02T09:00:00"}]}]},
 {"dpv:hasProcess": [{"dpv:hasPurpose": "dpv:DirectMarketing", "dpv:hasConsentStatus": [{"@type": "dpv:ConsentGiven", "dpv:isIndicatedAtTime": "2023-01-01T09:00:00"}]}]},
 {"https://w3id.org/dpv#hasDataSubject": {"https://w3id.org/dpv#hasIdentifier": "iri@example.org"},
  "https://w3id.org/dpv#hasProcess": [{"https://w3id.org/dpv#hasPurpose": {"@id": "https://w3id.org/dpv#DirectMarketing"},
    "https://w3id.org/dpv#hasConsentStatus": [{"@type": "https://w3id.org/dpv#ConsentRefused", "https://w3id.org/dpv#isIndicatedAtTime": {"@value": "2023-02-01T09:00:00Z"}}]}]},
 {"dpv:hasDataSubject": {"dpv:hasIdentifier": "bad.time@example.org"},
  "dpv:hasProcess": [{"dpv:hasPurpose": "dpv:DirectMarketing", "dpv:hasConsentStatus": [{"@type": "dpv:ConsentGiven", "dpv:isIndicatedAtTime": "2023-13-45T00:00:00"}]}]},
 {"dpv:hasDataSubject": {"dpv:hasIdentifier": "cut@example.org"}, "dpv:hasProcess": [{"dpv:hasPur"#,
    )
    .unwrap();
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("dpv"));
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 3, "{rejected:#?}");
    assert!(
        rejected[0].starts_with("records.jsonld /1/dpv:hasDataSubject [dpv:hasDataSubject] missing"),
        "{rejected:#?}"
    );
    assert!(
        rejected[1].starts_with("records.jsonld /3/dpv:hasProcess/0/dpv:hasConsentStatus/0/dpv:isIndicatedAtTime")
            && rejected[1].contains("'2023-13-45T00:00:00'"),
        "{rejected:#?}"
    );
    assert!(rejected[2].contains("not valid JSON"), "{rejected:#?}");
    let warned = issues(&report, false);
    assert!(
        warned.iter().any(|w| w.starts_with("records.jsonld /0/dpv:hasProcess/0/dpv:hasConsentStatus/1 [dpv:hasConsentStatus] unknown consent status 'dpv:ConsentMaybe'")),
        "{warned:#?}"
    );
    assert_eq!(
        golden(&store, "dpv"),
        vec![
            "ok@example.org consent.given 2023-01-01T09:00:00Z dpv:DirectMarketing→email-marketing []",
            // Full IRIs read like prefixed names.
            "iri@example.org consent.refused 2023-02-01T09:00:00Z dpv:DirectMarketing→email-marketing []",
        ]
    );
}
