//! R5 `indirect-consent`: a use relying on a grant collected by a third party or bought as a
//! list, with no later direct grant. A later direct grant cures the uses after it, not those
//! before (the grant in force then is the direct one).

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::reconcile::state::{is_indirect, ConsentState};

pub struct IndirectConsent;

impl Rule for IndirectConsent {
    fn id(&self) -> RuleId {
        RuleId::R5
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            // One finding per purpose (SPEC §4.1): the first judgement resting on an indirect grant.
            let judgements = ctx.judgements(u);
            let Some(grant) = judgements.iter().find_map(|j| {
                j.state.grant_in_force.filter(|g| j.state.state == ConsentState::Given && is_indirect(g))
            }) else {
                continue;
            };
            let by = grant.collected_by.as_deref().map(|c| format!(" by {c}")).unwrap_or_default();
            out.flag(
                Trigger {
                    rule: RuleId::R5,
                    severity: Severity::High,
                    purpose: Some(purpose.to_string()),
                    recipient: None,
                    at: Some(t),
                    events: vec![u, grant],
                },
                format!(
                    "On {}, {} for {} relying on consent that was not collected by the organisation itself ({}{by}, recorded by {} on {}); the person never gave consent directly.",
                    when(t),
                    describe_use(u),
                    ctx.purpose_label(Some(purpose)),
                    grant.method.as_deref().unwrap_or("indirect"),
                    grant.system,
                    grant.occurred_at_ms.map(when).unwrap_or_default()
                ),
            );
        }
    }
}
