//! IAB TCF v2 consent logs and Global Vendor Lists: every upstream test vector imports as a
//! log row and its vendors are named by the GVL of the matching version (in either import
//! order); the export set's log (a TC-string column found by its values, a policy-v4 string
//! with legitimate interest for purposes 3–6, a row without a time); malformed strings rejected
//! with the decoder's reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consenttrail_engine::model::timestamp::format_millis;
use serde_json::Value;

use crate::importers_hubspot::{evidence, golden, issues, subject};
use crate::support::*;

/// The built-in profile's purpose for a TCF purpose number.
fn purpose_of(p: u8) -> &'static str {
    match p {
        2 | 3 | 4 | 7 => "advertising",
        5 | 6 | 11 => "profiling",
        8..=10 => "analytics",
        _ => "-",
    }
}

/// The events one string makes: a grant per consented purpose naming `recipients`, a negative
/// signal for every other purpose of the policy.
fn string_events(subject: &str, at: &str, last_purpose: u8, consents: &[u8], recipients: &[&str]) -> Vec<String> {
    (1..=last_purpose)
        .map(|p| {
            if consents.contains(&p) {
                format!("{subject} consent.given {at} {p}→{} [{}]", purpose_of(p), recipients.join(" | "))
            } else {
                format!("{subject} consent.negative {at} {p}→{} []", purpose_of(p))
            }
        })
        .collect()
}

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(shared_data().join("tcf/vectors.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["valid"].as_array().unwrap().clone()
}

/// A CSV log of every vector, subject `vector-<i>`, no time column.
fn vector_log(dir: &Path) -> PathBuf {
    let mut text = String::from("visitor,consent_string,page\n");
    for (i, v) in vectors().iter().enumerate() {
        text.push_str(&format!("vector-{i},{},https://news.example/\n", v["tc_string"].as_str().unwrap()));
    }
    let path = dir.join("cmp-log.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The golden events of the vector log, derived from the upstream decode and the GVL file.
fn vector_golden() -> Vec<String> {
    let gvl: Value = serde_json::from_str(
        &std::fs::read_to_string(shared_data().join("tcf/iabtcf-es_vendor-list-v15.json")).unwrap(),
    )
    .unwrap();
    let mut expected = Vec::new();
    for (i, v) in vectors().iter().enumerate() {
        let d = &v["decoded_full"];
        let at = chrono::DateTime::parse_from_rfc3339(d["lastUpdated"].as_str().unwrap()).unwrap().timestamp_millis();
        let consents: Vec<u8> =
            d["purposeConsents"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap() as u8).collect();
        let version = d["vendorListVersion"].as_u64().unwrap();
        let mut names: Vec<String> = d["vendorConsents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| {
                let id = id.as_u64().unwrap();
                match (version, gvl["vendors"][id.to_string()]["name"].as_str()) {
                    (15, Some(name)) => name.trim().to_string(),
                    _ => format!("tcf:vendor:{id}@{version}"),
                }
            })
            .collect();
        names.sort();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let last = if d["policyVersion"].as_u64().unwrap() >= 4 { 11 } else { 10 };
        expected.extend(string_events(&format!("tcf:visitor:vector-{i}"), &format_millis(at), last, &consents, &refs));
    }
    expected
}

#[test]
fn every_vector_imports_and_vendors_resolve_with_the_gvl_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = vector_log(dir.path());
    let gvl = shared_data().join("tcf/iabtcf-es_vendor-list-v15.json");
    let (_db, mut store) = temp_store();
    // Given log first: the GVL still imports first (it is what the log depends on).
    let report = import(&mut store, &[log, gvl]);
    assert!(!report.any_failed(), "{report:#?}");
    let systems: Vec<_> = report.files.iter().map(|f| f.system.clone().unwrap()).collect();
    assert_eq!(systems, vec!["tcf-gvl", "tcf"]);
    assert_eq!(report.files[0].rows_imported, 80, "79 vendors and the purposes");
    assert_eq!(report.files[1].rows_imported, 8);
    assert!(issues(&report, true).is_empty(), "{:#?}", issues(&report, true));
    let golden_events = golden(&store, "tcf");
    assert_eq!(golden_events, vector_golden());
    assert!(
        golden_events.contains(&"tcf:visitor:vector-5 consent.negative 2020-03-10T00:50:01.800Z 1→- []".to_string())
    );
    // The version-15 vectors give vendors consent but no purpose: no grant names them. Their
    // labels resolve through the GVL beside them exactly as a grant's recipients would.
    let profile = consenttrail_engine::profile::Profile::builtin();
    for v in vectors().iter().filter(|v| v["decoded_full"]["vendorListVersion"] == 15) {
        for id in v["decoded_full"]["vendorConsents"].as_array().unwrap() {
            let id = id.as_u64().unwrap() as u32;
            let label = consenttrail_engine::import::derive::tcf_vendor_label(id, 15);
            let name = consenttrail_engine::import::derive::resolve_recipient(store.conn(), &profile, &label).unwrap();
            let expected = gvl_name(id);
            assert_eq!(name.as_deref(), Some(expected.as_str()), "{label}");
        }
    }
    // Recipients are stored as `tcf:vendor:<id>@<version>`; version 7 has no GVL here.
    let labels: BTreeMap<String, Option<String>> = store
        .conn()
        .prepare("SELECT DISTINCT label, legal_name FROM event_recipients")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(labels.len(), 7);
    assert_eq!(labels["tcf:vendor:23@7"], None, "no GVL version 7 was imported");
    // Only vendors with consent: vectors 1–3 give vendor 129 legitimate interest only.
    assert!(!labels.contains_key("tcf:vendor:129@7"));
    // The unmapped TCF purpose 1 is reported with its GVL name.
    let warnings = issues(&report, false);
    assert!(
        warnings.iter().any(|w| w.contains("'1' ('Store and/or access information on a device')")),
        "{warnings:#?}"
    );
}

fn gvl_name(id: u32) -> String {
    let gvl: Value = serde_json::from_str(
        &std::fs::read_to_string(shared_data().join("tcf/iabtcf-es_vendor-list-v15.json")).unwrap(),
    )
    .unwrap();
    gvl["vendors"][id.to_string()]["name"].as_str().unwrap().trim().to_string()
}

#[test]
fn a_gvl_imported_later_names_the_vendors_of_earlier_logs() {
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports/tcf/cmp-consent-log-2023.csv")]);
    assert!(!report.any_failed(), "{report:#?}");
    let named = |store: &consenttrail_engine::store::Store| -> Vec<(String, Option<String>)> {
        store
            .conn()
            .prepare("SELECT DISTINCT label, legal_name FROM event_recipients WHERE label LIKE '%@150' ORDER BY label")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(named(&store).iter().all(|(_, n)| n.is_none()));
    let report = import(&mut store, &[fixtures().join("exports/tcf/vendor-list-v150.json")]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(
        named(&store),
        vec![
            ("tcf:vendor:1@150".to_string(), Some("Exponential Interactive, Inc d/b/a VDX.tv".to_string())),
            ("tcf:vendor:2@150".to_string(), Some("Captify Technologies Limited".to_string())),
            ("tcf:vendor:755@150".to_string(), Some("Google Advertising Products".to_string())),
        ]
    );
    // The v3-spec GVL (version 15, policy 4) and the v2-spec one (version 26, a vendor listing
    // a purpose twice and a deleted vendor) import as lookups too.
    let report = import(
        &mut store,
        &[shared_data().join("tcf/iabtcf-java_gvl_v2spec.json"), shared_data().join("tcf/iabtcf-java_gvlv3.json")],
    );
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files.iter().map(|f| f.rows_imported).collect::<Vec<_>>(), vec![4, 3]);
    let deleted: String = store
        .conn()
        .query_row(
            "SELECT value FROM label_lookups WHERE system = 'tcf' AND kind = 'gvl-vendor' AND key = '26:512'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(deleted, "PubNative GmbH");
}

#[test]
fn export_set_log_golden() {
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports/tcf")]);
    assert!(!report.any_failed(), "{report:#?}");
    let systems: Vec<_> = report.files.iter().map(|f| f.system.clone().unwrap()).collect();
    assert_eq!(systems, vec!["tcf-gvl", "tcf"]);
    let vendors =
        ["Captify Technologies Limited", "Exponential Interactive, Inc d/b/a VDX.tv", "Google Advertising Products"];
    let mut expected = Vec::new();
    // A string logged with a subject written as Segment's anonymous id (it joins Segment's subject).
    expected.extend(string_events(
        "segment:anonymous:anon-7f3a",
        "2023-05-10T08:00:05Z",
        11,
        &[1, 2, 3, 4, 7, 9, 10],
        &vendors,
    ));
    // Policy version 4 with legitimate interest for purposes 3 and 4: imported, flagged.
    expected.extend(string_events("li.na@example.cn", "2023-06-20T17:45:02Z", 11, &[1], &[]));
    // No log time: the string's own lastUpdated.
    expected.extend(string_events(
        "li.na@example.cn",
        "2023-07-03T11:30:00Z",
        11,
        &[1, 8, 9],
        &["Captify Technologies Limited"],
    ));
    // A policy-2 string of GVL version 7, which was not imported: the vendors keep their labels.
    let v7: Vec<String> = [23, 37, 47, 48, 53, 65, 98].iter().map(|id| format!("tcf:vendor:{id}@7")).collect();
    let v7: Vec<&str> = v7.iter().map(String::as_str).collect();
    expected.extend(string_events("anna.kowalska@example.pl", "2019-12-10T18:53:10Z", 10, &[3, 4, 5, 6, 7, 8, 9], &v7));
    assert_eq!(golden(&store, "tcf"), expected);
    assert!(issues(&report, true).is_empty(), "{:#?}", issues(&report, true));
    let warnings = issues(&report, false);
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("cmp-consent-log-2023.csv line 3 [euconsent-v2] TC string under TCF policy version 4")
            && warnings[0].contains("purpose(s) 3, 4"),
        "{warnings:#?}"
    );
    // SPEC §2, one statement per record and profile purpose, said once per file: the anonymous
    // visitor's string (analytics 9, 10 but not 8), Li Na's second (analytics 8, 9 but not 10)
    // and Anna's (advertising 3, 4, 7 but not 2; personalisation 5, 6 but not 11; analytics).
    assert!(warnings[1].contains("3 record(s) answered several source purposes"), "{warnings:#?}");
    assert!(warnings[2].contains("'1' ('Store and/or access information on a device')"), "{warnings:#?}");
    // The R11 marks are in the evidence of every event of that string, and only that string.
    let flagged = evidence(&store, "system = 'tcf' AND evidence LIKE '%invalid_li_purposes%'");
    assert_eq!(flagged.len(), 11);
    assert_eq!(flagged[0]["invalid_li_purposes"], serde_json::json!([3, 4]));
    assert_eq!(flagged[0]["tcf_policy_version"], 4);
    assert_eq!(flagged[0]["tc_string"].as_str().unwrap().len(), 44);
    let timeless = evidence(&store, "system = 'tcf' AND occurred_at_text LIKE '2023-07-03%'");
    assert_eq!(timeless[0]["time_source"], "tc_string.lastUpdated");
    assert_eq!(subject(&store, "segment:anonymous:anon-7f3a"), subject(&store, "segment:anonymous:anon-7f3a"));
    // Rule R11 finds the string once.
    let audit = consenttrail_engine::rules::audit::run(&mut store).unwrap();
    let r11: Vec<_> = audit.findings.iter().filter(|f| f.rule.as_str() == "R11").collect();
    assert_eq!(r11.len(), 1, "{r11:#?}");
    assert_eq!(r11[0].subject_id, subject(&store, "li.na@example.cn"));
    assert_eq!(r11[0].at.map(format_millis).as_deref(), Some("2023-06-20T17:45:02Z"));
}

#[test]
fn malformed_strings_and_rows_are_rejected_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let ok = "CPtsvgYPtsvgYEsACBZHCWEAAIAAADAAAAwIAAAAAAAA";
    std::fs::write(
        &path,
        format!(
            "time;user_email;tcdata\n\
             2023-01-01T00:00:00Z;ok@example.org;{ok}\n\
             2023-01-01T00:00:00Z;cut@example.org;CPtsvgYPtsvgYEsACBZHCWEAAIAAAD\n\
             2023-01-01T00:00:00Z;;{ok}\n\
             yesterday;late@example.org;{ok}\n\
             2023-01-01T00:00:00Z;v1@example.org;BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA\n\
             2023-01-01T00:00:00Z;bad@example.org;CPtsvgY!PtsvgYEsACBZHCWEAAIAAADAAAAwIAAAAAAAA\n"
        ),
    )
    .unwrap();
    let json = dir.path().join("log.json");
    std::fs::write(
        &json,
        format!(
            "{{\"tc_string\": \"{ok}\", \"user_id\": \"u-1\", \"timestamp\": \"2023-01-02T00:00:00Z\"}}\n\
             {{\"tc_string\": 12345, \"user_id\": \"u-2\"}}\n\
             {{\"tc_string\": \"{ok}\", \"timestamp\": \"2023-01-02T00:00:00Z\"}}\n"
        ),
    )
    .unwrap();
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path, json]);
    assert!(!report.any_failed(), "{report:#?}");
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 7, "{rejected:#?}");
    assert!(
        rejected[0].starts_with("log.csv line 3 [tcdata] TC string does not decode: segment 0 (Core) truncated"),
        "{rejected:#?}"
    );
    assert!(rejected[1].starts_with("log.csv line 4 [user_email] missing subject"), "{rejected:#?}");
    assert!(rejected[2].starts_with("log.csv line 5 [time]") && rejected[2].contains("'yesterday'"), "{rejected:#?}");
    assert!(rejected[3].contains("line 6 [tcdata]") && rejected[3].contains("unsupported version 1"), "{rejected:#?}");
    assert!(
        rejected[4].contains("line 7 [tcdata]") && rejected[4].contains("invalid base64 character '!'"),
        "{rejected:#?}"
    );
    assert!(
        rejected[5].starts_with("log.json line 2 /tc_string [tc_string] the TC string must be a string"),
        "{rejected:#?}"
    );
    assert!(rejected[6].starts_with("log.json line 3 [-] no subject field"), "{rejected:#?}");
    let events = golden(&store, "tcf");
    assert_eq!(events.len(), 22);
    assert_eq!(events[0], "ok@example.org consent.given 2023-01-01T00:00:00Z 1→- []");
    assert_eq!(events[11], "tcf:user_id:u-1 consent.given 2023-01-02T00:00:00Z 1→- []");
}

