//! Salesforce Data Loader's own date / time-zone test inputs (`../shared/data/salesforce-dataloader`):
//! every zone form either parses to the right UTC instant with the right zone basis, or is
//! rejected with a reason that quotes the text.

use std::path::PathBuf;

use consenttrail_engine::import::mapping::ColumnMapping;
use consenttrail_engine::import::ImportOptions;
use consenttrail_engine::model::timestamp::{format_millis, parse_timestamp};
use consenttrail_engine::model::{TimestampError, ZoneBasis};

use crate::csv_reader::read_csv;
use crate::support::*;

fn dataloader(name: &str) -> PathBuf {
    shared_data().join("salesforce-dataloader").join(name)
}

/// The cell under `column` of every record of a Data Loader file.
fn column(name: &str, column: &str) -> Vec<String> {
    let read = read_csv(&dataloader(name)).unwrap();
    let i = read.header.iter().position(|h| h == column).unwrap_or_else(|| panic!("{name}: no {column}"));
    read.records.into_iter().map(|(_, f)| f[i].clone()).collect()
}

fn utc(ms: i64) -> String {
    format_millis(ms)
}

#[test]
fn date_ending_in_z_is_explicit_utc() {
    for col in ["DATE", "DATE_ONLY"] {
        let texts = column("dateEndingInZ.csv", col);
        assert_eq!(texts, vec!["2010-10-14T12:00:00.000Z"]);
        for zone in [chrono_tz::UTC, chrono_tz::America::Sao_Paulo] {
            let ts = parse_timestamp(&texts[0], zone, None).unwrap();
            assert_eq!(utc(ts.utc.timestamp_millis()), "2010-10-14T12:00:00Z");
            assert_eq!(ts.zone, ZoneBasis::Explicit, "an explicit Z ignores the assumed zone");
            assert_eq!(ts.original, "2010-10-14T12:00:00.000Z");
        }
    }
}

#[test]
fn date_using_default_time_zone_takes_the_assumed_zone_and_records_it() {
    let texts = column("dateUsingDefaultTimeZone.csv", "DATE");
    assert_eq!(texts, vec!["2010-10-14T12:00:00.000"]);
    let ts = parse_timestamp(&texts[0], chrono_tz::UTC, None).unwrap();
    assert_eq!(utc(ts.utc.timestamp_millis()), "2010-10-14T12:00:00Z");
    assert_eq!(ts.zone.as_string(), "assumed:UTC");
    // Paris is UTC+2 in October 2010 (summer time until the 31st).
    let ts = parse_timestamp(&texts[0], chrono_tz::Europe::Paris, None).unwrap();
    assert_eq!(utc(ts.utc.timestamp_millis()), "2010-10-14T10:00:00Z");
    assert_eq!(ts.zone.as_string(), "assumed:Europe/Paris");
    assert_eq!(ts.original, "2010-10-14T12:00:00.000");
    // Data Loader's default zone in its own tests is US Pacific (UTC-7 in October).
    let ts = parse_timestamp(&texts[0], chrono_tz::America::Los_Angeles, None).unwrap();
    assert_eq!(utc(ts.utc.timestamp_millis()), "2010-10-14T19:00:00Z");
}

#[test]
fn date_with_time_zone_after_a_z_parses_at_its_offset_or_is_refused_quoting_the_text() {
    let texts = column("dateWithTimeZone.csv", "DATE");
    assert_eq!(texts, vec!["2010-10-14T12:00:00.000Z-0300", "2010-10-14T12:00:00.000Z-0300"]);
    match parse_timestamp(&texts[0], chrono_tz::UTC, None) {
        // Data Loader reads `…'Z'Z` as a literal Z followed by the offset: 12:00 at -03:00.
        Ok(ts) => {
            assert_eq!(utc(ts.utc.timestamp_millis()), "2010-10-14T15:00:00Z", "the -0300 offset applies");
            assert_eq!(ts.zone, ZoneBasis::Explicit);
        }
        Err(e) => {
            assert!(matches!(e, TimestampError::Unrecognised(_)), "{e:?}");
            assert!(e.to_string().contains("'2010-10-14T12:00:00.000Z-0300'"), "{e}");
        }
    }
    // The second row's DATE_ONLY is zone-less midnight.
    let only = column("dateWithTimeZone.csv", "DATE_ONLY");
    let ts = parse_timestamp(&only[1], chrono_tz::Europe::London, None).unwrap();
    assert_eq!(utc(ts.utc.timestamp_millis()), "2010-10-13T23:00:00Z");
    assert_eq!(ts.zone.as_string(), "assumed:Europe/London");
}

