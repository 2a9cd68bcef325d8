//! R8 `stale-consent`: a use relying on a grant older than the refresh period (calendar months,
//! policy `consent_refresh_months`) with no renewal since.

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::reconcile::state::{add_months, is_indirect, ConsentState};

pub struct StaleConsent;

impl Rule for StaleConsent {
    fn id(&self) -> RuleId {
        RuleId::R8
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        let months = ctx.profile.policy.consent_refresh_months;
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            // One finding per purpose: the first grant relied on that is past the refresh period.
            let stale = ctx.judgements(u).into_iter().find_map(|j| {
                let grant =
                    j.state.grant_in_force.filter(|g| j.state.state == ConsentState::Given && !is_indirect(g))?;
                let g = grant.occurred_at_ms?;
                let stale_from = add_months(g, months)?;
                (t > stale_from).then_some((grant, g))
            });
            let Some((grant, g)) = stale else { continue };
            out.flag(
                Trigger {
                    rule: RuleId::R8,
                    severity: Severity::Low,
                    purpose: Some(purpose.to_string()),
                    recipient: None,
                    at: Some(t),
                    events: vec![u, grant],
                },
                format!(
                    "On {}, {} for {} relying on consent given on {} ({}), more than {months} months earlier and never renewed.",
                    when(t),
                    describe_use(u),
                    ctx.purpose_label(Some(purpose)),
                    when(g),
                    grant.system
                ),
            );
        }
    }
}
