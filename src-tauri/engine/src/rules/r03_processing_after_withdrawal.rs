//! R3 `processing-after-withdrawal`: a use of P at t when P was withdrawn at w and
//! t > w + the grace period. The withdrawal instant is the first negative signal of the current
//! run (a copy propagated hours later does not restart the grace); inside the grace period there
//! is no finding of any kind; a re-consent before the use cures it (the state is given again).

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::EventKind;
use crate::reconcile::state::ConsentState;

pub struct ProcessingAfterWithdrawal;

impl Rule for ProcessingAfterWithdrawal {
    fn id(&self) -> RuleId {
        RuleId::R3
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        let grace_ms = i64::from(ctx.profile.policy.withdrawal_grace_hours) * 3_600_000;
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            let Some(state) = ctx.state_at(purpose, t) else { continue };
            let (ConsentState::Withdrawn, Some(w_event), Some(w)) = (state.state, state.run_start, state.since) else {
                continue;
            };
            if t <= w + grace_ms {
                continue;
            }
            let detail = format!(
                "On {}, {} for {}, but the person withdrew consent on {} ({}), more than the {}-hour grace period before.",
                when(t),
                describe_use(u),
                ctx.purpose_label(Some(purpose)),
                when(w),
                w_event.system,
                ctx.profile.policy.withdrawal_grace_hours
            );
            let recipients: Vec<Option<String>> = if u.kind == EventKind::Disclosure && !u.recipients.is_empty() {
                u.recipients.iter().map(|r| Some(r.name().to_string())).collect()
            } else {
                vec![None]
            };
            for recipient in recipients {
                out.flag(Trigger {
                    rule: RuleId::R3,
                    severity: Severity::High,
                    purpose: Some(purpose.to_string()),
                    recipient,
                    at: Some(t),
                    events: vec![u, w_event],
                    detail: detail.clone(),
                });
            }
        }
    }
}
