//! The ConsentTrail canonical format (CSV, JSON array, JSON object or JSON Lines) — also our
//! export format — and the identity crosswalk. Documented in the README.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{EventDraft, FileImport, PreparedEvent, TimeSettings};
use super::csv_table::CsvRecord;
use super::json_records::{pointer, JsonRecord};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method};

/// Canonical column / field names.
pub const COLUMNS: &[&str] = &[
    "subject",
    "linked_identifiers",
    "kind",
    "occurred_at",
    "purpose",
    "recipients",
    "channel",
    "method",
    "capture_source",
    "collected_by",
    "notice_version",
    "evidence",
    "system",
    "first_name",
    "last_name",
    "date_of_birth",
];

/// Separator of several values in one CSV cell (recipients, linked identifiers).
pub const LIST_SEPARATOR: char = '|';

/// The canonical event format.
pub struct Canonical;

/// A record's fields by canonical name, whether it came from CSV or JSON.
struct Fields {
    values: BTreeMap<&'static str, Value>,
}

impl Fields {
    fn text(&self, name: &str) -> Option<String> {
        match self.values.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            other => Some(other.to_string()),
        }
    }

    fn list(&self, name: &str) -> Vec<String> {
        match self.values.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
                .collect(),
            Some(Value::String(s)) => {
                s.split(LIST_SEPARATOR).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
            }
            _ => Vec::new(),
        }
    }
}

impl Importer for Canonical {
    fn id(&self) -> &'static str {
        "consenttrail"
    }

    fn name(&self) -> &'static str {
        "ConsentTrail canonical events"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        if let Some(h) = &sniff.header {
            if h.find("subject").is_some() && h.find("kind").is_some() && h.find("occurred_at").is_some() {
                return 100;
            }
        }
        if let Some(Value::Object(o)) = &sniff.first_record {
            if o.contains_key("subject") && o.contains_key("kind") {
                return 100;
            }
        }
        0
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        if file.is_json() {
            return file.for_each_json(&mut |file, rec| import_json_record(file, rec));
        }
        // Records are parsed and mapped on the CSV reader thread; this thread only stores them.
        let time = file.time_settings();
        let system = file.system();
        let mut table = file.open_csv_prepared(move |header| {
            let columns: Vec<(&'static str, Option<usize>)> = COLUMNS.iter().map(|c| (*c, header.find(c))).collect();
            move |rec: &CsvRecord| {
                let values = columns
                    .iter()
                    .filter_map(|(name, idx)| rec.get(*idx).map(|v| (*name, Value::String(v.to_string()))))
                    .collect();
                (rec.raw(), parse_fields(&Fields { values }, &time, system))
            }
        })?;
        if let Some(required) = ["subject", "kind"].into_iter().find(|c| table.header.find(c).is_none()) {
            return Err(ImportError::file(file.name(), format!("missing required column '{required}'")));
        }
        while let Some(item) = table.next_prepared()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            let (rec, (raw, parsed)) = &item;
            store_parsed(file, &format!("line {}", rec.line), Some(rec.line), raw, parsed)?;
            table.recycle(item);
        }
        Ok(())
    }
}

fn import_json_record(file: &mut FileImport<'_>, rec: JsonRecord) -> Result<(), ImportError> {
    let raw = rec.value.to_string();
    let Value::Object(obj) = rec.value else {
        let locator = if rec.locator.is_empty() { "/".to_string() } else { rec.locator.clone() };
        return file.reject(&locator, None, "expected a JSON object (one event)", Some(&raw));
    };
    let mut values = BTreeMap::new();
    for name in COLUMNS {
        if let Some(v) = obj.get(*name) {
            values.insert(*name, v.clone());
        }
    }
    let unknown: Vec<&String> = obj.keys().filter(|k| !COLUMNS.contains(&k.as_str())).collect();
    let locator = if rec.locator.is_empty() { "/".to_string() } else { rec.locator.clone() };
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        file.warn(&locator, None, &format!("unknown field(s) kept in the raw row only: {}", names.join(", ")))?;
    }
    let parsed = parse_fields(&Fields { values }, &file.time_settings(), file.system());
    store_parsed(file, &locator, rec.line, &raw, &parsed)
}

