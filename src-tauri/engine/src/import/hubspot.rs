//! HubSpot exports (SPEC §3, §4.1), both read under the importer id `hubspot` so that one set of
//! profile aliases serves them:
//!
//! **Contacts export** — `Record ID` (→ `hubspot:record:<id>`), property labels (`Email`,
//! `First Name`, `Last Name`, `Create Date` …), `Legal basis for processing contact's data`,
//! `Opted out of all email` and `Opted out of email: <subscription name>`.
//! - Datetimes are `YYYY-MM-DD HH:MM` in the exporting user's zone (profile
//!   `assumed_time_zone.hubspot` / `--assume-tz hubspot=…`).
//! - The legal basis holds several values joined by `;`, spelt with an EN DASH
//!   (`Legitimate interest – prospect/lead`) or a hyphen (`Legitimate interest - other`). A consent
//!   value (`Freely given consent from contact`) is a grant at `Create Date` for the purpose its
//!   `hubspot` alias names (an unaliased consent value is kept with its label, reported as
//!   unmapped and re-mapped once an alias is added). Any other basis (legitimate interest,
//!   contract, not applicable …) is never read as consent, even if a profile aliases it: it is
//!   kept as a `legal_basis` attribute of the contact and in the evidence of the row's events.
//! - The opt-out columns are a state as of the export with no date of their own. A `true` flag
//!   is an undirected negative signal (`consent.negative`, SPEC §4.1 decides withdrawal or
//!   refusal) with no instant and evidence `{"state_as_of_export": true, "column": …}`; §4.1 says
//!   such a flag is never "system A" for R7 and does not "show P as given". `Opted out of all
//!   email` applies to every purpose that has a `hubspot` alias; `Opted out of email: <name>` to
//!   the purpose aliased `<name>`. `false` or empty says nothing: an absent opt-out is not a grant.
//!
//! **Unsubscribes and bounces export** (Marketing > Email > Export unsubscribes and bounces) —
//! `Email`, `Portal Bounce` (the bounce reason), `Portal Unsubscribe`, `Portal Spam Report`,
//! `Global Bounce`, `Marketing Information`, then one column per custom subscription type; `TRUE`
//! marks the fact. An unsubscribe is a withdrawal (`Portal Unsubscribe` from every purpose with a
//! `hubspot` alias, a subscription column from the purpose aliased by its name); a bounce or a spam
//! report is not a withdrawal and creates no consent event. HubSpot's export carries no date;
//! when a date column is present (`Date`, `Unsubscribe Date` …) it is the withdrawal instant,
//! otherwise the withdrawal is a state as of the export like the contact flags.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{EventDraft, FileImport, RowId};
use super::csv_table::{fold, CsvRecord, Header};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier};

pub struct HubSpot;

const LEGAL_BASIS: &str = "Legal basis for processing contact's data";
const OPTED_OUT_ALL: &str = "Opted out of all email";
const OPTED_OUT_PREFIX: &str = "Opted out of email:";
const UNSUB_ALL: &str = "Portal Unsubscribe";
/// Columns of the unsubscribes-and-bounces export that are not subscription types.
const UNSUB_FACT_COLUMNS: &[&str] = &["Portal Bounce", "Portal Spam Report", "Global Bounce"];
const EMAIL_COLUMNS: &[&str] = &["Email", "Email Address"];
const UNSUB_DATE_COLUMNS: &[&str] = &["Date", "Unsubscribe Date", "Unsubscribed Date", "Timestamp", "Created At"];

/// Header names compare with curly apostrophes folded, as HubSpot labels are sometimes copied
/// through a word processor.
fn fold_label(name: &str) -> String {
    fold(name).replace('\u{2019}', "'")
}

fn find(h: &Header, name: &str) -> Option<usize> {
    let want = fold_label(name);
    h.names.iter().position(|n| fold_label(n) == want)
}

/// Which of the two exports a header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Contacts,
    Unsubscribes,
}

