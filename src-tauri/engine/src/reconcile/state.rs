//! Consent state (SPEC §2), kept per (subject, purpose, recipient): the state of (P, X) at an
//! instant is the latest consent event at or before it, across all systems, whose scope covers
//! X — a purpose-wide event covers every recipient, a recipient-scoped event only the
//! recipients it names; on a tie, withdrawal or refusal wins. The purpose-level state (what
//! the organisation's own processing is judged against) is that of the purpose-wide events. A
//! grant made with an invalid method does not establish valid consent. Recipients covered by a
//! grant are those the record names plus those its notice names.
//!
//! Decision (SPEC is silent): where a purpose has no purpose-wide statement yet, only grants
//! naming recipients (ISO 27560 / DPV records, Kantara receipts), the purpose-level state is
//! that of those grants — a person who consented to P for Alpha has consented to P, with Alpha
//! named — while their refusals stay with the recipients they name.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use unicode_normalization::UnicodeNormalization;

use crate::model::timeline::{PartialStatement, TimelineEvent};
use crate::model::{EventKind, Method};
use crate::profile::{Notice, Profile};

/// The state names of SPEC §9 `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ConsentState {
    Given,
    Withdrawn,
    Refused,
    Expired,
    None,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Withdrawn => "withdrawn",
            ConsentState::Refused => "refused",
            ConsentState::Expired => "expired",
            ConsentState::None => "none",
        }
    }

    /// The state a consent event states.
    pub fn of(kind: EventKind) -> ConsentState {
        match kind {
            EventKind::ConsentGiven => ConsentState::Given,
            EventKind::ConsentWithdrawn => ConsentState::Withdrawn,
            EventKind::ConsentRefused | EventKind::ConsentNegative => ConsentState::Refused,
            EventKind::ConsentExpired => ConsentState::Expired,
            _ => ConsentState::None,
        }
    }

    /// True for refused and withdrawn (both say "no").
    pub fn is_negative(self) -> bool {
        matches!(self, ConsentState::Refused | ConsentState::Withdrawn)
    }
}

/// The method of an event, parsed.
pub fn method_of(e: &TimelineEvent) -> Method {
    e.method.as_deref().and_then(|m| m.parse().ok()).unwrap_or(Method::Unknown)
}

/// True for a grant whose method can establish valid consent (SPEC §2, R6).
pub fn is_valid_grant(e: &TimelineEvent) -> bool {
    e.kind == EventKind::ConsentGiven && !method_of(e).is_invalid_for_consent()
}

/// True for a grant someone else collected or bought as a list (R5).
pub fn is_indirect(e: &TimelineEvent) -> bool {
    method_of(e).is_indirect()
}

/// True for an event recorded from an IAB TCF consent string (its evidence holds the string).
pub fn is_tc_string(e: &TimelineEvent) -> bool {
    e.evidence_json.as_deref().is_some_and(|t| t.contains("\"tc_string\""))
}

/// True when a consent event speaks only about the recipients it names (SPEC §2: an ISO 27560
/// record per recipient, a Kantara third party). A TC string is the exception: each string
/// restates the whole purpose — its vendor consents are the complete list, so a later string
/// replaces an earlier one for every vendor — and its vendors are the recipients it covers.
pub fn is_recipient_scoped(e: &TimelineEvent) -> bool {
    !e.recipients.is_empty() && !is_tc_string(e)
}

/// The scope of a consent event as a comparable key: empty for the whole purpose, else the
/// sorted canonical names of its recipients.
pub fn scope_key(e: &TimelineEvent) -> Vec<String> {
    if !is_recipient_scoped(e) {
        return Vec::new();
    }
    let mut names: Vec<String> = e.recipients.iter().map(|r| recipient_key(r.name())).collect();
    names.sort();
    names.dedup();
    names
}

/// True when a recipient-scoped event names the recipient with canonical name `key`.
fn names_recipient(e: &TimelineEvent, key: &str) -> bool {
    e.recipients.iter().any(|r| recipient_key(r.name()) == key)
}

/// One purpose's dated state-changing events of a subject, in order (invalid grants and
/// statements folded into another of their record left out).
#[derive(Debug, Clone)]
pub struct PurposeHistory<'a> {
    pub purpose: String,
    pub entries: Vec<&'a TimelineEvent>,
    /// The purpose-wide events.
    wide: Vec<&'a TimelineEvent>,
    /// The purpose-wide events and the grants that name recipients: the purpose level before
    /// any purpose-wide statement exists.
    level: Vec<&'a TimelineEvent>,
    /// Canonical name → name as first written, for every recipient a scoped event names.
    scoped_recipients: BTreeMap<String, String>,
}

