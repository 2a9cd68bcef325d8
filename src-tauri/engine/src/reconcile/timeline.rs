//! One subject's timeline.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, Connection};

use crate::model::timestamp::format_millis;
use crate::model::EventKind;
use crate::store::StoreError;

/// A named recipient as the source wrote it and as the profile resolves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// The evidence object as stored (JSON text), parsed on demand.
    pub evidence_json: Option<String>,
    /// Content hash of the fact: a tie-breaker that does not depend on import order.
    #[serde(skip)]
    pub fingerprint: Vec<u8>,
    pub row_id: i64,
    /// Where the event came from (loaded for timelines, not for bulk audits).
    pub source: Option<SourceRef>,
    /// Events from other systems that report the same fact.
    pub corroborated_by: Vec<i64>,
    /// Set on the one grant a record makes for a profile purpose when the record answered its
    /// source purposes differently (SPEC §2 "one record, one statement per profile purpose").
    pub partial: Option<PartialStatement>,
    /// Set on the other statements of such a record (and on repeats of its statement): the id of
    /// the event that speaks for the record. They stay on the timeline as evidence but never
    /// move the consent state.
    pub folded_into: Option<i64>,
}

/// The source purposes one record answered for a profile purpose, when it answered them
/// differently: the record counts as one grant, marked partial.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PartialStatement {
    /// Source purpose labels the record consented to.
    pub consented: Vec<String>,
    /// Source purpose labels the record did not consent to.
    pub not_consented: Vec<String>,
}

impl TimelineEvent {
    /// RFC 3339 UTC of the instant, when known.
    pub fn occurred_at(&self) -> Option<String> {
        self.occurred_at_ms.map(format_millis)
    }

    /// The evidence object.
    pub fn evidence(&self) -> serde_json::Value {
        self.evidence_json.as_deref().and_then(|e| serde_json::from_str(e).ok()).unwrap_or(serde_json::Value::Null)
    }

    /// True for grants, refusals, withdrawals, expiries and negative signals that speak for
    /// their record (statements folded into another one of the same record do not).
    pub fn is_consent_state(&self) -> bool {
        self.folded_into.is_none()
            && matches!(
                self.kind,
                EventKind::ConsentGiven
                    | EventKind::ConsentRefused
                    | EventKind::ConsentWithdrawn
                    | EventKind::ConsentExpired
                    | EventKind::ConsentNegative
            )
    }

    /// True for processing and disclosure: uses of personal data.
    pub fn is_use(&self) -> bool {
        matches!(self.kind, EventKind::Processing | EventKind::Disclosure)
    }
}

const EVENT_COLUMNS: &str = "e.id, i.kind, i.value, e.system, e.kind, e.occurred_at, e.occurred_at_text, e.zone_basis,
    e.purpose, e.purpose_label, e.channel, e.method, e.capture_source, e.collected_by,
    e.notice_version, e.evidence, e.fingerprint, e.row_id";

