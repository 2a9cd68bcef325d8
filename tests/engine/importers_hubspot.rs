//! HubSpot contacts and unsubscribes exports (`tests/fixtures/exports/hubspot`): legal bases
//! with an EN DASH or a hyphen, several joined by `;`, consent only from an aliased consent
//! basis at `Create Date` in the exporting user's zone, opt-out flags as dateless state, and an
//! unsubscribe as a withdrawal while a bounce is nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use consenttrail_engine::import::ImportOptions;
use consenttrail_engine::model::timestamp::format_millis;
use consenttrail_engine::store::{identity, Store};

use crate::support::*;

fn dir() -> PathBuf {
    fixtures().join("exports/hubspot")
}

/// Every event of a system, in the order stored:
/// `identifier kind instant label→purpose [recipients]`.
pub fn golden(store: &Store, system: &str) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT e.id, i.kind, i.value, e.kind, e.occurred_at, e.purpose_label, e.purpose,
                    (SELECT group_concat(COALESCE(r.legal_name, r.label), ' | ')
                     FROM (SELECT * FROM event_recipients WHERE event_id = e.id ORDER BY COALESCE(legal_name, label)) r)
             FROM events e JOIN identifiers i ON i.id = e.identifier_id
             WHERE e.system = ?1 ORDER BY e.id",
        )
        .unwrap();
    stmt.query_map([system], |r| {
        let kind: String = r.get(1)?;
        let value: String = r.get(2)?;
        let id = consenttrail_engine::model::Identifier { kind, value }.to_string();
        let at: Option<i64> = r.get(4)?;
        let label: Option<String> = r.get(5)?;
        let purpose: Option<String> = r.get(6)?;
        let recipients: Option<String> = r.get(7)?;
        Ok(format!(
            "{id} {} {} {}→{} [{}]",
            r.get::<_, String>(3)?,
            at.map(format_millis).unwrap_or_else(|| "-".into()),
            label.unwrap_or_else(|| "-".into()),
            purpose.unwrap_or_else(|| "-".into()),
            recipients.unwrap_or_default()
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The evidence of the events matching a SQL condition on `events`.
pub fn evidence(store: &Store, condition: &str) -> Vec<serde_json::Value> {
    let sql = format!("SELECT evidence FROM event_details WHERE {condition} ORDER BY id");
    let mut stmt = store.conn().prepare(&sql).unwrap();
    stmt.query_map([], |r| r.get::<_, Option<String>>(0))
        .unwrap()
        .map(|t| serde_json::from_str(&t.unwrap().unwrap_or_else(|| "null".into())).unwrap())
        .collect()
}

/// Issues of a report as `file locator [field] message`.
pub fn issues(report: &consenttrail_engine::import::ImportReport, rejected: bool) -> Vec<String> {
    report
        .files
        .iter()
        .flat_map(|f| {
            let name = PathBuf::from(&f.path).file_name().unwrap().to_string_lossy().into_owned();
            let list = if rejected { &f.rejections } else { &f.warnings };
            list.iter()
                .map(move |i| format!("{name} {} [{}] {}", i.locator, i.field.as_deref().unwrap_or("-"), i.message))
        })
        .collect()
}

pub fn subject(store: &Store, identifier: &str) -> i64 {
    identity::subject_of(store.conn(), identifier).unwrap().unwrap_or_else(|| panic!("no subject for {identifier}"))
}

#[test]
fn contacts_and_unsubscribes_golden() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[dir()]);
    assert!(!report.any_failed(), "{report:#?}");
    let systems: Vec<_> = report.files.iter().map(|f| f.system.clone().unwrap()).collect();
    assert_eq!(systems, vec!["hubspot", "hubspot"]);
    assert_eq!(
        golden(&store, "hubspot"),
        vec![
            // Contacts export: an aliased consent basis is a grant at Create Date (UTC by default).
            "hubspot:record:5531 consent.given 2022-07-12T10:15:00Z Freely given consent from contact→email-marketing []",
            "hubspot:record:5532 consent.given 2021-06-15T14:30:00Z Freely given consent from contact→email-marketing []",
            // `Opted out of all email` = every purpose with a hubspot alias, as a dateless state.
            "hubspot:record:5532 consent.negative - Marketing Information→email-marketing []",
            // 5533: legitimate interest only, so no grant; two subscription opt-outs.
            "hubspot:record:5533 consent.negative - Marketing Information→email-marketing []",
            "hubspot:record:5533 consent.negative - Product Updates→- []",
            // 5534: contract / not applicable: nothing. 5535: two bases in one quoted cell.
            "hubspot:record:5535 consent.given 2023-07-20T16:45:00Z Freely given consent from contact→email-marketing []",
            "hubspot:record:5536 consent.given 2023-01-10T17:00:00Z Freely given consent from contact→email-marketing []",
            // Unsubscribes export: Portal Unsubscribe = withdrawal from every aliased purpose;
            // the bounce and the spam report are nothing.
            "john.smith@example.co.uk consent.withdrawn - Marketing Information→email-marketing []",
            "soren.ostergaard@example.dk consent.withdrawn - Marketing Information→email-marketing []",
            "zoe.muller@example.de consent.withdrawn - Product Updates→- []",
        ]
    );
    // Every row is imported (no rejections); the unmapped subscription is reported per file.
    assert!(issues(&report, true).is_empty(), "{:#?}", issues(&report, true));
    let warnings = issues(&report, false);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings.iter().all(|w| w.contains("'Product Updates'") && w.contains("'hubspot' alias")), "{warnings:#?}");
    let rows: u64 = report.files.iter().map(|f| f.rows_imported).sum();
    assert_eq!(rows, 10);

    // The record and its e-mail are one subject; the unsubscribe joins it through the e-mail.
    assert_eq!(subject(&store, "hubspot:record:5532"), subject(&store, "soren.ostergaard@example.dk"));
    assert_eq!(subject(&store, "hubspot:record:5531"), subject(&store, "ANNA.KOWALSKA@example.pl"));
    assert_eq!(identity::subject_of(store.conn(), "bounced@example.com").unwrap(), None);

    // Opt-outs carry no instant and say they are a state as of the export, naming the column.
    let flags = evidence(&store, "system = 'hubspot' AND occurred_at IS NULL");
    assert_eq!(flags.len(), 6);
    assert!(flags.iter().all(|e| e["state_as_of_export"] == true), "{flags:#?}");
    assert_eq!(flags[0]["column"], "Opted out of all email");
    assert_eq!(flags[2]["column"], "Opted out of email: Product Updates");
    assert_eq!(flags[3]["column"], "Portal Unsubscribe");
    let bounce = evidence(&store, "system = 'hubspot' AND kind = 'consent.withdrawn' AND evidence LIKE '%Spam%'");
    assert_eq!(bounce[0]["Portal Spam Report"], "TRUE");

    // Other legal bases are recorded as such, never as consent; both dash spellings kept.
    let bases: Vec<String> = store
        .conn()
        .prepare("SELECT value FROM identifier_attributes WHERE attribute = 'legal_basis' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        bases,
        vec![
            "Legitimate interest – prospect/lead",
            "Legitimate interest - other",
            "Performance of a contract",
            "Not applicable",
            "Legitimate interest – existing customer",
        ]
    );
    let grant = evidence(&store, "system = 'hubspot' AND purpose_label LIKE 'Freely%' AND occurred_at IS NOT NULL");
    assert_eq!(
        grant[1]["legal_basis"],
        serde_json::json!(["Legitimate interest – prospect/lead", "Freely given consent from contact"])
    );
    let names: BTreeMap<String, String> = store
        .conn()
        .prepare(
            "SELECT a.attribute, a.value FROM identifier_attributes a JOIN identifiers i ON i.id = a.identifier_id
             WHERE i.value = '5536'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names["first_name"], "結衣");
    assert_eq!(names["last_name"], "田中");
}

#[test]
fn create_date_is_in_the_exporting_users_zone() {
    let (_dir, mut store) = temp_store();
    let mut options = ImportOptions::default();
    options.assume_tz.insert("hubspot".into(), "Europe/London".into());
    let report = import_with(&mut store, &[dir().join("hubspot-crm-exports-all-contacts-2023-07-31.csv")], &options);
    assert!(!report.any_failed(), "{report:#?}");
    let got: Vec<(String, String, String)> = store
        .conn()
        .prepare(
            "SELECT occurred_at, occurred_at_text, zone_basis FROM event_details WHERE occurred_at IS NOT NULL ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((format_millis(r.get(0)?), r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        got[0],
        ("2022-07-12T09:15:00Z".to_string(), "2022-07-12 10:15".to_string(), "assumed:Europe/London".to_string())
    );
    // Winter: London is UTC.
    assert_eq!(got[3].0, "2023-01-10T17:00:00Z");
}

#[test]
fn malformed_rows_are_listed_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    std::fs::write(
        &path,
        "Record ID,First Name,Last Name,Email,Create Date,Legal basis for processing contact's data,Opted out of all email\n\
         901,Ok,Row,ok@example.org,2023-02-01 10:00,Freely given consent from contact,false\n\
         902,Bad,Date,bad.date@example.org,2023-02-30 08:00,Freely given consent from contact,false\n\
         903,Bad,Flag,bad.flag@example.org,2023-02-01 10:00,Freely given consent from contact,maybe\n\
         ,No,Id,,2023-02-01 10:00,Freely given consent from contact,false\n\
         905,Odd,Basis,not-an-email,2023-02-01 10:00,Because we said so,true\n",
    )
    .unwrap();
    let (_db, mut store) = temp_store();
    let report = import(&mut store, &[path]);
    assert!(!report.any_failed(), "{report:#?}");
    let rejected = issues(&report, true);
    assert_eq!(rejected.len(), 3, "{rejected:#?}");
    assert!(
        rejected[0].starts_with("contacts.csv line 3 [Create Date]") && rejected[0].contains("2023-02-30"),
        "{rejected:#?}"
    );
    assert!(rejected[1].starts_with("contacts.csv line 4 [Opted out of all email]") && rejected[1].contains("'maybe'"));
    assert!(rejected[2].starts_with("contacts.csv line 5 [Record ID]"));
    let warned = issues(&report, false);
    assert!(
        warned.iter().any(|w| w.starts_with("contacts.csv line 6 [Email]") && w.contains("not-an-email")),
        "{warned:#?}"
    );
    assert!(warned
        .iter()
        .any(|w| w.starts_with("contacts.csv line 6 [Legal basis") && w.contains("'Because we said so'")));
    assert_eq!(
        golden(&store, "hubspot"),
        vec![
            "hubspot:record:901 consent.given 2023-02-01T10:00:00Z Freely given consent from contact→email-marketing []",
            "hubspot:record:905 consent.negative - Marketing Information→email-marketing []",
        ]
    );
    assert_eq!(report.files[0].rows_imported, 2);
    assert_eq!(report.files[0].rows_rejected, 3);
    // A rejected row's raw text is kept with its reason.
    assert_eq!(
        count(&store, "SELECT count(*) FROM import_issues WHERE severity = 'rejected' AND raw LIKE '%bad.flag@%'"),
        1
    );
}

