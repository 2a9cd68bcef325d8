//! R2 `no-valid-consent`: processing or disclosure for a consent-based purpose with no valid
//! consent at that instant — never given, refused, given only later, expired, or given only by
//! an invalid method. Not for a withdrawn state (R3) nor an indirect grant in force (R5).

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::EventKind;
use crate::reconcile::state::{is_valid_grant, ConsentState};

pub struct NoValidConsent;

impl Rule for NoValidConsent {
    fn id(&self) -> RuleId {
        RuleId::R2
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            let state = ctx.state_at(purpose, t);
            let (st, latest) = match &state {
                Some(s) => (s.state, s.latest),
                None => (ConsentState::None, None),
            };
            if matches!(st, ConsentState::Given | ConsentState::Withdrawn) {
                continue;
            }
            let same_purpose = |e: &&crate::reconcile::timeline::TimelineEvent| e.purpose.as_deref() == Some(purpose);
            let invalid_before = ctx
                .grants()
                .filter(same_purpose)
                .find(|g| !is_valid_grant(g) && g.occurred_at_ms.is_some_and(|x| x <= t));
            let later = ctx
                .grants()
                .filter(same_purpose)
                .find(|g| is_valid_grant(g) && g.occurred_at_ms.is_some_and(|x| x > t));
            let why = match (st, latest) {
                (ConsentState::Refused, Some(r)) => format!(
                    "the person had refused it on {} ({})",
                    r.occurred_at_ms.map(when).unwrap_or_default(),
                    r.system
                ),
                (ConsentState::Expired, Some(r)) => format!(
                    "the consent had expired on {} ({})",
                    r.occurred_at_ms.map(when).unwrap_or_default(),
                    r.system
                ),
                _ => match (invalid_before, later) {
                    (Some(g), _) => format!(
                        "the only consent recorded before it was given by an invalid method ({}, {})",
                        g.method.as_deref().unwrap_or("unknown"),
                        g.system
                    ),
                    (None, Some(g)) => {
                        format!("consent was only given later, on {}", g.occurred_at_ms.map(when).unwrap_or_default())
                    }
                    (None, None) => "no consent for it was ever recorded".to_string(),
                },
            };
            let mut events = vec![u];
            events.extend(latest);
            events.extend(invalid_before);
            let detail = format!(
                "On {}, {} for {}, which relies on consent, but {why}.",
                when(t),
                describe_use(u),
                ctx.purpose_label(Some(purpose))
            );
            if u.kind == EventKind::Disclosure && !u.recipients.is_empty() {
                for r in &u.recipients {
                    out.flag(Trigger {
                        rule: RuleId::R2,
                        severity: Severity::High,
                        purpose: Some(purpose.to_string()),
                        recipient: Some(r.name().to_string()),
                        at: Some(t),
                        events: events.clone(),
                        detail: detail.clone(),
                    });
                }
            } else {
                out.flag(Trigger {
                    rule: RuleId::R2,
                    severity: Severity::High,
                    purpose: Some(purpose.to_string()),
                    recipient: None,
                    at: Some(t),
                    events,
                    detail,
                });
            }
        }
    }
}
