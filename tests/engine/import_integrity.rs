//! Issue 12: no input, however broken, loses, merges or invents a row without saying so, hangs,
//! or exhausts memory. Each test here failed on the importers before that work: stray quotes
//! that swallowed the following rows, rows with a wrong number of values accepted, a report of
//! every rejection held whole, FIFOs and symlink loops that hung, a hash read in a separate pass,
//! a bulk import that aborted beside another connection, one bad byte that turned a UTF-8 file
//! into Windows-1252, identifiers not NFC, `Id, Name` purposes refused, GPP strings refused,
//! CSVY front matter misnamed.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use consenttrail_engine::import::csv_table::CsvTable;
use consenttrail_engine::import::{self, FileReport, ImportOptions};
use consenttrail_engine::store::Store;
use sha2::{Digest, Sha256};

use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose\n";

fn good(i: usize) -> String {
    format!("user{i}@example.com,consent.given,2023-01-0{}T10:00:00Z,email-marketing\n", 1 + i % 9)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn one(store: &mut Store, path: &Path) -> FileReport {
    one_with(store, path, &ImportOptions::default())
}

fn one_with(store: &mut Store, path: &Path, options: &ImportOptions) -> FileReport {
    let report = import_with(store, &[path.to_path_buf()], options);
    assert_eq!(report.files.len(), 1, "{report:#?}");
    report.files[0].clone()
}

/// The longest raw row stored: a merged row would hold many lines.
fn longest_raw_row(store: &Store) -> i64 {
    count(store, "SELECT coalesce(max(length(raw)), 0) FROM source_rows")
}

#[test]
fn a_stray_quote_is_rejected_on_its_line_and_the_rows_it_would_swallow_still_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(HEADER);
    (0..3).for_each(|i| text.push_str(&good(i)));
    // Line 5: an opening quote that never closes on its line.
    text.push_str("oops@example.com,consent.given,2023-01-01T10:00:00Z,\"email-marketing\n");
    (3..1003).for_each(|i| text.push_str(&good(i)));
    // A later quoted value: the quote that used to close line 5's value, 1,000 rows on.
    text.push_str("\"late@example.com\",consent.given,2023-01-01T10:00:00Z,email-marketing\n");
    let path = write(dir.path(), "stray.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (1004, 1), "{file:#?}");
    let r = &file.rejections[0];
    assert_eq!(r.locator, "line 5");
    assert!(r.message.contains("unescaped quote"), "{r:?}");
    assert!(longest_raw_row(&store) < 200, "no stored row holds other rows");
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'late@example.com'"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'user1002@example.com'"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'oops@example.com'"), 0);
}

#[test]
fn a_stray_quote_that_would_run_to_the_end_of_a_20_mib_file_loses_only_its_own_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(HEADER);
    (0..3).for_each(|i| text.push_str(&good(i)));
    text.push_str("oops@example.com,consent.given,2023-01-01T10:00:00Z,\"email-marketing\n");
    let mut n = 3;
    while text.len() < 20 << 20 {
        text.push_str(&good(n));
        n += 1;
    }
    let path = write(dir.path(), "runaway.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{:?}", file.error);
    assert_eq!((file.rows_imported, file.rows_rejected), (n as u64, 1));
    assert_eq!(file.rejections[0].locator, "line 5");
    assert!(file.rejections[0].message.contains("unescaped quote"), "{:?}", file.rejections[0]);
}

#[test]
fn rows_with_too_few_or_too_many_values_are_rejected_with_their_line_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}{}short@example.com,consent.given,2023-01-01T10:00:00Z\n{}long@example.com,consent.given,\
         2023-01-01T10:00:00Z,email-marketing,lost value\n{}trailing@example.com,consent.given,2023-01-01T10:00:00Z,\
         email-marketing,\n",
        good(1),
        good(2),
        good(3)
    );
    let path = write(dir.path(), "counts.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    // A trailing delimiter with nothing after it loses nothing: that row imports.
    assert_eq!((file.rows_imported, file.rows_rejected), (4, 2), "{file:#?}");
    let short = file.rejections.iter().find(|r| r.locator == "line 3").expect("line 3 rejected");
    assert!(short.message.contains("3 values") && short.message.contains("4 columns"), "{short:?}");
    assert!(short.message.contains("purpose"), "names the missing column: {short:?}");
    let long = file.rejections.iter().find(|r| r.locator == "line 5").expect("line 5 rejected");
    assert!(long.message.contains("5 values") && long.message.contains("4 columns"), "{long:?}");
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'trailing@example.com'"), 1);
}

