//! IAB TCF v2.x consent logs: CSV or JSON rows that hold a TC string and a subject identifier
//! (SPEC §3, §4.1). Read under the importer id `tcf`.
//! - The TC-string column is the one whose values decode as TC strings, whatever its name.
//! - The subject is a column named like an identifier (`email`, `user_id`, `subject` …); a value
//!   written as an e-mail, an international phone number or `system:kind:value` is taken as such
//!   (so a log keyed by `segment:anonymous:…` joins Segment's subject), any other value becomes
//!   `tcf:<column>:<value>`.
//! - The instant is a time column when present (`timestamp`, `logged_at` …), else the string's
//!   own `lastUpdated` (deciseconds since the epoch, UTC).
//! - A string states every purpose: each consented purpose is a grant whose label is the TCF
//!   purpose number ("1".."11", profile aliases under `tcf`) and whose recipients are the
//!   vendors with **consent** (not legitimate interest, not merely disclosed), written
//!   `tcf:vendor:<id>@<vendorListVersion>` so the Global Vendor List of that version names them.
//!   Every other purpose of the policy (1–10, or 1–11 from policy version 4) is an undirected
//!   negative signal.
//! - Under policy version ≥ 4, legitimate interest for purposes 3–6 is invalid: the string is
//!   imported, its events carry `invalid_li_purposes` in their evidence for rule R11, and the
//!   row gets a warning. It is never rejected for that.
//! - A string that does not decode is a rejected row with the decoder's reason.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::decode::{decode_gpp, decode_tc_string, looks_like_gpp, TcDecodeError, TcString};
use crate::import::context::{EventDraft, FileImport};
use crate::import::csv_table::{fold, CsvRecord, Header};
use crate::import::derive::tcf_vendor_label;
use crate::import::json_records::{pointer, JsonRecord};
use crate::import::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Timestamp, ZoneBasis};

pub struct TcfLog;

/// The importer id (also the system of TCF vendor lookups).
pub const ID: &str = "tcf";

/// Column / field names that hold the subject, in order of preference.
const SUBJECT: &[&str] = &[
    "subject",
    "user",
    "visitor",
    "email",
    "user_email",
    "customer_email",
    "identifier",
    "user_id",
    "userid",
    "customer_id",
    "visitor_id",
    "uid",
    "anonymous_id",
    "anonymousid",
    "cookie_id",
    "device_id",
    "id",
];
/// Column / field names of the log time.
const TIME: &[&str] =
    &["timestamp", "time", "logged_at", "occurred_at", "created_at", "consent_date", "date", "datetime", "updated_at"];
/// How many rows detection and column choice look at.
const SAMPLE_ROWS: usize = 50;

/// True when a value decodes as a TC string (cheap: real strings are long and start with the
/// version-2 sextet `C`; anything else is not tried), or as an IAB GPP string (`DBABM~…`).
fn is_tc_string(value: &str) -> bool {
    let v = value.trim();
    if looks_like_gpp(v) {
        return !v.contains(' ') && decode_gpp(v).is_ok();
    }
    v.len() >= 20 && v.starts_with('C') && !v.contains(' ') && decode_tc_string(v).is_ok()
}

