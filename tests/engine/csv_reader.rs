//! The CSV reader on real-world reference files: csv-spectrum (every file against its expected
//! JSON, field by field) and Salesforce Data Loader's own test inputs (BOM UTF-8, BOM UTF-16LE,
//! escaped quotes, a non-delimiter punctuation). Read exactly as the import pipeline reads a
//! file: `fingerprint` (hash, encoding) → `sniff` (delimiter) → `open_text` → `CsvTable`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consenttrail_engine::import::csv_table::CsvTable;
use consenttrail_engine::import::detect;
use consenttrail_engine::import::input::{self, Input, TextEncoding};
use consenttrail_engine::import::ImportError;

use crate::support::*;

/// A file read through the pipeline's reader: encoding, delimiter, header, and every record
/// with its first line number.
pub struct Read {
    pub encoding: TextEncoding,
    pub delimiter: u8,
    pub header: Vec<String>,
    pub records: Vec<(u64, Vec<String>)>,
}

pub fn read_csv(path: &Path) -> Result<Read, ImportError> {
    let input = Input::File(path.to_path_buf());
    let fp = input::fingerprint(&input)?;
    let sniff = detect::sniff(&input, &fp);
    let text = input::open_text(&input, fp.encoding)?;
    let mut table = CsvTable::open(text, &input.display(), sniff.delimiter)?;
    let header = table.header.names.clone();
    let mut records = Vec::new();
    while let Some(rec) = table.next_record()? {
        records.push((rec.line, rec.fields.iter().map(str::to_string).collect()));
    }
    Ok(Read { encoding: fp.encoding, delimiter: sniff.delimiter, header, records })
}

fn spectrum() -> PathBuf {
    shared_data().join("csv-spectrum")
}