/// What holds at an instant.
#[derive(Debug, Clone)]
pub struct StateAt<'a> {
    pub state: ConsentState,
    /// Start of the current run of this state (e.g. the first withdrawal of a run of them).
    pub since: Option<i64>,
    /// The event that starts the current run.
    pub run_start: Option<&'a TimelineEvent>,
    /// The latest event at or before the instant.
    pub latest: Option<&'a TimelineEvent>,
    /// For a given state: the grant relied on — the latest valid grant of the run, or the
    /// latest direct one when the latest is indirect and a direct one exists in the run.
    pub grant_in_force: Option<&'a TimelineEvent>,
}

impl<'a> StateAt<'a> {
    const NONE: StateAt<'static> =
        StateAt { state: ConsentState::None, since: None, run_start: None, latest: None, grant_in_force: None };
}

/// The state at `t` over one scope's events (sorted).
fn state_in<'a>(entries: &[&'a TimelineEvent], t: i64) -> StateAt<'a> {
    let n = entries.partition_point(|e| e.occurred_at_ms.unwrap_or(i64::MIN) <= t);
    if n == 0 {
        return StateAt::NONE;
    }
    let latest = entries[n - 1];
    let state = ConsentState::of(latest.kind);
    let same_run = |e: &TimelineEvent| match state {
        ConsentState::Withdrawn | ConsentState::Refused => ConsentState::of(e.kind).is_negative(),
        s => ConsentState::of(e.kind) == s,
    };
    let mut start = n - 1;
    while start > 0 && same_run(entries[start - 1]) {
        start -= 1;
    }
    let run_start = entries[start];
    let grant_in_force = (state == ConsentState::Given).then(|| {
        if is_indirect(latest) {
            entries[start..n].iter().rev().copied().find(|e| !is_indirect(e)).unwrap_or(latest)
        } else {
            latest
        }
    });
    StateAt { state, since: run_start.occurred_at_ms, run_start: Some(run_start), latest: Some(latest), grant_in_force }
}

impl<'a> PurposeHistory<'a> {
    /// Builds every purpose's history from sorted, resolved events.
    pub fn build_all(events: &'a [TimelineEvent]) -> BTreeMap<String, PurposeHistory<'a>> {
        let mut out: BTreeMap<String, PurposeHistory<'a>> = BTreeMap::new();
        for e in events {
            let (Some(purpose), Some(_)) = (&e.purpose, e.occurred_at_ms) else { continue };
            let state_changing = e.folded_into.is_none()
                && matches!(
                    e.kind,
                    EventKind::ConsentGiven
                        | EventKind::ConsentRefused
                        | EventKind::ConsentWithdrawn
                        | EventKind::ConsentExpired
                );
            if !state_changing || (e.kind == EventKind::ConsentGiven && !is_valid_grant(e)) {
                continue;
            }
            let h = out.entry(purpose.clone()).or_insert_with(|| PurposeHistory {
                purpose: purpose.clone(),
                entries: Vec::new(),
                wide: Vec::new(),
                level: Vec::new(),
                scoped_recipients: BTreeMap::new(),
            });
            h.entries.push(e);
            if is_recipient_scoped(e) {
                for r in &e.recipients {
                    h.scoped_recipients.entry(recipient_key(r.name())).or_insert_with(|| r.name().to_string());
                }
                if e.kind == EventKind::ConsentGiven {
                    h.level.push(e);
                }
            } else {
                h.wide.push(e);
                h.level.push(e);
            }
        }
        out
    }

    /// The purpose-level state at `t` (ms since the epoch): what processing by the organisation
    /// itself is judged against.
    pub fn at(&self, t: i64) -> StateAt<'a> {
        let wide = state_in(&self.wide, t);
        if wide.state == ConsentState::None && self.level.len() > self.wide.len() {
            return state_in(&self.level, t);
        }
        wide
    }