#[test]
fn a_quoted_value_over_several_lines_is_still_one_value() {
    // Real multi-line cells (notes, addresses) must not be taken for a stray quote.
    let text = "id,note,email\n1,\"first line, with a comma\nsecond line, and another\nthird\",a@example.com\n\
                2,plain,b@example.com\n";
    let mut table = CsvTable::open(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), "t.csv", b',').unwrap();
    let first = table.next_record().unwrap().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(&first.fields[1], "first line, with a comma\nsecond line, and another\nthird");
    let second = table.next_record().unwrap().unwrap();
    assert_eq!((second.line, &second.fields[2]), (5, "b@example.com"));
    assert!(table.next_record().unwrap().is_none());
    assert_eq!(table.rejected().1, 0);
    // Two columns, a note whose every line holds a comma: still one value.
    let text = "id,note\n1,\"Main St, 5\nSpringfield, IL\nUSA, 62701\"\n2,plain\n";
    let mut table = CsvTable::open(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), "t.csv", b',').unwrap();
    assert_eq!(&table.next_record().unwrap().unwrap().fields[1], "Main St, 5\nSpringfield, IL\nUSA, 62701");
    assert_eq!(&table.next_record().unwrap().unwrap().fields[1], "plain");
    assert_eq!(table.rejected().1, 0);
}

#[test]
fn the_report_lists_a_thousand_rejections_counts_the_rest_and_the_file_gets_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}{}", good(0));
    for i in 0..2500 {
        text.push_str(&format!("bad{i}@example.com,consent.given\n"));
    }
    let path = write(dir.path(), "many-bad.csv", text.as_bytes());
    let rejections = dir.path().join("rejections.csv");
    let (_d, mut store) = temp_store();
    let options = ImportOptions { rejections_file: Some(rejections.clone()), ..Default::default() };
    let file = one_with(&mut store, &path, &options);
    assert_eq!(file.status, "imported", "{:?}", file.error);
    assert_eq!((file.rows_imported, file.rows_rejected), (1, 2500));
    assert_eq!(file.rejections.len(), import::REPORT_ISSUES);
    assert_eq!(file.rejections_omitted, 1500);
    let mut reader = csv::Reader::from_path(&rejections).unwrap();
    assert_eq!(reader.headers().unwrap(), vec!["file", "locator", "field", "message", "raw"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2500);
    assert_eq!(&rows[2499][1], "line 2502");
    assert_eq!(&rows[2499][4], "bad2499@example.com,consent.given");
}

#[test]
fn a_file_whose_every_row_is_rejected_fails_and_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEADER}a@example.com,consent.given\nb@example.com,consent.given\n");
    let path = write(dir.path(), "all-bad.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "failed", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (0, 2));
    assert_eq!(file.rejections.len(), 2, "the rejected rows are still listed");
    assert!(file.error.as_deref().unwrap_or_default().contains("no row was imported"), "{file:#?}");
    assert_eq!(count(&store, "SELECT count(*) FROM sources"), 0);
}

#[test]
fn a_json_line_over_8_mib_is_rejected_and_the_lines_after_it_import() {
    let dir = tempfile::tempdir().unwrap();
    let row = |s: &str| {
        format!(
            "{{\"subject\": \"{s}\", \"kind\": \"consent.given\", \"occurred_at\": \"2023-01-01T10:00:00Z\", \"purpose\": \"email-marketing\"}}\n"
        )
    };
    let mut text = row("a@example.com") + &row("b@example.com");
    text.push_str(&format!("{{\"subject\": \"big@example.com\", \"note\": \"{}\"}}\n", "x".repeat(12 << 20)));
    text.push_str(&row("c@example.com"));
    let path = write(dir.path(), "big-line.jsonl", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (3, 1));
    assert_eq!(file.rejections[0].locator, "line 3");
    assert!(file.rejections[0].message.contains("8 MiB"), "{:?}", file.rejections[0]);
}