/// What a consent-string cell holds: a TC string, or a GPP string with or without a TCF EU v2
/// section (its other sections named for a warning).
struct ConsentString {
    /// The decoded TC string and its text, if there is one.
    tc: Option<(TcString, String)>,
    /// For a GPP string: the whole string and the sections that are not TCF EU v2.
    gpp: Option<(String, Vec<(u16, &'static str)>)>,
}

/// Reads a cell as a TC string or a GPP string; the error is the reason for the rejection.
fn read_consent_string(text: &str) -> Result<ConsentString, String> {
    let text = text.trim();
    if !looks_like_gpp(text) {
        return decode_tc_string(text)
            .map(|tc| ConsentString { tc: Some((tc, text.to_string())), gpp: None })
            .map_err(|e: TcDecodeError| format!("TC string does not decode: {e}"));
    }
    let gpp = decode_gpp(text).map_err(|e| format!("GPP string does not decode: {e}"))?;
    let tc = match gpp.tcf_eu_v2() {
        Some(section) => Some((
            decode_tc_string(section)
                .map_err(|e| format!("the GPP string's TCF EU v2 section does not decode: {e}"))?,
            section.to_string(),
        )),
        None => None,
    };
    Ok(ConsentString { tc, gpp: Some((text.to_string(), gpp.other_sections())) })
}

/// Warns about a GPP string's sections other than TCF EU v2: named, not imported as consent.
fn warn_other_sections(
    file: &mut FileImport<'_>,
    locator: &str,
    field: &str,
    read: &ConsentString,
) -> Result<(), ImportError> {
    let Some((_, others)) = &read.gpp else { return Ok(()) };
    if others.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = others.iter().map(|(id, name)| format!("{id} {name}")).collect();
    let tcf = if read.tc.is_some() {
        "its TCF EU v2 section was imported"
    } else {
        "it has no TCF EU v2 section, so no consent event was made from it"
    };
    file.warn(
        locator,
        Some(field),
        &format!(
            "GPP string with section(s) {}: these are US / non-EU privacy signals (opt-outs and notices under \
             those laws), not consent under the GDPR, and were not imported as consent; {tcf}",
            named.join(", ")
        ),
    )
}

fn norm_key(name: &str) -> String {
    fold(name).replace(['-', ' '], "_")
}

/// The column whose sampled values decode best as TC strings.
fn tc_column<'a>(rows: impl Iterator<Item = &'a [String]>) -> Option<usize> {
    let mut hits: BTreeMap<usize, usize> = BTreeMap::new();
    for row in rows.take(SAMPLE_ROWS) {
        for (i, cell) in row.iter().enumerate() {
            if is_tc_string(cell) {
                *hits.entry(i).or_default() += 1;
            }
        }
    }
    hits.into_iter().max_by_key(|(i, n)| (*n, usize::MAX - i)).map(|(i, _)| i)
}

/// The TC-string field of a JSON record: a key whose value decodes.
fn tc_field(o: &Map<String, Value>) -> Option<&str> {
    o.iter().find(|(_, v)| v.as_str().is_some_and(is_tc_string)).map(|(k, _)| k.as_str())
}

fn named<'a>(
    names: impl Iterator<Item = (usize, &'a str)> + Clone,
    wanted: &[&str],
    except: &[usize],
) -> Option<usize> {
    wanted.iter().find_map(|w| names.clone().find(|(i, n)| !except.contains(i) && norm_key(n) == *w).map(|(i, _)| i))
}

impl Importer for TcfLog {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "IAB TCF v2 consent log"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        if let Some(Value::Object(o)) = &sniff.first_record {
            return if tc_field(o).is_some() { 90 } else { 0 };
        }
        if sniff.header.is_none() || sniff.json_shape.is_some() {
            return 0;
        }
        let text = sniff.head.trim_start_matches('\u{feff}');
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sniff.delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .take(SAMPLE_ROWS)
            .filter_map(Result::ok)
            .map(|r| r.iter().map(str::to_string).collect())
            .collect();
        match tc_column(rows.iter().map(Vec::as_slice)) {
            Some(_) => 90,
            None => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        if file.is_json() {
            return file.for_each_json(&mut |file, rec| {
                let JsonRecord { locator, line, value } = rec;
                let locator = if locator.is_empty() { "/".to_string() } else { locator };
                json_row(file, &locator, line, &value)
            });
        }
        // First pass: which column holds the strings.
        let mut sample = file.open_csv()?;
        let mut rows = Vec::new();
        while rows.len() < SAMPLE_ROWS {
            match sample.next_record()? {
                Some(r) => rows.push(r.fields.iter().map(str::to_string).collect::<Vec<_>>()),
                None => break,
            }
        }
        let h = sample.header.clone();
        let tc = tc_column(rows.iter().map(Vec::as_slice)).ok_or_else(|| {
            ImportError::file(file.name(), "no column holds TC strings that decode (checked the first rows)")
        })?;
        let names = || h.names.iter().enumerate().map(|(i, n)| (i, n.as_str()));
        let time = named(names(), TIME, &[tc]);
        let subject = named(names(), SUBJECT, &[tc, time.unwrap_or(usize::MAX)]).ok_or_else(|| {
            ImportError::file(
                file.name(),
                format!("no subject column found beside the TC strings (expected one of: {})", SUBJECT.join(", ")),
            )
        })?;
        let mut table = file.open_csv()?;
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            csv_row(file, &h, &rec, tc, subject, time)?;
        }
        Ok(())
    }
}

fn subject_of(column: &str, value: &str) -> Result<Identifier, crate::model::IdentifierError> {
    Identifier::parse(value).or_else(|_| {
        let kind: String =
            norm_key(column).chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' }).collect();
        Identifier::system(ID, &kind, value)
    })
}