/// The whole export folder — one export of each system — in one go: every row of the new
/// importers is an event, a warning or a listed rejection (or one of the few deliberately
/// eventless rows), and subjects join across systems through shared identifiers.
#[test]
fn one_export_of_each_system_imports_in_one_go_and_subjects_join() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports")]);
    assert!(!report.any_failed(), "{report:#?}");
    let systems: std::collections::BTreeSet<_> = report.files.iter().filter_map(|f| f.system.clone()).collect();
    for s in [
        "hubspot",
        "onetrust",
        "segment",
        "tcf",
        "tcf-gvl",
        "kantara",
        "dpv",
        "mailchimp",
        "salesforce",
        "disclosure-log",
    ] {
        assert!(systems.contains(s), "{s} missing from {systems:?}");
    }
    for f in &report.files {
        assert_eq!(f.rows_rejected as usize, f.rejections.len(), "{}", f.path);
    }
    // Rows of the new importers that carry no event and no warning, each for a stated reason.
    let eventless: Vec<String> = store
        .conn()
        .prepare(
            "SELECT s.system || ' ' || s.file_name || ' ' || r.locator FROM source_rows r JOIN sources s ON s.id = r.source_id
             WHERE s.system IN ('hubspot', 'onetrust', 'segment', 'tcf', 'kantara', 'dpv')
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.row_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM event_duplicates d WHERE d.row_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM import_issues i WHERE i.source_id = s.id AND i.locator = r.locator)
             ORDER BY s.id, r.id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        eventless,
        vec![
            // Contract / not applicable: recorded as legal-basis attributes, not consent.
            "hubspot hubspot-crm-exports-all-contacts-2023-07-31.csv line 5",
            // A bounce is not a withdrawal.
            "hubspot unsubscribes-and-bounces-export.csv line 3",
            // identify calls: identity links only.
            "segment segment-events-2023-05.jsonl line 1",
            "segment segment-events-2023-05.jsonl line 4",
        ]
    );
    // Every GVL row became a lookup.
    assert_eq!(count(&store, "SELECT count(*) FROM label_lookups WHERE system = 'tcf' AND kind = 'gvl-vendor'"), 4);

    // People join across systems by shared identifiers, never by names.
    let anna = subject(&store, "anna.kowalska@example.pl");
    for id in [
        "hubspot:record:5531",
        "segment:user:u-1002",
        "mailchimp:euid:a1b2c3d4e5",
        "salesforce:individual:0PK5g000000XyZ1",
    ] {
        assert_eq!(subject(&store, id), anna, "{id}");
    }
    let soren = subject(&store, "soren.ostergaard@example.dk");
    for id in ["hubspot:record:5532", "segment:user:u-1001", "segment:anonymous:anon-7f3a"] {
        assert_eq!(subject(&store, id), soren, "{id}");
    }
    let zoe = subject(&store, "zoe.muller@example.de");
    for id in ["hubspot:record:5533", "onetrust:customer-id:CRM-000981"] {
        assert_eq!(subject(&store, id), zoe, "{id}");
    }
    let john = subject(&store, "john.smith@example.co.uk");
    assert_eq!(subject(&store, "+447700900123"), john);
    assert_eq!(subject(&store, "hubspot:record:5534"), john);
    let eleni = subject(&store, "eleni.papadopoulou@example.gr");
    let all = [anna, soren, zoe, john, eleni, subject(&store, "li.na@example.cn")];
    assert_eq!(all.iter().collect::<std::collections::BTreeSet<_>>().len(), all.len(), "distinct people stay apart");

    let systems_of = |id: i64| -> std::collections::BTreeSet<String> {
        consenttrail_engine::reconcile::timeline::subject_events(store.conn(), id)
            .unwrap()
            .into_iter()
            .map(|e| e.system)
            .collect()
    };
    let set = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(systems_of(zoe), set(&["dpv", "hubspot", "onetrust"]));
    assert_eq!(systems_of(soren), set(&["hubspot", "segment", "tcf"]));
    assert_eq!(systems_of(eleni), set(&["kantara", "mailchimp", "onetrust"]));
    assert_eq!(systems_of(anna), set(&["disclosure-log", "hubspot", "mailchimp", "salesforce", "segment", "tcf"]));
    assert_eq!(systems_of(john), set(&["disclosure-log", "hubspot", "mailchimp", "onetrust"]));
}
