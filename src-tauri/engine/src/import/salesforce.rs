//! Salesforce consent objects as Data Loader exports them (SPEC §3): `DataUsePurpose` (Id ↔
//! Name), `Individual` (names, birth date), `ContactPointEmail` / `ContactPointPhone` (which
//! link an Individual to an address), `ContactPointTypeConsent` and `ContactPointConsent`.
//! Every value quoted, UTF-8 BOM, headers sometimes ALL CAPS, datetimes `yyyy-MM-ddTHH:mm:ss.SSSZ`.
//! The files of one export are imported together: lookups and links first, consents after, and
//! a consent's DataUsePurposeId is resolved to the purpose name whenever that file arrives.
//! `PrivacyConsentStatus`: OptIn is a grant, OptOut a negative signal (withdrawal or refusal by
//! the state before it, SPEC §4.1), Seen / NotSeen are no consent event at all.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{EventDraft, FileImport};
use super::csv_table::{CsvRecord, Header};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier};

pub struct Salesforce;

/// The Salesforce object a file holds, told by its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesforceObject {
    DataUsePurpose,
    Individual,
    ContactPointEmail,
    ContactPointPhone,
    ContactPointTypeConsent,
    ContactPointConsent,
}

/// Which object the header describes.
pub fn object_of(h: &Header) -> Option<SalesforceObject> {
    let has = |c: &str| h.find(c).is_some();
    if has("PartyId") && has("DataUsePurposeId") && has("PrivacyConsentStatus") {
        Some(SalesforceObject::ContactPointTypeConsent)
    } else if has("ContactPointId") && has("PrivacyConsentStatus") {
        Some(SalesforceObject::ContactPointConsent)
    } else if has("Id") && has("ParentId") && has("EmailAddress") {
        Some(SalesforceObject::ContactPointEmail)
    } else if has("Id") && has("ParentId") && has("TelephoneNumber") {
        Some(SalesforceObject::ContactPointPhone)
    } else if has("Id")
        && has("LastName")
        && ["HasOptedOutProcessing", "HasOptedOutTracking", "HasOptedOutSolicit", "IndividualsAge", "BirthDate"]
            .iter()
            .any(|c| has(c))
    {
        Some(SalesforceObject::Individual)
    } else if has("Id")
        && has("Name")
        && (["LegalBasisId", "PurposeGroupId", "CanDataSubjectOptOut"].iter().any(|c| has(c)) || is_id_name(h))
    {
        Some(SalesforceObject::DataUsePurpose)
    } else {
        None
    }
}

/// Just `Id, Name`: what Data Loader exports of `DataUsePurpose` when only those fields are
/// ticked. Read as one when the file is imported as Salesforce (`--system salesforce`); detected
/// only by content ([`looks_like_data_use_purposes`]).
fn is_id_name(h: &Header) -> bool {
    h.names.len() == 2 && h.find("Id").is_some() && h.find("Name").is_some()
}