fn csv_row(
    file: &mut FileImport<'_>,
    h: &Header,
    rec: &CsvRecord,
    tc: usize,
    subject: usize,
    time: Option<usize>,
) -> Result<(), ImportError> {
    let locator = format!("line {}", rec.line);
    let raw = rec.raw();
    let (tc_name, subject_name) = (h.name(tc).to_string(), h.name(subject).to_string());
    let Some(text) = rec.get(Some(tc)) else {
        return file.reject(&locator, Some(&tc_name), "missing TC string", Some(&raw));
    };
    let read = match read_consent_string(text) {
        Ok(read) => read,
        Err(e) => return file.reject(&locator, Some(&tc_name), &e, Some(&raw)),
    };
    let who = match rec.get(Some(subject)).map(|v| subject_of(&subject_name, v)) {
        Some(Ok(id)) => id,
        Some(Err(e)) => return file.reject(&locator, Some(&subject_name), &e.to_string(), Some(&raw)),
        None => return file.reject(&locator, Some(&subject_name), "missing subject identifier", Some(&raw)),
    };
    let Some((decoded, tc_text)) = &read.tc else {
        file.csv_row(rec)?;
        return warn_other_sections(file, &locator, &tc_name, &read);
    };
    let at = match time.filter(|c| rec.get(Some(*c)).is_some()) {
        Some(c) => {
            let name = h.name(c).to_string();
            match file.csv_time(rec, c, &name) {
                Ok(t) => (t, name),
                Err(e) => return file.reject(&locator, Some(&name), &e.message, Some(&raw)),
            }
        }
        None => (last_updated(decoded), "tc_string.lastUpdated".to_string()),
    };
    let row = file.csv_row(rec)?;
    warn_other_sections(file, &locator, &tc_name, &read)?;
    events(file, row, &locator, &tc_name, &who, tc_text, read.gpp.as_ref().map(|g| g.0.as_str()), decoded, at)
}

fn json_row(file: &mut FileImport<'_>, locator: &str, line: Option<u64>, value: &Value) -> Result<(), ImportError> {
    let raw = value.to_string();
    let Some(o) = value.as_object() else {
        return file.reject(locator, None, "expected a JSON object (one consent-log row)", Some(&raw));
    };
    let keys = || o.keys().enumerate().map(|(i, k)| (i, k.as_str()));
    let Some(tc_key) = tc_field(o).map(str::to_string) else {
        let known = ["tc_string", "tcstring", "tcf_string", "consent_string", "consentstring", "euconsent_v2", "tc"];
        let field = o.keys().find(|k| known.contains(&norm_key(k).as_str())).cloned();
        return match field.as_deref().and_then(|k| o.get(k).map(|v| (k, v))) {
            Some((k, Value::String(s))) => {
                let message = match decode_tc_string(s) {
                    Err(e) => format!("TC string does not decode: {e}"),
                    Ok(_) => "TC string does not decode".to_string(),
                };
                file.reject(&pointer(locator, k), Some(k), &message, Some(&raw))
            }
            Some((k, _)) => file.reject(&pointer(locator, k), Some(k), "the TC string must be a string", Some(&raw)),
            None => file.reject(locator, None, "no field holds a TC string that decodes", Some(&raw)),
        };
    };
    let text = o.get(&tc_key).and_then(Value::as_str).unwrap_or_default().to_string();
    let read = match read_consent_string(&text) {
        Ok(read) => read,
        Err(e) => return file.reject(&pointer(locator, &tc_key), Some(&tc_key), &e, Some(&raw)),
    };
    let tc_index = o.keys().position(|k| *k == tc_key).unwrap_or(usize::MAX);
    let time_key = named(keys(), TIME, &[tc_index]).and_then(|i| o.keys().nth(i)).cloned();
    let Some(subject_key) = named(keys(), SUBJECT, &[tc_index]).and_then(|i| o.keys().nth(i)).cloned() else {
        return file.reject(
            locator,
            None,
            &format!("no subject field (expected one of: {})", SUBJECT.join(", ")),
            Some(&raw),
        );
    };
    let who = match o.get(&subject_key) {
        Some(Value::String(s)) if !s.trim().is_empty() => subject_of(&subject_key, s),
        Some(Value::Number(n)) => subject_of(&subject_key, &n.to_string()),
        _ => {
            return file.reject(
                &pointer(locator, &subject_key),
                Some(&subject_key),
                "missing subject identifier",
                Some(&raw),
            )
        }
    };
    let who = match who {
        Ok(w) => w,
        Err(e) => return file.reject(&pointer(locator, &subject_key), Some(&subject_key), &e.to_string(), Some(&raw)),
    };
    let Some((decoded, tc_text)) = &read.tc else {
        file.row(locator, line, &raw)?;
        return warn_other_sections(file, locator, &tc_key, &read);
    };
    let at = match time_key.as_deref().and_then(|k| o.get(k).map(|v| (k, v))) {
        Some((k, v)) if !v.is_null() => {
            let t = match v {
                Value::String(s) => file.time(s),
                Value::Number(n) => file.time(&n.to_string()),
                _ => {
                    return file.reject(
                        &pointer(locator, k),
                        Some(k),
                        "a time must be a string or a number",
                        Some(&raw),
                    )
                }
            };
            match t {
                Ok(t) => (t, k.to_string()),
                Err(e) => return file.reject(&pointer(locator, k), Some(k), &e.to_string(), Some(&raw)),
            }
        }
        _ => (last_updated(decoded), "tc_string.lastUpdated".to_string()),
    };
    let row = file.row(locator, line, &raw)?;
    warn_other_sections(file, locator, &tc_key, &read)?;
    events(file, row, locator, &tc_key, &who, tc_text, read.gpp.as_ref().map(|g| g.0.as_str()), decoded, at)
}

