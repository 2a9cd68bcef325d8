//! Consent state of (subject, purpose) at an instant (SPEC §2): the latest consent event at or
//! before it across all systems; on a tie, withdrawal or refusal wins; a grant made with an
//! invalid method does not establish valid consent. Recipients covered by a grant are those the
//! record names plus those its notice names.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};

use super::timeline::TimelineEvent;
use crate::model::{EventKind, Method};
use crate::profile::{Notice, Profile};

/// The state names of SPEC §9 `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
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

    fn of(kind: EventKind) -> ConsentState {
        match kind {
            EventKind::ConsentGiven => ConsentState::Given,
            EventKind::ConsentWithdrawn => ConsentState::Withdrawn,
            EventKind::ConsentRefused | EventKind::ConsentNegative => ConsentState::Refused,
            EventKind::ConsentExpired => ConsentState::Expired,
            _ => ConsentState::None,
        }
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

/// One purpose's dated state-changing events of a subject, in order (invalid grants left out).
#[derive(Debug, Clone)]
pub struct PurposeHistory<'a> {
    pub purpose: String,
    pub entries: Vec<&'a TimelineEvent>,
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

impl<'a> PurposeHistory<'a> {
    /// Builds every purpose's history from sorted, resolved events.
    pub fn build_all(events: &'a [TimelineEvent]) -> BTreeMap<String, PurposeHistory<'a>> {
        let mut out: BTreeMap<String, PurposeHistory<'a>> = BTreeMap::new();
        for e in events {
            let (Some(purpose), Some(_)) = (&e.purpose, e.occurred_at_ms) else { continue };
            let state_changing = matches!(
                e.kind,
                EventKind::ConsentGiven
                    | EventKind::ConsentRefused
                    | EventKind::ConsentWithdrawn
                    | EventKind::ConsentExpired
            );
            if !state_changing || (e.kind == EventKind::ConsentGiven && !is_valid_grant(e)) {
                continue;
            }
            out.entry(purpose.clone())
                .or_insert_with(|| PurposeHistory { purpose: purpose.clone(), entries: Vec::new() })
                .entries
                .push(e);
        }
        out
    }

    /// The state at `t` (ms since the epoch).
    pub fn at(&self, t: i64) -> StateAt<'a> {
        let n = self.entries.partition_point(|e| e.occurred_at_ms.unwrap_or(i64::MIN) <= t);
        if n == 0 {
            return StateAt {
                state: ConsentState::None,
                since: None,
                run_start: None,
                latest: None,
                grant_in_force: None,
            };
        }
        let latest = self.entries[n - 1];
        let state = ConsentState::of(latest.kind);
        let negative =
            |e: &TimelineEvent| matches!(ConsentState::of(e.kind), ConsentState::Withdrawn | ConsentState::Refused);
        let same_run = |e: &TimelineEvent| match state {
            ConsentState::Withdrawn | ConsentState::Refused => negative(e),
            s => ConsentState::of(e.kind) == s,
        };
        let mut start = n - 1;
        while start > 0 && same_run(self.entries[start - 1]) {
            start -= 1;
        }
        let run_start = self.entries[start];
        let grant_in_force = (state == ConsentState::Given).then(|| {
            if is_indirect(latest) {
                self.entries[start..n].iter().rev().copied().find(|e| !is_indirect(e)).unwrap_or(latest)
            } else {
                latest
            }
        });
        StateAt {
            state,
            since: run_start.occurred_at_ms,
            run_start: Some(run_start),
            latest: Some(latest),
            grant_in_force,
        }
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

/// Canonical name of a recipient for comparisons.
pub fn recipient_key(name: &str) -> String {
    name.trim().to_lowercase()
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

/// One purpose's state for `state` output.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PurposeState {
    pub purpose: String,
    pub state: ConsentState,
    pub since: Option<String>,
    pub recipients: Vec<String>,
    pub systems: Vec<String>,
    pub grant_event: Option<i64>,
}

/// The state of every purpose a subject's events mention (and every profile purpose), at `t`.
pub fn subject_state(profile: &Profile, events: &[TimelineEvent], t: i64) -> Vec<PurposeState> {
    let histories = PurposeHistory::build_all(events);
    let mut purposes: BTreeSet<String> = profile.purposes.iter().map(|p| p.id.clone()).collect();
    purposes.extend(events.iter().filter(|e| e.is_consent_state()).filter_map(|e| e.purpose.clone()));
    purposes
        .into_iter()
        .map(|purpose| {
            let Some(h) = histories.get(&purpose) else {
                return PurposeState {
                    purpose,
                    state: ConsentState::None,
                    since: None,
                    recipients: vec![],
                    systems: vec![],
                    grant_event: None,
                };
            };
            let at = h.at(t);
            // The systems whose own latest event agrees with the state.
            let mut latest_by_system: BTreeMap<&str, &TimelineEvent> = BTreeMap::new();
            for e in h.entries.iter().filter(|e| e.occurred_at_ms.unwrap_or(i64::MAX) <= t) {
                latest_by_system.insert(e.system.as_str(), e);
            }
            let agree = |e: &TimelineEvent| {
                let s = ConsentState::of(e.kind);
                s == at.state
                    || matches!(
                        (s, at.state),
                        (ConsentState::Refused, ConsentState::Withdrawn)
                            | (ConsentState::Withdrawn, ConsentState::Refused)
                    )
            };
            let systems = latest_by_system.iter().filter(|(_, e)| agree(e)).map(|(s, _)| s.to_string()).collect();
            let recipients =
                at.grant_in_force.map(|g| covered_recipients(profile, g).into_iter().collect()).unwrap_or_default();
            PurposeState {
                purpose,
                state: at.state,
                since: at.since.map(rfc3339),
                recipients,
                systems,
                grant_event: at.grant_in_force.map(|g| g.id),
            }
        })
        .collect()
}

/// A stretch of time with one consent state for one purpose (the app's state bars).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StateSegment {
    pub state: ConsentState,
    pub from_ms: i64,
    /// None: the state still holds.
    pub to_ms: Option<i64>,
    /// The event that started the stretch.
    pub event_id: i64,
}

/// One purpose's consent state over time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurposeBars {
    pub purpose: String,
    pub segments: Vec<StateSegment>,
}

/// Every purpose's consent state as consecutive segments, computed with the same rule as
/// [`subject_state`] (ties, invalid grants) evaluated at each instant where the state can change.
pub fn state_bars(events: &[TimelineEvent]) -> Vec<PurposeBars> {
    PurposeHistory::build_all(events)
        .into_values()
        .map(|history| {
            let mut segments: Vec<StateSegment> = Vec::new();
            let mut instants: Vec<i64> = history.entries.iter().filter_map(|e| e.occurred_at_ms).collect();
            instants.dedup();
            for t in instants {
                let at = history.at(t);
                let Some(start) = at.run_start else { continue };
                if segments.last().is_some_and(|s| s.state == at.state) {
                    continue;
                }
                if let Some(previous) = segments.last_mut() {
                    previous.to_ms = Some(t);
                }
                segments.push(StateSegment { state: at.state, from_ms: t, to_ms: None, event_id: start.id });
            }
            PurposeBars { purpose: history.purpose, segments }
        })
        .collect()
}
