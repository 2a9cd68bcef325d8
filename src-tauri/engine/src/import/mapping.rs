//! The importer that reads a CSV through a user's column mapping (the mapping document itself,
//! and where it is saved, live in `column_mapping`).

pub use super::column_mapping::{header_signature, save, saved_for, ColumnMapping, MAPPABLE, MAPPING_FORMAT};
use super::context::{EventDraft, FileImport};
use super::csv_table::fold;
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method};

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
