//! SPEC §2 / §7: the same file (or the same row in two overlapping exports) is imported once;
//! re-importing says so and changes nothing; removing a source removes exactly what it brought —
//! the database is then the same as if that file had never been imported.

use std::path::{Path, PathBuf};

use consenttrail_engine::import::ImportReport;
use consenttrail_engine::store::{identity, sources, Store};

use crate::db_snapshot;
use crate::support::*;

fn intl() -> PathBuf {
    fixtures().join("exports-intl")
}

fn subscribed() -> PathBuf {
    intl().join("mailchimp/subscribed_members_export_intl.csv")
}

fn only_file(report: &ImportReport) -> &consenttrail_engine::import::FileReport {
    assert_eq!(report.files.len(), 1, "{report:#?}");
    &report.files[0]
}

fn source_id_of(store: &Store, path: &Path) -> i64 {
    let shown = path.display().to_string();
    sources::list(store.conn()).unwrap().into_iter().find(|s| s.path == shown).map(|s| s.id).unwrap()
}

fn remove_path(store: &mut Store, path: &Path) -> usize {
    let id = source_id_of(store, path);
    consenttrail_engine::import::derive::remove_source(store.conn_mut(), id).unwrap()
}

fn assert_same(label: &str, a: &Store, b: &Store) {
    let (x, y) = (db_snapshot::logical(a), db_snapshot::logical(b));
    assert!(
        x == y,
        "{label}: the databases differ (left: after removal, right: never imported):\n{}",
        db_snapshot::diff(&x, &y)
    );
}

#[test]
fn the_same_file_twice_is_already_imported_and_changes_nothing() {
    let (_dir, mut store) = temp_store();
    let first = import(&mut store, &[subscribed()]);
    let first = only_file(&first).clone();
    assert_eq!(first.status, "imported");
    let before = db_snapshot::raw(&store);
    let again = import(&mut store, &[subscribed()]);
    let again = only_file(&again);
    assert_eq!(again.status, "already-imported");
    assert_eq!(again.sha256, first.sha256);
    assert_eq!(again.source_id, first.source_id);
    assert_eq!((again.rows_imported, again.rows_rejected, again.events), (0, 0, 0));
    assert!(
        again.warnings.iter().any(|w| w.message.contains("already imported")),
        "the report says why nothing happened: {again:#?}"
    );
    assert_eq!(again.error, None);
    assert_eq!(db_snapshot::raw(&store), before, "a re-import wrote to the database");
}

#[test]
fn a_renamed_copy_is_recognised_by_its_content_hash() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[subscribed()]);
    let before = db_snapshot::raw(&store);
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("audience-2024-01-01 (1).csv");
    std::fs::copy(subscribed(), &copy).unwrap();
    let report = import(&mut store, std::slice::from_ref(&copy));
    let file = only_file(&report);
    assert_eq!(file.path, copy.display().to_string());
    assert_eq!(file.status, "already-imported");
    assert_eq!(file.system.as_deref(), Some("mailchimp"));
    assert_eq!(db_snapshot::raw(&store), before);
    // A one-byte change is another file.
    let mut bytes = std::fs::read(subscribed()).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&copy, bytes).unwrap();
    let report = import(&mut store, &[copy]);
    let file = only_file(&report);
    assert_eq!(file.status, "imported");
    assert_eq!(file.events, 0, "every fact is already known");
    assert_eq!(file.duplicate_events, 9);
}

/// Mailchimp exports whose rows are copies of lines of the intl `subscribed` file.
struct Overlap {
    _dir: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    c: PathBuf,
}

fn overlapping_exports() -> Overlap {
    let text = std::fs::read_to_string(subscribed()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (header, eleni, zofia, ivan, wang, maria) = (lines[0], lines[1], lines[2], lines[3], lines[4], lines[9]);
    assert!(maria.starts_with("Мария"), "{maria}");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: &[&str]| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        p
    };
    let a = write("subscribed_members_export_jan.csv", &[eleni, zofia, ivan]);
    let b = write("subscribed_members_export_feb.csv", &[zofia, ivan, wang]);
    let c = write("subscribed_members_export_mar.csv", &[ivan, maria]);
    Overlap { _dir: dir, a, b, c }
}

