//! The per-file import context: what an importer reads from (the input, its encoding, the
//! settings, the profile) and writes to (the file's transaction). Importers only map; storing,
//! de-duplication, counting, time-zone assumptions and date-order checks happen here, once.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono_tz::Tz;
use rusqlite::Transaction;
use sha2::{Digest, Sha256};

use super::column_mapping::{self, ColumnMapping};
use super::csv_table::{CsvRecord, CsvTable};
pub use super::draft::EventDraft;
use super::input::{open_text_recorded, Input, ReadLedger, TextEncoding};
use super::json_records::{self, Flow, JsonRecord, JsonShape};
use super::{ImportError, ImportOptions, Progress};
use crate::model::timestamp::{parse_timestamp, slash_evidence, SlashEvidence};
use crate::model::{DateOrder, EventKind, Identifier, Method, Timestamp, TimestampError, ZoneBasis};
use crate::profile::Profile;
use crate::store::events::write::{self as event_store, EventWriter, NewEvent, Stored};
use crate::store::identity::{self, IdentifierCache};
use crate::store::{labels, sources};

/// A stored source row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowId(pub i64);

/// How a file's zone-less and slash-date times are read: plain data, so that records can be
/// mapped away from the import's thread.
#[derive(Debug, Clone, Copy)]
pub struct TimeSettings {
    pub zone: Tz,
    pub date_order: Option<DateOrder>,
}

impl TimeSettings {
    /// Parses a time as this file's settings say.
    pub fn parse(&self, text: &str) -> Result<Timestamp, TimestampError> {
        parse_timestamp(text, self.zone, self.date_order)
    }
}

/// An event draft with everything worked out that needs no database: its system, evidence
/// text, instant and fingerprint. Made where the record is parsed (possibly the CSV reader
/// thread), stored by [`FileImport::store_event`].
#[derive(Debug, Clone)]
pub struct PreparedEvent {
    subject: Identifier,
    kind: EventKind,
    draft: EventDraft,
    system: String,
    evidence: Option<String>,
    occurred_ms: Option<i64>,
    /// The time as written and the zone basis, None where the stored instant says it all.
    occurred_at_written: Option<String>,
    zone_noted: Option<String>,
    fingerprint: [u8; 16],
    /// Keys the per-file cache of profile-derived fields (see [`FileImport::derived_cache`]).
    derive_key: String,
}

impl PreparedEvent {
    /// Prepares a draft read by the importer `default_system`; None when the draft lacks its
    /// subject or kind.
    pub fn new(mut draft: EventDraft, default_system: &str) -> Option<PreparedEvent> {
        let subject = draft.subject.take()?;
        let kind = draft.kind?;
        let system = draft.system.clone().unwrap_or_else(|| default_system.to_string());
        let evidence = (!draft.evidence.is_empty()).then(|| serde_json::to_string(&draft.evidence).unwrap_or_default());
        let occurred_ms = draft.occurred_at.as_ref().map(|t| t.utc.timestamp_millis());
        let fingerprint = fingerprint(&system, &subject, kind, occurred_ms, &draft, evidence.as_deref());
        let mut derive_key = system.clone();
        for part in [&draft.purpose_label, &draft.capture_source] {
            derive_key.push('\u{1f}');
            match part {
                Some(text) => derive_key.push_str(text),
                None => derive_key.push('\u{0}'),
            }
        }
        for recipient in &draft.recipients {
            derive_key.push('\u{1e}');
            derive_key.push_str(recipient);
        }
        let (occurred_at_written, zone_noted) = match &draft.occurred_at {
            None => (None, None),
            Some(t) => (
                (!written_as_utc(t)).then(|| t.original.clone()),
                (t.zone != ZoneBasis::Explicit).then(|| t.zone.as_string()),
            ),
        };
        // Only the evidence text is stored; the map is freed where it was made.
        draft.evidence = BTreeMap::new();
        Some(PreparedEvent {
            subject,
            kind,
            draft,
            system,
            evidence,
            occurred_ms,
            occurred_at_written,
            zone_noted,
            fingerprint,
            derive_key,
        })
    }