fn event_from_row(r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<TimelineEvent> {
    let kind_text: String = r.get(offset + 4)?;
    let kind = kind_text.parse::<EventKind>().unwrap_or(EventKind::Processing);
    let identifier = crate::model::Identifier { kind: r.get(offset + 1)?, value: r.get(offset + 2)? };
    Ok(TimelineEvent {
        id: r.get(offset)?,
        identifier: identifier.to_string(),
        system: r.get(offset + 3)?,
        kind,
        stated_kind: kind,
        occurred_at_ms: r.get(offset + 5)?,
        occurred_at_text: r.get(offset + 6)?,
        zone_basis: r.get(offset + 7)?,
        purpose: r.get(offset + 8)?,
        purpose_label: r.get(offset + 9)?,
        recipients: Vec::new(),
        channel: r.get(offset + 10)?,
        method: r.get(offset + 11)?,
        capture_source: r.get(offset + 12)?,
        collected_by: r.get(offset + 13)?,
        notice_version: r.get(offset + 14)?,
        evidence_json: r.get(offset + 15)?,
        fingerprint: r.get(offset + 16)?,
        row_id: r.get(offset + 17)?,
        source: None,
        corroborated_by: Vec::new(),
        partial: None,
        folded_into: None,
    })
}

/// Sorts a subject's events: by instant (events without one first), then grants before
/// negative signals at the same instant (so a withdrawal wins a tie), then by content.
pub fn sort_events(events: &mut [TimelineEvent]) {
    events.sort_by(|a, b| {
        (a.occurred_at_ms, kind_rank(a.stated_kind), &a.system, &a.fingerprint).cmp(&(
            b.occurred_at_ms,
            kind_rank(b.stated_kind),
            &b.system,
            &b.fingerprint,
        ))
    });
}

fn kind_rank(kind: EventKind) -> u8 {
    match kind {
        EventKind::ConsentGiven => 0,
        EventKind::ConsentConfirmed => 1,
        EventKind::ConsentExpired => 2,
        EventKind::ConsentNegative | EventKind::ConsentRefused | EventKind::ConsentWithdrawn => 3,
        EventKind::Processing | EventKind::Disclosure => 4,
    }
}

/// Every event of a subject, in time order, with sources, identical facts from other systems
/// linked and negative signals resolved.
pub fn subject_events(conn: &Connection, subject_id: i64) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS}, s.id, s.path, s.sha256, r.line, r.locator
         FROM event_details e
         JOIN identifiers i ON i.id = e.identifier_id
         JOIN sources s ON s.id = e.source_id
         JOIN source_rows r ON r.id = e.row_id
         WHERE i.subject_id = ?1"
    ))?;
    let mut events: Vec<TimelineEvent> = stmt
        .query_map(params![subject_id], |r| {
            let mut e = event_from_row(r, 0)?;
            e.source = Some(SourceRef {
                id: r.get(18)?,
                path: r.get(19)?,
                sha256: r.get(20)?,
                line: r.get(21)?,
                locator: r.get(22)?,
                row_id: e.row_id,
            });
            Ok(e)
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
    finish(&mut events);
    Ok(events)
}

/// Sorts, folds each record's statements per profile purpose, links corroborations and
/// resolves negative signals.
pub fn finish(events: &mut [TimelineEvent]) {
    sort_events(events);
    link_corroborations(events);
    resolve_statements(events);
}

/// Folds each record's statements per profile purpose and resolves negative signals — what a
/// consent event's kind depends on. Expects the events sorted by [`sort_events`]. Every reader
/// that digests or judges events (timelines, the audit, organisation packs) goes through it.
pub fn resolve_statements(events: &mut [TimelineEvent]) {
    fold_record_statements(events);
    resolve_negative_signals(events);
}

/// SPEC §2: when several source purposes of one record map to one profile purpose (TCF purposes
/// 2, 3, 4, 7 → advertising; several Segment categories), the record makes one statement for
/// that purpose and scope — a grant if any of them is consented (marked partial when some are
/// not), a negative signal only when none is. Folding happens here, on read, rather than at
/// import, because a profile change can map more labels to one purpose long after the import.
/// A negative naming recipients (a DPV refusal for Beta) is a statement of its own scope and is
/// not folded into a grant for the purpose.
fn fold_record_statements(events: &mut [TimelineEvent]) {
    let statement = |e: &TimelineEvent| {
        e.folded_into.is_none()
            && e.purpose.is_some()
            && matches!(
                e.stated_kind,
                EventKind::ConsentGiven
                    | EventKind::ConsentRefused
                    | EventKind::ConsentWithdrawn
                    | EventKind::ConsentNegative
            )
    };
    let mut groups: BTreeMap<(i64, &str, Option<i64>), Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if statement(e) {
            if let Some(purpose) = e.purpose.as_deref() {
                groups.entry((e.row_id, purpose, e.occurred_at_ms)).or_default().push(i);
            }
        }
    }
    let mut folds: Vec<(usize, Option<PartialStatement>, Vec<usize>)> = Vec::new();
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let grants: Vec<usize> =
            members.iter().copied().filter(|&i| events[i].stated_kind == EventKind::ConsentGiven).collect();
        let label = |i: usize| events[i].purpose_label.clone().unwrap_or_default();
        match grants.first() {
            Some(&first) => {
                let scope = super::state::scope_key(&events[first]);
                // Other grants of the same scope repeat the statement; negatives of the whole
                // purpose are the "not consented" part of it.
                let same_grants: Vec<usize> =
                    grants[1..].iter().copied().filter(|&i| super::state::scope_key(&events[i]) == scope).collect();
                let negatives: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| {
                        events[i].stated_kind != EventKind::ConsentGiven
                            && !super::state::is_recipient_scoped(&events[i])
                    })
                    .collect();
                let partial = (!negatives.is_empty()).then(|| {
                    let mut consented: Vec<String> =
                        std::iter::once(first).chain(same_grants.iter().copied()).map(label).collect();
                    let mut not_consented: Vec<String> = negatives.iter().copied().map(label).collect();
                    consented.sort();
                    consented.dedup();
                    not_consented.sort();
                    not_consented.dedup();
                    PartialStatement { consented, not_consented }
                });
                let folded: Vec<usize> = same_grants.into_iter().chain(negatives).collect();
                if partial.is_some() || !folded.is_empty() {
                    folds.push((first, partial, folded));
                }
            }
            None => {
                // Several negatives of one record and scope: one statement.
                let first = members[0];
                let scope = super::state::scope_key(&events[first]);
                let rest: Vec<usize> = members[1..]
                    .iter()
                    .copied()
                    .filter(|&i| {
                        super::state::scope_key(&events[i]) == scope
                            && events[i].stated_kind == events[first].stated_kind
                    })
                    .collect();
                if !rest.is_empty() {
                    folds.push((first, None, rest));
                }
            }
        }
    }
    for (first, partial, folded) in folds {
        let id = events[first].id;
        events[first].partial = partial;
        for i in folded {
            events[i].folded_into = Some(id);
        }
    }
}

