//! R6 `invalid-method`: a grant by a pre-ticked box, implied consent, opt-out or inactivity is
//! not consent (Art. 4(11), recital 32; Planet49; Orange Romania).

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::reconcile::state::method_of;

pub struct InvalidMethod;

impl Rule for InvalidMethod {
    fn id(&self) -> RuleId {
        RuleId::R6
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for g in ctx.grants().filter(|g| method_of(g).is_invalid_for_consent()) {
            out.flag(
                Trigger {
                    rule: RuleId::R6,
                    severity: Severity::High,
                    purpose: g.purpose.clone(),
                    recipient: None,
                    at: g.occurred_at_ms,
                    events: vec![g],
                },
                format!(
                    "The consent for {} recorded by {} on {} was obtained by '{}', which is not a clear affirmative act; it does not count as consent.",
                    ctx.purpose_label(g.purpose.as_deref()),
                    g.system,
                    g.occurred_at_ms.map(when).unwrap_or_else(|| "an unrecorded date".into()),
                    method_of(g)
                ),
            );
        }
    }
}
