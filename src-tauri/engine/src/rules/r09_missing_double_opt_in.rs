//! R9 `missing-double-opt-in`: the policy requires double opt-in for the purpose's channel and
//! the grant has no confirmation — a double opt-in record of the same system for the same purpose
//! at or after the grant (Mailchimp `CONFIRM_TIME`, Salesforce `DoubleConsentCaptureDate`), before
//! that system's next grant. A CMP's ordinary "confirmed" transaction is just a grant.

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::{EventKind, Method};
use crate::reconcile::state::method_of;

pub struct MissingDoubleOptIn;

impl Rule for MissingDoubleOptIn {
    fn id(&self) -> RuleId {
        RuleId::R9
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        let channels = &ctx.profile.policy.double_opt_in_channels;
        if channels.is_empty() {
            return;
        }
        let grants: Vec<_> = ctx.grants().collect();
        for (i, g) in grants.iter().enumerate() {
            let Some(channel) = ctx.purpose(g).and_then(|p| p.channel.as_deref()) else { continue };
            if !channels.iter().any(|c| c.eq_ignore_ascii_case(channel)) || method_of(g) == Method::DoubleOptIn {
                continue;
            }
            let next_grant = grants[i + 1..]
                .iter()
                .find(|n| n.system == g.system && n.purpose == g.purpose)
                .and_then(|n| n.occurred_at_ms);
            let confirmed = ctx.events.iter().any(|c| {
                c.kind == EventKind::ConsentConfirmed
                    && c.system == g.system
                    && c.purpose == g.purpose
                    && (c.row_id == g.row_id
                        || (c.occurred_at_ms >= g.occurred_at_ms
                            && next_grant.is_none_or(|n| c.occurred_at_ms < Some(n))))
            });
            if confirmed {
                continue;
            }
            out.flag(
                Trigger {
                    rule: RuleId::R9,
                    severity: Severity::Medium,
                    purpose: g.purpose.clone(),
                    recipient: None,
                    at: g.occurred_at_ms,
                    events: vec![g],
                },
                format!(
                    "The policy requires double opt-in for the {channel} channel, but the consent for {} recorded by {} on {} was never confirmed.",
                    ctx.purpose_label(g.purpose.as_deref()),
                    g.system,
                    g.occurred_at_ms.map(when).unwrap_or_else(|| "an unrecorded date".into())
                ),
            );
        }
    }
}