/// Every disclosure's recipients by event id, for [`for_each_subject_between`].
pub fn recipients_by_event(conn: &Connection) -> Result<HashMap<i64, Vec<Recipient>>, StoreError> {
    let mut by_event: HashMap<i64, Vec<Recipient>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT event_id, label, legal_name FROM event_recipients ORDER BY event_id, label")?;
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, Recipient { label: r.get(1)?, legal_name: r.get(2)? })))?;
    for row in rows {
        let (id, rec) = row?;
        by_event.entry(id).or_default().push(rec);
    }
    Ok(by_event)
}

/// [`recipients_by_event`] for the events of the subjects with ids from `first` to `last`.
pub fn recipients_between(
    conn: &Connection,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, Vec<Recipient>>, StoreError> {
    let mut by_event: HashMap<i64, Vec<Recipient>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        // CROSS JOIN keeps SQLite from scanning every recipient: the chunk's subjects lead.
        "SELECT r.event_id, r.label, r.legal_name FROM identifiers i
         CROSS JOIN events e ON e.identifier_id = i.id CROSS JOIN event_recipients r ON r.event_id = e.id
         WHERE i.subject_id BETWEEN ?1 AND ?2 ORDER BY r.event_id, r.label",
    )?;
    let rows = stmt.query_map(params![first, last], |r| {
        Ok((r.get::<_, i64>(0)?, Recipient { label: r.get(1)?, legal_name: r.get(2)? }))
    })?;
    for row in rows {
        let (id, rec) = row?;
        by_event.entry(id).or_default().push(rec);
    }
    Ok(by_event)
}

/// Streams every subject's events (without source details, and with evidence only where a rule
/// reads it) to `each`, subject by subject — the audit's input. Memory holds one subject's events at a time plus the recipients index.
pub fn for_each_subject(
    conn: &Connection,
    each: &mut dyn FnMut(i64, Vec<TimelineEvent>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for_each_subject_between(conn, i64::MIN, i64::MAX, &recipients_by_event(conn)?, each)
}

/// [`for_each_subject`] for the subjects with ids from `first` to `last` (inclusive), with the
/// recipients index read once for all ranges: the audit reads ranges on several connections.
pub fn for_each_subject_between(
    conn: &Connection,
    first: i64,
    last: i64,
    recipients: &HashMap<i64, Vec<Recipient>>,
    each: &mut dyn FnMut(i64, Vec<TimelineEvent>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    // Rules read the evidence only for TC strings (R11) and parental authorisation (R10): other
    // evidence stays in SQLite rather than being copied a million times.
    // Nor do they read the original time text or the zone basis.
    let columns = EVENT_COLUMNS
        .replace(
            "e.evidence,",
            "CASE WHEN instr(e.evidence, 'tc_string') OR instr(e.evidence, 'parental') THEN e.evidence END,",
        )
        .replace("e.occurred_at_text, e.zone_basis", "NULL, NULL");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT i.subject_id, {columns} FROM identifiers i JOIN events e ON e.identifier_id = i.id
         WHERE i.subject_id BETWEEN ?1 AND ?2 ORDER BY i.subject_id"
    ))?;
    let mut rows = stmt.query(params![first, last])?;
    let mut current: Option<i64> = None;
    let mut batch: Vec<TimelineEvent> = Vec::new();
    while let Some(r) = rows.next()? {
        let subject: i64 = r.get(0)?;
        let mut e = event_from_row(r, 1)?;
        if let Some(rec) = recipients.get(&e.id) {
            e.recipients = rec.clone();
        }
        if current != Some(subject) {
            if let Some(prev) = current {
                let mut done = std::mem::take(&mut batch);
                finish(&mut done);
                each(prev, done)?;
            }
            current = Some(subject);
        }
        batch.push(e);
    }
    if let Some(prev) = current {
        finish(&mut batch);
        each(prev, batch)?;
    }
    Ok(())
}

