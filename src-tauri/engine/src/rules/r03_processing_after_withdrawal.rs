//! R3 `processing-after-withdrawal`: a use of P at t when P was withdrawn at w and
//! t > w + the grace period. The withdrawal instant is the first negative signal of the current
//! run (a copy propagated hours later does not restart the grace); inside the grace period there
//! is no finding of any kind; a re-consent before the use cures it (the state is given again).
//! A disclosure to X is judged on the consent for (P, X).

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
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
            for j in ctx.judgements(u) {
                let (ConsentState::Withdrawn, Some(w_event), Some(w)) =
                    (j.state.state, j.state.run_start, j.state.since)
                else {
                    continue;
                };
                if t <= w + grace_ms {
                    continue;
                }
                let for_whom = j.recipient.map(|r| format!(" for {r}")).unwrap_or_default();
                out.flag(
                    Trigger {
                        rule: RuleId::R3,
                        severity: Severity::High,
                        purpose: Some(purpose.to_string()),
                        recipient: j.recipient.map(str::to_string),
                        at: Some(t),
                        events: vec![u, w_event],
                    },
                    format!(
                        "On {}, {} for {}, but the person withdrew consent{for_whom} on {} ({}), more than the {}-hour grace period before.",
                        when(t),
                        describe_use(u),
                        ctx.purpose_label(Some(purpose)),
                        when(w),
                        w_event.system,
                        ctx.profile.policy.withdrawal_grace_hours
                    ),
                );
            }
        }
    }
}
