//! The audit reads events through buckets (`store::events::by_subject`): one pass over the
//! table in storage order deals each event into its subject range's temporary file, and each
//! bucket is read back and grouped by subject. These tests hold that what the rules receive is
//! exactly what reading each subject through the index gives, whatever the bucket size and
//! however many threads deal the table, on the golden set of every importer (31 people in many
//! scripts, several systems per person, recipients, TC strings).

use std::collections::BTreeMap;

use consenttrail_engine::model::timeline::TimelineEvent;
use consenttrail_engine::store::events::by_subject::SubjectBuckets;
use consenttrail_engine::store::events::read;
use consenttrail_engine::store::{identity, StoreError};

use crate::golden_all::golden_all_store;

/// What the audit reads of an event, comparable: everything but the source details and the
/// written time (neither is read by a rule), evidence only where a rule reads it.
fn audit_view(e: &TimelineEvent) -> String {
    let evidence =
        e.evidence_json.as_deref().filter(|t| t.contains("tc_string") || t.contains("parental")).map(str::to_string);
    format!(
        "{} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {:?}",
        e.id,
        e.identifier,
        e.system,
        e.stated_kind,
        e.occurred_at_ms,
        e.purpose,
        e.purpose_label,
        e.recipients.iter().map(|r| (r.label.clone(), r.legal_name.clone())).collect::<Vec<_>>(),
        e.channel,
        e.method,
        e.capture_source,
        e.collected_by,
        e.notice_version,
        evidence,
        e.row_id,
        e.fingerprint,
    )
}

/// Every subject's events as the buckets hand them over, in the order they are handed over.
fn through_buckets(
    conn: &rusqlite::Connection,
    subject_ids: &[i64],
    parts: usize,
    bucket_events: usize,
) -> Vec<(i64, Vec<String>)> {
    let buckets = SubjectBuckets::deal_sized(conn, subject_ids, parts, bucket_events).unwrap();
    let mut out = Vec::new();
    for i in 0..buckets.ranges().len() {
        buckets
            .for_each_subject(conn, i, &mut |subject, events| {
                out.push((subject, events.iter().map(audit_view).collect()));
                Ok::<(), StoreError>(())
            })
            .unwrap();
    }
    out
}

#[test]
fn buckets_hand_every_subject_its_own_events_whatever_the_bucket_size_and_the_threads() {
    let (_dir, store, _) = golden_all_store();
    let conn = store.conn();
    let subject_ids = identity::subject_ids(conn).unwrap();
    assert!(subject_ids.len() >= 31, "the golden set's people: {}", subject_ids.len());
    // The reference: each subject read through the index, one by one.
    let mut expected: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for &s in &subject_ids {
        let events = read::subject_events(conn, s).unwrap();
        if !events.is_empty() {
            let mut views: Vec<String> = events.iter().map(audit_view).collect();
            views.sort();
            expected.insert(s, views);
        }
    }
    let events: usize = expected.values().map(Vec::len).sum();
    assert!(events > 100, "the golden set has events: {events}");
    assert!(expected.values().flatten().any(|v| v.contains("tc_string")), "TC strings are read");
    assert!(expected.values().flatten().any(|v| v.contains("Some(\"")), "recipients are read");

    let first = through_buckets(conn, &subject_ids, 1, 65_536);
    // Within a subject, the order the index read gave before buckets: identifier, fingerprint
    // (timelines sort them, but an order that never changes keeps ties where they were).
    let mut stmt = conn
        .prepare(
            "SELECT e.id FROM identifiers i JOIN events e ON e.identifier_id = i.id
             WHERE i.subject_id = ?1 ORDER BY i.id, e.fingerprint",
        )
        .unwrap();
    for (subject, views) in &first {
        let ids: Vec<String> =
            stmt.query_map([subject], |r| r.get::<_, i64>(0)).unwrap().map(|id| id.unwrap().to_string()).collect();
        let got: Vec<String> = views.iter().map(|v| v.split(' ').next().unwrap().to_string()).collect();
        assert_eq!(got, ids, "subject {subject}: events by identifier, then fingerprint");
    }
    for (parts, bucket_events) in [(1, 65_536), (2, 65_536), (1, 1), (2, 1), (2, 7), (3, 50)] {
        let got = through_buckets(conn, &subject_ids, parts, bucket_events);
        let order: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "subjects once each, in id order ({parts}, {bucket_events})");
        let mut by_subject: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (s, mut views) in got.clone() {
            views.sort();
            by_subject.insert(s, views);
        }
        assert_eq!(by_subject, expected, "every event, to its own subject ({parts} parts, {bucket_events} per bucket)");
        // The rules see each subject's events in one order whatever the buckets.
        assert_eq!(got, first, "same order with {parts} parts, {bucket_events} per bucket");
    }
}

#[test]
fn a_bucket_is_read_once_and_a_second_read_is_an_error_not_an_empty_bucket() {
    let (_dir, store, _) = golden_all_store();
    let conn = store.conn();
    let subject_ids = identity::subject_ids(conn).unwrap();
    let buckets = SubjectBuckets::deal_sized(conn, &subject_ids, 2, 65_536).unwrap();
    let mut subjects = 0;
    buckets
        .for_each_subject(conn, 0, &mut |_, _| {
            subjects += 1;
            Ok::<(), StoreError>(())
        })
        .unwrap();
    assert!(subjects >= 31);
    let again = buckets.for_each_subject(conn, 0, &mut |_, _| Ok::<(), StoreError>(()));
    let message = again.expect_err("a second read must fail").to_string();
    assert!(message.contains("read twice"), "{message}");
}

/// The files open under `dir` other than the database's own (Linux: /proc/self/fd).
#[cfg(target_os = "linux")]
fn bucket_files_open_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.starts_with(dir))
        .filter(|target| !target.file_name().is_some_and(|n| n.to_string_lossy().starts_with("consenttrail.db")))
        .count()
}

#[cfg(target_os = "linux")]
#[test]
fn bucket_files_lie_beside_the_database_and_are_closed_as_each_bucket_is_read() {
    let (dir, store, _) = golden_all_store();
    let conn = store.conn();
    let subject_ids = identity::subject_ids(conn).unwrap();
    assert_eq!(bucket_files_open_in(dir.path()), 0);
    let buckets = SubjectBuckets::deal_sized(conn, &subject_ids, 2, 7).unwrap();
    let count = buckets.ranges().len();
    assert!(count > 2, "small buckets: {count}");
    // One file per bucket and part, in the database's folder (where its disk has room), not the
    // system's temporary folder.
    assert_eq!(bucket_files_open_in(dir.path()), count * 2);
    buckets.for_each_subject(conn, 0, &mut |_, _| Ok::<(), StoreError>(())).unwrap();
    assert_eq!(bucket_files_open_in(dir.path()), (count - 1) * 2, "a bucket's files close once it is read");
    drop(buckets);
    assert_eq!(bucket_files_open_in(dir.path()), 0, "and every file closes with the buckets");
}
