//! Every event regrouped by subject, for the audit, without one random read per event.
//!
//! Events lie in the order they were imported, and a consent log is in time order: one
//! person's events are scattered over the whole table. Reading them subject by subject through
//! the index costs one page read (and copy) per event, most of a large audit's time. Instead,
//! [`SubjectBuckets::deal`] reads the table once in storage order and deals each event, with
//! its recipients, into the temporary file of its subject range (a bucket); each bucket is then
//! read back whole ([`SubjectBuckets::for_each_subject`]) and grouped by subject in memory.
//! Memory holds one bucket per reader; the files (beside the database) hold a compact copy of
//! what the rules read, about 160 bytes an event, and are deleted as each bucket is read (or,
//! on a crash, by the system: they have no name).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use rusqlite::{params, Connection};
use rustc_hash::FxHashMap;

use crate::model::timeline::{Recipient, TimelineEvent};
use crate::model::EventKind;
use crate::store::StoreError;

/// About how many events one bucket holds: what one reader has in memory at a time.
pub const BUCKET_EVENTS: usize = 65_536;
/// At most this many buckets (open files per part): beyond `BUCKET_EVENTS` times this, buckets
/// grow.
const MAX_BUCKETS: usize = 256;

/// The events of every subject, dealt into temporary files by subject range.
pub struct SubjectBuckets {
    ranges: Vec<(i64, i64)>,
    /// Each bucket's files (one per part of the table dealt), taken by the reader that reads
    /// them (and closed, deleting them).
    files: Vec<Mutex<Option<Vec<File>>>>,
}

impl SubjectBuckets {
    /// Splits `subject_ids` (ascending) into ranges of about [`BUCKET_EVENTS`] events and deals
    /// every event of `conn` into its range's files, in one pass over the table: `parts`
    /// threads each read a range of event ids on a read-only connection of their own (when
    /// the database has a file; else `conn` reads it all).
    pub fn deal(conn: &Connection, subject_ids: &[i64], parts: usize) -> Result<SubjectBuckets, StoreError> {
        Self::deal_sized(conn, subject_ids, parts, BUCKET_EVENTS)
    }

