//! Generic disclosure / processing logs (a CDP's audience syncs, an ESP's send log): the facts
//! the rules test consent against. Recognised by header synonyms without any mapping (SPEC §3).
//! Without an action column, a row with a recipient is a disclosure and a row without one is
//! processing by the organisation itself.

use super::context::{EventDraft, FileImport};
use super::csv_table::Header;
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier};

pub struct DisclosureLog;

pub const TIME: &[&str] = &["timestamp", "time", "date", "occurred_at", "sent_at"];
pub const SUBJECT: &[&str] = &["email", "customer_email", "user_email", "subject", "customer_id"];
pub const RECIPIENT: &[&str] = &["recipient", "destination", "destination_legal_name", "third_party", "partner"];
pub const PURPOSE: &[&str] = &["purpose", "purpose_label", "campaign_type"];
pub const ACTION: &[&str] = &["action", "kind"];

struct Columns {
    time: usize,
    subject: usize,
    recipient: Option<usize>,
    purpose: Option<usize>,
    action: Option<usize>,
}

fn columns(h: &Header) -> Option<Columns> {
    let time = h.find_any(TIME)?;
    let subject = h.find_any(SUBJECT)?;
    let recipient = h.find_any(RECIPIENT);
    let purpose = h.find_any(PURPOSE);
    if recipient.is_none() && purpose.is_none() {
        return None;
    }
    Some(Columns { time, subject, recipient, purpose, action: h.find_any(ACTION) })
}

/// Reads an action cell: None when it names neither processing nor disclosure.
fn action_kind(text: &str) -> Option<EventKind> {
    let t = text.trim().to_lowercase();
    const DISCLOSURE: &[&str] = &["disclos", "share", "shared", "sync", "transfer", "export", "sold", "sale", "upload"];
    const PROCESSING: &[&str] =
        &["process", "send", "sent", "deliver", "email", "sms", "call", "use", "campaign", "profil", "analys"];
    if DISCLOSURE.iter().any(|w| t.contains(w)) {
        Some(EventKind::Disclosure)
    } else if PROCESSING.iter().any(|w| t.contains(w)) {
        Some(EventKind::Processing)
    } else {
        None
    }
}

impl Importer for DisclosureLog {
    fn id(&self) -> &'static str {
        "disclosure-log"
    }

    fn name(&self) -> &'static str {
        "Disclosure / processing log"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match sniff.header.as_ref().and_then(columns) {
            Some(_) => 60,
            None => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        let mut table = file.open_csv()?;
        let h = table.header.clone();
        let cols = columns(&h).ok_or_else(|| {
            ImportError::file(
                file.name(),
                format!(
                    "a disclosure/processing log needs a time column ({}), a subject column ({}) and a recipient ({}) or purpose ({}) column",
                    TIME.join("/"),
                    SUBJECT.join("/"),
                    RECIPIENT.join("/"),
                    PURPOSE.join("/")
                ),
            )
        })?;
        let subject_name = h.name(cols.subject).to_string();
        let time_name = h.name(cols.time).to_string();
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            let locator = format!("line {}", rec.line);
            let raw = rec.raw();
            let subject = match rec.get(Some(cols.subject)) {
                None => {
                    file.reject(&locator, Some(&subject_name), "missing subject", Some(&raw))?;
                    continue;
                }
                Some(text) => match Identifier::parse(text) {
                    Ok(id) => id,
                    Err(_) if crate::import::csv_table::fold(&subject_name) == "customer_id" => {
                        match Identifier::system("customer", "id", text) {
                            Ok(id) => id,
                            Err(e) => {
                                file.reject(&locator, Some(&subject_name), &e.to_string(), Some(&raw))?;
                                continue;
                            }
                        }
                    }
                    Err(e) => {
                        file.reject(&locator, Some(&subject_name), &e.to_string(), Some(&raw))?;
                        continue;
                    }
                },
            };
            let occurred = match rec.get(Some(cols.time)) {
                None => {
                    file.reject(&locator, Some(&time_name), "missing time", Some(&raw))?;
                    continue;
                }
                Some(_) => match file.csv_time(&rec, cols.time, &time_name) {
                    Ok(ts) => ts,
                    Err(e) => {
                        file.reject(&locator, Some(&time_name), &e.message, Some(&raw))?;
                        continue;
                    }
                },
            };
            let recipient = rec.get(cols.recipient).map(str::to_string);
            let inferred = if recipient.is_some() { EventKind::Disclosure } else { EventKind::Processing };
            let kind = match rec.get(cols.action) {
                None => inferred,
                Some(text) => match action_kind(text) {
                    Some(EventKind::Disclosure) if recipient.is_none() => {
                        file.reject(
                            &locator,
                            Some(h.name(cols.action.unwrap_or(0))),
                            &format!("action '{text}' is a disclosure but the row names no recipient"),
                            Some(&raw),
                        )?;
                        continue;
                    }
                    Some(k) => k,
                    None => {
                        file.reject(
                            &locator,
                            Some(h.name(cols.action.unwrap_or(0))),
                            &format!("action '{text}' is neither a disclosure nor processing"),
                            Some(&raw),
                        )?;
                        continue;
                    }
                },
            };
            let row = file.csv_row(&rec)?;
            let draft = EventDraft {
                subject: Some(subject),
                kind: Some(kind),
                occurred_at: Some(occurred),
                purpose_label: rec.get(cols.purpose).map(str::to_string),
                recipients: if kind == EventKind::Disclosure { recipient.into_iter().collect() } else { Vec::new() },
                ..Default::default()
            };
            file.event(row, &locator, draft)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_in_words() {
        assert_eq!(action_kind("Audience synced"), Some(EventKind::Disclosure));
        assert_eq!(action_kind("email sent"), Some(EventKind::Processing));
        assert_eq!(action_kind("disclosure"), Some(EventKind::Disclosure));
        assert_eq!(action_kind("processing"), Some(EventKind::Processing));
        assert_eq!(action_kind("???"), None);
    }
}