/// The string's own last-updated instant, for logs without a time column.
fn last_updated(tc: &TcString) -> Timestamp {
    Timestamp {
        utc: tc.last_updated,
        original: tc.last_updated.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        zone: ZoneBasis::Epoch,
    }
}

#[allow(clippy::too_many_arguments)]
fn events(
    file: &mut FileImport<'_>,
    row: crate::import::RowId,
    locator: &str,
    tc_field: &str,
    subject: &Identifier,
    text: &str,
    gpp: Option<&str>,
    tc: &TcString,
    (at, time_source): (Timestamp, String),
) -> Result<(), ImportError> {
    let mut evidence: BTreeMap<String, Value> = BTreeMap::new();
    evidence.insert("tc_string".into(), Value::String(text.trim().to_string()));
    if let Some(gpp) = gpp {
        evidence.insert("gpp_string".into(), Value::String(gpp.to_string()));
    }
    evidence.insert("tcf_policy_version".into(), Value::from(tc.policy_version));
    evidence.insert("vendor_list_version".into(), Value::from(tc.vendor_list_version));
    evidence.insert("cmp_id".into(), Value::from(tc.cmp_id));
    evidence.insert("cmp_version".into(), Value::from(tc.cmp_version));
    evidence.insert("consent_language".into(), Value::String(tc.consent_language.clone()));
    evidence.insert("publisher_country_code".into(), Value::String(tc.publisher_country_code.clone()));
    evidence.insert("purpose_legitimate_interests".into(), Value::from(tc.purpose_legitimate_interests.clone()));
    evidence.insert("time_source".into(), Value::String(time_source));
    let invalid = tc.invalid_legitimate_interest_purposes();
    if !invalid.is_empty() {
        evidence.insert("invalid_li_purposes".into(), Value::from(invalid.clone()));
        let list: Vec<String> = invalid.iter().map(u8::to_string).collect();
        file.warn(
            locator,
            Some(tc_field),
            &format!(
                "TC string under TCF policy version {} signals legitimate interest for purpose(s) {}, which TCF v2.2 \
                 forbids (rule R11); imported and flagged",
                tc.policy_version,
                list.join(", ")
            ),
        )?;
    }
    let vendors: Vec<String> =
        tc.vendor_consents.iter().map(|v| tcf_vendor_label(*v, u32::from(tc.vendor_list_version))).collect();
    let last_purpose: u8 = if tc.policy_version >= 4 { 11 } else { 10 };
    let mut purposes: Vec<u8> = (1..=last_purpose).collect();
    purposes.extend(tc.purpose_consents.iter().copied().filter(|p| *p > last_purpose));
    for p in purposes {
        let given = tc.purpose_consents.contains(&p);
        let draft = EventDraft {
            subject: Some(subject.clone()),
            kind: Some(if given { EventKind::ConsentGiven } else { EventKind::ConsentNegative }),
            occurred_at: Some(at.clone()),
            purpose_label: Some(p.to_string()),
            recipients: if given { vendors.clone() } else { Vec::new() },
            channel: Some("web".into()),
            capture_source: Some(format!("TCF CMP {}", tc.cmp_id)),
            evidence: evidence.clone(),
            ..Default::default()
        };
        file.event(row, locator, draft)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tc_column_is_found_by_values_not_names() {
        let rows = [
            vec!["a@example.org".to_string(), "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA".to_string()],
            vec!["b@example.org".to_string(), "not a string".to_string()],
        ];
        assert_eq!(tc_column(rows.iter().map(Vec::as_slice)), Some(1));
        let none = [vec!["x".to_string(), "COFFEE".to_string()]];
        assert_eq!(tc_column(none.iter().map(Vec::as_slice)), None);
    }

    #[test]
    fn subjects_keep_known_forms() {
        assert_eq!(subject_of("email", "Zoë@Example.org").unwrap().to_string(), "zoë@example.org");
        assert_eq!(subject_of("uid", "segment:anonymous:abc").unwrap().to_string(), "segment:anonymous:abc");
        assert_eq!(subject_of("Visitor ID", "v-42").unwrap().to_string(), "tcf:visitor_id:v-42");
    }
}
