//! What a rule sees of one subject, and where it puts what it finds.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::{Finding, RuleId, Severity};
use crate::model::EventKind;
use crate::profile::{Profile, Purpose};
use crate::reconcile::state::{recipient_key, ConsentState, PurposeHistory, StateAt};
use crate::reconcile::timeline::TimelineEvent;

/// One subject's facts, prepared once for all rules.
pub struct SubjectContext<'a> {
    pub profile: &'a Profile,
    pub purposes: &'a BTreeMap<String, &'a Purpose>,
    pub subject_id: i64,
    pub subject_key: String,
    /// Sorted, resolved events.
    pub events: &'a [TimelineEvent],
    pub histories: BTreeMap<String, PurposeHistory<'a>>,
    /// Dates of birth recorded by any source (YYYY-MM-DD), with the system that recorded it.
    pub birth_dates: Vec<(chrono::NaiveDate, String)>,
}

impl<'a> SubjectContext<'a> {
    /// The profile purpose of an event, when mapped.
    pub fn purpose(&self, e: &TimelineEvent) -> Option<&'a Purpose> {
        e.purpose.as_deref().and_then(|p| self.purposes.get(p).copied())
    }

    /// True when the purpose rests on consent (rules about uses only apply then).
    pub fn consent_based(&self, e: &TimelineEvent) -> bool {
        self.purpose(e).is_some_and(|p| p.lawful_basis == "consent")
    }

    /// The purpose-level state at an instant (what the organisation's own processing is
    /// judged against).
    pub fn state_at(&self, purpose: &str, t: i64) -> Option<StateAt<'a>> {
        self.histories.get(purpose).map(|h| h.at(t))
    }

    /// What a use is judged against (SPEC §2, §4.1): a disclosure to X judges the state of
    /// (P, X) — one judgement per named recipient — and processing by the organisation itself
    /// (or a disclosure naming nobody) judges the purpose-level state. A recipient no consent
    /// event speaks about gets the purpose level, so a grant in force that does not name it is
    /// R1, not R2.
    pub fn judgements(&self, u: &'a TimelineEvent) -> Vec<UseJudgement<'a>> {
        let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { return Vec::new() };
        let history = self.histories.get(purpose);
        let none =
            || StateAt { state: ConsentState::None, since: None, run_start: None, latest: None, grant_in_force: None };
        if u.kind == EventKind::Disclosure && !u.recipients.is_empty() {
            u.recipients
                .iter()
                .map(|r| UseJudgement {
                    recipient: Some(r.name()),
                    state: history.map(|h| h.at_for(t, r.name())).unwrap_or_else(none),
                })
                .collect()
        } else {
            vec![UseJudgement { recipient: None, state: history.map(|h| h.at(t)).unwrap_or_else(none) }]
        }
    }

    /// True when an event's label maps to no profile purpose: SPEC §4.1, such consents, uses
    /// and disclosures are not judged (the audit summary counts them instead).
    pub fn unmapped(&self, e: &TimelineEvent) -> bool {
        self.purpose(e).is_none()
    }

    /// Uses (processing, disclosure) with an instant and a consent-based purpose.
    pub fn consent_uses(&self) -> impl Iterator<Item = &'a TimelineEvent> + '_ {
        self.events.iter().filter(move |e| e.is_use() && e.occurred_at_ms.is_some() && self.consent_based(e))
    }

    /// Grants (valid or not) for profile purposes, one per record and purpose (SPEC §2): a
    /// grant folded into its record's statement, or for an unmapped label, is not judged.
    pub fn grants(&self) -> impl Iterator<Item = &'a TimelineEvent> + '_ {
        self.events
            .iter()
            .filter(move |e| e.kind == EventKind::ConsentGiven && e.folded_into.is_none() && !self.unmapped(e))
    }

    /// A purpose's label for explanations.
    pub fn purpose_label(&self, purpose: Option<&str>) -> String {
        match purpose {
            Some(id) => self.purposes.get(id).map(|p| format!("{} ({id})", p.label)).unwrap_or_else(|| id.to_string()),
            None => "an unmapped purpose".into(),
        }
    }
}

/// One state a use is judged against: for a named recipient of a disclosure, or (recipient
/// None) for the purpose.
pub struct UseJudgement<'a> {
    pub recipient: Option<&'a str>,
    pub state: StateAt<'a>,
}

