//! One subject's timeline.

use std::collections::BTreeMap;

pub use crate::model::timeline::{PartialStatement, Recipient, SourceRef, TimelineEvent};
use crate::model::EventKind;
use crate::store::events::read;
use crate::store::StoreError;

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
pub fn subject_events(conn: &rusqlite::Connection, subject_id: i64) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut events = read::subject_events(conn, subject_id)?;
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
