//! R1 `unnamed-recipient`: data reaches a third party the consent never named. The heart of the
//! product: EDPB 05/2020 ¶64–65 — every controller relying on the consent must be named.
//! (1) a disclosure to X for P at t while the valid consent for P at t does not name X;
//! (2) a use of P at t, where the profile says P discloses to X, under a grant (and its
//! notice) that does not name X. Needs valid, direct consent at t (otherwise R2, R3 or R5).

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::EventKind;
use crate::reconcile::state::{covered_recipients, covers, is_indirect, ConsentState};

pub struct UnnamedRecipient;

impl Rule for UnnamedRecipient {
    fn id(&self) -> RuleId {
        RuleId::R1
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            let Some(state) = ctx.state_at(purpose, t) else { continue };
            let Some(grant) = state.grant_in_force.filter(|_| state.state == ConsentState::Given) else { continue };
            if is_indirect(grant) {
                continue;
            }
            let covered = covered_recipients(ctx.profile, grant);
            let profile_recipients = ctx.purpose(u).map(|p| p.recipients.as_slice()).unwrap_or_default();
            let flags_disclosure =
                u.kind == EventKind::Disclosure && u.recipients.iter().any(|r| !covers(&covered, r.name()));
            if !flags_disclosure && profile_recipients.is_empty() {
                // Nothing to flag: skip building the explanation (most uses of a large log).
                continue;
            }
            let named = if covered.is_empty() {
                "names no recipient at all".to_string()
            } else {
                format!("names only {}", covered.iter().cloned().collect::<Vec<_>>().join(", "))
            };
            let notice = grant.notice_version.as_deref().map(|v| format!(" under notice {v}")).unwrap_or_default();
            let mut flag = |recipient: &str, why: String| {
                out.flag(Trigger {
                    rule: RuleId::R1,
                    severity: Severity::High,
                    purpose: Some(purpose.to_string()),
                    recipient: Some(recipient.to_string()),
                    at: Some(t),
                    events: vec![u, grant],
                    detail: why,
                });
            };
            if u.kind == EventKind::Disclosure {
                for r in &u.recipients {
                    if !covers(&covered, r.name()) {
                        flag(
                            r.name(),
                            format!(
                                "On {}, {} for {}. The consent in force (given {} in {}{notice}) {named}; {} was never named to the person.",
                                when(t),
                                describe_use(u),
                                ctx.purpose_label(Some(purpose)),
                                grant.occurred_at_ms.map(when).unwrap_or_default(),
                                grant.system,
                                r.name()
                            ),
                        );
                    }
                }
            }
            if let Some(p) = ctx.purpose(u) {
                for r in &p.recipients {
                    let name =
                        ctx.profile.resolve_third_party(r).map(|t| t.legal_name.clone()).unwrap_or_else(|| r.clone());
                    // A disclosure to the same party was flagged above: the sink merges the two.
                    if !covers(&covered, &name) {
                        flag(
                            &name,
                            format!(
                                "On {}, {} for {}, a purpose the profile says discloses to {name}. The consent relied on (given {} in {}{notice}) {named}.",
                                when(t),
                                describe_use(u),
                                ctx.purpose_label(Some(purpose)),
                                grant.occurred_at_ms.map(when).unwrap_or_default(),
                                grant.system
                            ),
                        );
                    }
                }
            }
        }
    }
}
