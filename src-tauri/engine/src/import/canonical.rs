//! The ConsentTrail canonical format (CSV, JSON array, JSON object or JSON Lines) — also our
//! export format — and the identity crosswalk. Documented in the README.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{EventDraft, FileImport};
use super::csv_table::Header;
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
        let mut table = file.open_csv()?;
        let columns: Vec<(&'static str, Option<usize>)> = COLUMNS.iter().map(|c| (*c, table.header.find(c))).collect();
        if let Some((required, _)) = columns.iter().find(|(c, i)| ["subject", "kind"].contains(c) && i.is_none()) {
            return Err(ImportError::file(file.name(), format!("missing required column '{required}'")));
        }
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            let values = columns
                .iter()
                .filter_map(|(name, idx)| rec.get(*idx).map(|v| (*name, Value::String(v.to_string()))))
                .collect();
            let locator = format!("line {}", rec.line);
            let raw = rec.raw();
            import_fields(file, &locator, Some(rec.line), &raw, &Fields { values }, &table.header)?;
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
    import_fields(file, &locator, rec.line, &raw, &Fields { values }, &Header::new(Vec::new()))
}

/// Maps one canonical record. Row-level problems reject the row with the field named.
fn import_fields(
    file: &mut FileImport<'_>,
    locator: &str,
    line: Option<u64>,
    raw: &str,
    f: &Fields,
    _header: &Header,
) -> Result<(), ImportError> {
    let field_at = |name: &str| if locator.starts_with('/') { pointer(locator, name) } else { locator.to_string() };
    macro_rules! reject {
        ($field:expr, $msg:expr) => {{
            return file.reject(&field_at($field), Some($field), AsRef::<str>::as_ref(&$msg), Some(raw));
        }};
    }
    let Some(subject_text) = f.text("subject") else { reject!("subject", "missing subject identifier") };
    let subject = match Identifier::parse(&subject_text) {
        Ok(s) => s,
        Err(e) => reject!("subject", e.to_string()),
    };
    let Some(kind_text) = f.text("kind") else { reject!("kind", "missing event kind") };
    let kind = match kind_text.parse::<EventKind>() {
        Ok(k) => k,
        Err(e) => reject!("kind", e),
    };
    let occurred_at = match f.text("occurred_at") {
        None => None,
        Some(t) => match file.time(&t) {
            Ok(ts) => Some(ts),
            Err(e) => reject!("occurred_at", e.to_string()),
        },
    };
    let method = match f.text("method") {
        None => None,
        Some(m) => match m.parse::<Method>() {
            Ok(m) => Some(m),
            Err(e) => reject!("method", e),
        },
    };
    let mut linked = Vec::new();
    for text in f.list("linked_identifiers") {
        match Identifier::parse(&text) {
            Ok(id) => linked.push(id),
            Err(e) => reject!("linked_identifiers", e.to_string()),
        }
    }
    let evidence = match f.values.get("evidence") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(o)) => o.clone().into_iter().collect(),
        Some(Value::String(s)) if s.trim().starts_with('{') => match serde_json::from_str::<BTreeMap<String, Value>>(s)
        {
            Ok(m) => m,
            Err(e) => reject!("evidence", format!("not a JSON object: {e}")),
        },
        Some(Value::String(s)) if s.trim().is_empty() => BTreeMap::new(),
        Some(other) => BTreeMap::from([("note".to_string(), other.clone())]),
    };
    if kind == EventKind::Disclosure && f.list("recipients").is_empty() {
        reject!("recipients", "a disclosure must name its recipient");
    }
    let row = file.row(locator, line, raw)?;
    for other in &linked {
        file.link(row, &subject, other, "named together in one canonical record")?;
    }
    for attr in ["first_name", "last_name", "date_of_birth"] {
        if let Some(v) = f.text(attr) {
            file.attribute(row, &subject, attr, &v)?;
        }
    }
    let draft = EventDraft {
        subject: Some(subject),
        kind: Some(kind),
        occurred_at,
        purpose_label: f.text("purpose"),
        recipients: f.list("recipients"),
        channel: f.text("channel"),
        method,
        capture_source: f.text("capture_source"),
        collected_by: f.text("collected_by"),
        notice_version: f.text("notice_version"),
        evidence,
        system: f.text("system"),
    };
    file.event(row, locator, draft)?;
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