#[test]
fn a_json_array_record_over_8_mib_is_refused_with_its_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[{{\"subject\": \"a@example.com\", \"kind\": \"consent.given\", \"occurred_at\": \"2023-01-01T10:00:00Z\", \
         \"purpose\": \"email-marketing\"}},\n{{\"subject\": \"big@example.com\", \"note\": \"{}\"}}]",
        "x".repeat(12 << 20)
    );
    let path = write(dir.path(), "big-record.json", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    let said = format!("{:?} {:?}", file.error, file.rejections);
    assert!(said.contains("/1") && said.contains("8 MiB"), "{file:#?}");
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'big@example.com'"), 0);
}

/// Runs an import on another thread and fails the test instead of hanging.
fn import_within(paths: Vec<PathBuf>, seconds: u64) -> import::ImportReport {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    std::thread::spawn(move || {
        let mut store = Store::open(&db).unwrap();
        let cancel = AtomicBool::new(false);
        let report = import::import_paths(&mut store, &paths, &ImportOptions::default(), &mut |_| {}, &cancel);
        let _ = tx.send(report.map_err(|e| e.to_string()));
    });
    let report = rx.recv_timeout(Duration::from_secs(seconds)).expect("the import hung");
    drop(dir);
    report.unwrap()
}

#[cfg(unix)]
#[test]
fn a_fifo_dev_zero_and_a_folder_symlink_loop_are_skipped_with_reasons_not_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("export");
    std::fs::create_dir(&folder).unwrap();
    write(&folder, "good.csv", format!("{HEADER}{}", good(1)).as_bytes());
    std::os::unix::fs::symlink(&folder, folder.join("loop")).unwrap();
    let fifo = folder.join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let report = import_within(vec![folder.clone(), PathBuf::from("/dev/zero")], 20);
    let by_path =
        |p: &str| report.files.iter().find(|f| f.path.ends_with(p)).unwrap_or_else(|| panic!("{p}: {report:#?}"));
    assert_eq!(by_path("good.csv").status, "imported");
    assert_eq!(report.files.iter().filter(|f| f.status == "imported").count(), 1, "read once: {report:#?}");
    let pipe = by_path("pipe.csv").error.clone().unwrap_or_default();
    assert!(pipe.contains("FIFO") && pipe.contains("skipped"), "{pipe}");
    let zero = by_path("/dev/zero").error.clone().unwrap_or_default();
    assert!(zero.contains("device"), "{zero}");
    let looped = by_path("loop").error.clone().unwrap_or_default();
    assert!(looped.contains("symbolic link") && looped.contains("loop"), "{looped}");
}

#[test]
fn the_stored_hash_and_size_are_those_of_the_bytes_imported_from_a_growing_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(HEADER);
    (0..50_000).for_each(|i| text.push_str(&good(i)));
    let path = write(dir.path(), "growing.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let cancel = AtomicBool::new(false);
    let mut grown = false;
    let target = path.clone();
    // While the import runs, the export is still being written: 10 more rows appear.
    let mut grow = |_: import::Progress| {
        if !grown {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&target).unwrap();
            (50_000..50_010).for_each(|i| f.write_all(good(i).as_bytes()).unwrap());
            grown = true;
        }
    };
    let report =
        import::import_paths(&mut store, std::slice::from_ref(&path), &ImportOptions::default(), &mut grow, &cancel)
            .unwrap();
    let file = &report.files[0];
    assert_eq!(file.status, "imported", "{file:#?}");
    let final_bytes = std::fs::read(&path).unwrap();
    let (sha256, bytes): (String, i64) =
        store.conn().query_row("SELECT sha256, bytes FROM sources", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(file.rows_imported, 50_010, "the rows read");
    assert_eq!(bytes, final_bytes.len() as i64, "the size of the bytes read");
    assert_eq!(sha256, hex::encode(Sha256::digest(&final_bytes)), "the hash of the bytes read");
}

#[test]
fn a_bulk_import_beside_another_connection_commits_and_foreign_keys_stay_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let _app = Store::open(&db).unwrap(); // the app, open on the same database
    let mut cli = Store::open(&db).unwrap();
    // Over the bulk threshold with few rows: a padding column carries the size.
    let mut text = String::from("subject,kind,occurred_at,purpose,notice_version\n");
    let pad = "p".repeat(1 << 20);
    for i in 0..(import::BULK_IMPORT_BYTES as usize >> 20) + 1 {
        text.push_str(&format!("user{i}@example.com,consent.given,2023-01-01T10:00:00Z,email-marketing,{pad}\n"));
    }
    let path = write(dir.path(), "bulk.csv", text.as_bytes());
    let cancel = AtomicBool::new(false);
    let result = import::import_paths(&mut cli, &[path], &ImportOptions::default(), &mut |_| {}, &cancel);
    let fk: i64 = cli.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1, "foreign keys are on again after the import, whatever happened");
    let report = result.expect("no 'database is locked'");
    assert_eq!(report.files[0].status, "imported", "{:?}", report.files[0].error);
    assert_eq!(count(&cli, "SELECT count(*) FROM sources"), 1);
}

