//! R1 `unnamed-recipient`: data reaches a third party the consent never named. The heart of the
//! product: EDPB 05/2020 ¶64–65 — every controller relying on the consent must be named.
//! (1) a disclosure to X for P at t while the valid consent for (P, X) at t does not name X;
//! (2) a use of P at t, where the profile says P discloses to Y, under a grant (and its
//! notice) that does not name Y. Needs valid, direct consent at t (otherwise R2, R3 or R5).

use super::context::{describe_use, when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::reconcile::state::{covered_recipients, covers, is_indirect, ConsentState, StateAt};
use crate::reconcile::timeline::TimelineEvent;

pub struct UnnamedRecipient;

/// The direct grant in force, when the state is given.
fn direct_grant<'a>(state: &StateAt<'a>) -> Option<&'a TimelineEvent> {
    state.grant_in_force.filter(|g| state.state == ConsentState::Given && !is_indirect(g))
}

impl Rule for UnnamedRecipient {
    fn id(&self) -> RuleId {
        RuleId::R1
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        for u in ctx.consent_uses() {
            let (Some(purpose), Some(t)) = (u.purpose.as_deref(), u.occurred_at_ms) else { continue };
            let profile_recipients = ctx.purpose(u).map(|p| p.recipients.as_slice()).unwrap_or_default();
            // The explanation is written only for the occurrence it describes (the earliest):
            // a purpose used daily repeats the same finding thousands of times.
            let mut flag = |recipient: &str, grant: &TimelineEvent, why: &dyn Fn() -> String| {
                out.flag_explained(
                    Trigger {
                        rule: RuleId::R1,
                        severity: Severity::High,
                        purpose: Some(purpose.to_string()),
                        recipient: Some(recipient.to_string()),
                        at: Some(t),
                        events: vec![u, grant],
                    },
                    why,
                );
            };
            let named = |covered: &std::collections::BTreeSet<String>| {
                if covered.is_empty() {
                    "names no recipient at all".to_string()
                } else {
                    format!("names only {}", covered.iter().cloned().collect::<Vec<_>>().join(", "))
                }
            };
            // "On <when>, <what happened> for <purpose>": how both explanations begin.
            let opening = || format!("On {}, {} for {}", when(t), describe_use(u), ctx.purpose_label(Some(purpose)));
            // "given <when> in <system>[ under notice <v>]) names only …": the grant relied on.
            let grant_words = |g: &TimelineEvent, covered: &std::collections::BTreeSet<String>| {
                let notice = g.notice_version.as_deref().map(|v| format!(" under notice {v}")).unwrap_or_default();
                format!(
                    "given {} in {}{notice}) {}",
                    g.occurred_at_ms.map(when).unwrap_or_default(),
                    g.system,
                    named(covered)
                )
            };
            // (1) each named recipient of a disclosure, against the consent for that recipient.
            for j in ctx.judgements(u) {
                let (Some(recipient), Some(grant)) = (j.recipient, direct_grant(&j.state)) else { continue };
                let covered = covered_recipients(ctx.profile, grant);
                if covers(&covered, recipient) {
                    continue;
                }
                flag(recipient, grant, &|| {
                    format!(
                        "{}. The consent in force ({}; {recipient} was never named to the person.",
                        opening(),
                        grant_words(grant, &covered)
                    )
                });
            }
            // (2) the recipients the profile says the purpose discloses to.
            for r in profile_recipients {
                let name =
                    ctx.profile.resolve_third_party(r).map(|t| t.legal_name.clone()).unwrap_or_else(|| r.clone());
                let Some(history) = ctx.histories.get(purpose) else { continue };
                let state = history.at_for(t, &name);
                let Some(grant) = direct_grant(&state) else { continue };
                let covered = covered_recipients(ctx.profile, grant);
                // A disclosure to the same party was flagged above: the sink merges the two.
                if covers(&covered, &name) {
                    continue;
                }
                flag(&name, grant, &|| {
                    format!(
                        "{}, a purpose the profile says discloses to {name}. The consent relied on ({}.",
                        opening(),
                        grant_words(grant, &covered)
                    )
                });
            }
        }
    }
}