    /// [`SubjectBuckets::deal`] into buckets of about `bucket_events` events.
    pub fn deal_sized(
        conn: &Connection,
        subject_ids: &[i64],
        parts: usize,
        bucket_events: usize,
    ) -> Result<SubjectBuckets, StoreError> {
        let (min_event, max_event): (i64, i64) =
            conn.query_row("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let events = usize::try_from(max_event.saturating_sub(min_event)).unwrap_or(usize::MAX).saturating_add(1);
        let wanted = events.div_ceil(bucket_events.max(1)).clamp(1, MAX_BUCKETS);
        let per_bucket = subject_ids.len().div_ceil(wanted).max(1);
        let ranges: Vec<(i64, i64)> = subject_ids.chunks(per_bucket).map(|c| (c[0], c[c.len() - 1])).collect();
        let bucket_of_subject = |subject: i64| ranges.partition_point(|&(first, _)| first <= subject).checked_sub(1);
        let bucket_of_identifier = BucketOfIdentifier::read(conn, &bucket_of_subject)?;
        let readers: Vec<Connection> = if parts > 1 {
            (0..parts).map_while(|_| crate::store::read_connection(conn)).collect()
        } else {
            Vec::new()
        };
        let mut files: Vec<Vec<File>> = ranges.iter().map(|_| Vec::new()).collect();
        let mut add = |part: Vec<File>| {
            for (bucket, file) in files.iter_mut().zip(part) {
                bucket.push(file);
            }
        };
        if readers.len() < 2 {
            add(deal_part(conn, (i64::MIN, i64::MAX), &bucket_of_identifier, ranges.len())?);
        } else {
            let n = readers.len() as i64;
            let step = (max_event - min_event) / n + 1;
            let (bucket_of_identifier, buckets) = (&bucket_of_identifier, ranges.len());
            let dealt: Vec<Result<Vec<File>, StoreError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = readers
                    .into_iter()
                    .enumerate()
                    .map(|(k, reader)| {
                        let lo = min_event + step * k as i64;
                        let hi = if k as i64 == n - 1 { i64::MAX } else { lo + step - 1 };
                        scope.spawn(move || deal_part(&reader, (lo, hi), bucket_of_identifier, buckets))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
            });
            for part in dealt {
                add(part?);
            }
        }
        Ok(SubjectBuckets { ranges, files: files.into_iter().map(|f| Mutex::new(Some(f))).collect() })
    }

    /// The buckets' subject ranges (first and last subject id, inclusive), in order.
    pub fn ranges(&self) -> &[(i64, i64)] {
        &self.ranges
    }

    /// Reads bucket `i` (once: its file is closed after) and hands each of its subjects' events
    /// to `each`, in subject id order, the events in the order the index read gave them
    /// (identifier, then fingerprint). `conn` gives the identifiers as written.
    pub fn for_each_subject<E: From<StoreError>>(
        &self,
        conn: &Connection,
        i: usize,
        each: &mut dyn FnMut(i64, Vec<TimelineEvent>) -> Result<(), E>,
    ) -> Result<(), E> {
        let (first, last) = self.ranges[i];
        let files = self.files[i].lock().map_or(None, |mut f| f.take());
        let Some(files) = files else {
            return Err(
                StoreError::from(std::io::Error::other(format!("the audit's bucket {i} was read twice"))).into()
            );
        };
        let mut bytes = Vec::new();
        for mut file in files {
            file.read_to_end(&mut bytes).map_err(StoreError::from)?;
        }
        let identifiers = identifiers_between(conn, first, last)?;
        // Sorted as an index of (subject, identifier id, record): records are decoded one
        // subject at a time, so the bucket is in memory once, as written.
        let mut index: Vec<(i64, i64, &[u8])> = Vec::new();
        let mut input = bytes.as_slice();
        while !input.is_empty() {
            let length = get_len(&mut input).map_err(E::from)? as usize;
            let mut record = take(&mut input, length).map_err(E::from)?;
            let identifier_id = get_i64(&mut record).map_err(E::from)?;
            let Some((subject, _)) = identifiers.get(&identifier_id) else { continue };
            index.push((*subject, identifier_id, record));
        }
        fn fingerprint(mut record: &[u8]) -> Option<&[u8]> {
            let n = get_len(&mut record).ok()?;
            record.get(..n as usize)
        }
        index.sort_unstable_by(|a, b| (a.0, a.1, fingerprint(a.2)).cmp(&(b.0, b.1, fingerprint(b.2))));
        let mut start = 0;
        while start < index.len() {
            let subject = index[start].0;
            let end = start + index[start..].partition_point(|e| e.0 == subject);
            let mut events = Vec::with_capacity(end - start);
            for &(_, identifier_id, record) in &index[start..end] {
                let written = identifiers.get(&identifier_id).map(|(_, w)| w.clone()).unwrap_or_default();
                events.push(read_event(record, written).map_err(E::from)?);
            }
            each(subject, events)?;
            start = end;
        }
        Ok(())
    }
}

/// Which bucket each identifier's events go to: by id, in a vector when the ids are dense (as
/// SQLite assigns them), else in a map.
enum BucketOfIdentifier {
    Dense(Vec<u16>),
    Sparse(FxHashMap<i64, u16>),
}

impl BucketOfIdentifier {
    /// Ids beyond this many are not held in a vector (2 bytes each).
    const DENSE_UP_TO: i64 = 64 * 1024 * 1024;
    /// Marks an identifier of no bucket in the vector.
    const NONE: u16 = u16::MAX;

    fn read(conn: &Connection, bucket_of_subject: &dyn Fn(i64) -> Option<usize>) -> Result<Self, StoreError> {
        let max_id: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM identifiers", [], |r| r.get(0))?;
        let min_id: i64 = conn.query_row("SELECT coalesce(min(id), 0) FROM identifiers", [], |r| r.get(0))?;
        let mut map = if min_id >= 0 && max_id < Self::DENSE_UP_TO {
            BucketOfIdentifier::Dense(vec![Self::NONE; usize::try_from(max_id).unwrap_or(0) + 1])
        } else {
            BucketOfIdentifier::Sparse(FxHashMap::default())
        };
        let mut stmt = conn.prepare("SELECT id, subject_id FROM identifiers")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let Some(bucket) = bucket_of_subject(r.get(1)?).and_then(|b| u16::try_from(b).ok()) else { continue };
            match &mut map {
                BucketOfIdentifier::Dense(v) => {
                    if let Some(slot) = usize::try_from(id).ok().and_then(|i| v.get_mut(i)) {
                        *slot = bucket;
                    }
                }
                BucketOfIdentifier::Sparse(m) => {
                    m.insert(id, bucket);
                }
            }
        }
        Ok(map)
    }