fn store_with(paths: &[&PathBuf]) -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    for p in paths {
        let report = import(&mut store, &[(*p).clone()]);
        assert_eq!(only_file(&report).status, "imported", "{report:#?}");
    }
    (dir, store)
}

#[test]
fn overlapping_exports_store_each_fact_once_and_keep_the_second_row_as_corroboration() {
    let o = overlapping_exports();
    let (_dir, mut store) = temp_store();
    let first = import(&mut store, std::slice::from_ref(&o.a));
    assert_eq!(only_file(&first).events, 4, "Eleni 2 (opt-in, confirmation), Zofia 1, Ivan 1");
    let second = import(&mut store, std::slice::from_ref(&o.b));
    let second = only_file(&second);
    assert_eq!(second.status, "imported");
    assert_eq!(second.rows_imported, 3, "every row of the second export is kept");
    assert_eq!((second.events, second.duplicate_events), (2, 2), "Wang's 2 are new; Zofia's and Ivan's are known");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 6);
    assert_eq!(count(&store, "SELECT count(*) FROM event_duplicates"), 2);
    assert_eq!(count(&store, "SELECT count(*) FROM source_rows"), 6);
    // One grant on Zofia's timeline, found in both files.
    let zofia = identity::subject_of(store.conn(), "zofia.wojcik@example.pl").unwrap().unwrap();
    let events = consenttrail_engine::reconcile::timeline::subject_events(store.conn(), zofia).unwrap();
    assert_eq!(events.len(), 1);
    let (b_id, a_id) = (source_id_of(&store, &o.b), source_id_of(&store, &o.a));
    assert_eq!(events[0].source.as_ref().unwrap().id, a_id);
    assert_eq!(
        count(
            &store,
            &format!("SELECT count(*) FROM event_duplicates WHERE event_id = {} AND source_id = {b_id}", events[0].id)
        ),
        1
    );
}

#[test]
fn removing_the_first_of_two_overlapping_exports_keeps_exactly_what_the_second_brought() {
    let o = overlapping_exports();
    let (_d1, mut store) = store_with(&[&o.a, &o.b]);
    let a = source_id_of(&store, &o.a);
    let removed = consenttrail_engine::import::derive::remove_source(store.conn_mut(), a).unwrap();
    assert_eq!(removed, 2, "only Eleni's two events were the first export's alone");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 4);
    // The shared facts now cite the second export's rows.
    let b = source_id_of(&store, &o.b);
    assert_eq!(count(&store, &format!("SELECT count(*) FROM events WHERE source_id = {b}")), 4);
    assert_eq!(
        count(
            &store,
            &format!("SELECT count(*) FROM events e JOIN source_rows r ON r.id = e.row_id WHERE r.source_id != {b}")
        ),
        0
    );
    assert_eq!(identity::subject_of(store.conn(), "eleni.papadopoulou@example.gr").unwrap(), None);
    let (_d2, reference) = store_with(&[&o.b]);
    assert_same("a+b, then a removed", &store, &reference);
}

#[test]
fn removing_the_second_of_two_overlapping_exports_keeps_exactly_what_the_first_brought() {
    let o = overlapping_exports();
    let (_d1, mut store) = store_with(&[&o.a, &o.b]);
    let removed = remove_path(&mut store, &o.b);
    assert_eq!(removed, 2, "Wang's two events");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 4);
    assert_eq!(count(&store, "SELECT count(*) FROM event_duplicates"), 0);
    let (_d2, reference) = store_with(&[&o.a]);
    assert_same("a+b, then b removed", &store, &reference);
}