#[test]
fn a_lock_met_while_opening_is_reported_as_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("locked.db");
    drop(Store::open(&db).unwrap());
    let other = rusqlite::Connection::open(&db).unwrap();
    let _: String = other.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE; CREATE TABLE other_program (x);").unwrap();
    let err = Store::open(&db).err().expect("the database is locked").to_string();
    assert!(err.contains("busy") && err.contains("locked by another program"), "{err}");
    assert!(!err.contains("not a ConsentTrail database"), "{err}");
    other.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_utf8_file_with_one_invalid_byte_stays_utf8_and_rejects_only_that_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"subject,kind,occurred_at,last_name\n".to_vec();
    bytes.extend_from_slice("zoe@example.com,consent.given,2023-01-01T10:00:00Z,Zoë\n".as_bytes());
    bytes.extend_from_slice("jo@example.com,consent.given,2023-01-01T10:00:00Z,Müller\n".as_bytes());
    bytes.extend_from_slice(b"bad@example.com,consent.given,2023-01-01T10:00:00Z,Br\xffn\n");
    let path = write(dir.path(), "one-bad-byte.csv", &bytes);
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.encoding.as_deref(), Some("UTF-8"), "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 1), "{file:#?}");
    assert_eq!(file.rejections[0].locator, "line 4");
    assert!(file.rejections[0].message.contains("UTF-8"), "{:?}", file.rejections[0]);
    assert_eq!(count(&store, "SELECT count(*) FROM identifier_attributes WHERE value = 'Zoë'"), 1, "not Zoã«");
    assert_eq!(count(&store, "SELECT count(*) FROM identifier_attributes WHERE value = 'Müller'"), 1);
}

