//! OneTrust consent receipts and data-subject exports (JSON array, JSON Lines, one object, or
//! the API's paged `{"content": [...]}` wrapper). SPEC §3 and §4.1.
//!
//! A record names a data subject (`identifier` + `identifierType`, plus any `additionalIdentifiers`
//! / `identifiers`, all linked: several identifiers of one subject) and its `purposes[]`, each with
//! an `Id`, an optional `Name` and a `TransactionType` (or, in profile exports, a `Status`).
//! Keys are read case-insensitively (`Identifier`/`identifier`, `Purposes`/`purposes`).
//! Times (`consentDate`, `withdrawnDate`, `interactionDate`, `expiryDate`, per purpose or per
//! record) come with `+0000` offsets without a colon, or as epoch seconds inside strings.
//!
//! The purpose label is the purpose `Id`; its `Name` is stored as OneTrust's own lookup, so a
//! profile alias may list either.
//!
//! Each TransactionType / Status is mapped deliberately:
//! - `CONFIRMED` (`ACTIVE` in profile exports): a grant at consentDate (else interactionDate).
//!   A CMP's ordinary confirmation is just a grant, not a double opt-in (SPEC §4.1 R9).
//! - `WITHDRAWN`: a withdrawal at withdrawnDate (else interactionDate).
//! - `NOTGIVEN` (`NO_CONSENT`): a refusal at interactionDate (else consentDate).
//! - `NO_CHOICE`: the subject saw the choice and made none: no consent event at all (§4.1).
//! - `OPT_OUT` / `HARD_OPT_OUT`: OneTrust's opt-out purposes are the notice-only ones where
//!   processing runs unless the subject objects, so a grant need never have been recorded
//!   before. Calling the opt-out a withdrawal would assert a consent that no record shows, and
//!   a refusal would hide a real withdrawal; it is therefore the undirected negative signal
//!   that §4.1 resolves from the state before it (withdrawal after a grant, refusal otherwise),
//!   at withdrawnDate (else interactionDate). `HARD_OPT_OUT` (the organisation may not opt the
//!   subject back in) is the same state, marked `hard_opt_out` in the evidence.
//! - `PENDING`: awaiting the subject's confirmation, so not consent yet: no event, a warning.
//! - `EXPIRED`: consent lapsed: `consent.expired` at expiryDate (else interactionDate).
//! - anything else: no event and a warning naming the value, so it can be reviewed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::context::{EventDraft, FileImport};
use super::json_records::{pointer, JsonRecord};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Timestamp};

pub struct OneTrust;

/// A field by any of its spellings, compared without case.
fn field<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<(&'a str, &'a Value)> {
    names
        .iter()
        .find_map(|n| obj.iter().find(|(k, v)| k.eq_ignore_ascii_case(n) && !v.is_null()).map(|(k, v)| (k.as_str(), v)))
}

const IDENTIFIER: &[&str] = &["identifier", "dataSubjectIdentifier"];
const IDENTIFIER_TYPE: &[&str] = &["identifierType"];
/// Inside an additional-identifier entry `type` means the identifier's type; at record level it
/// could mean anything, so it is only read there.
const ENTRY_TYPE: &[&str] = &["identifierType", "type"];
const PURPOSES: &[&str] = &["purposes"];
const MORE_IDENTIFIERS: &[&str] = &["additionalIdentifiers", "identifiers", "linkedIdentifiers"];
const CONSENT_DATE: &[&str] = &["consentDate", "firstTransactionDate"];
const WITHDRAWN_DATE: &[&str] = &["withdrawnDate", "withdrawalDate"];
const INTERACTION_DATE: &[&str] = &["interactionDate", "lastTransactionCreatedDate", "lastInteractionDate"];
const EXPIRY_DATE: &[&str] = &["expiryDate", "expirationDate"];

fn is_record(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| field(o, IDENTIFIER).is_some() && field(o, PURPOSES).is_some_and(|(_, p)| p.is_array()))
}

/// The records inside one JSON value: the value itself, or the API's `content` page.
fn page(v: &Value) -> Option<&Vec<Value>> {
    v.as_object().and_then(|o| field(o, &["content"])).and_then(|(_, c)| c.as_array())
}

