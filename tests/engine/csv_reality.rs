//! SPEC §3 "CSV reality" through the whole import: encodings (UTF-8 BOM, UTF-16 with BOM,
//! Windows-1252 fallback with a warning), `;` and tab delimiters, CRLF, trailing empty lines and
//! formula-escaped cells — checked on what lands in the database.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use consenttrail_engine::import::FileReport;
use consenttrail_engine::store::Store;

use crate::support::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn one(store: &mut Store, path: &Path) -> FileReport {
    let report = import(store, &[path.to_path_buf()]);
    assert_eq!(report.files.len(), 1, "{report:#?}");
    report.files[0].clone()
}

/// `identifier attribute=value` for every stored display attribute.
fn attributes(store: &Store) -> BTreeSet<String> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT i.kind || ':' || i.value || ' ' || a.attribute || '=' || a.value
             FROM identifier_attributes a JOIN identifiers i ON i.id = a.identifier_id",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

/// `identifier kind instant purpose` for every event.
fn events(store: &Store) -> BTreeSet<String> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT i.kind || ':' || i.value || ' ' || e.kind || ' ' || e.occurred_at_text || ' ' || coalesce(e.purpose, '-')
             FROM event_details e JOIN identifiers i ON i.id = e.identifier_id",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const NAMES_CSV: &str = "subject,kind,occurred_at,purpose,first_name,last_name\r\n\
    jurgen.muller@example.de,consent.given,2023-01-01T10:00:00Z,email-marketing,Jürgen,Müller\r\n\
    francois@example.fr,consent.given,2023-01-02T10:00:00Z,newsletter,François,Lefèvre – €uro\r\n";

#[test]
fn windows_1252_file_imports_with_the_right_text_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(NAMES_CSV);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture must not be valid UTF-8");
    let path = write(dir.path(), "legacy.csv", &bytes);
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 0));
    assert!(
        file.warnings.iter().any(|w| w.message.contains("Windows-1252") && w.message.contains("UTF-8")),
        "a warning says the file was not UTF-8 and how it was read: {:#?}",
        file.warnings
    );
    assert_eq!(
        attributes(&store),
        set(&[
            "email:jurgen.muller@example.de first_name=Jürgen",
            "email:jurgen.muller@example.de last_name=Müller",
            "email:francois@example.fr first_name=François",
            // 0x96 and 0x80 are Windows-1252's en dash and euro sign (not Latin-1 control codes).
            "email:francois@example.fr last_name=Lefèvre – €uro",
        ])
    );
}

#[test]
fn invalid_utf8_late_in_a_large_file_still_falls_back_to_windows_1252() {
    // The invalid byte sits far beyond the sniffed head: the whole file decides the encoding.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("subject,kind,occurred_at,last_name\n");
    for i in 0..5000 {
        text.push_str(&format!("user{i}@example.com,consent.given,2023-01-01T10:00:00Z,Smith\n"));
    }
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"late@example.com,consent.given,2023-01-01T10:00:00Z,M\xfcller\n");
    let path = write(dir.path(), "late.csv", &bytes);
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(file.rows_imported, 5001);
    assert_eq!(
        count(&store, "SELECT count(*) FROM identifier_attributes WHERE value = 'Müller'"),
        1,
        "the late row decodes as Windows-1252"
    );
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut out = if little_endian { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little_endian { unit.to_le_bytes() } else { unit.to_be_bytes() });
    }
    out
}

const INTL_CSV: &str = "subject,kind,occurred_at,purpose,first_name,last_name\r\n\
    zofia@example.pl,consent.given,2023-01-01T10:00:00Z,email-marketing,Zofia,Wójcik-Żółć\r\n\
    ivan@example.ru,consent.withdrawn,2023-01-02T10:00:00Z,email-marketing,Иван,Петров\r\n\
    yui@example.jp,consent.refused,2023-01-03T10:00:00Z,sms-marketing,結衣,田中\r\n";

fn intl_expectations(store: &Store) {
    assert_eq!(
        attributes(store),
        set(&[
            "email:zofia@example.pl first_name=Zofia",
            "email:zofia@example.pl last_name=Wójcik-Żółć",
            "email:ivan@example.ru first_name=Иван",
            "email:ivan@example.ru last_name=Петров",
            "email:yui@example.jp first_name=結衣",
            "email:yui@example.jp last_name=田中",
        ])
    );
    assert_eq!(
        events(store),
        set(&[
            "email:zofia@example.pl consent.given 2023-01-01T10:00:00Z email-marketing",
            "email:ivan@example.ru consent.withdrawn 2023-01-02T10:00:00Z email-marketing",
            "email:yui@example.jp consent.refused 2023-01-03T10:00:00Z sms-marketing",
        ])
    );
}

