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

use super::csv_table::{fold, Header};
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
