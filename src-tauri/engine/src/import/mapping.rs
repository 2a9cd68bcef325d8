//! User-defined column mappings for CSV layouts no importer knows (SPEC §3 "anything else"):
//! built once (in the app, or as a file for the CLI), saved under the header's signature, and
//! reused automatically when the same header appears again.
//!
//! ```json
//! {"format": "consenttrail-mapping/1", "name": "Call centre log", "system": "callcentre",
//!  "columns": {"subject": "Caller e-mail", "occurred_at": "Call time", "purpose": "Topic",
//!              "kind": "Outcome", "notice_version": "Script"},
//!  "constants": {"method": "verbal", "channel": "phone"},
//!  "values": {"kind": {"Agreed": "consent.given", "Declined": "consent.refused"}}}
//! ```

use std::collections::BTreeMap;

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::context::{EventDraft, FileImport};
use super::csv_table::{fold, Header};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method};
use crate::store::{labels, now_rfc3339, StoreError};

/// The `format` of mapping documents.
pub const MAPPING_FORMAT: &str = "consenttrail-mapping/1";

/// The canonical fields a mapping may fill.
pub const MAPPABLE: &[&str] = &[
    "subject",
    "kind",
    "occurred_at",
    "purpose",
    "recipients",
    "channel",
    "method",
    "capture_source",
    "collected_by",
    "notice_version",
    "first_name",
    "last_name",
    "date_of_birth",
];

/// A saved column mapping.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ColumnMapping {
    pub format: String,
    pub name: String,
    /// The system id the events are attributed to (and profile aliases are looked up under).
    pub system: String,
    /// Canonical field → source column name.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Canonical field → a value for every row (e.g. `"method": "verbal"`).
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// Canonical field → source value → canonical value (e.g. `"Agreed" → "consent.given"`).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

impl ColumnMapping {
    /// Parses and checks a mapping document; errors name the JSON path.
    pub fn from_json(text: &str) -> Result<ColumnMapping, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let m: ColumnMapping =
            serde_path_to_error::deserialize(de).map_err(|e| format!("mapping $.{}: {}", e.path(), e.inner()))?;
        if m.format != MAPPING_FORMAT {
            return Err(format!("mapping $.format: expected \"{MAPPING_FORMAT}\", found \"{}\"", m.format));
        }
        for field in m.columns.keys().chain(m.constants.keys()).chain(m.values.keys()) {
            if !MAPPABLE.contains(&field.as_str()) {
                return Err(format!("mapping: unknown field '{field}' (mappable: {})", MAPPABLE.join(", ")));
            }
        }
        if !m.columns.contains_key("subject") {
            return Err(
                "mapping $.columns.subject: a mapping must say which column holds the subject identifier".into()
            );
        }
        if !m.columns.contains_key("kind") && !m.constants.contains_key("kind") {
            return Err("mapping $.columns.kind: give a kind column or a constant kind".into());
        }
        Ok(m)
    }

    /// True when every mapped column exists in `header`.
    pub fn fits(&self, header: &Header) -> bool {
        self.columns.values().all(|c| header.find(c).is_some())
    }
}