    /// The state of the purpose for the recipient `name` at `t`: the latest event covering it.
    /// When no event covers the recipient, the purpose level answers (a grant in force that does
    /// not name the recipient is then what R1 looks at).
    pub fn at_for(&self, t: i64, name: &str) -> StateAt<'a> {
        let key = recipient_key(name);
        if !self.scoped_recipients.contains_key(&key) {
            return self.at(t);
        }
        let covering: Vec<&'a TimelineEvent> =
            self.entries.iter().copied().filter(|e| !is_recipient_scoped(e) || names_recipient(e, &key)).collect();
        let own = state_in(&covering, t);
        if own.state == ConsentState::None {
            return self.at(t);
        }
        own
    }

    /// The recipients some recipient-scoped event names (as first written), in name order.
    pub fn scoped_recipients(&self) -> impl Iterator<Item = &str> + '_ {
        self.scoped_recipients.values().map(String::as_str)
    }
}

/// The profile notice a grant was given under: its recorded version, or — for grants the
/// organisation collected itself — the notice in effect at the grant that covers the purpose.
/// Indirect grants have no notice of ours.
pub fn notice_for<'p>(profile: &'p Profile, grant: &TimelineEvent) -> Option<&'p Notice> {
    if let Some(version) = &grant.notice_version {
        return profile.notices.iter().find(|n| &n.version == version);
    }
    if is_indirect(grant) {
        return None;
    }
    let purpose = grant.purpose.as_deref()?;
    let at = grant.occurred_at_ms?;
    profile
        .notices
        .iter()
        .filter(|n| n.purposes.iter().any(|p| p == purpose))
        .filter_map(|n| notice_start(n).map(|start| (start, n)))
        .filter(|(start, _)| *start <= at)
        .max_by_key(|(start, _)| *start)
        .map(|(_, n)| n)
}

/// True when some notice applies to the grant (recorded version or the rule above).
pub fn has_notice(profile: &Profile, grant: &TimelineEvent) -> bool {
    grant.notice_version.is_some() || notice_for(profile, grant).is_some()
}

fn notice_start(n: &Notice) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(&n.effective_from).ok().map(|d| d.timestamp_millis())
}

/// Canonical name of a recipient for comparisons (SPEC §4.1: case-insensitive and trimmed):
/// also in Unicode NFC, so "Zoé" typed with a combining accent is the same party.
pub fn recipient_key(name: &str) -> String {
    let trimmed = name.trim();
    if unicode_normalization::is_nfc_quick(trimmed.chars()) == unicode_normalization::IsNormalized::Yes {
        trimmed.to_lowercase()
    } else {
        trimmed.nfc().collect::<String>().to_lowercase()
    }
}

/// The recipients a grant covers (SPEC §2): named in the record ∪ named by its notice,
/// as canonical legal names where the profile knows the party.
pub fn covered_recipients(profile: &Profile, grant: &TimelineEvent) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = grant.recipients.iter().map(|r| r.name().to_string()).collect();
    if let Some(n) = notice_for(profile, grant) {
        for r in &n.named_recipients {
            out.insert(profile.resolve_third_party(r).map(|t| t.legal_name.clone()).unwrap_or_else(|| r.clone()));
        }
    }
    out
}

/// True when `name` is among `covered` (case-insensitive).
pub fn covers(covered: &BTreeSet<String>, name: &str) -> bool {
    let k = recipient_key(name);
    covered.iter().any(|c| recipient_key(c) == k)
}

/// RFC 3339 of milliseconds.
pub fn rfc3339(ms: i64) -> String {
    crate::model::timestamp::format_millis(ms)
}

/// Adds calendar months to an instant (the refresh period, R8).
pub fn add_months(ms: i64, months: u32) -> Option<i64> {
    let dt = Utc.timestamp_millis_opt(ms).single()?;
    dt.checked_add_months(chrono::Months::new(months)).map(|d| d.timestamp_millis())
}

/// The state of one named recipient where it differs from its purpose's (SPEC §2: "given;
/// refused for Beta since …").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientState {
    pub recipient: String,
    pub state: ConsentState,
    pub since: Option<String>,
    pub systems: Vec<String>,
}

/// A state a source gives without a date, as of its export (a HubSpot opt-out flag, a Mailchimp
/// member without times). Shown beside the dated state; it never moves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportState {
    pub system: String,
    pub state: ConsentState,
    /// The source's own words for the purpose (a subscription name, a column).
    pub label: Option<String>,
    pub event_id: i64,
}