    /// The subject the event is about.
    pub fn subject(&self) -> &Identifier {
        &self.subject
    }
}

/// True when `t` was written exactly as the `event_details` view renders its instant
/// (`2024-03-01T09:30:00Z`), the common case that needs no written form stored. The text parsed
/// to this instant, so its shape alone decides.
fn written_as_utc(t: &Timestamp) -> bool {
    let b = t.original.as_bytes();
    b.len() == 20
        && t.zone == ZoneBasis::Explicit
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
        && b[17] < b'6' // not a leap second, which the stored instant cannot show
}

/// Counts for the import report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileCounts {
    pub rows_imported: u64,
    pub rows_rejected: u64,
    pub rows_warned: u64,
    pub events: u64,
    pub duplicate_events: u64,
}

/// Counts the records that state several source purposes mapping to one profile purpose with
/// different answers: each reads as one partial grant (SPEC §2), said once per file. A record's
/// events are stored one after another, so only the current record is held.
#[derive(Debug, Default)]
pub struct PartialRecords {
    row: Option<i64>,
    /// Per (profile purpose, instant) of the current record: (a grant seen, a purpose-wide
    /// negative seen). Entries past `used` are spare buffers: a million-row file reuses them
    /// instead of allocating a key per event.
    current: Vec<(String, Option<i64>, bool, bool)>,
    used: usize,
    /// Records with at least one partial statement.
    pub count: u64,
}

impl PartialRecords {
    fn observe(&mut self, row: i64, purpose: Option<&str>, kind: EventKind, at: Option<i64>, scoped: bool) {
        if self.row != Some(row) {
            self.close_record();
            self.row = Some(row);
        }
        let Some(purpose) = purpose else { return };
        let index = match self.current[..self.used].iter().position(|(p, t, _, _)| p == purpose && *t == at) {
            Some(i) => i,
            None => {
                if self.used == self.current.len() {
                    self.current.push((String::new(), None, false, false));
                }
                let entry = &mut self.current[self.used];
                entry.0.clear();
                entry.0.push_str(purpose);
                entry.1 = at;
                entry.2 = false;
                entry.3 = false;
                self.used += 1;
                self.used - 1
            }
        };
        let entry = &mut self.current[index];
        match kind {
            EventKind::ConsentGiven => entry.2 = true,
            EventKind::ConsentNegative | EventKind::ConsentRefused | EventKind::ConsentWithdrawn if !scoped => {
                entry.3 = true
            }
            _ => {}
        }
    }

    fn close_record(&mut self) {
        if self.current[..self.used].iter().any(|(_, _, grant, negative)| *grant && *negative) {
            self.count += 1;
        }
        self.used = 0;
    }

    /// The number of partial records, once the file is read.
    pub fn finish(&mut self) -> u64 {
        self.close_record();
        self.row = None;
        self.count
    }
}

/// Everything one importer run needs.
pub struct FileImport<'a> {
    pub(super) tx: &'a Transaction<'a>,
    pub(super) input: &'a Input,
    pub(super) name: String,
    pub(super) encoding: TextEncoding,
    pub(super) delimiter: u8,
    pub(super) json_shape: Option<JsonShape>,
    pub(super) source_id: i64,
    pub(super) system: &'static str,
    pub(super) options: &'a ImportOptions,
    pub(super) profile: &'a Profile,
    pub(super) identifiers: IdentifierCache,
    pub(super) counts: FileCounts,
    pub(super) warned_rows: std::collections::HashSet<String>,
    pub(super) label_warnings: BTreeMap<String, u64>,
    /// Records that answered one profile purpose's source purposes differently (one warning).
    pub(super) partial_records: PartialRecords,
    pub(super) column_orders: HashMap<usize, DateOrder>,
    pub(super) cancel: &'a AtomicBool,
    pub(super) progress: &'a mut dyn FnMut(Progress),
    pub(super) bytes_total: u64,
    pub(super) rows_seen: u64,
    pub(super) mapping: Option<&'a ColumnMapping>,
    /// Derived fields per (system, purpose label, capture source, recipients): a file repeats
    /// the same few labels, and resolving them through the profile each time is the costly part.
    pub(super) derived_cache: rustc_hash::FxHashMap<String, super::derive::Derived>,
    /// The file's insert statements, made once for the whole file (see [`EventWriter`]).
    pub(super) writer: EventWriter<'a>,
    pub(super) attributes: identity::AttributeWriter<'a>,
    /// A problem that stops the file (see [`FileImport::csv_time`]).
    pub(super) fatal: Option<ImportError>,
    /// How many rows the CSV reader rejected (stored as they arrive): a second pass over the
    /// same file (a sample, then the whole) meets the same rejections in the same order and
    /// stores only those beyond this count, so none is listed twice.
    pub(super) csv_rejected: std::rc::Rc<std::cell::Cell<u64>>,
    /// The SHA-256 and size of each complete read of the input (see [`ReadLedger`]).
    pub(super) reads: ReadLedger,
}