/// A triggering occurrence a rule reports.
pub struct Trigger<'e> {
    pub rule: RuleId,
    pub severity: Severity,
    pub purpose: Option<String>,
    pub recipient: Option<String>,
    /// The triggering instant; None for a grant recorded without a time (R4).
    pub at: Option<i64>,
    pub events: Vec<&'e TimelineEvent>,
}

#[derive(Default)]
struct Pending {
    /// The recipient as first written (names compare case-insensitively, SPEC §4.1).
    recipient: Option<String>,
    severity: Option<Severity>,
    occurrences: BTreeSet<i64>,
    event_ids: BTreeSet<i64>,
    systems: BTreeSet<String>,
    first: Option<(Option<i64>, String)>,
    count: usize,
}

/// Merges triggers into one finding per (rule, subject, purpose, recipient) (SPEC §4.1).
#[derive(Default)]
pub struct FindingSink {
    pending: BTreeMap<(RuleId, Option<String>, Option<String>), Pending>,
}

impl FindingSink {
    /// Reports one triggering occurrence; `detail` is one sentence about it, in words a
    /// compliance officer reads.
    pub fn flag(&mut self, t: Trigger<'_>, detail: String) {
        self.flag_explained(t, move || detail);
    }

    /// [`Self::flag`] for an occurrence whose explanation is costly to write and often repeated
    /// (R1 flags every use of a purpose): `detail` is called only when this occurrence is the
    /// earliest so far, the one the finding's explanation describes.
    pub fn flag_explained(&mut self, t: Trigger<'_>, detail: impl FnOnce() -> String) {
        let key = t.recipient.as_deref().map(recipient_key);
        let p = self.pending.entry((t.rule, t.purpose, key)).or_default();
        if p.recipient.is_none() {
            p.recipient = t.recipient;
        }
        p.severity = Some(p.severity.map_or(t.severity, |s| s.max(t.severity)));
        if let Some(at) = t.at {
            p.occurrences.insert(at);
        }
        for e in t.events {
            p.event_ids.insert(e.id);
            p.systems.insert(e.system.clone());
        }
        p.count += 1;
        // The explanation describes the earliest occurrence (undated ones come first).
        if p.first.as_ref().is_none_or(|(at, _)| t.at < *at) {
            p.first = Some((t.at, detail()));
        }
    }

    /// The merged findings of one subject.
    pub fn finish(self, subject_id: i64, subject_key: &str) -> Vec<Finding> {
        self.pending
            .into_iter()
            .map(|((rule, purpose, _), p)| {
                let recipient = p.recipient;
                let at = p.occurrences.first().copied();
                let detail = p.first.map(|(_, d)| d).unwrap_or_default();
                let occurrences: Vec<i64> = p.occurrences.into_iter().collect();
                let explanation = if occurrences.len() > 1 {
                    format!("{detail} The same happened {} more time(s) (see occurrences).", occurrences.len() - 1)
                } else {
                    detail
                };
                Finding {
                    id: finding_id(rule, subject_key, purpose.as_deref(), recipient.as_deref()),
                    rule,
                    severity: p.severity.unwrap_or(Severity::Low),
                    subject_id,
                    subject_key: subject_key.to_string(),
                    purpose,
                    recipient,
                    at,
                    occurrences,
                    event_ids: p.event_ids.into_iter().collect(),
                    systems: p.systems.into_iter().collect(),
                    explanation,
                }
            })
            .collect()
    }
}

/// Stable finding id: the same rule, subject, purpose and recipient give the same id in every
/// run, so decisions survive recomputation and re-imports.
pub fn finding_id(rule: RuleId, subject_key: &str, purpose: Option<&str>, recipient: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in [rule.as_str(), subject_key, purpose.unwrap_or(""), &recipient_key(recipient.unwrap_or(""))] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("F-{}", &hex::encode(h.finalize())[..12])
}

/// An instant for explanations: `2023-06-01 02:00 UTC`.
pub fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// "the disclosure to X" / "processing" for explanations.
pub fn describe_use(e: &TimelineEvent) -> String {
    match e.kind {
        EventKind::Disclosure => {
            let to: Vec<&str> = e.recipients.iter().map(|r| r.name()).collect();
            format!("data was disclosed to {} (recorded by {})", to.join(", "), e.system)
        }
        _ => format!("data was processed (recorded by {})", e.system),
    }
}
