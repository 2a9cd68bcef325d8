//! R4 `incomplete-record`: a grant that lacks who, when, what they were told, or how
//! (ICO records of consent; ISO/IEC TS 27560). "How" is missing only when the method is unknown
//! and no capture source is recorded; "what they were told" when no notice applies (a recorded
//! notice version, or the profile notice in effect for grants the organisation collected).
//! A record made by a consent mechanism records how by itself (SPEC §4.1): a TC string (CMP id,
//! consent screen), a Segment consent-preferences event, a OneTrust receipt, a Kantara or DPV
//! record — the mechanism is its capture source. A TC string also records what the person was
//! told: the TCF policy version and the vendor list version (the standard purpose texts and the
//! vendors). Grants for unmapped purposes are not judged.

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::Method;
use crate::reconcile::state::{has_notice, is_tc_string, method_of};
use crate::reconcile::timeline::TimelineEvent;

/// Systems whose every consent record is made by a consent mechanism (a CMP or a consent
/// receipt standard), so the record itself shows how consent was expressed.
const CONSENT_MECHANISMS: [&str; 4] = ["segment", "onetrust", "kantara", "dpv"];

/// True when the record shows how consent was expressed.
fn shows_how(g: &TimelineEvent) -> bool {
    method_of(g) != Method::Unknown
        || g.capture_source.is_some()
        || is_tc_string(g)
        || CONSENT_MECHANISMS.contains(&g.system.as_str())
}

pub struct IncompleteRecord;

impl Rule for IncompleteRecord {
    fn id(&self) -> RuleId {
        RuleId::R4
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for g in ctx.grants() {
            let mut missing = Vec::new();
            if g.identifier.trim().is_empty() {
                missing.push("who (no identifier)");
            }
            if g.occurred_at_ms.is_none() {
                missing.push("when (no timestamp)");
            }
            if !has_notice(ctx.profile, g) && !is_tc_string(g) {
                missing.push("what they were told (no notice version or wording)");
            }
            if !shows_how(g) {
                missing.push("how (no method or capture source)");
            }
            if missing.is_empty() {
                continue;
            }
            let at_text = g.occurred_at_ms.map(when).unwrap_or_else(|| "an unrecorded time".into());
            out.flag(
                Trigger {
                    rule: RuleId::R4,
                    severity: Severity::Medium,
                    purpose: g.purpose.clone(),
                    recipient: None,
                    at: g.occurred_at_ms,
                    events: vec![g],
                },
                format!(
                    "The consent for {} recorded by {} at {at_text} does not show {}.",
                    ctx.purpose_label(g.purpose.as_deref()),
                    g.system,
                    missing.join(", ")
                ),
            );
        }
    }
}
