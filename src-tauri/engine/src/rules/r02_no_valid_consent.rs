//! R2 `no-valid-consent`: processing or disclosure for a consent-based purpose with no valid
//! consent at that instant — never given, refused, given only later, expired, or given only by
//! an invalid method. Not for a withdrawn state (R3) nor an indirect grant in force (R5). A
//! disclosure to X is judged on the consent for (P, X): a refusal for Beta alone leaves a
//! disclosure to Alpha untouched.

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::reconcile::state::{is_valid_grant, ConsentState};
use crate::reconcile::timeline::TimelineEvent;

pub struct NoValidConsent;

impl Rule for NoValidConsent {
    fn id(&self) -> RuleId {
        RuleId::R2
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            for j in ctx.judgements(u) {
                let (st, latest) = (j.state.state, j.state.latest);
                if matches!(st, ConsentState::Given | ConsentState::Withdrawn) {
                    continue;
                }
                let same_purpose = |e: &&TimelineEvent| e.purpose.as_deref() == Some(purpose);
                let invalid_before = ctx
                    .grants()
                    .filter(same_purpose)
                    .find(|g| !is_valid_grant(g) && g.occurred_at_ms.is_some_and(|x| x <= t));
                let later = ctx
                    .grants()
                    .filter(same_purpose)
                    .find(|g| is_valid_grant(g) && g.occurred_at_ms.is_some_and(|x| x > t));
                let for_whom = j.recipient.map(|r| format!(" for {r}")).unwrap_or_default();
                let why = match (st, latest) {
                    (ConsentState::Refused, Some(r)) => format!(
                        "the person had refused it{for_whom} on {} ({})",
                        r.occurred_at_ms.map(when).unwrap_or_default(),
                        r.system
                    ),
                    (ConsentState::Expired, Some(r)) => format!(
                        "the consent{for_whom} had expired on {} ({})",
                        r.occurred_at_ms.map(when).unwrap_or_default(),
                        r.system
                    ),
                    _ => match (invalid_before, later) {
                        (Some(g), _) => format!(
                            "the only consent recorded before it was given by an invalid method ({}, {})",
                            g.method.as_deref().unwrap_or("unknown"),
                            g.system
                        ),
                        (None, Some(g)) => format!(
                            "consent was only given later, on {}",
                            g.occurred_at_ms.map(when).unwrap_or_default()
                        ),
                        (None, None) => "no consent for it was ever recorded".to_string(),
                    },
                };
                let mut events = vec![u];
                events.extend(latest);
                events.extend(invalid_before);
                out.flag(
                    Trigger {
                        rule: RuleId::R2,
                        severity: Severity::High,
                        purpose: Some(purpose.to_string()),
                        recipient: j.recipient.map(str::to_string),
                        at: Some(t),
                        events,
                    },
                    format!(
                        "On {}, {} for {}, which relies on consent, but {why}.",
                        when(t),
                        describe_use(u),
                        ctx.purpose_label(Some(purpose))
                    ),
                );
            }
        }
    }
}
