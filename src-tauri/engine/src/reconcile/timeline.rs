//! One subject's timeline.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use crate::model::timestamp::format_millis;
use crate::model::EventKind;
use crate::store::StoreError;

/// A named recipient as the source wrote it and as the profile resolves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recipient {
    pub label: String,
    pub legal_name: Option<String>,
}

impl Recipient {
    /// The name to show and compare: the legal name when the profile knows the party.
    pub fn name(&self) -> &str {
        self.legal_name.as_deref().unwrap_or(&self.label)
    }
}

/// Where an event came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRef {
    pub id: i64,
    pub path: String,
    pub sha256: String,
    pub line: Option<i64>,
    pub locator: String,
    pub row_id: i64,
}

/// One event of a timeline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimelineEvent {
    pub id: i64,
    /// The identifier the source row named.
    pub identifier: String,
    pub system: String,
    /// The kind, with undirected negative signals resolved (SPEC §4.1).
    pub kind: EventKind,
    /// The kind as stored (differs only for negative signals).
    pub stated_kind: EventKind,
    /// Milliseconds since the epoch, UTC; None when the source gives no time.
    pub occurred_at_ms: Option<i64>,
    pub occurred_at_text: Option<String>,
    pub zone_basis: Option<String>,
    pub purpose: Option<String>,
    pub purpose_label: Option<String>,
    pub recipients: Vec<Recipient>,
    pub channel: Option<String>,
    pub method: Option<String>,
    pub capture_source: Option<String>,
    pub collected_by: Option<String>,
    pub notice_version: Option<String>,
    pub evidence: serde_json::Value,
    pub source: SourceRef,
    /// Events from other systems that report the same fact.
    pub corroborated_by: Vec<i64>,
}

impl TimelineEvent {
    /// RFC 3339 UTC of the instant, when known.
    pub fn occurred_at(&self) -> Option<String> {
        self.occurred_at_ms.map(format_millis)
    }

    /// True for grants, refusals, withdrawals, expiries and negative signals.
    pub fn is_consent_state(&self) -> bool {
        matches!(
            self.kind,
            EventKind::ConsentGiven
                | EventKind::ConsentRefused
                | EventKind::ConsentWithdrawn
                | EventKind::ConsentExpired
                | EventKind::ConsentNegative
        )
    }
}

/// Every event of a subject, in time order (events without a time first), identical facts
/// from other systems linked, negative signals resolved.
pub fn subject_events(conn: &Connection, subject_id: i64) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, i.kind, i.value, e.system, e.kind, e.occurred_at, e.occurred_at_text, e.zone_basis,
                e.purpose, e.purpose_label, e.channel, e.method, e.capture_source, e.collected_by,
                e.notice_version, e.evidence, s.id, s.path, s.sha256, r.line, r.locator, r.id
         FROM events e
         JOIN identifiers i ON i.id = e.identifier_id
         JOIN sources s ON s.id = e.source_id
         JOIN source_rows r ON r.id = e.row_id
         WHERE i.subject_id = ?1
         ORDER BY e.occurred_at IS NOT NULL, e.occurred_at, e.id",
    )?;
    let mut events: Vec<TimelineEvent> = stmt
        .query_map(params![subject_id], |r| {
            let kind_text: String = r.get(4)?;
            let kind = kind_text.parse::<EventKind>().unwrap_or(EventKind::Processing);
            let identifier = crate::model::Identifier { kind: r.get(1)?, value: r.get(2)? };
            let evidence: Option<String> = r.get(15)?;
            Ok(TimelineEvent {
                id: r.get(0)?,
                identifier: identifier.to_string(),
                system: r.get(3)?,
                kind,
                stated_kind: kind,
                occurred_at_ms: r.get(5)?,
                occurred_at_text: r.get(6)?,
                zone_basis: r.get(7)?,
                purpose: r.get(8)?,
                purpose_label: r.get(9)?,
                recipients: Vec::new(),
                channel: r.get(10)?,
                method: r.get(11)?,
                capture_source: r.get(12)?,
                collected_by: r.get(13)?,
                notice_version: r.get(14)?,
                evidence: evidence
                    .and_then(|e| serde_json::from_str(&e).ok())
                    .unwrap_or(serde_json::Value::Null),
                source: SourceRef {
                    id: r.get(16)?,
                    path: r.get(17)?,
                    sha256: r.get(18)?,
                    line: r.get(19)?,
                    locator: r.get(20)?,
                    row_id: r.get(21)?,
                },
                corroborated_by: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut recipients = conn.prepare_cached(
        "SELECT er.event_id, er.label, er.legal_name FROM event_recipients er
         JOIN events e ON e.id = er.event_id JOIN identifiers i ON i.id = e.identifier_id
         WHERE i.subject_id = ?1 ORDER BY er.event_id, er.label",
    )?;
    let mut by_event: BTreeMap<i64, Vec<Recipient>> = BTreeMap::new();
    for row in recipients.query_map(params![subject_id], |r| {
        Ok((r.get::<_, i64>(0)?, Recipient { label: r.get(1)?, legal_name: r.get(2)? }))
    })? {
        let (id, rec) = row?;
        by_event.entry(id).or_default().push(rec);
    }
    for e in &mut events {
        if let Some(r) = by_event.remove(&e.id) {
            e.recipients = r;
        }
    }
    link_corroborations(&mut events);
    resolve_negative_signals(&mut events);
    Ok(events)
}

/// Identical facts (kind, instant, purpose, recipients) reported by different systems stay
/// separate events but point at each other.
fn link_corroborations(events: &mut [TimelineEvent]) {
    type Key = (EventKind, Option<i64>, Option<String>, Vec<String>);
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.occurred_at_ms.is_none() || e.purpose.is_none() {
            continue;
        }
        let mut names: Vec<String> = e.recipients.iter().map(|r| r.name().to_lowercase()).collect();
        names.sort();
        let key: Key = (e.stated_kind, e.occurred_at_ms, e.purpose.clone(), names);
        groups.entry(format!("{key:?}")).or_default().push(i);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        for &i in members {
            let others: Vec<i64> = members
                .iter()
                .filter(|&&j| events[j].system != events[i].system)
                .map(|&j| events[j].id)
                .collect();
            events[i].corroborated_by = others;
        }
    }
}

/// SPEC §4.1: a negative signal that does not say which it is becomes a withdrawal when the
/// state of its purpose just before was given or withdrawn, otherwise a refusal. Events are
/// in time order; at equal instants a grant counts as before the negative signal.
pub fn resolve_negative_signals(events: &mut [TimelineEvent]) {
    let mut state: BTreeMap<Option<String>, EventKind> = BTreeMap::new();
    let order: Vec<usize> = {
        let mut idx: Vec<usize> = (0..events.len()).collect();
        idx.sort_by_key(|&i| (events[i].occurred_at_ms, negative_last(events[i].stated_kind), events[i].id));
        idx
    };
    for i in order {
        let e = &mut events[i];
        if !e.is_consent_state() {
            continue;
        }
        if e.stated_kind == EventKind::ConsentNegative {
            e.kind = match state.get(&e.purpose) {
                Some(EventKind::ConsentGiven | EventKind::ConsentWithdrawn) => EventKind::ConsentWithdrawn,
                _ => EventKind::ConsentRefused,
            };
        }
        state.insert(e.purpose.clone(), e.kind);
    }
}

fn negative_last(kind: EventKind) -> u8 {
    u8::from(kind == EventKind::ConsentNegative)
}