#[test]
fn a_fact_in_three_exports_survives_until_its_last_source_goes() {
    let o = overlapping_exports();
    let (_d1, mut store) = store_with(&[&o.a, &o.b, &o.c]);
    let ivan = "SELECT count(*) FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.value = 'ivan.petrov@example.ru'";
    assert_eq!(count(&store, ivan), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM event_duplicates"), 2 + 1);
    remove_path(&mut store, &o.a);
    assert_eq!(count(&store, ivan), 1);
    remove_path(&mut store, &o.b);
    assert_eq!(count(&store, ivan), 1);
    let (_d2, reference) = store_with(&[&o.c]);
    assert_same("a+b+c, then a and b removed", &store, &reference);
    remove_path(&mut store, &o.c);
    assert_eq!(count(&store, ivan), 0);
    let counts = db_snapshot::counts(&store);
    for table in [
        "sources",
        "source_rows",
        "identifiers",
        "identity_links",
        "identifier_attributes",
        "events",
        "event_duplicates",
    ] {
        assert_eq!(counts[table], 0, "{table} still has rows after every source was removed");
    }
}

#[test]
fn removing_any_file_of_the_export_set_equals_never_having_imported_it() {
    let files: Vec<PathBuf> = [
        "mailchimp/subscribed_members_export_intl.csv",
        "mailchimp/unsubscribed_members_export_intl.csv",
        "mailchimp/cleaned_members_export_intl.csv",
        "salesforce/DataUsePurpose.csv",
        "salesforce/Individual.csv",
        "salesforce/ContactPointEmail.csv",
        "salesforce/ContactPointTypeConsent.csv",
    ]
    .iter()
    .map(|f| intl().join(f))
    .collect();
    let mut failures = Vec::new();
    for removed in &files {
        let (_d1, mut store) = temp_store();
        let report = import(&mut store, &files);
        assert!(!report.any_failed(), "{report:#?}");
        remove_path(&mut store, removed);
        let (_d2, mut reference) = temp_store();
        let rest: Vec<PathBuf> = files.iter().filter(|f| *f != removed).cloned().collect();
        import(&mut reference, &rest);
        let (x, y) = (db_snapshot::logical(&store), db_snapshot::logical(&reference));
        if x != y {
            failures.push(format!(
                "removing {}:\n{}",
                removed.file_name().unwrap().to_string_lossy(),
                db_snapshot::diff(&x, &y)
            ));
        }
    }
    assert!(failures.is_empty(), "left: imported then removed; right: never imported\n{}", failures.join("\n"));
}

#[test]
fn removing_the_linking_file_splits_the_subject_again() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[intl()]);
    let email = |s: &Store| identity::subject_of(s.conn(), "eleni.papadopoulou@example.gr").unwrap();
    let individual = |s: &Store| identity::subject_of(s.conn(), "salesforce:individual:0PKintl00000001").unwrap();
    assert_eq!(email(&store), individual(&store));
    let cpe = source_id_of(&store, &intl().join("salesforce/ContactPointEmail.csv"));
    let removed = consenttrail_engine::import::derive::remove_source(store.conn_mut(), cpe).unwrap();
    assert_eq!(removed, 0, "ContactPointEmail brings links, not events");
    assert!(email(&store).is_some() && individual(&store).is_some());
    assert_ne!(email(&store), individual(&store), "the link went with its file");
    // Identifiers only that file named are gone; those other files use stay.
    for gone in ["salesforce:contactpoint:9lEintl00000001", "anna.nowak@firma.pl"] {
        assert_eq!(identity::subject_of(store.conn(), gone).unwrap(), None, "{gone}");
    }
    assert!(
        identity::subject_of(store.conn(), "salesforce:individual:0PKintl00000004").unwrap().is_some(),
        "Individual.csv names her"
    );
    // The Salesforce events now sit on the Individual's own subject, the Mailchimp ones on the address's.
    let systems = |subject: i64| -> Vec<String> {
        let mut v: Vec<String> = consenttrail_engine::reconcile::timeline::subject_events(store.conn(), subject)
            .unwrap()
            .into_iter()
            .map(|e| e.system)
            .collect();
        v.dedup();
        v
    };
    assert_eq!(systems(email(&store).unwrap()), vec!["mailchimp"]);
    assert_eq!(systems(individual(&store).unwrap()), vec!["salesforce"]);
}

