//! The ConsentTrail canonical format (CSV, JSON array, JSON object or JSON Lines) — also our
//! export format — and the identity crosswalk. Documented in the README.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{EventDraft, FileImport, PreparedEvent, TimeSettings};
use super::csv_table::CsvRecord;
use super::json_records::{pointer, JsonRecord};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method};

/// Canonical column / field names (their positions are the constants in `col`).
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

/// Positions in [`COLUMNS`], so that a record's fields are found without comparing names.
mod col {
    pub const SUBJECT: usize = 0;
    pub const LINKED_IDENTIFIERS: usize = 1;
    pub const KIND: usize = 2;
    pub const OCCURRED_AT: usize = 3;
    pub const PURPOSE: usize = 4;
    pub const RECIPIENTS: usize = 5;
    pub const CHANNEL: usize = 6;
    pub const METHOD: usize = 7;
    pub const CAPTURE_SOURCE: usize = 8;
    pub const COLLECTED_BY: usize = 9;
    pub const NOTICE_VERSION: usize = 10;
    pub const EVIDENCE: usize = 11;
    pub const SYSTEM: usize = 12;
    pub const FIRST_NAME: usize = 13;
    pub const LAST_NAME: usize = 14;
    pub const DATE_OF_BIRTH: usize = 15;
}

/// A record's fields by canonical column, whether it came from CSV (cells read in place) or JSON.
enum Fields<'r> {
    Csv { record: &'r CsvRecord, columns: &'r [Option<usize>] },
    Json(Vec<Option<Value>>),
}

impl Fields<'_> {
    /// The field as text: trimmed, None when absent or empty.
    fn text(&self, column: usize) -> Option<String> {
        match self {
            Fields::Csv { record, columns } => record.get(columns.get(column).copied().flatten()).map(str::to_string),
            Fields::Json(values) => match values.get(column)?.as_ref()? {
                Value::Null => None,
                Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
                other => Some(other.to_string()),
            },
        }
    }

    /// A list field: a JSON array, or `|`-separated text.
    fn list(&self, column: usize) -> Vec<String> {
        let split = |s: &str| -> Vec<String> {
            s.split(LIST_SEPARATOR).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        };
        match self {
            Fields::Csv { record, columns } => {
                record.get(columns.get(column).copied().flatten()).map(split).unwrap_or_default()
            }
            Fields::Json(values) => match values.get(column).and_then(Option::as_ref) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
                    .collect(),
                Some(Value::String(s)) => split(s),
                _ => Vec::new(),
            },
        }
    }

    /// The evidence object: a JSON object (or JSON text of one); any other value is kept as a
    /// note.
    fn evidence(&self) -> Result<BTreeMap<String, Value>, String> {
        let parse = |s: &str| -> Result<BTreeMap<String, Value>, String> {
            match s.trim() {
                "" => Ok(BTreeMap::new()),
                t if t.starts_with('{') => serde_json::from_str(t).map_err(|e| format!("not a JSON object: {e}")),
                _ => Ok(BTreeMap::from([("note".to_string(), Value::String(s.to_string()))])),
            }
        };
        match self {
            Fields::Csv { record, columns } => {
                record.get(columns.get(col::EVIDENCE).copied().flatten()).map(parse).unwrap_or(Ok(BTreeMap::new()))
            }
            Fields::Json(values) => match values.get(col::EVIDENCE).and_then(Option::as_ref) {
                None | Some(Value::Null) => Ok(BTreeMap::new()),
                Some(Value::Object(o)) => Ok(o.clone().into_iter().collect()),
                Some(Value::String(s)) => parse(s),
                Some(other) => Ok(BTreeMap::from([("note".to_string(), other.clone())])),
            },
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
            let columns: Vec<Option<usize>> = COLUMNS.iter().map(|c| header.find(c)).collect();
            move |record: &CsvRecord| {
                (record.raw(), parse_fields(&Fields::Csv { record, columns: &columns }, &time, system))
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
    let values = COLUMNS.iter().map(|name| obj.get(*name).cloned()).collect();
    let unknown: Vec<&String> = obj.keys().filter(|k| !COLUMNS.contains(&k.as_str())).collect();
    let locator = if rec.locator.is_empty() { "/".to_string() } else { rec.locator.clone() };
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        file.warn(&locator, None, &format!("unknown field(s) kept in the raw row only: {}", names.join(", ")))?;
    }
    let parsed = parse_fields(&Fields::Json(values), &file.time_settings(), file.system());
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
fn parse_fields(f: &Fields<'_>, time: &TimeSettings, system: &str) -> Result<Parsed, Rejection> {
    let subject_text = f.text(col::SUBJECT).ok_or(("subject", "missing subject identifier".to_string()))?;
    let subject = Identifier::parse(&subject_text).map_err(|e| ("subject", e.to_string()))?;
    let kind_text = f.text(col::KIND).ok_or(("kind", "missing event kind".to_string()))?;
    let kind = kind_text.parse::<EventKind>().map_err(|e| ("kind", e))?;
    let occurred_at = match f.text(col::OCCURRED_AT) {
        None => None,
        Some(t) => Some(time.parse(&t).map_err(|e| ("occurred_at", e.to_string()))?),
    };
    let method = match f.text(col::METHOD) {
        None => None,
        Some(m) => Some(m.parse::<Method>().map_err(|e| ("method", e))?),
    };
    let mut linked = Vec::new();
    for text in f.list(col::LINKED_IDENTIFIERS) {
        linked.push(Identifier::parse(&text).map_err(|e| ("linked_identifiers", e.to_string()))?);
    }
    let evidence = f.evidence().map_err(|e| ("evidence", e))?;
    let recipients = f.list(col::RECIPIENTS);
    if kind == EventKind::Disclosure && recipients.is_empty() {
        return Err(("recipients", "a disclosure must name its recipient".to_string()));
    }
    let attributes = [col::FIRST_NAME, col::LAST_NAME, col::DATE_OF_BIRTH]
        .into_iter()
        .filter_map(|c| f.text(c).map(|v| (COLUMNS[c], v)))
        .collect();
    let draft = EventDraft {
        subject: Some(subject),
        kind: Some(kind),
        occurred_at,
        purpose_label: f.text(col::PURPOSE),
        recipients,
        channel: f.text(col::CHANNEL),
        method,
        capture_source: f.text(col::CAPTURE_SOURCE),
        collected_by: f.text(col::COLLECTED_BY),
        notice_version: f.text(col::NOTICE_VERSION),
        evidence,
        system: f.text(col::SYSTEM),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_positions_name_their_columns() {
        let named = [
            (col::SUBJECT, "subject"),
            (col::LINKED_IDENTIFIERS, "linked_identifiers"),
            (col::KIND, "kind"),
            (col::OCCURRED_AT, "occurred_at"),
            (col::PURPOSE, "purpose"),
            (col::RECIPIENTS, "recipients"),
            (col::CHANNEL, "channel"),
            (col::METHOD, "method"),
            (col::CAPTURE_SOURCE, "capture_source"),
            (col::COLLECTED_BY, "collected_by"),
            (col::NOTICE_VERSION, "notice_version"),
            (col::EVIDENCE, "evidence"),
            (col::SYSTEM, "system"),
            (col::FIRST_NAME, "first_name"),
            (col::LAST_NAME, "last_name"),
            (col::DATE_OF_BIRTH, "date_of_birth"),
        ];
        assert_eq!(named.len(), COLUMNS.len());
        for (position, name) in named {
            assert_eq!(COLUMNS[position], name);
        }
    }
}