#[test]
fn every_csv_spectrum_file_parses_to_its_expected_json() {
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(spectrum().join("csvs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    csvs.sort();
    assert_eq!(csvs.len(), 11, "the csv-spectrum set has 11 files: {csvs:?}");
    for csv in csvs {
        let stem = csv.file_stem().unwrap().to_string_lossy().into_owned();
        let expected: Vec<BTreeMap<String, String>> = serde_json::from_str(
            &std::fs::read_to_string(spectrum().join("json").join(format!("{stem}.json"))).unwrap(),
        )
        .unwrap();
        let read = read_csv(&csv).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(read.delimiter, b',', "{stem}");
        assert_eq!(read.encoding, TextEncoding::Utf8, "{stem}");
        assert_eq!(read.records.len(), expected.len(), "{stem}: record count");
        for (i, ((line, fields), want)) in read.records.iter().zip(&expected).enumerate() {
            assert_eq!(fields.len(), read.header.len(), "{stem} record {i} (line {line}): field count");
            let got: BTreeMap<String, String> = read.header.iter().cloned().zip(fields.iter().cloned()).collect();
            assert_eq!(&got, want, "{stem} record {i} (line {line})");
        }
    }
}

#[test]
fn csv_spectrum_line_numbers_count_physical_lines_through_quoted_newlines_and_crlf() {
    let lines = |name: &str| -> Vec<u64> {
        read_csv(&spectrum().join("csvs").join(name)).unwrap().records.iter().map(|(l, _)| *l).collect()
    };
    assert_eq!(lines("newlines.csv"), vec![2, 3, 5]);
    assert_eq!(lines("newlines_crlf.csv"), vec![2, 3, 5]);
    assert_eq!(lines("quotes_and_newlines.csv"), vec![2, 5]);
    assert_eq!(lines("escaped_quotes.csv"), vec![2, 3]);
    assert_eq!(lines("simple_crlf.csv"), vec![2]);
    // `empty.csv` holds a row whose only values are empty quoted strings: it is a record (the
    // JSON lists it), not a blank line.
    assert_eq!(lines("empty.csv"), vec![2, 3]);
    assert_eq!(lines("empty_crlf.csv"), vec![2, 3]);
}

#[test]
fn crlf_inside_a_quoted_field_is_kept_verbatim() {
    let read = read_csv(&spectrum().join("csvs/newlines_crlf.csv")).unwrap();
    assert_eq!(read.records[1].1[0], "Once upon \r\na time");
    let read = read_csv(&spectrum().join("csvs/newlines.csv")).unwrap();
    assert_eq!(read.records[1].1[0], "Once upon \na time");
}

fn dataloader(name: &str) -> PathBuf {
    shared_data().join("salesforce-dataloader").join(name)
}

#[test]
fn salesforce_utf8_bom_file_decodes_without_the_bom_in_the_first_header() {
    let read = read_csv(&dataloader("csvtext_BOM_UTF8.csv")).unwrap();
    assert_eq!(read.encoding, TextEncoding::Utf8Bom);
    assert_eq!(read.header, vec!["column1", "column2", "column3"]);
    assert_eq!(
        read.records,
        vec![
            (2, vec!["row1-1".to_string(), "row1-2".into(), "row1-3".into()]),
            (3, vec!["row2-1".to_string(), "row2-2".into(), "row2-3".into()]),
        ]
    );
}

#[test]
fn salesforce_utf16le_bom_file_decodes_to_the_same_table() {
    let read = read_csv(&dataloader("csvtext_BOM_UTF16LE.csv")).unwrap();
    assert_eq!(read.encoding, TextEncoding::Utf16Le);
    assert_eq!(read.delimiter, b',');
    assert_eq!(read.header, vec!["column1", "column2", "column3"]);
    assert_eq!(
        read.records,
        vec![
            (2, vec!["row1-1".to_string(), "row1-2".into(), "row1-3".into()]),
            (3, vec!["row2-1".to_string(), "row2-2".into(), "row2-3".into()]),
        ]
    );
}

#[test]
fn salesforce_escaped_quotes_and_foreign_punctuation() {
    let read = read_csv(&dataloader("csvEscapedQuotes.csv")).unwrap();
    assert_eq!(read.header, vec!["column1", "column2"]);
    assert_eq!(
        read.records,
        vec![
            (2, vec!["\"The Best\" Account".to_string(), "bla".into()]),
            (3, vec!["The \"Best\" Account".to_string(), "bla".into()]),
        ]
    );
    // `!` is not a delimiter: the file is comma-separated with `!` inside values.
    let read = read_csv(&dataloader("csvSeparator.csv")).unwrap();
    assert_eq!(read.delimiter, b',');
    assert_eq!(read.header, vec!["column1", "column2!some", "column3"]);
    assert_eq!(
        read.records,
        vec![
            (2, vec!["col11".to_string(), "col12!somev1".into(), "col13".into()]),
            (3, vec!["col21".to_string(), "col22!somev2".into(), "col23".into()]),
        ]
    );
}

#[test]
fn salesforce_date_files_keep_their_date_text_verbatim() {
    let read = read_csv(&dataloader("dateWithTimeZone.csv")).unwrap();
    let date = read.header.iter().position(|h| h == "DATE").unwrap();
    let only = read.header.iter().position(|h| h == "DATE_ONLY").unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.records[0].1[date], "2010-10-14T12:00:00.000Z-0300");
    assert_eq!(read.records[1].1[only], "2010-10-14T00:00:00.000");
}

// ---- Delimiters, line ends, blank lines, formula escapes (SPEC §3 "CSV reality") ----------

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn semicolon_and_tab_delimiters_are_sniffed_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let semi = write(dir.path(), "semi.csv", b"a;b;c\n\"x;y\";2,5;3\n");
    let read = read_csv(&semi).unwrap();
    assert_eq!(read.delimiter, b';');
    assert_eq!(read.records, vec![(2, vec!["x;y".to_string(), "2,5".into(), "3".into()])]);
    let tab = write(dir.path(), "tab.tsv", b"a\tb\tc\r\n1\t\"two, three\"\t4\r\n");
    let read = read_csv(&tab).unwrap();
    assert_eq!(read.delimiter, b'\t');
    assert_eq!(read.records, vec![(2, vec!["1".to_string(), "two, three".into(), "4".into()])]);
}

#[test]
fn trailing_empty_lines_and_all_empty_rows_are_not_records() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "t.csv", b"a,b\r\n1,2\r\n\r\n,\r\n3,4\r\n\r\n\r\n, \r\n");
    let read = read_csv(&p).unwrap();
    assert_eq!(read.records, vec![(2, vec!["1".to_string(), "2".into()]), (5, vec!["3".to_string(), "4".into()])]);
}

#[test]
fn duplicate_header_names_are_all_kept_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "d.csv", "Email Address,Interests,Interests,Interests\nx@y.z,Hiking,,Kayak\n".as_bytes());
    let read = read_csv(&p).unwrap();
    assert_eq!(read.header, vec!["Email Address", "Interests", "Interests", "Interests"]);
    assert_eq!(read.records[0].1, vec!["x@y.z", "Hiking", "", "Kayak"]);
}