#[test]
fn identifiers_are_nfc_and_hidden_characters_are_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}zoe\u{0308}@example.com,consent.given,2023-01-01T10:00:00Z,email-marketing\n\
         zo\u{00EB}@example.com,consent.given,2023-01-02T10:00:00Z,email-marketing\n\
         admin\u{202E}moc.liame@example.com,consent.given,2023-01-01T10:00:00Z,email-marketing\n"
    );
    let path = write(dir.path(), "unicode.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 1), "{file:#?}");
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers"), 1, "one person, typed two ways");
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'zo\u{00EB}@example.com'"), 1);
    let r = &file.rejections[0];
    assert_eq!(r.locator, "line 4");
    assert!(r.message.contains("bidirectional override"), "{r:?}");
    assert!(!r.message.contains('\u{202E}'), "the character is not printed raw: {r:?}");
}

fn data_use_purposes(dir: &Path) -> (PathBuf, PathBuf) {
    let purposes = write(
        dir,
        "DataUsePurpose.csv",
        b"\xef\xbb\xbf\"Id\",\"Name\"\r\n\"0ZV5g00000R0001\",\"Email Marketing\"\r\n\"0ZV5g00000R0002\",\"Analytics\"\r\n",
    );
    let consents = write(
        dir,
        "ContactPointTypeConsent.csv",
        b"\"Id\",\"Name\",\"PartyId\",\"CaptureContactPointType\",\"CaptureDate\",\"CaptureSource\",\"DataUsePurposeId\",\"PrivacyConsentStatus\"\r\n\
          \"0ZY1\",\"c1\",\"0PK1\",\"Email\",\"2023-01-01T10:00:00.000Z\",\"Web\",\"0ZV5g00000R0001\",\"OptIn\"\r\n",
    );
    (purposes, consents)
}

#[test]
fn a_salesforce_data_use_purpose_export_with_just_id_and_name_is_recognised_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let (purposes, consents) = data_use_purposes(dir.path());
    let (_d, mut store) = temp_store();
    let report = import(&mut store, &[consents, purposes]);
    for f in &report.files {
        assert_eq!((f.status.as_str(), f.system.as_deref()), ("imported", Some("salesforce")), "{f:#?}");
    }
    let purposes = report.files.iter().find(|f| f.path.ends_with("DataUsePurpose.csv")).unwrap();
    assert_eq!(purposes.rows_imported, 2);
    let label: String = store
        .conn()
        .query_row("SELECT value FROM label_lookups WHERE key = '0ZV5g00000R0001'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(label, "Email Marketing");
    // With --system salesforce too.
    let (_d2, mut forced) = temp_store();
    let options = ImportOptions { system: Some("salesforce".into()), ..Default::default() };
    let report = import_with(&mut forced, &[dir.path().join("DataUsePurpose.csv")], &options);
    assert_eq!(report.files[0].status, "imported", "{:#?}", report.files[0]);
    // An `Id, Name` file of something else is not taken for Salesforce purposes.
    let other = write(dir.path(), "people.csv", b"Id,Name\n1,Anna\n2,Ben\n");
    let (_d3, mut store3) = temp_store();
    let report = import(&mut store3, &[other]);
    assert_ne!(report.files[0].system.as_deref(), Some("salesforce"), "{:#?}", report.files[0]);
}

#[test]
fn gpp_strings_import_their_tcf_section_and_name_the_other_sections_as_not_gdpr_consent() {
    let dir = tempfile::tempdir().unwrap();
    let tc = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
    let text = format!(
        "user_id,timestamp,gpp\n\
         a@example.com,2023-01-01T10:00:00Z,{tc}\n\
         b@example.com,2023-01-01T10:00:00Z,DBABM~{tc}\n\
         c@example.com,2023-01-01T10:00:00Z,DBACNY~{tc}~1YNN\n\
         d@example.com,2023-01-01T10:00:00Z,DBABBg~BAAAAACA\n"
    );
    let path = write(dir.path(), "gpp-log.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.system.as_deref(), Some("tcf"), "{file:#?}");
    assert_eq!((file.status.as_str(), file.rows_imported, file.rows_rejected), ("imported", 4, 0), "{file:#?}");
    let events = |who: &str| {
        count(
            &store,
            &format!(
                "SELECT count(*) FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.value = '{who}'"
            ),
        )
    };
    // The TCF section of a GPP string reads exactly as the same TC string on its own.
    assert!(events("a@example.com") > 0);
    assert_eq!(events("b@example.com"), events("a@example.com"));
    assert_eq!(events("c@example.com"), events("a@example.com"));
    assert_eq!(events("d@example.com"), 0, "a US-only string is no consent event");
    let warnings: Vec<&str> = file.warnings.iter().map(|w| w.message.as_str()).collect();
    let us = file.warnings.iter().find(|w| w.locator == "line 5").unwrap_or_else(|| panic!("{warnings:#?}"));
    assert!(us.message.contains("US California") && us.message.contains("not consent under the GDPR"), "{us:?}");
    let usp = file.warnings.iter().find(|w| w.locator == "line 4").unwrap_or_else(|| panic!("{warnings:#?}"));
    assert!(usp.message.contains("US Privacy"), "{usp:?}");
}

#[test]
fn csvy_front_matter_and_a_cut_quoted_value_get_messages_naming_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let csvy = write(dir.path(), "data.csvy", format!("---\nname: consents\n---\n{HEADER}{}", good(1)).as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &csvy);
    assert_eq!(file.status, "failed");
    let error = file.error.unwrap_or_default();
    assert!(error.contains("YAML front matter") && error.contains("CSVY"), "{error}");
    let forced =
        one_with(&mut store, &csvy, &ImportOptions { system: Some("consenttrail".into()), ..Default::default() });
    let error = forced.error.unwrap_or_default();
    assert!(error.contains("YAML front matter"), "{error}");
    // A last value whose quote never closes, in a file that ends with a line end: an unescaped
    // quote, not "a truncated export".
    let quote = write(
        dir.path(),
        "quote.csv",
        format!("{HEADER}{}x@example.com,consent.given,2023-01-01T10:00:00Z,\"email-marketing\n", good(1)).as_bytes(),
    );
    let file = one(&mut store, &quote);
    let r = file.rejections.iter().find(|r| r.locator == "line 3").unwrap_or_else(|| panic!("{file:#?}"));
    assert!(r.message.contains("unescaped quote") && !r.message.contains("truncated"), "{r:?}");
}

#[test]
fn a_row_the_reader_rejects_is_listed_once_when_an_importer_reads_the_file_twice() {
    // The TCF log importer samples the first rows to find the TC-string column, then reads the
    // whole file: a bad row among the sampled ones is still one rejection. Two bad records on one
    // line (split by a lone CR) are two.
    let dir = tempfile::tempdir().unwrap();
    let tc = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
    let text = format!(
        "user_id,timestamp,tc\na@example.com,2023-01-01T10:00:00Z,{tc}\nb@example.com,{tc}\n\
         c@example.com,2023-01-01T10:00:00Z,{tc},extra\rd@example.com,{tc}\ne@example.com,2023-01-01T10:00:00Z,{tc}\n"
    );
    let path = write(dir.path(), "tcf-log.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.system.as_deref(), Some("tcf"), "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 3), "{file:#?}");
    assert_eq!(file.rejections.len(), 3, "{:#?}", file.rejections);
    assert_eq!(count(&store, "SELECT count(*) FROM import_issues WHERE severity = 'rejected'"), 3);
}

#[test]
fn text_after_a_closing_quote_is_a_rejected_row_not_a_value_with_its_quotes_dropped() {
    let text =
        "id,name,email\n1,\"Smith\" Jr,a@example.com\n2,\"O\"\"Neil\",b@example.com\n3,5\" screen,c@example.com\n";
    let mut table = CsvTable::open(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), "t.csv", b',').unwrap();
    let mut read = Vec::new();
    while let Some(r) = table.next_record().unwrap() {
        read.push((r.line, r.fields[1].to_string()));
    }
    // Escaped quotes and a quote inside an unquoted value are read as written.
    assert_eq!(read, vec![(3, "O\"Neil".to_string()), (4, "5\" screen".to_string())]);
    let (rejected, n) = table.rejected();
    assert_eq!(n, 1);
    assert_eq!(rejected[0].line, 2);
    assert!(rejected[0].message.contains("closing quote of field 2 ('name')"), "{:?}", rejected[0]);
    assert_eq!(rejected[0].raw, "1,\"Smith\" Jr,a@example.com");
}

