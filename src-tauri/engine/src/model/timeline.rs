//! A timeline event as readers see it: what the store reads an event into and the
//! reconciliation, the rules and the packs work on. It lives here, below both the store and
//! the reconciliation, so that the store can build it without importing the layer above.

use crate::model::timestamp::format_millis;
use crate::model::EventKind;

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