/// One purpose's state for `state` output, packs and screens.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PurposeState {
    pub purpose: String,
    /// The purpose-level state (dated events).
    pub state: ConsentState,
    pub since: Option<String>,
    /// Recipients the grant in force covers (record ∪ notice).
    pub recipients: Vec<String>,
    pub systems: Vec<String>,
    pub grant_event: Option<i64>,
    /// Set when the grant in force is one record's partial answer for the purpose.
    pub partial: Option<PartialStatement>,
    /// Named recipients whose state differs from the purpose level.
    pub exceptions: Vec<RecipientState>,
    /// Undated states as of an export, latest per system.
    pub as_of_export: Vec<ExportState>,
    /// The whole story in one line, e.g. "given per mailchimp since 2023-01-01T00:00:00Z;
    /// refused for Beta since …; opted out per hubspot as of its export".
    pub summary: String,
}

/// The systems whose own latest event (among `entries`, up to `t`) agrees with `state`.
fn agreeing_systems(entries: &[&TimelineEvent], t: i64, state: ConsentState) -> Vec<String> {
    let mut latest_by_system: BTreeMap<&str, &TimelineEvent> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.occurred_at_ms.unwrap_or(i64::MAX) <= t) {
        latest_by_system.insert(e.system.as_str(), e);
    }
    let agree = |e: &TimelineEvent| {
        let s = ConsentState::of(e.kind);
        s == state || (s.is_negative() && state.is_negative())
    };
    latest_by_system.iter().filter(|(_, e)| agree(e)).map(|(s, _)| s.to_string()).collect()
}

/// Undated statements of a purpose as of their exports: the last one per system.
pub fn export_states(events: &[TimelineEvent], purpose: &str) -> Vec<ExportState> {
    let mut by_system: BTreeMap<&str, ExportState> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.occurred_at_ms.is_none() && e.is_consent_state() && e.purpose.as_deref() == Some(purpose))
    {
        by_system.insert(
            e.system.as_str(),
            ExportState {
                system: e.system.clone(),
                state: ConsentState::of(e.kind),
                label: e.purpose_label.clone(),
                event_id: e.id,
            },
        );
    }
    by_system.into_values().collect()
}

/// "given per mailchimp since …" and the rest of a purpose's story in one line.
fn summarise(
    state: ConsentState,
    since: Option<&str>,
    systems: &[String],
    partial: bool,
    exceptions: &[RecipientState],
    exports: &[ExportState],
) -> String {
    let mut parts = Vec::new();
    let mut head = state.as_str().to_string();
    if partial {
        head.push_str(" (partial)");
    }
    if !systems.is_empty() && state != ConsentState::None {
        head.push_str(&format!(" per {}", systems.join(", ")));
    }
    if let Some(since) = since {
        head.push_str(&format!(" since {since}"));
    }
    parts.push(head);
    for x in exceptions {
        let mut text = format!("{} for {}", x.state.as_str(), x.recipient);
        if let Some(since) = &x.since {
            text.push_str(&format!(" since {since}"));
        }
        parts.push(text);
    }
    for x in exports {
        let word = match x.state {
            ConsentState::Given => "given",
            ConsentState::Refused | ConsentState::Withdrawn => "opted out",
            other => other.as_str(),
        };
        parts.push(format!("{word} per {} as of its export", x.system));
    }
    parts.join("; ")
}