#[test]
fn a_file_with_a_header_and_no_rows_says_that_nothing_was_imported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "header-only.csv", HEADER.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!((file.status.as_str(), file.rows_imported), ("imported", 0), "{file:#?}");
    assert!(file.warnings.iter().any(|w| w.message.contains("holds no rows")), "{:#?}", file.warnings);
}

#[test]
fn a_json_lines_file_with_a_bad_byte_on_one_line_rejects_that_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let row = |s: &str, name: &str| {
        format!(
            "{{\"subject\": \"{s}\", \"kind\": \"consent.given\", \"occurred_at\": \"2023-01-01T10:00:00Z\", \"purpose\": \"email-marketing\", \"last_name\": \"{name}\"}}\n"
        )
    };
    let mut bytes = row("zoe@example.com", "Zoë").into_bytes();
    bytes.extend_from_slice(row("bad@example.com", "Br\u{0}n").replace('\u{0}', "\u{1}").as_bytes());
    let bad_at = bytes.iter().rposition(|b| *b == 1).unwrap();
    bytes[bad_at] = 0xff;
    bytes.extend_from_slice(row("jo@example.com", "Müller").as_bytes());
    let path = write(dir.path(), "one-bad-byte.jsonl", &bytes);
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.encoding.as_deref(), Some("UTF-8"), "{file:#?}");
    assert_eq!((file.status.as_str(), file.rows_imported, file.rows_rejected), ("imported", 2, 1), "{file:#?}");
    assert_eq!(file.rejections[0].locator, "line 2");
    assert!(file.rejections[0].message.contains("UTF-8"), "{:?}", file.rejections[0]);
    assert_eq!(count(&store, "SELECT count(*) FROM identifiers WHERE value = 'jo@example.com'"), 1);
}