impl Importer for OneTrust {
    fn id(&self) -> &'static str {
        "onetrust"
    }

    fn name(&self) -> &'static str {
        "OneTrust consent receipts / data subjects"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match &sniff.first_record {
            Some(v) if is_record(v) => 90,
            Some(v) if page(v).and_then(|c| c.first()).is_some_and(is_record) => 90,
            _ => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        file.for_each_json(&mut |file, rec| {
            if let Some(items) = page(&rec.value) {
                for (i, item) in items.iter().enumerate() {
                    let locator = pointer(&rec.locator, &format!("content/{i}"));
                    import_record(file, &locator, rec.line, item)?;
                }
                return Ok(());
            }
            let JsonRecord { locator, line, value } = rec;
            let locator = if locator.is_empty() { "/".to_string() } else { locator };
            import_record(file, &locator, line, &value)
        })
    }
}

/// What a purpose's status means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Event(EventKind, &'static [&'static [&'static str]]),
    NoEvent,
    Pending,
    Unknown,
}

fn meaning(status: &str) -> Meaning {
    match status.trim().to_ascii_uppercase().replace([' ', '-'], "_").as_str() {
        "CONFIRMED" | "ACTIVE" => Meaning::Event(EventKind::ConsentGiven, &[CONSENT_DATE, INTERACTION_DATE]),
        "WITHDRAWN" => Meaning::Event(EventKind::ConsentWithdrawn, &[WITHDRAWN_DATE, INTERACTION_DATE]),
        "NOTGIVEN" | "NOT_GIVEN" | "NO_CONSENT" => {
            Meaning::Event(EventKind::ConsentRefused, &[INTERACTION_DATE, CONSENT_DATE])
        }
        "OPT_OUT" | "HARD_OPT_OUT" => {
            Meaning::Event(EventKind::ConsentNegative, &[WITHDRAWN_DATE, INTERACTION_DATE, CONSENT_DATE])
        }
        "EXPIRED" => Meaning::Event(EventKind::ConsentExpired, &[EXPIRY_DATE, INTERACTION_DATE]),
        "NO_CHOICE" => Meaning::NoEvent,
        "PENDING" => Meaning::Pending,
        _ => Meaning::Unknown,
    }
}

/// Text of a scalar (epoch numbers are written as numbers too).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses an identifier as OneTrust types it.
fn identifier(value: &str, kind: Option<&str>) -> Result<Identifier, crate::model::IdentifierError> {
    let k = kind.map(|k| k.trim().to_lowercase()).unwrap_or_default();
    if k.contains("mail") {
        return Identifier::email(value);
    }
    if k.contains("phone") || k.contains("mobile") || k == "sms" {
        return Identifier::phone(value);
    }
    if k.is_empty() {
        return Identifier::parse(value).or_else(|_| Identifier::system("onetrust", "identifier", value));
    }
    let slug: String = k.split_whitespace().collect::<Vec<_>>().join("-");
    Identifier::system("onetrust", &slug, value)
}

struct Bad {
    pointer: String,
    field: String,
    message: String,
}

fn bad(pointer: String, field: &str, message: impl Into<String>) -> Bad {
    Bad { pointer, field: field.to_string(), message: message.into() }
}

/// One purpose, read and checked before anything is stored.
struct PurposeFact {
    index: usize,
    label: String,
    status: String,
    meaning: Meaning,
    at: Option<Timestamp>,
    evidence: BTreeMap<String, Value>,
}

fn import_record(
    file: &mut FileImport<'_>,
    locator: &str,
    line: Option<u64>,
    value: &Value,
) -> Result<(), ImportError> {
    let raw = value.to_string();
    match read_record(file, locator, value) {
        Err(b) => file.reject(&b.pointer, Some(&b.field), &b.message, Some(&raw)),
        Ok(r) => store_record(file, locator, line, &raw, r),
    }
}