/// The state of every purpose a subject's events mention (and every profile purpose), at `t`:
/// the purpose level, the named recipients whose state differs, and the undated states as of
/// an export.
pub fn subject_state(profile: &Profile, events: &[TimelineEvent], t: i64) -> Vec<PurposeState> {
    let histories = PurposeHistory::build_all(events);
    let mut purposes: BTreeSet<String> = profile.purposes.iter().map(|p| p.id.clone()).collect();
    purposes.extend(events.iter().filter(|e| e.is_consent_state()).filter_map(|e| e.purpose.clone()));
    purposes
        .into_iter()
        .map(|purpose| {
            let as_of_export = export_states(events, &purpose);
            let Some(h) = histories.get(&purpose) else {
                let summary = summarise(ConsentState::None, None, &[], false, &[], &as_of_export);
                return PurposeState {
                    purpose,
                    state: ConsentState::None,
                    since: None,
                    recipients: vec![],
                    systems: vec![],
                    grant_event: None,
                    partial: None,
                    exceptions: vec![],
                    as_of_export,
                    summary,
                };
            };
            let at = h.at(t);
            let level_entries = if h.wide.is_empty() { &h.level } else { &h.wide };
            let systems = agreeing_systems(level_entries, t, at.state);
            let recipients =
                at.grant_in_force.map(|g| covered_recipients(profile, g).into_iter().collect()).unwrap_or_default();
            let exceptions: Vec<RecipientState> = h
                .scoped_recipients()
                .filter_map(|name| {
                    let x = h.at_for(t, name);
                    let differs = x.state != at.state
                        || (x.state == ConsentState::Given
                            && at.grant_in_force.is_some_and(|g| !covers(&covered_recipients(profile, g), name)));
                    differs.then(|| RecipientState {
                        recipient: name.to_string(),
                        state: x.state,
                        since: x.since.map(rfc3339),
                        systems: x.latest.map(|e| vec![e.system.clone()]).unwrap_or_default(),
                    })
                })
                .collect();
            let since = at.since.map(rfc3339);
            let partial = at.grant_in_force.and_then(|g| g.partial.clone());
            let summary =
                summarise(at.state, since.as_deref(), &systems, partial.is_some(), &exceptions, &as_of_export);
            PurposeState {
                purpose,
                state: at.state,
                since,
                recipients,
                systems,
                grant_event: at.grant_in_force.map(|g| g.id),
                partial,
                exceptions,
                as_of_export,
                summary,
            }
        })
        .collect()
}

/// A stretch of time with one consent state for one purpose (the app's state bars).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StateSegment {
    pub state: ConsentState,
    pub from_ms: i64,
    /// None: the state still holds.
    pub to_ms: Option<i64>,
    /// The event that started the stretch.
    pub event_id: i64,
}

/// One purpose's (or one named recipient's) consent state over time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PurposeBars {
    pub purpose: String,
    /// Set on the bar of a named recipient whose state differs from the purpose's at some time.
    pub recipient: Option<String>,
    pub segments: Vec<StateSegment>,
    /// Undated states as of an export (purpose bars only).
    pub as_of_export: Vec<ExportState>,
}

/// Consecutive segments of `state_at` evaluated at each instant where the state can change.
fn segments_of<'a>(instants: &[i64], state_at: impl Fn(i64) -> StateAt<'a>) -> Vec<StateSegment> {
    let mut segments: Vec<StateSegment> = Vec::new();
    for &t in instants {
        let at = state_at(t);
        let Some(start) = at.run_start else { continue };
        if segments.last().is_some_and(|s| s.state == at.state) {
            continue;
        }
        if let Some(previous) = segments.last_mut() {
            previous.to_ms = Some(t);
        }
        segments.push(StateSegment { state: at.state, from_ms: t, to_ms: None, event_id: start.id });
    }
    segments
}

/// Every purpose's consent state as consecutive segments, computed with the same rule as
/// [`subject_state`] (ties, invalid grants, scopes), followed by a bar for each named recipient
/// whose state ever differs from its purpose's; purposes known only from undated statements get
/// a bar with no segments and their states as of the export.
pub fn state_bars(events: &[TimelineEvent]) -> Vec<PurposeBars> {
    let histories = PurposeHistory::build_all(events);
    let mut purposes: BTreeSet<String> = histories.keys().cloned().collect();
    purposes.extend(
        events.iter().filter(|e| e.occurred_at_ms.is_none() && e.is_consent_state()).filter_map(|e| e.purpose.clone()),
    );
    let mut out = Vec::new();
    for purpose in purposes {
        let as_of_export = export_states(events, &purpose);
        let Some(history) = histories.get(&purpose) else {
            out.push(PurposeBars { purpose, recipient: None, segments: Vec::new(), as_of_export });
            continue;
        };
        let mut instants: Vec<i64> = history.entries.iter().filter_map(|e| e.occurred_at_ms).collect();
        instants.dedup();
        let level = segments_of(&instants, |t| history.at(t));
        out.push(PurposeBars { purpose: purpose.clone(), recipient: None, segments: level.clone(), as_of_export });
        for name in history.scoped_recipients() {
            let own = segments_of(&instants, |t| history.at_for(t, name));
            if own != level {
                out.push(PurposeBars {
                    purpose: purpose.clone(),
                    recipient: Some(name.to_string()),
                    segments: own,
                    as_of_export: Vec::new(),
                });
            }
        }
    }
    out
}
