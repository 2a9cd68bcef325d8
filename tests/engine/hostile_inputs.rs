//! SPEC §7: hostile input — huge cells, runaway quotes, truncated files, empty files, zip bombs,
//! deep JSON, folders of mixed files — gets a clear error naming the file, the other files still
//! import, and the database holds only what was good. (Memory bounds are measured on the real
//! binary in `tests/cli/hostile.rs`.) Large inputs are generated here, never committed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use consenttrail_engine::import::FileReport;
use consenttrail_engine::store::Store;

use crate::db_snapshot;
use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose\n";

fn good_rows(n: usize) -> String {
    (0..n)
        .map(|i| format!("user{i}@example.com,consent.given,2023-01-0{}T10:00:00Z,email-marketing\n", 1 + i % 9))
        .collect()
}

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

fn assert_failed_naming(file: &FileReport, path: &Path, words: &[&str]) {
    assert_eq!(file.status, "failed", "{file:#?}");
    let error = file.error.clone().unwrap_or_default();
    assert!(error.contains(&path.display().to_string()), "the error names the file: {error}");
    for w in words {
        assert!(error.to_lowercase().contains(&w.to_lowercase()), "the error should say {w:?}: {error}");
    }
}

fn assert_untouched(store: &Store) {
    for table in ["sources", "source_rows", "identifiers", "events", "import_issues"] {
        assert_eq!(count(store, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
}

#[test]
fn a_10_mib_cell_fails_the_file_with_the_record_limit_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}{}", good_rows(3));
    text.push_str(&format!("big@example.com,consent.given,2023-01-01T10:00:00Z,\"{}\"\n", "x".repeat(10 << 20)));
    text.push_str(&good_rows(2));
    let path = write(dir.path(), "huge-cell.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_failed_naming(&file, &path, &["MiB", "line 5"]);
    assert_untouched(&store);
}

#[test]
fn a_runaway_quote_rejects_its_row_and_the_following_rows_import() {
    // Issue 12: an opening quote that never closes used to stop the whole file at the record
    // limit; now its own row is rejected, naming the quote, and the 20 MiB after it import.
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}{}", good_rows(3));
    // An opening quote that never closes, followed by 20 MiB of ordinary rows.
    text.push_str("oops@example.com,consent.given,2023-01-01T10:00:00Z,\"email-marketing\n");
    let mut rows = 3;
    while text.len() < 20 << 20 {
        text.push_str(&good_rows(1000));
        rows += 1000;
    }
    let path = write(dir.path(), "runaway.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{:?}", file.error);
    assert_eq!((file.rows_imported, file.rows_rejected), (rows, 1));
    assert_eq!(file.rejections[0].locator, "line 5");
    assert!(file.rejections[0].message.contains("unescaped quote"), "{:?}", file.rejections[0]);
}

#[test]
fn a_csv_cut_mid_row_keeps_the_complete_rows_and_rejects_the_cut_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEADER}{}d@example.com,consent.giv", good_rows(3));
    let path = write(dir.path(), "cut.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (3, 1));
    assert_eq!(file.rejections[0].locator, "line 5");
}

#[test]
fn a_csv_cut_inside_a_quoted_value_rejects_that_row_as_truncated() {
    // The last row's quote never closes before the end of the file: its value is cut short and
    // must not be stored as if it were complete.
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEADER}{}d@example.com,consent.given,2023-01-01T10:00:00Z,\"email-mark", good_rows(3));
    let path = write(dir.path(), "cut-quote.csv", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.rows_imported, 3, "{file:#?}");
    assert_eq!(
        count(&store, "SELECT count(*) FROM events WHERE purpose_label = 'email-mark'"),
        0,
        "a truncated value was stored as a purpose label"
    );
    let listed = file.rejections.iter().any(|r| r.locator == "line 5") || file.status == "failed";
    assert!(listed, "the cut row is rejected (or the file refused) with its line: {file:#?}");
}

#[test]
fn a_json_array_cut_mid_record_keeps_the_earlier_records_and_lists_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"[
  {"subject": "a@example.com", "kind": "consent.given", "occurred_at": "2023-01-01T10:00:00Z", "purpose": "email-marketing"},
  {"subject": "b@example.com", "kind": "consent.given", "occurred_at": "2023-01-02T10:00:00Z", "purpose": "email-marketing"},
  {"subject": "c@example.com", "kind": "consent.gi"#;
    let path = write(dir.path(), "cut.json", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!(file.system.as_deref(), Some("consenttrail"));
    assert_eq!((file.rows_imported, file.rows_rejected), (2, 1));
    let r = &file.rejections[0];
    assert!(r.locator.contains("line 4"), "the rejection says where the file breaks off: {r:?}");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 2);
}

#[test]
fn empty_and_blank_files_fail_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty.csv", &b""[..]),
        ("blank.csv", &b"\n\n  \r\n"[..]),
        ("bom-only.csv", &b"\xEF\xBB\xBF"[..]),
        ("empty.json", &b""[..]),
    ] {
        let path = write(dir.path(), name, bytes);
        let (_d, mut store) = temp_store();
        let file = one(&mut store, &path);
        assert_failed_naming(&file, &path, &["empty"]);
        assert_untouched(&store);
    }
}

