//! Issue 14: a file large enough to load without the fact index (store::events::facts) must
//! import exactly what the indexed path imports: each fact once, the first row that stated it
//! kept as the event, every repeat (within the file or of an earlier file) kept as its
//! corroboration, and the index back, identical, whatever happened.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use consenttrail_engine::import::{self, ImportOptions};
use consenttrail_engine::store::events::facts;
use consenttrail_engine::store::events::write::{EventWriter, NewEvent, Stored};
use consenttrail_engine::store::Store;

use crate::support::*;

const HEADER: &str = "subject,kind,occurred_at,purpose,notice_version\n";

/// One fact as a canonical row: person `who`, granted on day `day` of 2023 (a long notice
/// version makes the file large with few rows, so that the test stays quick).
fn row(who: usize, day: usize, notice: &str) -> String {
    format!(
        "user{who}@example.com,consent.given,2023-{:02}-{:02}T10:00:00Z,email-marketing,{notice}\n",
        1 + day / 28,
        1 + day % 28
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn fact_index_sql(store: &Store) -> Option<String> {
    store
        .conn()
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'events_fact'", [], |r| r.get(0))
        .ok()
}

/// The earlier file, the large one, and for every line of the large file that repeats a fact the
/// (file, line) of the first row that stated it.
struct Scenario {
    earlier: PathBuf,
    large: PathBuf,
    unique_in_large: usize,
    first_of: HashMap<usize, (String, usize)>,
}

fn scenario(dir: &Path) -> Scenario {
    let notice = "v".repeat(1000);
    let mut earlier = String::from(HEADER);
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    for who in 0..200 {
        let r = row(who, 0, &notice);
        seen.entry(r.clone()).or_insert(("earlier.csv".into(), earlier.lines().count() + 1));
        earlier.push_str(&r);
    }
    // Time order, as a real log: day by day, every person once a day; every seventh row repeats
    // the row three before it, and each person's day-0 grant (already in the earlier file) is
    // logged again.
    let mut large = String::from(HEADER);
    let mut lines: Vec<String> = Vec::new();
    let mut first_of = HashMap::new();
    let mut unique_in_large = 0;
    let mut push = |r: String, large: &mut String, lines: &mut Vec<String>| {
        large.push_str(&r);
        lines.push(r.clone());
        let line = lines.len() + 1;
        match seen.get(&r) {
            Some(first) => {
                first_of.insert(line, first.clone());
            }
            None => {
                seen.insert(r, ("large.csv".into(), line));
                unique_in_large += 1;
            }
        }
    };
    let mut n = 0;
    for day in 0..90 {
        for who in 0..200 {
            n += 1;
            push(row(who, day, &notice), &mut large, &mut lines);
            if n % 7 == 0 {
                let again = lines[lines.len() - 3].clone();
                push(again, &mut large, &mut lines);
            }
        }
    }
    assert!(large.len() as u64 > import::BULK_IMPORT_BYTES, "the large file takes the bulk path");
    Scenario {
        earlier: write(dir, "earlier.csv", &earlier),
        large: write(dir, "large.csv", &large),
        unique_in_large,
        first_of,
    }
}

#[test]
fn a_bulk_load_keeps_the_first_row_of_each_fact_and_every_repeat_as_its_corroboration() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let (_d, mut store) = temp_store();
    let index_before = fact_index_sql(&store).expect("the migration created the index");
    let report = import(&mut store, &[s.earlier.clone(), s.large.clone()]);
    let (earlier, large) = (&report.files[0], &report.files[1]);
    assert_eq!((earlier.status.as_str(), large.status.as_str()), ("imported", "imported"), "{report:#?}");
    assert_eq!(large.events as usize, s.unique_in_large, "{large:#?}");
    assert_eq!(large.duplicate_events as usize, s.first_of.len(), "{large:#?}");
    assert!(s.first_of.values().any(|(f, _)| f == "earlier.csv") && s.first_of.values().any(|(f, _)| f == "large.csv"));
    // Every repeat points at the event of the first row that stated its fact.
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT dup_row.line, first_src.file_name, first_row.line
             FROM event_duplicates d
             JOIN source_rows dup_row ON dup_row.id = d.row_id
             JOIN events e ON e.id = d.event_id
             JOIN source_rows first_row ON first_row.id = e.row_id
             JOIN sources first_src ON first_src.id = e.source_id
             WHERE d.source_id = ?1",
        )
        .unwrap();
    let found: HashMap<usize, (String, usize)> = stmt
        .query_map([large.source_id.unwrap()], |r| {
            Ok((r.get::<_, i64>(0)? as usize, (r.get::<_, String>(1)?, r.get::<_, i64>(2)? as usize)))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(stmt);
    assert_eq!(found, s.first_of);
    // Event ids run on without gaps, as with the index: a repeat takes no id.
    assert_eq!(count(&store, "SELECT max(id) - count(*) FROM events"), 0);
    assert_eq!(fact_index_sql(&store).as_deref(), Some(index_before.as_str()), "the same index, back");
    let integrity: String = store.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    let temp_store: i64 = store.conn().query_row("PRAGMA temp_store", [], |r| r.get(0)).unwrap();
    assert_eq!(temp_store, 2, "temporary data in memory again after the bulk load");
    // And the rebuilt index works: the large file again, with one new fact, adds only that fact.
    let copy = dir.path().join("copy.csv");
    let text = std::fs::read_to_string(&s.large).unwrap();
    std::fs::write(&copy, format!("{text}extra@example.com,consent.given,2023-01-01T10:00:00Z,email-marketing,x\n"))
        .unwrap();
    let report = import(&mut store, &[copy]);
    assert_eq!(report.files[0].events, 1, "{:#?}", report.files[0]);
    assert_eq!(report.files[0].duplicate_events as usize, text.lines().count() - 1, "{:#?}", report.files[0]);
}

#[test]
fn a_cancelled_bulk_load_leaves_the_fact_index_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let (_d, mut store) = temp_store();
    import(&mut store, std::slice::from_ref(&s.earlier));
    let index_before = fact_index_sql(&store).unwrap();
    let cancel = AtomicBool::new(false);
    let mut rows_seen = 0;
    let mut stop_midway = |p: import::Progress| {
        rows_seen = p.rows;
        if p.rows > 5_000 {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let report = import::import_paths(
        &mut store,
        std::slice::from_ref(&s.large),
        &ImportOptions::default(),
        &mut stop_midway,
        &cancel,
    )
    .unwrap();
    assert!(rows_seen > 5_000, "the load was under way");
    assert_ne!(report.files[0].status, "imported", "{:#?}", report.files[0]);
    assert_eq!(fact_index_sql(&store).as_deref(), Some(index_before.as_str()));
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 200, "the earlier file's events only");
    // The restored index still finds repeats: the earlier file's facts, imported again.
    let repeat = dir.path().join("repeat.csv");
    std::fs::write(&repeat, format!("{}\n", std::fs::read_to_string(&s.earlier).unwrap())).unwrap();
    let report = import(&mut store, &[repeat]);
    assert_eq!((report.files[0].events, report.files[0].duplicate_events), (0, 200), "{:#?}", report.files[0]);
}

fn event<'e>(source_id: i64, row_id: i64, identifier_id: i64, fingerprint: &'e [u8]) -> NewEvent<'e> {
    NewEvent {
        source_id,
        row_id,
        identifier_id,
        system: "canonical",
        kind: "consent.given",
        occurred_at: None,
        occurred_at_written: None,
        zone_noted: None,
        purpose: None,
        purpose_label: None,
        channel: None,
        method: None,
        method_stated: None,
        capture_source: None,
        collected_by: None,
        collected_by_stated: None,
        notice_version: None,
        notice_stated: None,
        evidence: None,
        fingerprint,
    }
}