/// Identical facts (kind, instant, purpose, recipients) reported by different systems stay
/// separate events but point at each other.
fn link_corroborations(events: &mut [TimelineEvent]) {
    let mut idx: Vec<usize> =
        (0..events.len()).filter(|&i| events[i].occurred_at_ms.is_some() && events[i].purpose.is_some()).collect();
    let key = |e: &TimelineEvent| (e.stated_kind, e.occurred_at_ms, e.purpose.clone());
    idx.sort_by_key(|&i| key(&events[i]));
    let recipients = |e: &TimelineEvent| {
        let mut names: Vec<String> = e.recipients.iter().map(|r| r.name().to_lowercase()).collect();
        names.sort();
        names
    };
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && key(&events[idx[end]]) == key(&events[idx[start]]) {
            end += 1;
        }
        if end - start > 1 {
            let group: Vec<usize> = idx[start..end].to_vec();
            for &i in &group {
                let mine = recipients(&events[i]);
                let others: Vec<i64> = group
                    .iter()
                    .filter(|&&j| events[j].system != events[i].system && recipients(&events[j]) == mine)
                    .map(|&j| events[j].id)
                    .collect();
                events[i].corroborated_by = others;
            }
        }
        start = end;
    }
}

/// SPEC §4.1: a negative signal that does not say which it is becomes a withdrawal when the
/// state just before it was given or withdrawn, otherwise a refusal. "Just before" is the state
/// of its scope (SPEC §2): a purpose-wide signal reads the purpose's state, a signal naming
/// recipients reads the state of those recipients. Expects the events sorted by [`sort_events`]
/// (a grant at the same instant counts as before it). A signal without a date (a flag stating
/// the state as of the export) is read against the last state.
pub fn resolve_negative_signals(events: &mut [TimelineEvent]) {
    let resolve = |before: Option<EventKind>| match before {
        Some(EventKind::ConsentGiven | EventKind::ConsentWithdrawn) => EventKind::ConsentWithdrawn,
        _ => EventKind::ConsentRefused,
    };
    // Latest (sequence, kind) per purpose for purpose-wide events, and per (purpose, recipient)
    // for recipient-scoped ones.
    let mut wide: BTreeMap<Option<String>, (usize, EventKind)> = BTreeMap::new();
    let mut scoped: BTreeMap<(Option<String>, String), (usize, EventKind)> = BTreeMap::new();
    let before = |wide: &BTreeMap<Option<String>, (usize, EventKind)>,
                  scoped: &BTreeMap<(Option<String>, String), (usize, EventKind)>,
                  e: &TimelineEvent| {
        let purpose_wide = wide.get(&e.purpose).copied();
        if super::state::is_recipient_scoped(e) {
            let mut latest = purpose_wide;
            for r in &e.recipients {
                let key = (e.purpose.clone(), super::state::recipient_key(r.name()));
                if let Some(s) = scoped.get(&key) {
                    if latest.is_none_or(|l| s.0 > l.0) {
                        latest = Some(*s);
                    }
                }
            }
            latest.map(|(_, k)| k)
        } else {
            // With no purpose-wide statement yet, a grant to named recipients is what holds.
            purpose_wide
                .or_else(|| {
                    scoped
                        .iter()
                        .filter(|((p, _), (_, k))| p == &e.purpose && *k == EventKind::ConsentGiven)
                        .map(|(_, v)| *v)
                        .max_by_key(|(seq, _)| *seq)
                })
                .map(|(_, k)| k)
        }
    };
    let mut seq = 0usize;
    for e in events.iter_mut().filter(|e| e.is_consent_state() && e.occurred_at_ms.is_some()) {
        if e.stated_kind == EventKind::ConsentNegative {
            e.kind = resolve(before(&wide, &scoped, e));
        }
        // A grant by an invalid method never made the state "given" (SPEC §2), so a negative
        // signal after only such a grant is a refusal.
        if e.kind == EventKind::ConsentGiven && !super::state::is_valid_grant(e) {
            continue;
        }
        seq += 1;
        if super::state::is_recipient_scoped(e) {
            for r in &e.recipients {
                scoped.insert((e.purpose.clone(), super::state::recipient_key(r.name())), (seq, e.kind));
            }
        } else {
            wide.insert(e.purpose.clone(), (seq, e.kind));
        }
    }
    // Undated statements (as of an export) are read against the last dated state and never
    // move it.
    for e in events.iter_mut().filter(|e| {
        e.stated_kind == EventKind::ConsentNegative && e.occurred_at_ms.is_none() && e.folded_into.is_none()
    }) {
        e.kind = resolve(before(&wide, &scoped, e));
    }
}