    fn get(&self, identifier_id: i64) -> Option<usize> {
        match self {
            BucketOfIdentifier::Dense(v) => usize::try_from(identifier_id)
                .ok()
                .and_then(|i| v.get(i))
                .filter(|&&b| b != Self::NONE)
                .map(|&b| b as usize),
            BucketOfIdentifier::Sparse(m) => m.get(&identifier_id).map(|&b| b as usize),
        }
    }
}

/// Deals the events with ids in `ids` (inclusive) into one new file per bucket, returned
/// rewound.
fn deal_part(
    conn: &Connection,
    ids: (i64, i64),
    bucket_of_identifier: &BucketOfIdentifier,
    buckets: usize,
) -> Result<Vec<File>, StoreError> {
    let mut writers: Vec<BufWriter<File>> = Vec::with_capacity(buckets);
    for _ in 0..buckets {
        writers.push(BufWriter::with_capacity(32 * 1024, bucket_file(conn)?));
    }
    // Both in id order: recipients are merged into their events as the scan goes.
    let mut recipients_stmt = conn.prepare(
        "SELECT event_id, label, legal_name FROM event_recipients WHERE event_id BETWEEN ?1 AND ?2
         ORDER BY event_id, label",
    )?;
    let mut recipients = recipients_stmt.query(params![ids.0, ids.1])?;
    let mut next_recipient: Option<(i64, Recipient)> = self::next_recipient(&mut recipients)?;
    // Rules read the evidence only for TC strings (R11) and parental authorisation (R10):
    // other evidence is not copied.
    let mut stmt = conn.prepare(
        "SELECT id, identifier_id, system, kind, occurred_at, purpose, purpose_label, channel, method,
            capture_source, collected_by, notice_version,
            CASE WHEN instr(evidence, 'tc_string') OR instr(evidence, 'parental') THEN evidence END,
            fingerprint, row_id
         FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut rows = stmt.query(params![ids.0, ids.1])?;
    let mut record = Vec::with_capacity(512);
    let mut own: Vec<Recipient> = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        own.clear();
        while let Some((event_id, _)) = &next_recipient {
            if *event_id > id {
                break;
            }
            if *event_id == id {
                if let Some((_, rec)) = next_recipient.take() {
                    own.push(rec);
                }
            }
            next_recipient = self::next_recipient(&mut recipients)?;
        }
        let identifier_id: i64 = r.get(1)?;
        // An event whose identifier is gone is not anyone's (the index read skipped it too).
        let Some(bucket) = bucket_of_identifier.get(identifier_id) else { continue };
        // Length first, then what the bucket is sorted on (identifier, fingerprint).
        record.clear();
        record.extend_from_slice(&[0; 4]);
        put_i64(&mut record, identifier_id);
        put_bytes(&mut record, r.get_ref(13)?.as_blob().map_err(rusqlite::Error::from)?);
        put_i64(&mut record, id);
        for column in 2..=3 {
            put_str(&mut record, Some(r.get_ref(column)?.as_str().map_err(rusqlite::Error::from)?));
        }
        put_opt_i64(&mut record, r.get(4)?);
        for column in 5..=12 {
            put_str(&mut record, r.get_ref(column)?.as_str_or_null().map_err(rusqlite::Error::from)?);
        }
        put_i64(&mut record, r.get(14)?);
        put_i64(&mut record, own.len() as i64);
        for rec in &own {
            put_str(&mut record, Some(&rec.label));
            put_str(&mut record, rec.legal_name.as_deref());
        }
        let length = u32::try_from(record.len() - 4)
            .map_err(|_| StoreError::Invalid(format!("audit: event {id} is too large to read")))?;
        record[..4].copy_from_slice(&length.to_le_bytes());
        writers[bucket].write_all(&record)?;
    }
    let mut files = Vec::with_capacity(writers.len());
    for w in writers {
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        files.push(file);
    }
    Ok(files)
}

/// A new bucket file, without a name (deleted when closed, or by the system if the process
/// dies): beside the database, whose disk has room for a copy of its events where the system's
/// temporary folder may be a small RAM disk; in that folder when the database's is not
/// writable or there is no database file.
fn bucket_file(conn: &Connection) -> std::io::Result<File> {
    if let Some(dir) = conn.path().filter(|p| !p.is_empty()).and_then(|p| std::path::Path::new(p).parent()) {
        if let Ok(file) = tempfile::tempfile_in(dir) {
            return Ok(file);
        }
    }
    tempfile::tempfile()
}