#[test]
fn utf16le_with_bom_imports_with_the_right_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "utf16le.csv", &utf16(INTL_CSV, true));
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.encoding.as_deref(), Some("UTF-16LE with BOM"));
    assert_eq!((file.rows_imported, file.rows_rejected), (3, 0));
    assert!(file.warnings.iter().all(|w| !w.message.contains("Windows-1252")), "{:#?}", file.warnings);
    intl_expectations(&store);
}

#[test]
fn utf16be_with_bom_imports_with_the_right_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "utf16be.csv", &utf16(INTL_CSV, false));
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.encoding.as_deref(), Some("UTF-16BE with BOM"));
    intl_expectations(&store);
}

#[test]
fn utf8_with_bom_imports_and_the_bom_is_not_part_of_the_first_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(INTL_CSV.as_bytes());
    let path = write(dir.path(), "bom.csv", &bytes);
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.system.as_deref(), Some("consenttrail"), "the BOM must not hide the 'subject' column");
    assert_eq!(file.encoding.as_deref(), Some("UTF-8 with BOM"));
    intl_expectations(&store);
    let header: String = store.conn().query_row("SELECT header FROM sources", [], |r| r.get(0)).unwrap();
    assert!(header.starts_with("[\"subject\""), "{header}");
}

#[test]
fn semicolon_tab_crlf_and_trailing_empty_lines_give_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let semicolon = INTL_CSV.replace(',', ";") + "\r\n\r\n;;;;;\r\n\r\n";
    let tab = INTL_CSV.replace(',', "\t").replace("\r\n", "\n") + "\n\n\n";
    for (name, text) in [("semicolon.csv", semicolon), ("tab.tsv", tab)] {
        let path = write(dir.path(), name, text.as_bytes());
        let (_d, mut store) = temp_store();
        let file = one(&mut store, &path);
        assert_eq!(file.status, "imported", "{name}: {file:#?}");
        assert_eq!((file.rows_imported, file.rows_rejected), (3, 0), "{name}: blank lines are not rows");
        intl_expectations(&store);
        let lines: Vec<i64> = store
            .conn()
            .prepare("SELECT line FROM source_rows ORDER BY line")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(lines, vec![2, 3, 4], "{name}");
    }
}

#[test]
fn semicolon_files_keep_commas_inside_values() {
    let dir = tempfile::tempdir().unwrap();
    let text = "subject;kind;occurred_at;purpose;last_name\n\
                a@example.com;consent.given;2023-01-01T10:00:00Z;email-marketing;Smith, Jr.\n";
    let path = write(dir.path(), "semi.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    assert_eq!(one(&mut store, &path).status, "imported");
    assert_eq!(attributes(&store), set(&["email:a@example.com last_name=Smith, Jr."]));
}

#[test]
fn formula_escaped_cells_are_read_as_their_text_and_the_raw_row_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    // A spreadsheet writes `'+44…` so that a phone number is not a formula, and `'=…` for text
    // that starts with `=`. A leading apostrophe before anything else is part of the value.
    let text = "subject,kind,occurred_at,purpose,first_name,last_name\n\
                '+447700900123,consent.given,2023-01-01T10:00:00Z,sms-marketing,'=HYPERLINK(\"http://x.example\";\"click\"),'t Hooft\n\
                b@example.com,consent.given,2023-01-01T10:00:00Z,email-marketing,'@SUM(1),'-minus\n";
    let path = write(dir.path(), "formulas.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 0), "{:#?}", file.rejections);
    assert_eq!(
        attributes(&store),
        set(&[
            "phone:+447700900123 first_name==HYPERLINK(\"http://x.example\";\"click\")",
            "phone:+447700900123 last_name='t Hooft",
            "email:b@example.com first_name=@SUM(1)",
            "email:b@example.com last_name=-minus",
        ])
    );
    let raw: String = store.conn().query_row("SELECT raw FROM source_rows WHERE line = 2", [], |r| r.get(0)).unwrap();
    assert!(raw.starts_with("'+447700900123,"), "the raw row is verbatim: {raw}");
    assert!(raw.contains("'=HYPERLINK"), "{raw}");
}