/// The signature a header is saved under: SHA-256 of its folded names.
pub fn header_signature(header: &Header) -> String {
    let mut h = Sha256::new();
    for n in &header.names {
        h.update(fold(n).as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Saves a mapping for a header so that the same header is recognised next time.
pub fn save(conn: &Connection, header: &Header, mapping: &ColumnMapping) -> Result<(), StoreError> {
    labels::save_mapping(
        conn,
        &header_signature(header),
        &mapping.name,
        &serde_json::to_string(mapping)?,
        &now_rfc3339(),
    )
}

/// The saved mapping for a header, if any.
pub fn saved_for(conn: &Connection, header: &Header) -> Result<Option<ColumnMapping>, StoreError> {
    let doc = labels::mapping_document(conn, &header_signature(header))?;
    Ok(doc.and_then(|d| serde_json::from_str(&d).ok()))
}

/// The importer that applies a column mapping.
pub struct Mapped;

impl Importer for Mapped {
    fn id(&self) -> &'static str {
        "mapped"
    }

    fn name(&self) -> &'static str {
        "Column mapping"
    }

    /// Never detected by content alone: the pipeline picks it when a saved mapping matches the
    /// header or the user gives one.
    fn detect(&self, _sniff: &Sniff) -> u8 {
        0
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        let mapping = file.mapping().cloned().ok_or_else(|| {
            ImportError::file(file.name(), "no column mapping was given for this layout (--mapping FILE)")
        })?;
        let mut table = file.open_csv()?;
        let h = table.header.clone();
        if !mapping.fits(&h) {
            let missing: Vec<&str> =
                mapping.columns.values().filter(|c| h.find(c).is_none()).map(String::as_str).collect();
            return Err(ImportError::file(
                file.name(),
                format!("the mapping '{}' names columns this file does not have: {}", mapping.name, missing.join(", ")),
            ));
        }
        file.save_mapping(&h, &mapping)?;
        let col = |field: &str| mapping.columns.get(field).and_then(|c| h.find(c));
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            let locator = format!("line {}", rec.line);
            let raw = rec.raw();
            let value = |field: &str| -> Option<String> {
                let v = col(field)
                    .and_then(|c| rec.get(Some(c)))
                    .map(str::to_string)
                    .or_else(|| mapping.constants.get(field).cloned())?;
                let translated = mapping
                    .values
                    .get(field)
                    .and_then(|table| table.iter().find(|(k, _)| fold(k) == fold(&v)).map(|(_, to)| to.clone()));
                Some(translated.unwrap_or(v))
            };
            let column_name = |field: &str| mapping.columns.get(field).cloned().unwrap_or_else(|| field.to_string());
            let subject = match value("subject").map(|s| Identifier::parse(&s)) {
                Some(Ok(s)) => s,
                Some(Err(e)) => {
                    file.reject(&locator, Some(&column_name("subject")), &e.to_string(), Some(&raw))?;
                    continue;
                }
                None => {
                    file.reject(&locator, Some(&column_name("subject")), "missing subject", Some(&raw))?;
                    continue;
                }
            };
            let kind = match value("kind").map(|k| k.parse::<EventKind>()) {
                Some(Ok(k)) => k,
                Some(Err(e)) => {
                    file.reject(&locator, Some(&column_name("kind")), &e, Some(&raw))?;
                    continue;
                }
                None => {
                    file.reject(&locator, Some(&column_name("kind")), "missing kind", Some(&raw))?;
                    continue;
                }
            };
            let occurred = match col("occurred_at").filter(|c| rec.get(Some(*c)).is_some()) {
                Some(c) => match file.csv_time(&rec, c, &column_name("occurred_at")) {
                    Ok(ts) => Some(ts),
                    Err(e) => {
                        file.reject(&locator, Some(&column_name("occurred_at")), &e.message, Some(&raw))?;
                        continue;
                    }
                },
                None => None,
            };
            let method = match value("method").map(|m| m.parse::<Method>()) {
                Some(Ok(m)) => Some(m),
                Some(Err(e)) => {
                    file.reject(&locator, Some(&column_name("method")), &e, Some(&raw))?;
                    continue;
                }
                None => None,
            };
            let row = file.csv_row(&rec)?;
            for attr in ["first_name", "last_name", "date_of_birth"] {
                if let Some(v) = value(attr) {
                    file.attribute(row, &subject, attr, &v)?;
                }
            }
            let draft = EventDraft {
                subject: Some(subject),
                kind: Some(kind),
                occurred_at: occurred,
                purpose_label: value("purpose"),
                recipients: value("recipients")
                    .map(|r| r.split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
                    .unwrap_or_default(),
                channel: value("channel"),
                method,
                capture_source: value("capture_source"),
                collected_by: value("collected_by"),
                notice_version: value("notice_version"),
                system: Some(mapping.system.clone()),
                ..Default::default()
            };
            file.event(row, &locator, draft)?;
        }
        Ok(())
    }
}