/// The identifiers of the subjects from `first` to `last`: id -> (subject, written form).
fn identifiers_between(conn: &Connection, first: i64, last: i64) -> Result<FxHashMap<i64, (i64, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, subject_id, kind, value FROM identifiers WHERE subject_id BETWEEN ?1 AND ?2")?;
    let mut rows = stmt.query(params![first, last])?;
    let mut map = FxHashMap::default();
    while let Some(r) = rows.next()? {
        let written = crate::model::Identifier::written(
            r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?,
            r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?,
        );
        map.insert(r.get(0)?, (r.get(1)?, written));
    }
    Ok(map)
}

fn next_recipient(rows: &mut rusqlite::Rows<'_>) -> Result<Option<(i64, Recipient)>, StoreError> {
    Ok(match rows.next()? {
        Some(r) => Some((r.get(0)?, Recipient { label: r.get(1)?, legal_name: r.get(2)? })),
        None => None,
    })
}

// The bucket files' encoding: integers little-endian, text and bytes length-prefixed, an
// absent text as the length u32::MAX. Written and read by this process only.

fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_opt_i64(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            out.push(1);
            put_i64(out, v);
        }
        None => out.push(0),
    }
}

fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    out.extend_from_slice(v);
}

fn put_str(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(s) => put_bytes(out, s.as_bytes()),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

fn corrupt() -> StoreError {
    StoreError::from(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "an audit bucket was cut short or altered since it was written",
    ))
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], StoreError> {
    if input.len() < n {
        return Err(corrupt());
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

fn get_i64(input: &mut &[u8]) -> Result<i64, StoreError> {
    let bytes = take(input, 8)?;
    Ok(i64::from_le_bytes(bytes.try_into().map_err(|_| corrupt())?))
}

fn get_len(input: &mut &[u8]) -> Result<u32, StoreError> {
    let bytes = take(input, 4)?;
    Ok(u32::from_le_bytes(bytes.try_into().map_err(|_| corrupt())?))
}

fn get_opt_i64(input: &mut &[u8]) -> Result<Option<i64>, StoreError> {
    match take(input, 1)?[0] {
        0 => Ok(None),
        _ => Ok(Some(get_i64(input)?)),
    }
}

fn get_bytes(input: &mut &[u8]) -> Result<Vec<u8>, StoreError> {
    let n = get_len(input)? as usize;
    Ok(take(input, n)?.to_vec())
}

fn get_str(input: &mut &[u8]) -> Result<Option<String>, StoreError> {
    let n = get_len(input)?;
    if n == u32::MAX {
        return Ok(None);
    }
    let bytes = take(input, n as usize)?;
    Ok(Some(std::str::from_utf8(bytes).map_err(|_| corrupt())?.to_string()))
}

/// One event as [`SubjectBuckets::deal`] wrote it, after its identifier id: the event with its
/// recipients, `identifier` being its identifier's written form.
fn read_event(mut record: &[u8], identifier: String) -> Result<TimelineEvent, StoreError> {
    let input = &mut record;
    let fingerprint = get_bytes(input)?;
    let id = get_i64(input)?;
    let system = get_str(input)?.unwrap_or_default();
    let kind = get_str(input)?.and_then(|k| k.parse::<EventKind>().ok()).unwrap_or(EventKind::Processing);
    let occurred_at_ms = get_opt_i64(input)?;
    let mut text = [(); 8].map(|_| None);
    for t in &mut text {
        *t = get_str(input)?;
    }
    let [purpose, purpose_label, channel, method, capture_source, collected_by, notice_version, evidence_json] = text;
    let row_id = get_i64(input)?;
    let n = get_i64(input)?;
    let mut recipients = Vec::new();
    for _ in 0..n {
        recipients.push(Recipient { label: get_str(input)?.unwrap_or_default(), legal_name: get_str(input)? });
    }
    Ok(TimelineEvent {
        id,
        identifier,
        system,
        kind,
        stated_kind: kind,
        occurred_at_ms,
        occurred_at_text: None,
        zone_basis: None,
        purpose,
        purpose_label,
        recipients,
        channel,
        method,
        capture_source,
        collected_by,
        notice_version,
        evidence_json,
        fingerprint,
        row_id,
        source: None,
        corroborated_by: Vec::new(),
        partial: None,
        folded_into: None,
    })
}