fn layout_of(h: &Header) -> Option<Layout> {
    let has_opt_out = find(h, OPTED_OUT_ALL).is_some() || !h.with_prefix(OPTED_OUT_PREFIX).is_empty();
    // A deals or companies export also has `Record ID` and `Create Date`: a contacts export is
    // told by its consent columns, or by an `Email` beside them.
    let contact_like = find(h, LEGAL_BASIS).is_some()
        || has_opt_out
        || (h.find("Email").is_some() && find(h, "Create Date").is_some());
    if find(h, "Record ID").is_some() && contact_like {
        return Some(Layout::Contacts);
    }
    let email = h.find_any(EMAIL_COLUMNS).is_some();
    let facts = [UNSUB_ALL, "Portal Bounce", "Portal Spam Report", "Global Bounce"]
        .iter()
        .filter(|c| h.find(c).is_some())
        .count();
    if email && facts >= 2 {
        return Some(Layout::Unsubscribes);
    }
    None
}

impl Importer for HubSpot {
    fn id(&self) -> &'static str {
        "hubspot"
    }

    fn name(&self) -> &'static str {
        "HubSpot contacts / unsubscribes export"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match sniff.header.as_ref().and_then(layout_of) {
            Some(_) => 95,
            None => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        let mut table = file.open_csv()?;
        let h = table.header.clone();
        let layout = layout_of(&h).ok_or_else(|| {
            ImportError::file(file.name(), "not a HubSpot contacts or unsubscribes export (unrecognised columns)")
        })?;
        let columns = match layout {
            Layout::Contacts => Columns::contacts(&h),
            Layout::Unsubscribes => Columns::unsubscribes(&h),
        };
        if !columns.flags.is_empty() && alias_purposes(file).is_empty() {
            file.warn(
                "",
                Some("purpose"),
                "no profile purpose has a 'hubspot' alias, so 'Opted out of all email' / 'Portal Unsubscribe' \
                 cannot be applied to any purpose; add 'hubspot' aliases (e.g. your subscription names)",
            )?;
        }
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            match layout {
                Layout::Contacts => contact_row(file, &h, &columns, &rec)?,
                Layout::Unsubscribes => unsubscribe_row(file, &h, &columns, &rec)?,
            }
        }
        Ok(())
    }
}

/// One opt-out / unsubscribe column: `None` subscription = every purpose with a `hubspot` alias.
struct Flag {
    column: usize,
    subscription: Option<String>,
}

struct Columns {
    record_id: Option<usize>,
    email: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    birth: Option<usize>,
    created: Option<usize>,
    legal_basis: Option<usize>,
    flags: Vec<Flag>,
    date: Option<usize>,
    facts: Vec<usize>,
    context: Vec<usize>,
}

impl Columns {
    fn contacts(h: &Header) -> Columns {
        let mut flags: Vec<Flag> =
            find(h, OPTED_OUT_ALL).map(|c| Flag { column: c, subscription: None }).into_iter().collect();
        for c in h.with_prefix(OPTED_OUT_PREFIX) {
            let name = h.name(c);
            let subscription = name.get(OPTED_OUT_PREFIX.len()..).unwrap_or("").trim().to_string();
            if !subscription.is_empty() {
                flags.push(Flag { column: c, subscription: Some(subscription) });
            }
        }
        Columns {
            record_id: find(h, "Record ID"),
            email: h.find("Email"),
            first_name: h.find("First Name"),
            last_name: h.find("Last Name"),
            birth: h.find_any(&["Date of birth", "Date of Birth", "Birthdate"]),
            created: find(h, "Create Date"),
            legal_basis: find(h, LEGAL_BASIS),
            flags,
            date: None,
            facts: Vec::new(),
            context: [
                "Original Source",
                "Original Source Drill-Down 1",
                "Original Source Drill-Down 2",
                "Lifecycle Stage",
            ]
            .iter()
            .filter_map(|c| h.find(c))
            .collect(),
        }
    }