/// A real GVL is about a megabyte, far more than detection reads: it is still told by its
/// opening keys, and a broken vendor entry is a rejected row while the others import.
#[test]
fn a_large_gvl_is_detected_by_its_head_and_a_broken_vendor_is_one_rejection() {
    let mut vendors = serde_json::Map::new();
    for id in 1..=1500u32 {
        vendors.insert(
            id.to_string(),
            serde_json::json!({"id": id, "name": format!("Vendor {id} – Ünïcødé Médias SAS"), "purposes": [1, 2, 3],
                "legIntPurposes": [7], "flexiblePurposes": [], "specialPurposes": [1], "features": [1],
                "specialFeatures": [], "policyUrl": format!("https://vendor{id}.example/privacy")}),
        );
    }
    vendors.insert("1501".into(), serde_json::json!({"id": 1502, "name": "Mismatched Ltd", "purposes": []}));
    vendors.insert("1503".into(), serde_json::json!({"id": 1503, "name": 42, "purposes": []}));
    let doc = serde_json::json!({"gvlSpecificationVersion": 3, "vendorListVersion": 200, "tcfPolicyVersion": 4,
        "lastUpdated": "2023-07-01T16:00:00Z", "purposes": {}, "vendors": vendors});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor-list.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 128 * 1024);
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert!(!report.any_failed(), "{report:#?}");
    assert_eq!(report.files[0].system.as_deref(), Some("tcf-gvl"));
    assert_eq!(report.files[0].rows_imported, 1501, "1500 vendors and the purposes");
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 2, "{rejected:#?}");
    assert!(
        rejected[0].starts_with("vendor-list.json /vendors/1501 [vendors] GVL: $.vendors.1501: key 1501 but id 1502"),
        "{rejected:#?}"
    );
    assert!(
        rejected[1].starts_with("vendor-list.json /vendors/1503 [vendors] GVL: $.vendors.1503.name must be a string"),
        "{rejected:#?}"
    );
    let name: String = store
        .conn()
        .query_row("SELECT value FROM label_lookups WHERE system = 'tcf' AND key = '200:1234'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "Vendor 1234 – Ünïcødé Médias SAS");
}