/// True for a Salesforce record id of a `DataUsePurpose` (key prefix `0ZV`, 15 or 18
/// characters, letters and digits).
fn is_data_use_purpose_id(id: &str) -> bool {
    (id.len() == 15 || id.len() == 18) && id.starts_with("0ZV") && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// An `Id, Name` file whose Ids are all DataUsePurpose ids (as far as the sniffed head shows, at
/// least one): the purposes that consent objects' `DataUsePurposeId` values point at.
fn looks_like_data_use_purposes(sniff: &Sniff) -> bool {
    let Some(header) = sniff.header.as_ref().filter(|h| is_id_name(h)) else { return false };
    let Some(id_column) = header.find("Id") else { return false };
    let text = sniff.head.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff.delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let ids: Vec<String> = reader
        .records()
        .map_while(Result::ok)
        .filter_map(|r| r.get(id_column).map(|v| v.trim().to_string()))
        .filter(|v| !v.is_empty())
        .take(50)
        .collect();
    // The head may cut the last row short: all but that one must be purpose ids.
    let checked = if ids.len() > 1 { &ids[..ids.len() - 1] } else { &ids[..] };
    !checked.is_empty() && checked.iter().all(|id| is_data_use_purpose_id(id))
}

fn individual(id: &str) -> Result<Identifier, crate::model::IdentifierError> {
    Identifier::system("salesforce", "individual", id)
}

fn contact_point(id: &str) -> Result<Identifier, crate::model::IdentifierError> {
    Identifier::system("salesforce", "contactpoint", id)
}

impl Importer for Salesforce {
    fn id(&self) -> &'static str {
        "salesforce"
    }

    fn name(&self) -> &'static str {
        "Salesforce consent objects (Data Loader)"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match sniff.header.as_ref().and_then(object_of) {
            // `Id, Name` alone could be anything: recognised by its Ids.
            Some(SalesforceObject::DataUsePurpose)
                if sniff.header.as_ref().is_some_and(is_id_name) && !looks_like_data_use_purposes(sniff) =>
            {
                0
            }
            Some(_) => 95,
            None => 0,
        }
    }

    fn order(&self, sniff: &Sniff) -> u8 {
        match sniff.header.as_ref().and_then(object_of) {
            Some(SalesforceObject::DataUsePurpose) => 10,
            Some(SalesforceObject::Individual) => 20,
            Some(SalesforceObject::ContactPointEmail | SalesforceObject::ContactPointPhone) => 30,
            _ => 50,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        let mut table = file.open_csv()?;
        let h = table.header.clone();
        let object = object_of(&h).ok_or_else(|| {
            ImportError::file(file.name(), "not a Salesforce consent object export (unrecognised columns)")
        })?;
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            match object {
                SalesforceObject::DataUsePurpose => data_use_purpose(file, &h, &rec)?,
                SalesforceObject::Individual => individual_row(file, &h, &rec)?,
                SalesforceObject::ContactPointEmail => contact_point_row(file, &h, &rec, "EmailAddress")?,
                SalesforceObject::ContactPointPhone => contact_point_row(file, &h, &rec, "TelephoneNumber")?,
                SalesforceObject::ContactPointTypeConsent | SalesforceObject::ContactPointConsent => {
                    consent_row(file, &h, &rec, object)?
                }
            }
        }
        Ok(())
    }
}

fn required<'r>(
    file: &mut FileImport<'_>,
    h: &Header,
    rec: &'r CsvRecord,
    column: &str,
) -> Result<Option<&'r str>, ImportError> {
    match rec.get(h.find(column)) {
        Some(v) => Ok(Some(v)),
        None => {
            file.reject(&format!("line {}", rec.line), Some(column), &format!("missing {column}"), Some(&rec.raw()))?;
            Ok(None)
        }
    }
}

fn data_use_purpose(file: &mut FileImport<'_>, h: &Header, rec: &CsvRecord) -> Result<(), ImportError> {
    let (Some(id), Some(name)) = (required(file, h, rec, "Id")?, rec.get(h.find("Name"))) else {
        if rec.get(h.find("Id")).is_some() {
            file.reject(&format!("line {}", rec.line), Some("Name"), "missing Name", Some(&rec.raw()))?;
        }
        return Ok(());
    };
    file.csv_row(rec)?;
    file.lookup("purpose", id, name)?;
    if file.profile().resolve_purpose("salesforce", name).is_none() {
        file.warn(
            &format!("line {}", rec.line),
            Some("Name"),
            &format!("DataUsePurpose '{name}' is not mapped to a profile purpose; add it as a 'salesforce' alias"),
        )?;
    }
    Ok(())
}

fn individual_row(file: &mut FileImport<'_>, h: &Header, rec: &CsvRecord) -> Result<(), ImportError> {
    let Some(id) = required(file, h, rec, "Id")? else { return Ok(()) };
    let subject = match individual(id) {
        Ok(s) => s,
        Err(e) => return file.reject(&format!("line {}", rec.line), Some("Id"), &e.to_string(), Some(&rec.raw())),
    };
    let row = file.csv_row(rec)?;
    for (column, attribute) in [("FirstName", "first_name"), ("LastName", "last_name"), ("BirthDate", "date_of_birth")]
    {
        if let Some(v) = rec.get(h.find(column)) {
            file.attribute(row, &subject, attribute, v)?;
        }
    }
    Ok(())
}