struct RecordFacts {
    subject: Identifier,
    others: Vec<(Identifier, String)>,
    names: Vec<(&'static str, String)>,
    purposes: Vec<PurposeFact>,
    capture_source: Option<String>,
    notice_version: Option<String>,
}

fn read_record(file: &FileImport<'_>, locator: &str, value: &Value) -> Result<RecordFacts, Bad> {
    let at = |f: &str| pointer(locator, f);
    let obj = value
        .as_object()
        .ok_or_else(|| bad(locator.to_string(), "", "expected a JSON object (one consent receipt or data subject)"))?;
    let (id_key, id_value) =
        field(obj, IDENTIFIER).ok_or_else(|| bad(at("identifier"), "identifier", "missing identifier"))?;
    let id_text = scalar(id_value).ok_or_else(|| bad(at(id_key), id_key, "identifier must be a non-empty string"))?;
    let id_type = field(obj, IDENTIFIER_TYPE).and_then(|(_, v)| v.as_str());
    let subject = identifier(&id_text, id_type).map_err(|e| bad(at(id_key), id_key, e.to_string()))?;
    let mut others = Vec::new();
    if let Some((key, list)) = field(obj, MORE_IDENTIFIERS) {
        let items = list.as_array().ok_or_else(|| bad(at(key), key, "must be an array of identifiers"))?;
        for (i, item) in items.iter().enumerate() {
            let p = at(&format!("{key}/{i}"));
            let (text, kind) = match item {
                Value::Object(o) => (
                    field(o, &["identifier", "value"]).and_then(|(_, v)| scalar(v)),
                    field(o, ENTRY_TYPE).and_then(|(_, v)| v.as_str()),
                ),
                other => (scalar(other), None),
            };
            let text = text.ok_or_else(|| bad(p.clone(), key, "an identifier entry without a value"))?;
            let id = identifier(&text, kind).map_err(|e| bad(p, key, e.to_string()))?;
            others.push((id, format!("same OneTrust data subject ({id_text})")));
        }
    }
    let mut names = Vec::new();
    if let Some((_, Value::Object(elements))) = field(obj, &["dsDataElements", "dataElements"]) {
        for (keys, attribute) in [
            (&["FirstName", "First Name", "first_name", "givenName"][..], "first_name"),
            (&["LastName", "Last Name", "last_name", "familyName", "surname"][..], "last_name"),
            (&["DateOfBirth", "Date of Birth", "birthDate"][..], "date_of_birth"),
        ] {
            if let Some(v) = field(elements, keys).and_then(|(_, v)| scalar(v)) {
                names.push((attribute, v));
            }
        }
        if let Some(v) = field(elements, &["Email", "EmailAddress"]).and_then(|(_, v)| scalar(v)) {
            if let Ok(e) = Identifier::email(&v) {
                others.push((e, "e-mail in the same OneTrust receipt's data elements".into()));
            }
        }
    }
    // Record-level times are checked up front: a malformed one rejects the record even when
    // no purpose ends up using it.
    for names in [CONSENT_DATE, WITHDRAWN_DATE, INTERACTION_DATE, EXPIRY_DATE] {
        time_of(file, obj, locator, names)?;
    }
    let (purposes_key, purposes_value) =
        field(obj, PURPOSES).ok_or_else(|| bad(at("purposes"), "purposes", "missing purposes"))?;
    let list =
        purposes_value.as_array().ok_or_else(|| bad(at(purposes_key), purposes_key, "purposes must be an array"))?;
    let mut purposes = Vec::new();
    for (index, item) in list.iter().enumerate() {
        let base = at(&format!("{purposes_key}/{index}"));
        let p = item.as_object().ok_or_else(|| bad(base.clone(), purposes_key, "a purpose must be an object"))?;
        let id = field(p, &["Id", "purposeId", "Guid"]).map(|(k, v)| (k, scalar(v)));
        let name = field(p, &["Name", "purposeName", "Label"]).and_then(|(_, v)| scalar(v));
        let label = match (id, &name) {
            (Some((_, Some(id))), _) => id,
            (Some((k, None)), _) => return Err(bad(pointer(&base, k), k, "purpose Id must be a string")),
            (None, Some(n)) => n.clone(),
            (None, None) => return Err(bad(base, "Id", "a purpose without Id or Name")),
        };
        let (status_key, status_value) = field(p, &["TransactionType", "Status"])
            .ok_or_else(|| bad(pointer(&base, "TransactionType"), "TransactionType", "missing TransactionType"))?;
        let status = status_value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(pointer(&base, status_key), status_key, "TransactionType must be a string"))?;
        let meaning = meaning(&status);
        let at_time = match meaning {
            Meaning::Event(_, order) => {
                let mut found = None;
                // Each kind of date on the purpose first, then on the record, in the order
                // the status reads them.
                for names in order {
                    found = match time_of(file, p, &base, names)? {
                        Some(t) => Some(t),
                        None => time_of(file, obj, locator, names)?,
                    };
                    if found.is_some() {
                        break;
                    }
                }
                found
            }
            _ => None,
        };
        let mut evidence = BTreeMap::new();
        evidence.insert("TransactionType".to_string(), Value::String(status.clone()));
        if let Some(n) = &name {
            evidence.insert("purpose_name".to_string(), Value::String(n.clone()));
        }
        for key in ["Version", "purposeVersion", "TopicId", "Topics", "CustomPreferences"] {
            if let Some((k, v)) = field(p, &[key]) {
                evidence.insert(k.to_string(), v.clone());
            }
        }
        if status.trim().eq_ignore_ascii_case("HARD_OPT_OUT") {
            evidence.insert("hard_opt_out".to_string(), Value::Bool(true));
        }
        purposes.push(PurposeFact { index, label, status, meaning, at: at_time, evidence });
    }
    let text = |names: &[&str]| field(obj, names).and_then(|(_, v)| scalar(v));
    Ok(RecordFacts {
        subject,
        others,
        names,
        purposes,
        capture_source: text(&["collectionPointName", "collectionPointId", "collectionPointGuid"]),
        notice_version: text(&["privacyNoticeVersion", "noticeVersion", "collectionPointVersion"]),
    })
}