    fn unsubscribes(h: &Header) -> Columns {
        let email = h.find_any(EMAIL_COLUMNS);
        let date = h.find_any(UNSUB_DATE_COLUMNS);
        let facts: Vec<usize> = UNSUB_FACT_COLUMNS.iter().filter_map(|c| h.find(c)).collect();
        let mut flags: Vec<Flag> =
            h.find(UNSUB_ALL).map(|c| Flag { column: c, subscription: None }).into_iter().collect();
        // Every other column is a subscription type ("Marketing Information" or a custom one).
        for (i, name) in h.names.iter().enumerate() {
            let known = Some(i) == email || Some(i) == date || facts.contains(&i) || Some(i) == h.find(UNSUB_ALL);
            if !known && !name.trim().is_empty() {
                flags.push(Flag { column: i, subscription: Some(name.trim().to_string()) });
            }
        }
        Columns {
            record_id: None,
            email,
            first_name: None,
            last_name: None,
            birth: None,
            created: None,
            legal_basis: None,
            flags,
            date,
            facts,
            context: Vec::new(),
        }
    }
}

/// Reads a HubSpot boolean cell: `Some(true)` / `Some(false)`, `None` when empty, `Err` when it
/// is neither.
fn flag_value(text: Option<&str>) -> Result<Option<bool>, String> {
    let Some(t) = text else { return Ok(None) };
    match t.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(Some(true)),
        "false" | "no" | "0" => Ok(Some(false)),
        _ => Err(format!("'{t}' is not true/false")),
    }
}

/// The purposes "every purpose with a HubSpot alias" means, each with the label that resolves to
/// it (its first `hubspot` alias; `None` for a `"*"` alias, which resolves without a label).
fn alias_purposes(file: &FileImport<'_>) -> Vec<(String, Option<String>)> {
    file.profile()
        .purposes
        .iter()
        .filter_map(|p| {
            let labels = p.aliases.get("hubspot")?;
            let label = labels.iter().find(|a| a.as_str() != "*").cloned();
            (!labels.is_empty()).then(|| (p.id.clone(), label))
        })
        .collect()
}

/// The class of a legal-basis value; dashes of every kind compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    Consent,
    /// Legitimate interest, contract, legal obligation, vital or public interest, not applicable.
    Other,
    Unknown,
}

fn basis_of(value: &str) -> Basis {
    let v = value.to_lowercase().replace(['\u{2013}', '\u{2014}', '\u{2012}', '\u{2212}'], "-");
    if v.contains("consent") {
        Basis::Consent
    } else if [
        "legitimate interest",
        "performance of a contract",
        "contract",
        "legal obligation",
        "vital interest",
        "public interest",
        "public task",
        "not applicable",
    ]
    .iter()
    .any(|k| v.contains(k))
    {
        Basis::Other
    } else {
        Basis::Unknown
    }
}

