//! Mailchimp audience exports: the `subscribed`, `unsubscribed` and `cleaned` member CSVs (or
//! the ZIP holding them). SPEC §3 and §4.1:
//! - `OPTIN_TIME` is an explicit opt-in at that time; `CONFIRM_TIME` its double opt-in
//!   confirmation; an empty `OPTIN_TIME` with `CONFIRM_TIME` set is an `imported-list` grant at
//!   `CONFIRM_TIME` (added by import/API, not a signup form);
//! - `UNSUB_TIME` is a withdrawal; an unsubscribed member without it is an undated withdrawal as of
//!   the export (and a subscribed member without times an undated grant); `cleaned` (a bounce) is
//!   not a withdrawal;
//! - times are `YYYY-MM-DD HH:MM:SS` with no zone (assumed per profile, default UTC);
//! - duplicate column names occur: the first non-empty value wins.
//!
//! The export does not name a purpose: the profile's `"*"` alias for `mailchimp` gives it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{EventDraft, FileImport};
use super::csv_table::{CsvRecord, Header};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method};

pub struct Mailchimp;

/// Which of the three member lists a file is, told by its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberList {
    Subscribed,
    Unsubscribed,
    Cleaned,
}

fn list_of(h: &Header) -> MemberList {
    if h.find("UNSUB_TIME").is_some() {
        MemberList::Unsubscribed
    } else if h.find("CLEAN_TIME").is_some() {
        MemberList::Cleaned
    } else {
        MemberList::Subscribed
    }
}

/// The first non-empty value among columns of the same name.
fn first<'r>(rec: &'r CsvRecord, columns: &[usize]) -> Option<&'r str> {
    columns.iter().find_map(|c| rec.get(Some(*c)))
}