fn contact_point_row(
    file: &mut FileImport<'_>,
    h: &Header,
    rec: &CsvRecord,
    address_column: &str,
) -> Result<(), ImportError> {
    let locator = format!("line {}", rec.line);
    let Some(id) = required(file, h, rec, "Id")? else { return Ok(()) };
    let Some(parent) = required(file, h, rec, "ParentId")? else { return Ok(()) };
    let Some(address) = required(file, h, rec, address_column)? else { return Ok(()) };
    let parsed = if address_column == "EmailAddress" { Identifier::email(address) } else { Identifier::phone(address) };
    let (address_id, person, point) = match (parsed, individual(parent), contact_point(id)) {
        (Ok(a), Ok(p), Ok(c)) => (a, p, c),
        (Err(e), _, _) => return file.reject(&locator, Some(address_column), &e.to_string(), Some(&rec.raw())),
        (_, Err(e), _) => return file.reject(&locator, Some("ParentId"), &e.to_string(), Some(&rec.raw())),
        (_, _, Err(e)) => return file.reject(&locator, Some("Id"), &e.to_string(), Some(&rec.raw())),
    };
    let row = file.csv_row(rec)?;
    let object = if address_column == "EmailAddress" { "ContactPointEmail" } else { "ContactPointPhone" };
    file.link(row, &person, &address_id, &format!("Salesforce {object} {id}: ParentId ↔ {address_column}"))?;
    file.link(row, &point, &person, &format!("Salesforce {object} {id} belongs to Individual {parent}"))?;
    Ok(())
}

fn consent_row(
    file: &mut FileImport<'_>,
    h: &Header,
    rec: &CsvRecord,
    object: SalesforceObject,
) -> Result<(), ImportError> {
    let locator = format!("line {}", rec.line);
    let raw = rec.raw();
    type MakeSubject = fn(&str) -> Result<Identifier, crate::model::IdentifierError>;
    let (party_column, make_subject): (&str, MakeSubject) = match object {
        SalesforceObject::ContactPointConsent => ("ContactPointId", contact_point),
        _ => ("PartyId", individual),
    };
    let Some(party) = required(file, h, rec, party_column)? else { return Ok(()) };
    let subject = match make_subject(party) {
        Ok(s) => s,
        Err(e) => return file.reject(&locator, Some(party_column), &e.to_string(), Some(&raw)),
    };
    let Some(status) = required(file, h, rec, "PrivacyConsentStatus")? else { return Ok(()) };
    let kind = match status.to_ascii_lowercase().as_str() {
        "optin" => Some(EventKind::ConsentGiven),
        "optout" => Some(EventKind::ConsentNegative),
        "seen" | "notseen" => None,
        _ => {
            return file.reject(
                &locator,
                Some("PrivacyConsentStatus"),
                &format!("unknown PrivacyConsentStatus '{status}' (expected OptIn, OptOut, Seen or NotSeen)"),
                Some(&raw),
            )
        }
    };
    let mut times = BTreeMap::new();
    for column in ["CaptureDate", "EffectiveFrom", "EffectiveTo", "DoubleConsentCaptureDate"] {
        if let Some(c) = h.find(column).filter(|c| rec.get(Some(*c)).is_some()) {
            match file.csv_time(rec, c, column) {
                Ok(ts) => {
                    times.insert(column, ts);
                }
                Err(e) => return file.reject(&locator, Some(column), &e.message, Some(&raw)),
            }
        }
    }
    let row = file.csv_row(rec)?;
    let Some(kind) = kind else {
        // Seen / NotSeen: the notice was (not) shown; no consent event (SPEC §4.1). The row is
        // kept as a source row so the timeline can show it was read.
        return Ok(());
    };
    let mut evidence: BTreeMap<String, Value> = BTreeMap::new();
    for column in ["Id", "Name", "CaptureContactPointType", "EffectiveFrom", "EffectiveTo"] {
        if let Some(v) = rec.get(h.find(column)) {
            evidence.insert(column.to_string(), Value::String(v.to_string()));
        }
    }
    let occurred = times.get("CaptureDate").or_else(|| times.get("EffectiveFrom")).cloned();
    let channel = rec.get(h.find("CaptureContactPointType")).map(|c| c.to_ascii_lowercase());
    let draft = EventDraft {
        subject: Some(subject.clone()),
        kind: Some(kind),
        occurred_at: occurred,
        purpose_label: rec.get(h.find("DataUsePurposeId")).map(str::to_string),
        channel,
        capture_source: rec.get(h.find("CaptureSource")).map(str::to_string),
        evidence,
        ..Default::default()
    };
    let base = draft.clone();
    file.event(row, &locator, draft)?;
    if kind == EventKind::ConsentGiven {
        if let Some(confirmed) = times.get("DoubleConsentCaptureDate") {
            let mut c = base.clone();
            c.kind = Some(EventKind::ConsentConfirmed);
            c.occurred_at = Some(confirmed.clone());
            file.event(row, &locator, c)?;
        }
        if let Some(end) = times.get("EffectiveTo") {
            let mut e = base;
            e.kind = Some(EventKind::ConsentExpired);
            e.occurred_at = Some(end.clone());
            file.event(row, &locator, e)?;
        }
    }
    Ok(())
}