/// A canonical record mapped without the database.
struct Parsed {
    linked: Vec<Identifier>,
    attributes: Vec<(&'static str, String)>,
    event: PreparedEvent,
}

/// Why a record is rejected: the field and the reason.
type Rejection = (&'static str, String);

/// Maps one canonical record; a row-level problem names the field. Pure, so that CSV records
/// are mapped on the reader thread.
fn parse_fields(f: &Fields, time: &TimeSettings, system: &str) -> Result<Parsed, Rejection> {
    let subject_text = f.text("subject").ok_or(("subject", "missing subject identifier".to_string()))?;
    let subject = Identifier::parse(&subject_text).map_err(|e| ("subject", e.to_string()))?;
    let kind_text = f.text("kind").ok_or(("kind", "missing event kind".to_string()))?;
    let kind = kind_text.parse::<EventKind>().map_err(|e| ("kind", e))?;
    let occurred_at = match f.text("occurred_at") {
        None => None,
        Some(t) => Some(time.parse(&t).map_err(|e| ("occurred_at", e.to_string()))?),
    };
    let method = match f.text("method") {
        None => None,
        Some(m) => Some(m.parse::<Method>().map_err(|e| ("method", e))?),
    };
    let mut linked = Vec::new();
    for text in f.list("linked_identifiers") {
        linked.push(Identifier::parse(&text).map_err(|e| ("linked_identifiers", e.to_string()))?);
    }
    let evidence = match f.values.get("evidence") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(o)) => o.clone().into_iter().collect(),
        Some(Value::String(s)) if s.trim().starts_with('{') => serde_json::from_str::<BTreeMap<String, Value>>(s)
            .map_err(|e| ("evidence", format!("not a JSON object: {e}")))?,
        Some(Value::String(s)) if s.trim().is_empty() => BTreeMap::new(),
        Some(other) => BTreeMap::from([("note".to_string(), other.clone())]),
    };
    let recipients = f.list("recipients");
    if kind == EventKind::Disclosure && recipients.is_empty() {
        return Err(("recipients", "a disclosure must name its recipient".to_string()));
    }
    let attributes =
        ["first_name", "last_name", "date_of_birth"].into_iter().filter_map(|a| f.text(a).map(|v| (a, v))).collect();
    let draft = EventDraft {
        subject: Some(subject),
        kind: Some(kind),
        occurred_at,
        purpose_label: f.text("purpose"),
        recipients,
        channel: f.text("channel"),
        method,
        capture_source: f.text("capture_source"),
        collected_by: f.text("collected_by"),
        notice_version: f.text("notice_version"),
        evidence,
        system: f.text("system"),
    };
    let event = PreparedEvent::new(draft, system).ok_or(("subject", "missing subject identifier".to_string()))?;
    Ok(Parsed { linked, attributes, event })
}

/// Stores a mapped record (its raw row, identity links, attributes and event), or lists it as
/// rejected with the field named.
fn store_parsed(
    file: &mut FileImport<'_>,
    locator: &str,
    line: Option<u64>,
    raw: &str,
    parsed: &Result<Parsed, Rejection>,
) -> Result<(), ImportError> {
    let parsed = match parsed {
        Ok(p) => p,
        Err((field, message)) => {
            let at = if locator.starts_with('/') { pointer(locator, field) } else { locator.to_string() };
            return file.reject(&at, Some(field), message, Some(raw));
        }
    };
    let row = file.row(locator, line, raw)?;
    let subject = parsed.event.subject();
    for other in &parsed.linked {
        file.link(row, subject, other, "named together in one canonical record")?;
    }
    for (attribute, value) in &parsed.attributes {
        file.attribute(row, subject, attribute, value)?;
    }
    file.store_event(row, &parsed.event)?;
    Ok(())
}

/// An identity crosswalk: `identifier,same_as[,reason]` — each row says two identifiers are the
/// same person (exact links only; SPEC §2).
pub struct Crosswalk;

impl Importer for Crosswalk {
    fn id(&self) -> &'static str {
        "crosswalk"
    }

    fn name(&self) -> &'static str {
        "Identity crosswalk"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match &sniff.header {
            Some(h) if h.find("identifier").is_some() && h.find("same_as").is_some() => 100,
            _ => 0,
        }
    }

    fn order(&self, _sniff: &Sniff) -> u8 {
        10
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        let mut table = file.open_csv()?;
        let a = table.header.find("identifier");
        let b = table.header.find("same_as");
        let reason = table.header.find("reason");
        while let Some(rec) = table.next_record()? {
            file.tick(table.bytes_read());
            let locator = format!("line {}", rec.line);
            let parse = |idx, field: &str| match rec.get(idx) {
                None => Err((field.to_string(), "missing identifier".to_string())),
                Some(t) => Identifier::parse(t).map_err(|e| (field.to_string(), e.to_string())),
            };
            match (parse(a, "identifier"), parse(b, "same_as")) {
                (Ok(x), Ok(y)) => {
                    let row = file.csv_row(&rec)?;
                    let why = rec.get(reason).unwrap_or("identity crosswalk");
                    file.link(row, &x, &y, &format!("crosswalk: {why}"))?;
                }
                (Err((field, msg)), _) | (_, Err((field, msg))) => {
                    file.reject(&locator, Some(&field), &msg, Some(&rec.raw()))?;
                }
            }
        }
        Ok(())
    }
}