#[test]
fn removing_an_unknown_source_is_an_error_that_changes_nothing() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[subscribed()]);
    let before = db_snapshot::raw(&store);
    let err = consenttrail_engine::import::derive::remove_source(store.conn_mut(), 999).unwrap_err();
    assert!(err.to_string().contains("999"), "{err}");
    assert_eq!(db_snapshot::raw(&store), before);
}

fn salesforce_purposes(store: &Store) -> Vec<(Option<String>, String, i64)> {
    store
        .conn()
        .prepare(
            "SELECT purpose, purpose_label, count(*) FROM events WHERE system = 'salesforce'
             GROUP BY purpose, purpose_label ORDER BY purpose_label",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_purpose_lookup_file_maps_consents_imported_before_it() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[intl().join("salesforce/ContactPointTypeConsent.csv")]);
    assert_eq!(
        salesforce_purposes(&store),
        vec![(None, "0ZWintl00000001".to_string(), 4), (None, "0ZWintl00000002".to_string(), 1)],
        "DataUsePurpose ids mean nothing before the DataUsePurpose file arrives"
    );
    import(&mut store, &[intl().join("salesforce/DataUsePurpose.csv")]);
    assert_eq!(
        salesforce_purposes(&store),
        vec![
            (Some("email-marketing".to_string()), "0ZWintl00000001".to_string(), 4),
            (Some("sms-marketing".to_string()), "0ZWintl00000002".to_string(), 1),
        ]
    );
}

#[test]
fn removing_the_purpose_lookup_file_takes_the_purposes_it_resolved_with_it() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[intl().join("salesforce")]);
    assert_eq!(
        salesforce_purposes(&store),
        vec![
            (Some("email-marketing".to_string()), "0ZWintl00000001".to_string(), 4),
            (Some("sms-marketing".to_string()), "0ZWintl00000002".to_string(), 1),
        ]
    );
    remove_path(&mut store, &intl().join("salesforce/DataUsePurpose.csv"));
    assert_eq!(count(&store, "SELECT count(*) FROM label_lookups"), 0);
    assert_eq!(
        salesforce_purposes(&store),
        vec![(None, "0ZWintl00000001".to_string(), 4), (None, "0ZWintl00000002".to_string(), 1)],
        "the ids were only mapped through the removed file's names"
    );
}

/// A file of a size never seen is hashed while it imports (it cannot be a re-import); one of a
/// size seen before is hashed first. Either way the stored SHA-256 is the file's, and a file of
/// the same size but other content is a new source.
#[test]
fn the_stored_hash_is_the_files_whether_computed_before_or_during_the_import() {
    use sha2::{Digest, Sha256};
    let (dir, mut store) = temp_store();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "subject,kind,occurred_at\nann@example.com,consent.given,2024-01-01T00:00:00Z\n").unwrap();
    std::fs::write(&b, "subject,kind,occurred_at\nbob@example.com,consent.given,2024-01-01T00:00:00Z\n").unwrap();
    assert_eq!(std::fs::metadata(&a).unwrap().len(), std::fs::metadata(&b).unwrap().len());
    let sha = |p: &Path| hex::encode(Sha256::digest(std::fs::read(p).unwrap()));
    for (path, status) in [(&a, "imported"), (&b, "imported"), (&a, "already-imported"), (&b, "already-imported")] {
        let report = import(&mut store, std::slice::from_ref(path));
        let file = only_file(&report);
        assert_eq!(file.status, status, "{}: {report:#?}", path.display());
        assert_eq!(file.sha256.as_deref(), Some(sha(path).as_str()), "{}", path.display());
    }
    let stored: Vec<String> = sources::list(store.conn()).unwrap().into_iter().map(|s| s.sha256).collect();
    assert_eq!(stored, vec![sha(&a), sha(&b)]);
}
