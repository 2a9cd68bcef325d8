//! `consent-trail subjects`, `timeline` and `state`: the people in the data.

use anyhow::anyhow;
use consenttrail_engine::reconcile::{state, subjects, timeline};
use consenttrail_engine::store::{identity, profile_doc, Store};
use serde_json::json;

use super::find_subject;
use crate::{out, output};

/// Subjects (optionally those with an identifier containing `search`), `limit` from `offset`.
pub fn list(store: &Store, json: bool, search: Option<&str>, limit: i64, offset: i64) -> anyhow::Result<()> {
    let (list, total) = subjects_up_to(store, search, limit, offset)?;
    let shown_to = offset + list.len() as i64;
    if total > shown_to {
        // On stderr, so that stdout stays the one JSON document of SPEC §9.
        eprintln!(
            "consent-trail: listed subjects {}–{} of {total}; the list was cut at --limit {limit}: use \
             --offset {shown_to} for the next ones, or a larger --limit",
            offset + 1,
            shown_to
        );
    }
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "identifiers": s.identifiers.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>(),
                    "events": s.events,
                    "findings": s.findings,
                    "findings_by_severity": {"high": s.findings_high, "medium": s.findings_medium, "low": s.findings_low},
                    "systems": s.systems,
                })
            })
            .collect();
        output::json(&rows)?;
    } else {
        for s in list {
            let ids: Vec<String> = s.identifiers.iter().map(|i| i.display()).collect();
            out!(
                "{:>6}  {:>5} events  {:>3} findings  {}  [{}]",
                s.id,
                s.events,
                s.findings,
                ids.join(", "),
                s.systems.join(", ")
            );
        }
    }
    Ok(())
}

/// Every event of the subject `identifier` belongs to, in time order.
pub fn timeline(store: &Store, json: bool, identifier: &str) -> anyhow::Result<()> {
    let subject = identity::subject_of(store.conn(), identifier)?
        .ok_or_else(|| anyhow!("no subject has the identifier '{identifier}'"))?;
    let ids = identity::identifiers_of(store.conn(), subject)?;
    let events = timeline::subject_events(store.conn(), subject)?;
    if json {
        let events: Vec<_> = events.iter().map(output::event_json).collect();
        output::json(&json!({
            "subject": {"id": subject, "identifiers": ids.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>()},
            "names": subjects::attributes_of(store.conn(), subject)?,
            "links": identity::links_of(store.conn(), subject)?,
            "events": events,
        }))?;
    } else {
        let shown: Vec<String> = ids.iter().map(|i| i.display()).collect();
        out!("Subject {subject}: {}", shown.join(", "));
        for e in events {
            out!(
                "{:<24} {:<18} {:<16} {:<18} {:<12} {}",
                e.occurred_at().unwrap_or_else(|| "(no time)".into()),
                e.kind.as_str(),
                e.purpose.clone().or(e.purpose_label.clone()).unwrap_or_else(|| "-".into()),
                e.method.clone().unwrap_or_else(|| "-".into()),
                e.system,
                e.source.as_ref().map(|s| format!("{} {}", s.path, s.locator)).unwrap_or_default(),
            );
        }
    }
    Ok(())
}

/// The consent state of every purpose for the subject `identifier` belongs to, at `at` (RFC 3339)
/// or now.
pub fn state(store: &Store, json: bool, identifier: &str, at: Option<&str>) -> anyhow::Result<()> {
    let subject = find_subject(store, identifier)?;
    let t = match at {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| anyhow!("--at '{text}' is not an RFC 3339 instant: {e}"))?
            .timestamp_millis(),
        None => chrono::Utc::now().timestamp_millis(),
    };
    let profile = profile_doc::load(store.conn())?;
    let events = timeline::subject_events(store.conn(), subject)?;
    let purposes = state::subject_state(&profile, &events, t);
    if json {
        output::json(&json!({
            "subject": subject_json(store, subject)?,
            "at": state::rfc3339(t),
            "purposes": purposes,
        }))?;
    } else {
        out!("Consent state of subject {subject} at {}:", state::rfc3339(t));
        for p in purposes {
            out!(
                "  {:<22} {:<10} since {:<22} systems [{}]  recipients [{}]",
                p.purpose,
                p.state.as_str(),
                p.since.clone().unwrap_or_else(|| "-".into()),
                p.systems.join(", "),
                p.recipients.join(", ")
            );
            // Recipient exceptions, partial grants and undated states (SPEC §2) in words.
            if !p.exceptions.is_empty() || !p.as_of_export.is_empty() || p.partial.is_some() {
                out!("  {:<22} {}", "", p.summary);
            }
        }
    }
    Ok(())
}

fn subject_json(store: &Store, subject: i64) -> anyhow::Result<serde_json::Value> {
    let ids = identity::identifiers_of(store.conn(), subject)?;
    Ok(
        json!({"id": subject, "identifiers": ids.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>()}),
    )
}

/// Up to `limit` subjects from `offset` (the engine serves pages of at most 1,000), and how
/// many match in all.
fn subjects_up_to(
    store: &Store,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> anyhow::Result<(Vec<subjects::SubjectSummary>, i64)> {
    let mut rows = Vec::new();
    let mut total = 0;
    let limit = limit.max(0);
    loop {
        let want = (limit - rows.len() as i64).min(1000);
        if want <= 0 {
            break;
        }
        let query = subjects::SubjectQuery {
            search: search.unwrap_or_default().to_string(),
            limit: want,
            offset: offset.max(0) + rows.len() as i64,
            ..Default::default()
        };
        let page = subjects::page(store.conn(), &query)?;
        total = page.total;
        let got = page.rows.len() as i64;
        rows.extend(page.rows);
        if got < want {
            break;
        }
    }
    if limit == 0 {
        let query = subjects::SubjectQuery { search: search.unwrap_or_default().to_string(), ..Default::default() };
        total = subjects::page(store.conn(), &query)?.total;
    }
    Ok((rows, total))
}
