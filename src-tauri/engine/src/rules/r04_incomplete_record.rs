//! R4 `incomplete-record`: a grant that lacks who, when, what they were told, or how
//! (ICO records of consent; ISO/IEC TS 27560). "How" is missing only when the method is unknown
//! and no capture source is recorded; "what they were told" when no notice applies (a recorded
//! notice version, or the profile notice in effect for grants the organisation collected).

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::Method;
use crate::reconcile::state::{has_notice, method_of};

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
            if !has_notice(ctx.profile, g) {
                missing.push("what they were told (no notice version or wording)");
            }
            if method_of(g) == Method::Unknown && g.capture_source.is_none() {
                missing.push("how (no method or capture source)");
            }
            if missing.is_empty() {
                continue;
            }
            let at_text = g.occurred_at_ms.map(when).unwrap_or_else(|| "an unrecorded time".into());
            out.flag(Trigger {
                rule: RuleId::R4,
                severity: Severity::Medium,
                purpose: g.purpose.clone(),
                recipient: None,
                at: g.occurred_at_ms,
                events: vec![g],
                detail: format!(
                    "The consent for {} recorded by {} at {at_text} does not show {}.",
                    ctx.purpose_label(g.purpose.as_deref()),
                    g.system,
                    missing.join(", ")
                ),
            });
        }
    }
}