/// The store-level contract: while deferred the index is gone and the table finds repeats; a
/// repeat written past the table (a bug, or a forged write) makes the index rebuild fail, so the
/// file cannot commit.
#[test]
fn without_the_index_repeats_are_found_in_memory_and_one_that_slips_past_stops_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let (_d, mut store) = temp_store();
    import(&mut store, std::slice::from_ref(&s.earlier));
    let (identifier_id, fingerprint, source_id, row_id): (i64, Vec<u8>, i64, i64) = store
        .conn()
        .query_row("SELECT identifier_id, fingerprint, source_id, row_id FROM events ORDER BY id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    {
        let mut writer = EventWriter::new(&tx, Some(1_000)).unwrap();
        let gone: i64 =
            tx.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'events_fact'", [], |r| r.get(0)).unwrap();
        assert_eq!(gone, 0, "the index is dropped while the file loads");
        assert_eq!(
            writer.insert_event(&event(source_id, row_id, identifier_id, &fingerprint)).unwrap(),
            Stored::Repeats(1)
        );
        // Same fingerprint, another identifier: another fact.
        let other = writer.insert_event(&event(source_id, row_id, identifier_id + 1, &fingerprint)).unwrap();
        assert!(matches!(other, Stored::New(_)), "{other:?}");
        let new_fp = [9u8; 16];
        let first = writer.insert_event(&event(source_id, row_id, identifier_id, &new_fp)).unwrap();
        let Stored::New(first) = first else { panic!("{first:?}") };
        assert_eq!(
            writer.insert_event(&event(source_id, row_id, identifier_id, &new_fp)).unwrap(),
            Stored::Repeats(first)
        );
    }
    // A repeat written behind the table's back.
    tx.execute(
        "INSERT INTO events (source_id, row_id, identifier_id, system, kind, fingerprint) VALUES (?1, ?2, ?3, 'canonical', 'consent.given', ?4)",
        rusqlite::params![source_id, row_id, identifier_id, fingerprint],
    )
    .unwrap();
    let err = facts::restore_index(&tx).expect_err("the rebuilt unique index refuses the repeat");
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    drop(tx);
    assert!(fact_index_sql(&store).is_some(), "rolled back: the index is there");
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 200);
}
