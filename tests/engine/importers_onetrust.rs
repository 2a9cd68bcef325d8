//! OneTrust data-subject export (`tests/fixtures/exports/onetrust`): every TransactionType
//! mapped deliberately, `+0000` offsets and epoch seconds inside strings, purpose names as
//! OneTrust's own lookup, several identifiers of one subject linked.

use crate::importers_hubspot::{evidence, golden, issues, subject};
use crate::support::*;

#[test]
fn data_subjects_golden() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports/onetrust")]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("onetrust"));
    assert_eq!(
        golden(&store, "onetrust"),
        vec![
            // CONFIRMED: a grant at consentDate; the Id resolves through its Name "Email Marketing".
            "zoe.muller@example.de consent.given 2023-03-02T09:00:00Z 7f1c0b9e-4d1a-4c3e-9f0a-1b2c3d4e5f60→email-marketing []",
            // NOTGIVEN: a refusal at the interaction. NO_CHOICE: nothing. PENDING: a warning.
            "zoe.muller@example.de consent.refused 2023-03-02T09:00:00Z a3e4f5d6-1111-4b2c-8d9e-0f1a2b3c4d5e→advertising []",
            // WITHDRAWN at the record's withdrawnDate (epoch seconds in a string); the Id alone
            // resolves through the name the first record gave it.
            "eleni.papadopoulou@example.gr consent.withdrawn 2023-07-22T04:26:40Z 7f1c0b9e-4d1a-4c3e-9f0a-1b2c3d4e5f60→email-marketing []",
            // OPT_OUT / HARD_OPT_OUT: undirected negative signals.
            "eleni.papadopoulou@example.gr consent.negative 2023-07-22T10:00:00Z a3e4f5d6-1111-4b2c-8d9e-0f1a2b3c4d5e→advertising []",
            "eleni.papadopoulou@example.gr consent.negative 2023-07-22T04:26:40Z d7e8f901-4444-4e5f-9011-3c4d5e6f7081→- []",
            // EXPIRED at expiryDate.
            "eleni.papadopoulou@example.gr consent.expired 2023-12-31T23:59:59Z c6d7e8f9-3333-4d4e-8f10-2b3c4d5e6f70→analytics []",
            // `+0100` without a colon.
            "+447700900123 consent.given 2022-01-10T11:00:00Z b5c6d7e8-2222-4c3d-9e0f-1a2b3c4d5e6f→sms-marketing []",
        ]
    );
    assert!(issues(&report, true).is_empty());
    let warnings = issues(&report, false);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("datasubjects-export-2023-08.json /0/purposes/3 [TransactionType] PENDING"),
        "{warnings:#?}"
    );
    assert!(warnings[1].contains("'d7e8f901-4444-4e5f-9011-3c4d5e6f7081' ('Partner Offers')"), "{warnings:#?}");

    // Several identifiers of one subject are linked.
    assert_eq!(subject(&store, "onetrust:customer-id:CRM-000981"), subject(&store, "zoe.muller@example.de"));
    assert_eq!(subject(&store, "+44 7700 900123"), subject(&store, "john.smith@example.co.uk"));
    assert_ne!(subject(&store, "zoe.muller@example.de"), subject(&store, "john.smith@example.co.uk"));
    let hard = evidence(&store, "system = 'onetrust' AND purpose_label LIKE 'd7e8%'");
    assert_eq!(hard[0]["hard_opt_out"], true);
    assert_eq!(hard[0]["TransactionType"], "HARD_OPT_OUT");
    assert_eq!(hard[0]["purpose_name"], "Partner Offers");
    // Epoch text is kept as written, with how the zone was known.
    let (text, zone): (String, String) = store
        .conn()
        .query_row(
            "SELECT occurred_at_text, zone_basis FROM event_details WHERE kind = 'consent.withdrawn' AND system = 'onetrust'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((text.as_str(), zone.as_str()), ("1690000000", "epoch"));
    // The capture source and names are kept.
    assert_eq!(count(&store, "SELECT count(*) FROM events WHERE capture_source = 'Web preference centre'"), 2);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM identifier_attributes WHERE value IN ('Ελένη', 'Παπαδοπούλου', 'Zoë', 'Müller')"
        ),
        4
    );
}

#[test]
fn malformed_records_are_rejected_precisely_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipts.json");
    std::fs::write(
        &path,
        r#"[
  {"identifier": "ok@example.org", "identifierType": "Email",
   "purposes": [{"Id": "p-1", "Name": "Email Marketing", "TransactionType": "CONFIRMED", "consentDate": "2023-01-05T10:00:00.000+0000"},
                {"Id": "p-2", "TransactionType": "MAYBE_LATER", "consentDate": "2023-01-05T10:00:00.000+0000"}]},
  {"identifier": "wrong.type@example.org", "identifierType": "Email", "purposes": "CONFIRMED"},
  {"identifierType": "Email", "purposes": []},
  {"identifier": "bad.date@example.org", "identifierType": "Email",
   "purposes": [{"Id": "p-1", "TransactionType": "CONFIRMED", "consentDate": "yesterday"}]},
  {"identifier": "cut@example.org", "identifierType": "Email", "purposes": [{"Id": "p-1", "TransactionType": "CONF"#,
    )
    .unwrap();
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("onetrust"));
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 4, "{rejected:#?}");
    assert!(rejected[0].starts_with("receipts.json /1/purposes [purposes] purposes must be an array"), "{rejected:#?}");
    assert!(rejected[1].starts_with("receipts.json /2/identifier [identifier] missing identifier"), "{rejected:#?}");
    assert!(
        rejected[2].starts_with("receipts.json /3/purposes/0/consentDate [consentDate]")
            && rejected[2].contains("'yesterday'")
    );
    assert!(rejected[3].contains("not valid JSON"), "{rejected:#?}");
    let warned = issues(&report, false);
    assert!(
        warned
            .iter()
            .any(|w| w
                .starts_with("receipts.json /0/purposes/1 [TransactionType] unknown TransactionType 'MAYBE_LATER'")),
        "{warned:#?}"
    );
    assert_eq!(
        golden(&store, "onetrust"),
        vec!["ok@example.org consent.given 2023-01-05T10:00:00Z p-1→email-marketing []"]
    );
}