impl<'a> FileImport<'a> {
    /// The input's display name (path, or `archive.zip!/entry`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The importer id this file is read as.
    pub fn system(&self) -> &'static str {
        self.system
    }

    /// The profile in force.
    pub fn profile(&self) -> &Profile {
        self.profile
    }

    /// The file's text encoding (UTF-16 and Windows-1252 inputs are transcoded).
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// The column mapping chosen for this file, if it is read through one.
    pub fn mapping(&self) -> Option<&ColumnMapping> {
        self.mapping
    }

    /// Saves the mapping for this header (inside the file's transaction).
    pub fn save_mapping(
        &mut self,
        header: &super::csv_table::Header,
        mapping: &ColumnMapping,
    ) -> Result<(), ImportError> {
        column_mapping::save(self.tx, header, mapping)?;
        Ok(())
    }

    /// True when the file was sniffed as JSON (array, object or JSON Lines).
    pub fn is_json(&self) -> bool {
        self.json_shape.is_some()
    }

    /// Opens the file as CSV (decoded, delimiter sniffed) and records its header.
    pub fn open_csv(&mut self) -> Result<CsvTable<'a>, ImportError> {
        self.open_csv_prepared(|_| |_: &CsvRecord| ())
    }

    /// Opens the file as CSV with a per-record step that runs on the CSV reader thread:
    /// `make(header)` gives the step (see [`CsvTable::open_prepared`]).
    pub fn open_csv_prepared<P, M, F>(&mut self, make: M) -> Result<CsvTable<'a, P>, ImportError>
    where
        P: Send + 'static,
        M: FnOnce(&super::csv_table::Header) -> F + Send + 'static,
        F: FnMut(&CsvRecord) -> P,
    {
        let text = open_text_recorded(self.input, self.encoding, &self.reads)?;
        let (tx, source_id, counted) = (self.tx, self.source_id, self.csv_rejected.clone());
        let mut seen = 0u64;
        let sink = move |row: &super::csv_table::RejectedRow| -> Result<(), ImportError> {
            seen += 1;
            if seen <= counted.get() {
                return Ok(());
            }
            event_store::insert_issue(
                tx,
                source_id,
                "rejected",
                &format!("line {}", row.line),
                None,
                &row.message,
                Some(&row.raw),
            )?;
            counted.set(seen);
            Ok(())
        };
        let table = CsvTable::open_prepared(text, &self.name, self.delimiter, make)?.with_rejections(Box::new(sink));
        sources::set_header(self.tx, self.source_id, &serde_json::to_string(&table.header.names).unwrap_or_default())?;
        Ok(table)
    }

    /// Streams the file's JSON records.
    pub fn for_each_json(
        &mut self,
        each: &mut dyn FnMut(&mut FileImport<'a>, JsonRecord) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let shape = self.json_shape.ok_or_else(|| ImportError::file(&self.name, "not a JSON file"))?;
        let text = open_text_recorded(self.input, self.encoding, &self.reads)?;
        let name = self.name.clone();
        let mut failure = None;
        // Lines the reader rejects are stored as they come (like the CSV reader's) and counted.
        let (tx, source_id) = (self.tx, self.source_id);
        let mut rejected_lines = 0u64;
        let result = json_records::for_each_record(
            text,
            shape,
            &name,
            &mut |rec| {
                if self.is_cancelled() {
                    return Err(ImportError::file(&self.name, "import cancelled"));
                }
                self.tick(0);
                match each(self, rec) {
                    Ok(()) => Ok(Flow::Continue),
                    Err(e) => {
                        failure = Some(e.clone());
                        Err(e)
                    }
                }
            },
            &mut |locator, message, raw| {
                event_store::insert_issue(tx, source_id, "rejected", &locator, None, &message, raw.as_deref())?;
                rejected_lines += 1;
                Ok(())
            },
        );
        self.counts.rows_rejected += rejected_lines;
        if let Some(e) = failure {
            return Err(e);
        }
        match result {
            Ok(()) => Ok(()),
            // A syntax error part-way: what was read is kept and the rest is a listed rejection.
            Err(e) if self.counts.rows_imported > 0 || self.counts.rows_rejected > 0 => {
                self.reject(e.locator.as_deref().unwrap_or("end of file"), None, &e.message, None)?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// True when the user asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.fatal.is_some() || self.cancel.load(Ordering::Relaxed)
    }

    /// Reports progress every few thousand rows; `bytes` is how far into the text we are.
    pub fn tick(&mut self, bytes: u64) {
        self.rows_seen += 1;
        if self.rows_seen.is_multiple_of(4096) {
            (self.progress)(Progress {
                file: self.name.clone(),
                rows: self.rows_seen,
                bytes_done: bytes,
                bytes_total: self.bytes_total,
                // The file's place in the run is added by `import_paths`.
                ..Progress::default()
            });
        }
    }

    /// Stores a source row verbatim and counts it imported.
    pub fn row(&mut self, locator: &str, line: Option<u64>, raw: &str) -> Result<RowId, ImportError> {
        let id = self.writer.insert_row(self.source_id, locator, line.map(|l| l as i64), raw)?;
        self.counts.rows_imported += 1;
        Ok(RowId(id))
    }

    /// Stores a CSV record verbatim.
    pub fn csv_row(&mut self, rec: &CsvRecord) -> Result<RowId, ImportError> {
        let raw = rec.raw();
        self.row(&format!("line {}", rec.line), Some(rec.line), &raw)
    }

    /// Rejects a row: it is listed with its reason and raw text, never dropped silently.
    pub fn reject(
        &mut self,
        locator: &str,
        field: Option<&str>,
        message: &str,
        raw: Option<&str>,
    ) -> Result<(), ImportError> {
        self.issue("rejected", locator, field, message, raw)?;
        self.counts.rows_rejected += 1;
        Ok(())
    }

    /// Rejects a row that was already stored with `row` (moves it from imported to rejected).
    pub fn reject_stored(
        &mut self,
        row: RowId,
        locator: &str,
        field: Option<&str>,
        message: &str,
    ) -> Result<(), ImportError> {
        let raw = event_store::take_row(self.tx, row.0)?;
        self.counts.rows_imported = self.counts.rows_imported.saturating_sub(1);
        self.reject(locator, field, message, raw.as_deref())
    }

    /// Records a warning (the row is still imported).
    pub fn warn(&mut self, locator: &str, field: Option<&str>, message: &str) -> Result<(), ImportError> {
        self.issue("warning", locator, field, message, None)?;
        if self.warned_rows.insert(locator.to_string()) {
            self.counts.rows_warned += 1;
        }
        Ok(())
    }

    fn issue(
        &mut self,
        severity: &str,
        locator: &str,
        field: Option<&str>,
        message: &str,
        raw: Option<&str>,
    ) -> Result<(), ImportError> {
        Ok(event_store::insert_issue(self.tx, self.source_id, severity, locator, field, message, raw)?)
    }

    /// Parses a time from this file's system with the zone the settings assume.
    pub fn time(&self, text: &str) -> Result<Timestamp, TimestampError> {
        self.time_settings().parse(text)
    }

    /// This file's zone assumption and date order, for mapping records off this thread.
    pub fn time_settings(&self) -> TimeSettings {
        TimeSettings { zone: self.assumed_zone(), date_order: self.options.date_order }
    }

    /// Parses a time from a CSV column. A slash date whose day and month could be either order
    /// makes the whole column be scanned once: an unambiguous value elsewhere settles it; if none
    /// does and no order was given, the file stops with an error that asks for one.
    pub fn csv_time(&mut self, rec: &CsvRecord, column: usize, header_name: &str) -> Result<Timestamp, ImportError> {
        if let Some(fatal) = &self.fatal {
            return Err(fatal.clone());
        }
        let text = rec.fields.get(column).unwrap_or("").trim();
        let name = self.name.clone();
        let at = |e: String| ImportError::at(&name, &format!("line {}", rec.line), Some(header_name), e);
        // An unambiguous slash date settles its column's order; one that contradicts the order
        // the column already showed stops the file (the column mixes both orders).
        if self.options.date_order.is_none() {
            let seen = match slash_evidence(text) {
                Some(SlashEvidence::DayFirst) => Some((DateOrder::Dmy, "day-first")),
                Some(SlashEvidence::MonthFirst) => Some((DateOrder::Mdy, "month-first")),
                _ => None,
            };
            if let Some((order, word)) = seen {
                match self.column_orders.get(&column) {
                    Some(known) if *known != order => {
                        return Err(self.stop(at(format!(
                            "'{text}' is {word}, but earlier dates in this column were the other order; \
                             the column mixes both orders — fix the export or give the date order (--date-format dmy|mdy)"
                        ))));
                    }
                    Some(_) => {}
                    None => {
                        self.column_orders.insert(column, order);
                    }
                }
            }
        }
        let order = self.options.date_order.or_else(|| self.column_orders.get(&column).copied());
        match parse_timestamp(text, self.assumed_zone(), order) {
            Ok(ts) => Ok(ts),
            Err(TimestampError::AmbiguousDayMonth(_)) => {
                let order = match self.scan_column_order(column, header_name, rec.line, text) {
                    Ok(order) => order,
                    Err(e) => return Err(self.stop(e)),
                };
                self.column_orders.insert(column, order);
                parse_timestamp(text, self.assumed_zone(), Some(order)).map_err(|e| at(e.to_string()))
            }
            Err(e) => Err(at(e.to_string())),
        }
    }

    /// Records a problem that stops the whole file (the transaction is rolled back): the
    /// importer's loop ends at the next `is_cancelled` check and the pipeline reports this.
    fn stop(&mut self, e: ImportError) -> ImportError {
        self.fatal = Some(e.clone());
        e
    }

    /// Counts the rows the CSV reader rejected (already listed as they arrived); called once,
    /// when the importer is done, whatever its outcome.
    pub fn count_csv_rejections(&mut self) {
        self.counts.rows_rejected += self.csv_rejected.get();
        // A later pass (none is expected) would find the count already reached.
        self.csv_rejected.set(u64::MAX);
    }

    /// The problem that stopped the file, if any.
    pub fn take_fatal(&mut self) -> Option<ImportError> {
        self.fatal.take()
    }

    fn scan_column_order(
        &mut self,
        column: usize,
        header_name: &str,
        line: u64,
        example: &str,
    ) -> Result<DateOrder, ImportError> {
        let mut table =
            CsvTable::open(open_text_recorded(self.input, self.encoding, &self.reads)?, &self.name, self.delimiter)?;
        let (mut day_first, mut month_first) = (None, None);
        while let Some(r) = table.next_record()? {
            match r.fields.get(column).and_then(slash_evidence) {
                Some(SlashEvidence::DayFirst) => day_first = day_first.or(Some(r.line)),
                Some(SlashEvidence::MonthFirst) => month_first = month_first.or(Some(r.line)),
                _ => {}
            }
        }
        match (day_first, month_first) {
            (Some(_), None) => Ok(DateOrder::Dmy),
            (None, Some(_)) => Ok(DateOrder::Mdy),
            (Some(d), Some(m)) => Err(ImportError::at(
                &self.name,
                &format!("line {line}"),
                Some(header_name),
                format!("column mixes day-first (line {d}) and month-first (line {m}) dates; fix the export or give the date order"),
            )),
            (None, None) => Err(ImportError::at(
                &self.name,
                &format!("line {line}"),
                Some(header_name),
                format!(
                    "dates like '{example}' could be day/month or month/day and no value in the column settles it; \
                     give the date order (CLI: --date-format dmy or --date-format mdy)"
                ),
            )),
        }
    }

    /// The zone assumed for zone-less times of this file: `--assume-tz` first, then the profile.
    pub fn assumed_zone(&self) -> Tz {
        let name = self
            .options
            .assume_tz
            .get(self.system)
            .or_else(|| self.options.assume_tz.get("*"))
            .map(String::as_str)
            .unwrap_or_else(|| self.profile.assumed_zone(self.system));
        name.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The id of an identifier, created when new.
    pub fn identifier_id(&mut self, identifier: &Identifier) -> Result<i64, ImportError> {
        Ok(self.identifiers.id_of(self.tx, identifier)?)
    }

    /// Records that two identifiers seen together in `row` are the same person.
    pub fn link(&mut self, row: RowId, a: &Identifier, b: &Identifier, reason: &str) -> Result<(), ImportError> {
        let (ia, ib) = (self.identifier_id(a)?, self.identifier_id(b)?);
        identity::add_link(self.tx, ia, ib, self.source_id, Some(row.0), reason)?;
        Ok(())
    }

    /// Keeps a display attribute (name, date of birth) for an identifier, per source.
    pub fn attribute(
        &mut self,
        row: RowId,
        identifier: &Identifier,
        attribute: &str,
        value: &str,
    ) -> Result<(), ImportError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(());
        }
        let id = self.identifier_id(identifier)?;
        self.attributes.add(id, self.source_id, row.0, attribute, value)?;
        Ok(())
    }

    /// A lookup the source system provides for itself (e.g. DataUsePurpose Id → Name).
    pub fn lookup(&mut self, kind: &str, key: &str, value: &str) -> Result<(), ImportError> {
        labels::insert_lookup(self.tx, self.source_id, self.system, kind, key, value)?;
        Ok(())
    }

    /// A lookup stored under another system's name: a file read by one importer that provides
    /// another system's lookups (the IAB Global Vendor List, read as `tcf-gvl`, names the vendors
    /// of TC strings read as `tcf`).
    pub fn lookup_for(&mut self, system: &str, kind: &str, key: &str, value: &str) -> Result<(), ImportError> {
        labels::insert_lookup(self.tx, self.source_id, system, kind, key, value)?;
        Ok(())
    }

    /// The name a system's own lookup gives a purpose label (e.g. a DataUsePurpose id's Name).
    pub fn looked_up_purpose_name(&self, label: &str) -> Result<Option<String>, ImportError> {
        Ok(labels::purpose_name(self.tx, self.system, label)?)
    }

    /// Stores an event. Returns false when the same fact from the same system was already
    /// stored (overlapping exports), in which case this row is kept as corroboration.
    pub fn event(&mut self, row: RowId, locator: &str, draft: EventDraft) -> Result<bool, ImportError> {
        if draft.subject.is_none() {
            return Err(ImportError::at(&self.name, locator, None, "event without a subject"));
        }
        match PreparedEvent::new(draft, self.system) {
            Some(event) => self.store_event(row, &event),
            None => Err(ImportError::at(&self.name, locator, None, "event without a kind")),
        }
    }

    /// Stores a prepared event (see [`FileImport::event`]).
    pub fn store_event(&mut self, row: RowId, event: &PreparedEvent) -> Result<bool, ImportError> {
        let identifier_id = self.identifier_id(&event.subject)?;
        if !self.derived_cache.contains_key(&event.derive_key) {
            let d = super::derive::derive(self.tx, self.profile, &event.system, &event.draft)?;
            if self.derived_cache.len() >= 100_000 {
                self.derived_cache.clear();
            }
            self.derived_cache.insert(event.derive_key.clone(), d);
        }
        let none = super::derive::Derived::default();
        let derived = self.derived_cache.get(&event.derive_key).unwrap_or(&none);
        let draft = &event.draft;
        if let (None, Some(label)) = (&derived.purpose, &draft.purpose_label) {
            *self.label_warnings.entry(label.clone()).or_default() += 1;
        }
        let scoped =
            !draft.recipients.is_empty() && !event.evidence.as_deref().is_some_and(|e| e.contains("\"tc_string\""));
        self.partial_records.observe(row.0, derived.purpose.as_deref(), event.kind, event.occurred_ms, scoped);
        // Stated values override the collection point's. They are kept apart only where a
        // collection point applies (re-deriving needs them); elsewhere they are the values.
        let method = draft.method.or(derived.method);
        let with_capture = draft.capture_source.is_some();
        let stored = self.writer.insert_event(&NewEvent {
            source_id: self.source_id,
            row_id: row.0,
            identifier_id,
            system: &event.system,
            kind: event.kind.as_str(),
            occurred_at: event.occurred_ms,
            occurred_at_written: event.occurred_at_written.as_deref(),
            zone_noted: event.zone_noted.as_deref(),
            purpose: derived.purpose.as_deref(),
            purpose_label: draft.purpose_label.as_deref(),
            channel: draft.channel.as_deref().or(derived.channel.as_deref()),
            method: method.map(Method::as_str),
            method_stated: draft.method.map(Method::as_str).filter(|_| with_capture),
            capture_source: draft.capture_source.as_deref(),
            collected_by: draft.collected_by.as_deref().or(derived.collected_by.as_deref()),
            collected_by_stated: draft.collected_by.as_deref().filter(|_| with_capture),
            notice_version: draft.notice_version.as_deref().or(derived.notice_version.as_deref()),
            notice_stated: draft.notice_version.as_deref().filter(|_| with_capture),
            evidence: event.evidence.as_deref(),
            fingerprint: &event.fingerprint[..],
        })?;
        let event_id = match stored {
            Stored::New(id) => id,
            Stored::Repeats(first) => {
                self.writer.insert_duplicate(first, self.source_id, row.0)?;
                self.counts.duplicate_events += 1;
                return Ok(false);
            }
        };
        for (label, legal) in draft.recipients.iter().zip(derived.recipients.iter()) {
            self.writer.insert_recipient(event_id, label.trim(), legal.as_deref())?;
        }
        self.counts.events += 1;
        Ok(true)
    }
}

/// Identifies a fact: the same system, subject, kind, instant, purpose, recipients, method,
/// capture source, notice and evidence make the same fact (overlapping exports import once).
fn fingerprint(
    system: &str,
    subject: &Identifier,
    kind: EventKind,
    occurred_ms: Option<i64>,
    d: &EventDraft,
    evidence: Option<&str>,
) -> [u8; 16] {
    let mut recipients: Vec<String> = d.recipients.iter().map(|r| r.trim().to_lowercase()).collect();
    recipients.sort();
    let mut h = Sha256::new();
    for part in [
        system,
        &subject.kind,
        &subject.value,
        kind.as_str(),
        &occurred_ms.map(|m| m.to_string()).unwrap_or_default(),
        d.purpose_label.as_deref().unwrap_or(""),
        &recipients.join("\u{1f}"),
        d.channel.as_deref().unwrap_or(""),
        d.method.map(Method::as_str).unwrap_or(""),
        d.capture_source.as_deref().unwrap_or(""),
        d.collected_by.as_deref().unwrap_or(""),
        d.notice_version.as_deref().unwrap_or(""),
        evidence.unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0x1e]);
    }
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}