fn time_of(
    file: &FileImport<'_>,
    obj: &Map<String, Value>,
    base: &str,
    names: &[&str],
) -> Result<Option<Timestamp>, Bad> {
    let Some((key, v)) = field(obj, names) else {
        return Ok(None);
    };
    let Some(text) = scalar(v) else {
        return match v {
            Value::String(_) => Ok(None),
            _ => Err(bad(pointer(base, key), key, "a date must be a string or a number")),
        };
    };
    file.time(&text).map(Some).map_err(|e| bad(pointer(base, key), key, e.to_string()))
}

fn store_record(
    file: &mut FileImport<'_>,
    locator: &str,
    line: Option<u64>,
    raw: &str,
    r: RecordFacts,
) -> Result<(), ImportError> {
    let row = file.row(locator, line, raw)?;
    for (other, reason) in &r.others {
        if *other != r.subject {
            file.link(row, &r.subject, other, reason)?;
        }
    }
    for (attribute, v) in &r.names {
        file.attribute(row, &r.subject, attribute, v)?;
    }
    let base = pointer(locator, "purposes");
    for p in r.purposes {
        let at = format!("{base}/{}", p.index);
        if let Some(name) = p.evidence.get("purpose_name").and_then(Value::as_str) {
            if name != p.label {
                file.lookup("purpose", &p.label, name)?;
            }
        }
        match p.meaning {
            Meaning::Event(kind, _) => {
                if p.at.is_none() {
                    file.warn(
                        &at,
                        Some("TransactionType"),
                        &format!("{} for purpose '{}' has no date; recorded without an instant", p.status, p.label),
                    )?;
                }
                let draft = EventDraft {
                    subject: Some(r.subject.clone()),
                    kind: Some(kind),
                    occurred_at: p.at,
                    purpose_label: Some(p.label),
                    capture_source: r.capture_source.clone(),
                    notice_version: r.notice_version.clone(),
                    evidence: p.evidence,
                    ..Default::default()
                };
                file.event(row, &at, draft)?;
            }
            Meaning::NoEvent => {}
            Meaning::Pending => file.warn(
                &at,
                Some("TransactionType"),
                &format!(
                    "PENDING for purpose '{}': awaiting the subject's confirmation, not consent; no event",
                    p.label
                ),
            )?,
            Meaning::Unknown => file.warn(
                &at,
                Some("TransactionType"),
                &format!(
                    "unknown TransactionType '{}' for purpose '{}': kept in the raw row, no consent event",
                    p.status, p.label
                ),
            )?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transaction_type_has_a_deliberate_meaning() {
        assert!(matches!(meaning("CONFIRMED"), Meaning::Event(EventKind::ConsentGiven, _)));
        assert!(matches!(meaning("WITHDRAWN"), Meaning::Event(EventKind::ConsentWithdrawn, _)));
        assert!(matches!(meaning("NOTGIVEN"), Meaning::Event(EventKind::ConsentRefused, _)));
        assert!(matches!(meaning("OPT_OUT"), Meaning::Event(EventKind::ConsentNegative, _)));
        assert!(matches!(meaning("HARD_OPT_OUT"), Meaning::Event(EventKind::ConsentNegative, _)));
        assert!(matches!(meaning("EXPIRED"), Meaning::Event(EventKind::ConsentExpired, _)));
        assert_eq!(meaning("NO_CHOICE"), Meaning::NoEvent);
        assert_eq!(meaning("PENDING"), Meaning::Pending);
        assert_eq!(meaning("MAYBE"), Meaning::Unknown);
    }

    #[test]
    fn identifiers_follow_their_type() {
        assert_eq!(identifier("A@B.org", Some("Email")).unwrap().to_string(), "a@b.org");
        assert_eq!(identifier("+44 7700 900123", Some("Phone Number")).unwrap().value, "+447700900123");
        assert_eq!(identifier("C-77", Some("Customer ID")).unwrap().to_string(), "onetrust:customer-id:C-77");
        assert_eq!(identifier("x@y.org", None).unwrap().kind, "email");
    }
}