#[test]
fn a_zip_bomb_is_refused_quickly_without_expanding_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        zip.start_file("subscribed_members_export.csv", options).unwrap();
        let block = vec![0u8; 1 << 20];
        for _ in 0..256 {
            zip.write_all(&block).unwrap();
        }
        zip.finish().unwrap();
    }
    let compressed = std::fs::metadata(&path).unwrap().len();
    assert!(compressed < 2 << 20, "the bomb is small on disk: {compressed}");
    let (_d, mut store) = temp_store();
    let started = Instant::now();
    let report = import(&mut store, std::slice::from_ref(&path));
    assert!(started.elapsed() < Duration::from_secs(10), "refusing took {:?}", started.elapsed());
    assert_eq!(report.files.len(), 1, "{report:#?}");
    let file = &report.files[0];
    assert_eq!(file.status, "failed");
    let error = file.error.clone().unwrap_or_default();
    assert!(error.contains(&format!("{}!/subscribed_members_export.csv", path.display())), "{error}");
    assert!(error.contains("zip bomb"), "{error}");
    assert_untouched(&store);
}

/// A ZIP whose entry claims to be small but expands to much more (a forged header).
#[test]
fn a_zip_entry_larger_than_it_declares_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liar.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("events.csv", options).unwrap();
        zip.write_all(HEADER.as_bytes()).unwrap();
        let rows = good_rows(1000);
        for _ in 0..200 {
            zip.write_all(rows.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    // Forge the uncompressed size (local header offset 22, central directory entry offset 24).
    let mut bytes = std::fs::read(&path).unwrap();
    let forged = 1000u32.to_le_bytes();
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    bytes[22..26].copy_from_slice(&forged);
    let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[cd + 24..cd + 28].copy_from_slice(&forged);
    std::fs::write(&path, bytes).unwrap();
    let (_d, mut store) = temp_store();
    let report = import(&mut store, std::slice::from_ref(&path));
    assert_eq!(report.files.len(), 1, "{report:#?}");
    let file = &report.files[0];
    assert_eq!(file.status, "failed", "{file:#?}");
    let error = file.error.clone().unwrap_or_default();
    assert!(error.contains(&format!("{}!/events.csv", path.display())), "{error}");
    assert_untouched(&store);
}

#[test]
fn deeply_nested_json_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let path = write(dir.path(), "deep.json", deep.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_failed_naming(&file, &path, &[]);
    assert_untouched(&store);
    let deep_object = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let path = write(dir.path(), "deep-object.json", deep_object.as_bytes());
    let file = one(&mut store, &path);
    assert_failed_naming(&file, &path, &[]);
    assert_untouched(&store);
}

#[test]
fn a_deep_record_inside_a_canonical_array_is_rejected_and_the_others_kept() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let text = format!(
        "[{{\"subject\": \"a@example.com\", \"kind\": \"consent.given\", \"occurred_at\": \"2023-01-01T10:00:00Z\"}},\n{}{}]",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let path = write(dir.path(), "deep-inside.json", text.as_bytes());
    let (_d, mut store) = temp_store();
    let file = one(&mut store, &path);
    assert_eq!(file.status, "imported", "{file:#?}");
    assert_eq!((file.rows_imported, file.rows_rejected), (1, 1));
    assert!(file.rejections[0].message.contains("recursion limit"), "{:#?}", file.rejections);
}

#[test]
fn a_folder_of_mixed_files_imports_the_good_ones_and_fails_each_other_with_its_own_reason() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let good_canonical = write(&folder, "a-events.csv", format!("{HEADER}{}", good_rows(4)).as_bytes());
    let good_mailchimp = folder.join("b-cleaned_members.csv");
    std::fs::copy(fixtures().join("exports-intl/mailchimp/cleaned_members_export_intl.csv"), &good_mailchimp).unwrap();
    let binary =
        write(&folder, "c-logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa");
    let empty = write(&folder, "d-empty.csv", b"");
    let unknown = write(&folder, "e-inventory.csv", b"sku,warehouse,quantity\nA-1,Leeds,4\n");
    write(&folder, ".hidden.csv", b"ignored");
    let (_d, mut store) = temp_store();
    let report = import(&mut store, std::slice::from_ref(&folder));
    let mut by_path: Vec<(String, String)> = report.files.iter().map(|f| (f.path.clone(), f.status.clone())).collect();
    by_path.sort();
    let shown = |p: &Path| p.display().to_string();
    assert_eq!(
        by_path,
        vec![
            (shown(&good_canonical), "imported".into()),
            (shown(&good_mailchimp), "imported".into()),
            (shown(&binary), "failed".into()),
            (shown(&empty), "failed".into()),
            (shown(&unknown), "failed".into()),
        ]
    );
    let error_of = |p: &Path| report.files.iter().find(|f| f.path == shown(p)).unwrap().error.clone().unwrap();
    assert!(error_of(&binary).contains("binary"), "{}", error_of(&binary));
    assert!(error_of(&empty).contains("empty"), "{}", error_of(&empty));
    let unknown_error = error_of(&unknown);
    assert!(
        unknown_error.contains("sku, warehouse, quantity"),
        "the error shows the header it did not know: {unknown_error}"
    );
    for p in [&binary, &empty, &unknown] {
        assert!(error_of(p).contains(&shown(p)), "{}", error_of(p));
    }
    // The database holds exactly the two good files.
    let (_d2, mut reference) = temp_store();
    import(&mut reference, &[good_canonical, good_mailchimp]);
    let (x, y) = (db_snapshot::logical(&store), db_snapshot::logical(&reference));
    assert!(x == y, "{}", db_snapshot::diff(&x, &y));
}