impl Importer for Mailchimp {
    fn id(&self) -> &'static str {
        "mailchimp"
    }

    fn name(&self) -> &'static str {
        "Mailchimp audience export"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        let Some(h) = &sniff.header else { return 0 };
        let starts_with_email = h.names.first().is_some_and(|n| super::csv_table::fold(n) == "email address");
        let signature = ["OPTIN_TIME", "CONFIRM_TIME", "LEID", "EUID", "MEMBER_RATING"];
        let hits = signature.iter().filter(|c| h.find(c).is_some()).count();
        if starts_with_email && hits >= 3 {
            100
        } else {
            0
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        let mut table = file.open_csv()?;
        let h = table.header.clone();
        let list = list_of(&h);
        let col = |name: &str| h.find_all(name);
        let (email, optin, optin_ip, confirm, confirm_ip) =
            (col("Email Address"), col("OPTIN_TIME"), col("OPTIN_IP"), col("CONFIRM_TIME"), col("CONFIRM_IP"));
        let (leid, euid, first_name, last_name) = (col("LEID"), col("EUID"), col("First Name"), col("Last Name"));
        let (unsub, unsub_campaign, unsub_campaign_id, unsub_reason, unsub_other) = (
            col("UNSUB_TIME"),
            col("UNSUB_CAMPAIGN_TITLE"),
            col("UNSUB_CAMPAIGN_ID"),
            col("UNSUB_REASON"),
            col("UNSUB_REASON_OTHER"),
        );
        let clean = col("CLEAN_TIME");
        if email.is_empty() {
            return Err(ImportError::file(file.name(), "missing the 'Email Address' column"));
        }
        if file.profile().wildcard_purpose("mailchimp").is_none() {
            file.warn(
                "",
                Some("purpose"),
                "a Mailchimp export does not name its purpose and the profile has no purpose with a \"*\" alias for mailchimp; \
                 the consents are kept without a purpose until one is added",
            )?;
        }
        while let Some(rec) = table.next_record()? {
            if file.is_cancelled() {
                return Err(ImportError::file(file.name(), "import cancelled"));
            }
            file.tick(table.bytes_read());
            let locator = format!("line {}", rec.line);
            let raw = rec.raw();
            let subject = match first(&rec, &email).map(Identifier::email) {
                Some(Ok(id)) => id,
                Some(Err(e)) => {
                    file.reject(&locator, Some("Email Address"), &e.to_string(), Some(&raw))?;
                    continue;
                }
                None => {
                    file.reject(&locator, Some("Email Address"), "missing e-mail address", Some(&raw))?;
                    continue;
                }
            };
            let mut times = BTreeMap::new();
            let mut bad = None;
            for (name, cols) in
                [("OPTIN_TIME", &optin), ("CONFIRM_TIME", &confirm), ("UNSUB_TIME", &unsub), ("CLEAN_TIME", &clean)]
            {
                if let Some(c) = cols.iter().copied().find(|c| rec.get(Some(*c)).is_some()) {
                    match file.csv_time(&rec, c, name) {
                        Ok(ts) => {
                            times.insert(name, ts);
                        }
                        Err(e) => {
                            bad = Some((name, e.message));
                            break;
                        }
                    }
                }
            }
            if let Some((field, message)) = bad {
                file.reject(&locator, Some(field), &message, Some(&raw))?;
                continue;
            }
            let row = file.csv_row(&rec)?;
            for (kind, cols) in [("leid", &leid), ("euid", &euid)] {
                if let Some(v) = first(&rec, cols) {
                    if let Ok(other) = Identifier::system("mailchimp", kind, v) {
                        file.link(row, &subject, &other, "same Mailchimp member row")?;
                    }
                }
            }
            if let Some(v) = first(&rec, &first_name) {
                file.attribute(row, &subject, "first_name", v)?;
            }
            if let Some(v) = first(&rec, &last_name) {
                file.attribute(row, &subject, "last_name", v)?;
            }
            let base =
                || EventDraft { subject: Some(subject.clone()), channel: Some("email".into()), ..Default::default() };
            let evidence = |pairs: &[(&str, Option<&str>)]| -> BTreeMap<String, Value> {
                pairs.iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), Value::String(v.to_string())))).collect()
            };
            match (times.get("OPTIN_TIME"), times.get("CONFIRM_TIME")) {
                (Some(opt), confirmed) => {
                    let mut grant = base();
                    grant.kind = Some(EventKind::ConsentGiven);
                    grant.occurred_at = Some(opt.clone());
                    grant.method = Some(Method::ExplicitOptIn);
                    grant.evidence = evidence(&[("OPTIN_IP", first(&rec, &optin_ip))]);
                    file.event(row, &locator, grant)?;
                    if let Some(c) = confirmed.filter(|c| c.utc >= opt.utc) {
                        let mut confirm_ev = base();
                        confirm_ev.kind = Some(EventKind::ConsentConfirmed);
                        confirm_ev.occurred_at = Some(c.clone());
                        confirm_ev.method = Some(Method::DoubleOptIn);
                        confirm_ev.evidence = evidence(&[("CONFIRM_IP", first(&rec, &confirm_ip))]);
                        file.event(row, &locator, confirm_ev)?;
                    } else if confirmed.is_some() {
                        file.warn(
                            &locator,
                            Some("CONFIRM_TIME"),
                            "CONFIRM_TIME is before OPTIN_TIME; not read as a double opt-in confirmation",
                        )?;
                    }
                }
                (None, Some(c)) => {
                    let mut grant = base();
                    grant.kind = Some(EventKind::ConsentGiven);
                    grant.occurred_at = Some(c.clone());
                    grant.method = Some(Method::ImportedList);
                    grant.evidence = evidence(&[
                        ("CONFIRM_IP", first(&rec, &confirm_ip)),
                        ("note", Some("empty OPTIN_TIME: added by import or API, not a signup form")),
                    ]);
                    file.event(row, &locator, grant)?;
                }
                (None, None) => {
                    // SPEC §2 "states as of an export": a subscribed member with no times is
                    // kept as an undated grant — never dropped — that does not move the dated
                    // state. On the other lists the member's list says the rest.
                    if matches!(list, MemberList::Subscribed) {
                        let mut grant = base();
                        grant.kind = Some(EventKind::ConsentGiven);
                        grant.evidence = evidence(&[("state_as_of_export", Some("subscribed"))]);
                        file.event(row, &locator, grant)?;
                    }
                    file.warn(
                        &locator,
                        Some("OPTIN_TIME"),
                        "neither OPTIN_TIME nor CONFIRM_TIME is set: no record of how or when consent was given \
                         (kept as the member's state as of the export, without a date)",
                    )?;
                }
            }
            match list {
                MemberList::Unsubscribed => match times.get("UNSUB_TIME") {
                    Some(t) => {
                        let mut w = base();
                        w.kind = Some(EventKind::ConsentWithdrawn);
                        w.occurred_at = Some(t.clone());
                        w.evidence = evidence(&[
                            ("UNSUB_CAMPAIGN_TITLE", first(&rec, &unsub_campaign)),
                            ("UNSUB_CAMPAIGN_ID", first(&rec, &unsub_campaign_id)),
                            ("UNSUB_REASON", first(&rec, &unsub_reason)),
                            ("UNSUB_REASON_OTHER", first(&rec, &unsub_other)),
                        ]);
                        file.event(row, &locator, w)?;
                    }
                    None => {
                        // Kept as an undated withdrawal as of the export (SPEC §2): never dropped.
                        let mut w = base();
                        w.kind = Some(EventKind::ConsentWithdrawn);
                        w.evidence = evidence(&[
                            ("state_as_of_export", Some("unsubscribed")),
                            ("UNSUB_CAMPAIGN_TITLE", first(&rec, &unsub_campaign)),
                            ("UNSUB_REASON", first(&rec, &unsub_reason)),
                        ]);
                        file.event(row, &locator, w)?;
                        file.warn(
                            &locator,
                            Some("UNSUB_TIME"),
                            "unsubscribed member without UNSUB_TIME: kept as a withdrawal as of the export, without a date",
                        )?;
                    }
                },
                // A bounce is not a withdrawal: nothing more to record as consent.
                MemberList::Cleaned | MemberList::Subscribed => {}
            }
        }
        Ok(())
    }
}
