//! Kantara Consent Receipt v1.1 (`tests/fixtures/exports/kantara`): epoch `consentTimestamp`
//! (number or string), every service purpose a grant, `thirdPartyName` as the named recipient,
//! `policyUrl` as the notice, `consentType` as the method.

use crate::importers_hubspot::{evidence, golden, issues, subject};
use crate::support::*;

#[test]
fn receipts_golden() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports/kantara")]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("kantara"));
    assert_eq!(
        golden(&store, "kantara"),
        vec![
            "eleni.papadopoulou@example.gr consent.given 2023-06-01T10:00:00Z Newsletter→email-marketing []",
            "eleni.papadopoulou@example.gr consent.given 2023-06-01T10:00:00Z Offers from selected partners→third-party-sharing [Bergführer Reisen GmbH]",
            "li.na@example.cn consent.given 2023-07-01T12:00:00Z Newsletter→email-marketing []",
        ]
    );
    assert!(issues(&report, true).is_empty());
    assert!(issues(&report, false).is_empty(), "{:#?}", issues(&report, false));
    let rows: Vec<(String, String, String, String)> = store
        .conn()
        .prepare("SELECT method, notice_version, capture_source, zone_basis FROM event_details WHERE system = 'kantara' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows[0],
        (
            "explicit-opt-in".to_string(),
            "https://fernhill.example/privacy/v3.2".to_string(),
            "Web form – newsletter sign-up".to_string(),
            "epoch".to_string()
        )
    );
    // An implicit consent type is recorded as implied (rule R6 treats it as invalid consent).
    assert_eq!(rows[2].0, "implied");
    let e = evidence(&store, "system = 'kantara'");
    assert_eq!(e[0]["consentReceiptID"], "b2f6e0d4-52a1-4d77-9c3e-0f8a1b2c3d4e");
    assert_eq!(e[0]["piiControllers"], serde_json::json!(["Fernhill Outdoor Ltd"]));
    assert_eq!(e[0]["termination"], "https://fernhill.example/privacy/v3.2#withdraw");
    assert_ne!(subject(&store, "eleni.papadopoulou@example.gr"), subject(&store, "li.na@example.cn"));
}

#[test]
fn malformed_receipts_are_rejected_precisely_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipts.json");
    std::fs::write(
        &path,
        r#"[
 {"version": "KI-CR-v1.1.0", "consentTimestamp": 1672531200, "piiPrincipalId": "ok@example.org", "consentReceiptID": "r1",
  "policyUrl": "https://example.org/p", "services": [{"service": "S", "purposes": [
    {"purpose": "Newsletter", "consentType": "OPT-IN-ISH", "thirdPartyDisclosure": true},
    {"purpose": "Offers from selected partners", "consentType": "EXPLICIT", "thirdPartyDisclosure": false, "thirdPartyName": "Nobody Ltd"}]}]},
 {"consentTimestamp": "soon", "piiPrincipalId": "late@example.org", "services": []},
 {"consentTimestamp": 1672531200, "piiPrincipalId": "flat@example.org", "services": {"purpose": "Newsletter"}},
 {"consentTimestamp": 1672531200, "piiPrincipalId": "odd@example.org", "services": [{"purposes": [{"purpose": "Newsletter", "thirdPartyDisclosure": "yes"}]}]},
 {"consentTimestamp": 1672531200, "services": []},
 {"consentTimestamp": 1672531200, "piiPrincipalId": "cut@example.org", "services": [{"purp"#,
    )
    .unwrap();
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert!(!report.any_failed(), "{report:#?}");
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 5, "{rejected:#?}");
    assert!(
        rejected[0].starts_with("receipts.json /1/consentTimestamp [consentTimestamp]")
            && rejected[0].contains("'soon'"),
        "{rejected:#?}"
    );
    assert!(rejected[1].starts_with("receipts.json /2/services [services] services must be an array"), "{rejected:#?}");
    assert!(
        rejected[2].starts_with("receipts.json /3/services/0/purposes/0/thirdPartyDisclosure [thirdPartyDisclosure]"),
        "{rejected:#?}"
    );
    assert!(
        rejected[3].starts_with("receipts.json /4/piiPrincipalId [piiPrincipalId] missing piiPrincipalId"),
        "{rejected:#?}"
    );
    assert!(rejected[4].contains("not valid JSON"), "{rejected:#?}");
    let warned = issues(&report, false);
    assert_eq!(warned.len(), 3, "{warned:#?}");
    assert!(warned[0].starts_with(
        "receipts.json /0/services/0/purposes/0/consentType [consentType] unknown consentType 'OPT-IN-ISH'"
    ));
    assert!(
        warned[1].contains("/0/services/0/purposes/0/thirdPartyName")
            && warned[1].contains("does not name the recipient")
    );
    assert!(warned[2].contains("/0/services/0/purposes/1/thirdPartyName") && warned[2].contains("'Nobody Ltd'"));
    assert_eq!(
        golden(&store, "kantara"),
        vec![
            "ok@example.org consent.given 2023-01-01T00:00:00Z Newsletter→email-marketing []",
            "ok@example.org consent.given 2023-01-01T00:00:00Z Offers from selected partners→third-party-sharing []",
        ]
    );
}