fn contact_row(file: &mut FileImport<'_>, h: &Header, c: &Columns, rec: &CsvRecord) -> Result<(), ImportError> {
    let locator = format!("line {}", rec.line);
    let raw = rec.raw();
    let record_id = rec.get(c.record_id);
    let email_text = rec.get(c.email);
    let record = match record_id.map(|id| Identifier::system("hubspot", "record", id)) {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => return file.reject(&locator, Some("Record ID"), &e.to_string(), Some(&raw)),
        None => None,
    };
    let email = match email_text.map(Identifier::email) {
        Some(Ok(e)) => Some(e),
        Some(Err(e)) if record.is_some() => {
            file.warn(&locator, Some("Email"), &format!("{e}; the contact is known by its Record ID only"))?;
            None
        }
        Some(Err(e)) => return file.reject(&locator, Some("Email"), &e.to_string(), Some(&raw)),
        None => None,
    };
    let Some(subject) = record.clone().or_else(|| email.clone()) else {
        return file.reject(
            &locator,
            Some("Record ID"),
            "missing Record ID and Email: no way to tell who this is",
            Some(&raw),
        );
    };
    let created = match c.created.filter(|col| rec.get(Some(*col)).is_some()) {
        Some(col) => match file.csv_time(rec, col, "Create Date") {
            Ok(ts) => Some(ts),
            Err(e) => return file.reject(&locator, Some("Create Date"), &e.message, Some(&raw)),
        },
        None => None,
    };
    // Flags are read before the row is stored so that a malformed cell rejects the row whole.
    let mut opted_out = Vec::new();
    for flag in &c.flags {
        match flag_value(rec.get(Some(flag.column))) {
            Ok(Some(true)) => opted_out.push(flag),
            Ok(_) => {}
            Err(e) => return file.reject(&locator, Some(h.name(flag.column)), &e, Some(&raw)),
        }
    }
    let row = file.csv_row(rec)?;
    if let (Some(r), Some(e)) = (&record, &email) {
        file.link(row, r, e, "same HubSpot contact row (Record ID ↔ Email)")?;
    }
    for (col, attribute) in [(c.first_name, "first_name"), (c.last_name, "last_name"), (c.birth, "date_of_birth")] {
        if let Some(v) = rec.get(col) {
            file.attribute(row, &subject, attribute, v)?;
        }
    }
    let values: Vec<String> = rec
        .get(c.legal_basis)
        .map(|v| v.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let mut evidence: BTreeMap<String, Value> = BTreeMap::new();
    if !values.is_empty() {
        evidence.insert("legal_basis".into(), Value::from(values.clone()));
    }
    for col in &c.context {
        if let Some(v) = rec.get(Some(*col)) {
            evidence.insert(h.name(*col).to_string(), Value::String(v.to_string()));
        }
    }
    for value in &values {
        match basis_of(value) {
            Basis::Consent => {
                if created.is_none() {
                    file.warn(
                        &locator,
                        Some("Create Date"),
                        "consent legal basis without a Create Date: the grant has no instant",
                    )?;
                }
                let draft = EventDraft {
                    subject: Some(subject.clone()),
                    kind: Some(EventKind::ConsentGiven),
                    occurred_at: created.clone(),
                    purpose_label: Some(value.clone()),
                    capture_source: Some(value.clone()),
                    evidence: evidence.clone(),
                    ..Default::default()
                };
                file.event(row, &locator, draft)?;
            }
            Basis::Other => {
                file.attribute(row, &subject, "legal_basis", value)?;
                let aliased = file.profile().purposes.iter().any(|p| {
                    p.aliases
                        .get("hubspot")
                        .is_some_and(|a| a.iter().any(|a| a.trim().to_lowercase() == value.to_lowercase()))
                });
                if aliased {
                    file.warn(
                        &locator,
                        Some(LEGAL_BASIS),
                        &format!(
                            "'{value}' is aliased to a purpose but is not a consent basis; it is not read as consent"
                        ),
                    )?;
                }
            }
            Basis::Unknown => {
                file.attribute(row, &subject, "legal_basis", value)?;
                file.warn(
                    &locator,
                    Some(LEGAL_BASIS),
                    &format!("unknown legal basis '{value}': kept as recorded, not read as consent"),
                )?;
            }
        }
    }
    for flag in opted_out {
        negative_flag(file, row, &locator, &subject, h, flag, &evidence, EventKind::ConsentNegative, None)?;
    }
    Ok(())
}

fn unsubscribe_row(file: &mut FileImport<'_>, h: &Header, c: &Columns, rec: &CsvRecord) -> Result<(), ImportError> {
    let locator = format!("line {}", rec.line);
    let raw = rec.raw();
    let email_name = c.email.map(|i| h.name(i).to_string()).unwrap_or_else(|| "Email".into());
    let subject = match rec.get(c.email).map(Identifier::email) {
        Some(Ok(e)) => e,
        Some(Err(e)) => return file.reject(&locator, Some(&email_name), &e.to_string(), Some(&raw)),
        None => return file.reject(&locator, Some(&email_name), "missing e-mail address", Some(&raw)),
    };
    let when = match c.date.filter(|col| rec.get(Some(*col)).is_some()) {
        Some(col) => {
            let name = h.name(col).to_string();
            match file.csv_time(rec, col, &name) {
                Ok(ts) => Some(ts),
                Err(e) => return file.reject(&locator, Some(&name), &e.message, Some(&raw)),
            }
        }
        None => None,
    };
    let mut unsubscribed = Vec::new();
    for flag in &c.flags {
        match flag_value(rec.get(Some(flag.column))) {
            Ok(Some(true)) => unsubscribed.push(flag),
            Ok(_) => {}
            Err(e) => return file.reject(&locator, Some(h.name(flag.column)), &e, Some(&raw)),
        }
    }
    let row = file.csv_row(rec)?;
    // Bounces and spam reports are kept as evidence only: neither is a withdrawal.
    let mut evidence: BTreeMap<String, Value> = BTreeMap::new();
    for col in &c.facts {
        if let Some(v) = rec.get(Some(*col)) {
            evidence.insert(h.name(*col).to_string(), Value::String(v.to_string()));
        }
    }
    for flag in unsubscribed {
        negative_flag(file, row, &locator, &subject, h, flag, &evidence, EventKind::ConsentWithdrawn, when.clone())?;
    }
    Ok(())
}

/// Records an opt-out / unsubscribe flag for the purpose(s) it covers.
#[allow(clippy::too_many_arguments)]
fn negative_flag(
    file: &mut FileImport<'_>,
    row: RowId,
    locator: &str,
    subject: &Identifier,
    h: &Header,
    flag: &Flag,
    evidence: &BTreeMap<String, Value>,
    kind: EventKind,
    when: Option<crate::model::Timestamp>,
) -> Result<(), ImportError> {
    let column = h.name(flag.column).to_string();
    let mut evidence = evidence.clone();
    evidence.insert("column".into(), Value::String(column.clone()));
    if when.is_none() {
        evidence.insert("state_as_of_export".into(), Value::Bool(true));
    }
    let labels: Vec<Option<String>> = match &flag.subscription {
        Some(name) => vec![Some(name.clone())],
        None => alias_purposes(file).into_iter().map(|(_, label)| label).collect(),
    };
    for label in labels {
        let draft = EventDraft {
            subject: Some(subject.clone()),
            kind: Some(kind),
            occurred_at: when.clone(),
            purpose_label: label,
            channel: Some("email".into()),
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
    fn legal_bases_are_classed_whatever_the_dash() {
        assert_eq!(basis_of("Legitimate interest – prospect/lead"), Basis::Other);
        assert_eq!(basis_of("Legitimate interest - other"), Basis::Other);
        assert_eq!(basis_of("Freely given consent from contact"), Basis::Consent);
        assert_eq!(basis_of("Performance of a contract"), Basis::Other);
        assert_eq!(basis_of("Not applicable"), Basis::Other);
        assert_eq!(basis_of("Because we said so"), Basis::Unknown);
    }

    #[test]
    fn flags_read_true_false_empty() {
        assert_eq!(flag_value(Some("true")), Ok(Some(true)));
        assert_eq!(flag_value(Some("FALSE")), Ok(Some(false)));
        assert_eq!(flag_value(None), Ok(None));
        assert!(flag_value(Some("maybe")).is_err());
    }

    #[test]
    fn layouts_are_told_by_columns() {
        let contacts = Header::new(
            ["Record ID", "First Name", "Email", "Create Date", LEGAL_BASIS, OPTED_OUT_ALL]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        assert_eq!(layout_of(&contacts), Some(Layout::Contacts));
        let unsub = Header::new(
            [
                "Email",
                "Portal Bounce",
                "Portal Unsubscribe",
                "Portal Spam Report",
                "Global Bounce",
                "Marketing Information",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
        assert_eq!(layout_of(&unsub), Some(Layout::Unsubscribes));
        let other = Header::new(["email", "timestamp", "destination"].iter().map(|s| s.to_string()).collect());
        assert_eq!(layout_of(&other), None);
    }
}