/// Data Loader's `timeZoneFormatTestingWithErrors.csv`: its own test expects rows A, B, C and F
/// to load (each falls on 14 July 2009 in GMT) and D and E to fail to parse.
#[test]
fn time_zone_format_rows_parse_directly_or_fail_precisely() {
    let read = read_csv(&dataloader("timeZoneFormatTestingWithErrors.csv")).unwrap();
    assert_eq!(read.header, vec!["Name", "Date"]);
    let expected: &[(&str, Option<&str>)] = &[
        ("A", Some("2009-07-14T18:14:45Z")),
        ("D", None),
        ("E", None),
        ("B", Some("2009-07-14T06:14:45Z")),
        ("C", Some("2009-07-14T12:14:45Z")),
        ("F", Some("2009-07-14T12:14:45Z")),
    ];
    assert_eq!(read.records.len(), expected.len());
    let mut wrong = Vec::new();
    for ((line, fields), (name, want)) in read.records.iter().zip(expected) {
        assert_eq!(&fields[0], name, "line {line}");
        let got = parse_timestamp(&fields[1], chrono_tz::UTC, None);
        match (want, &got) {
            (Some(w), Ok(ts)) if utc(ts.utc.timestamp_millis()) == *w && ts.zone == ZoneBasis::Explicit => {}
            (None, Err(e)) if e.to_string().contains(&format!("'{}'", fields[1])) => {}
            _ => wrong.push(format!("row {name} (line {line}) '{}': expected {want:?}, got {got:?}", fields[1])),
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// The same file imported through a column mapping (the subject comes from the Name column
/// through a value table, since the file has no identifier of its own): rows D and E are listed
/// as rejections with line, field and the text; the others become events at their instants.
#[test]
fn time_zone_format_file_imports_through_a_column_mapping_with_precise_rejections() {
    let mapping = ColumnMapping::from_json(
        r#"{"format": "consenttrail-mapping/1", "name": "Data Loader time-zone test", "system": "dataloader",
            "columns": {"subject": "Name", "occurred_at": "Date"},
            "constants": {"kind": "consent.given", "method": "explicit-opt-in"},
            "values": {"subject": {"A": "a@example.com", "B": "b@example.com", "C": "c@example.com",
                                   "D": "d@example.com", "E": "e@example.com", "F": "f@example.com"}}}"#,
    )
    .unwrap();
    let (_dir, mut store) = temp_store();
    let options = ImportOptions { mapping: Some(mapping), ..Default::default() };
    let report = import_with(&mut store, &[dataloader("timeZoneFormatTestingWithErrors.csv")], &options);
    let file = &report.files[0];
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.system.as_deref(), Some("mapped"));
    let rejections: Vec<(String, Option<String>, bool)> = file
        .rejections
        .iter()
        .map(|r| {
            let quoted =
                ["2009\\7\\14 22:14:45+0800", "2009-07/14 02:14:45-0800"].iter().any(|t| r.message.contains(t));
            (r.locator.clone(), r.field.clone(), quoted)
        })
        .collect();
    assert_eq!(
        rejections,
        vec![
            ("line 3".to_string(), Some("Date".to_string()), true),
            ("line 4".to_string(), Some("Date".to_string()), true)
        ],
        "{:#?}",
        file.rejections
    );
    assert_eq!((file.rows_imported, file.rows_rejected), (4, 2));
    let mut events: Vec<(String, String, String)> = store
        .conn()
        .prepare(
            "SELECT i.value, e.occurred_at, e.zone_basis FROM event_details e JOIN identifiers i ON i.id = e.identifier_id
             ORDER BY i.value",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, String>(0)?, utc(r.get::<_, i64>(1)?), r.get::<_, String>(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    events.sort();
    let want = |who: &str, at: &str| (who.to_string(), at.to_string(), "explicit".to_string());
    assert_eq!(
        events,
        vec![
            want("a@example.com", "2009-07-14T18:14:45Z"),
            want("b@example.com", "2009-07-14T06:14:45Z"),
            want("c@example.com", "2009-07-14T12:14:45Z"),
            want("f@example.com", "2009-07-14T12:14:45Z"),
        ]
    );
    // Every event is attributed to the mapping's system.
    assert_eq!(count(&store, "SELECT count(*) FROM events WHERE system = 'dataloader'"), 4);
}
