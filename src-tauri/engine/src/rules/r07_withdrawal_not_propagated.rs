//! R7 `withdrawal-not-propagated`: judged on each system's latest consent event for P at the end
//! of the data — system A's latest is a withdrawal or refusal at w, system B's latest is a grant
//! at b < w: B still shows P as given. High when B then processes P after w (beyond the
//! withdrawal grace period, which is the allowed propagation delay), else medium. An opt-out flag
//! without a date (a state as of the export) is never system A, and a set flag means that system
//! does not show P as given.

use std::collections::BTreeMap;

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::model::EventKind;
use crate::reconcile::timeline::TimelineEvent;

pub struct WithdrawalNotPropagated;

impl Rule for WithdrawalNotPropagated {
    fn id(&self) -> RuleId {
        RuleId::R7
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        // Latest dated consent event per (purpose, system); events are sorted by time.
        let mut latest: BTreeMap<(&str, &str), &TimelineEvent> = BTreeMap::new();
        // Statements folded into their record's, and refusals naming recipients (they speak
        // about those recipients, not the purpose), are not a system's word on the purpose.
        for e in ctx.events.iter().filter(|e| {
            e.occurred_at_ms.is_some()
                && e.folded_into.is_none()
                && !(crate::reconcile::state::is_recipient_scoped(e) && e.kind != EventKind::ConsentGiven)
                && !ctx.unmapped(e)
        }) {
            let state_event = matches!(
                e.kind,
                EventKind::ConsentGiven
                    | EventKind::ConsentRefused
                    | EventKind::ConsentWithdrawn
                    | EventKind::ConsentExpired
            );
            if let (true, Some(p)) = (state_event, e.purpose.as_deref()) {
                latest.insert((p, e.system.as_str()), e);
            }
        }
        // A set opt-out flag stating the state as of the export (no date of its own) means that
        // system does not show the purpose as given, whatever its dated records say (SPEC §4.1).
        let flagged_off = |purpose: &str, system: &str| {
            ctx.events.iter().any(|e| {
                e.occurred_at_ms.is_none()
                    && e.system == system
                    && e.purpose.as_deref() == Some(purpose)
                    && matches!(e.kind, EventKind::ConsentWithdrawn | EventKind::ConsentRefused)
            })
        };
        let grace_ms = i64::from(ctx.profile.policy.withdrawal_grace_hours) * 3_600_000;
        let mut by_purpose: BTreeMap<&str, Vec<&TimelineEvent>> = BTreeMap::new();
        for ((p, _), e) in &latest {
            by_purpose.entry(p).or_default().push(e);
        }
        for (purpose, lasts) in by_purpose {
            for a in lasts.iter().filter(|e| matches!(e.kind, EventKind::ConsentWithdrawn | EventKind::ConsentRefused))
            {
                let Some(w) = a.occurred_at_ms else { continue };
                for b in lasts.iter().filter(|e| {
                    e.kind == EventKind::ConsentGiven && e.system != a.system && !flagged_off(purpose, &e.system)
                }) {
                    let Some(bt) = b.occurred_at_ms.filter(|bt| *bt < w) else { continue };
                    // Uses inside the grace period are the expected propagation delay.
                    let used_after: Option<&TimelineEvent> = ctx.events.iter().find(|u| {
                        u.is_use()
                            && u.system == b.system
                            && u.purpose.as_deref() == Some(purpose)
                            && u.occurred_at_ms.is_some_and(|t| t > w + grace_ms)
                    });
                    let mut events = vec![*a, *b];
                    events.extend(used_after);
                    let what = if a.kind == EventKind::ConsentWithdrawn { "withdrew" } else { "refused" };
                    out.flag(
                        Trigger {
                            rule: RuleId::R7,
                            severity: if used_after.is_some() { Severity::High } else { Severity::Medium },
                            purpose: Some(purpose.to_string()),
                            recipient: None,
                            at: Some(w),
                            events,
                        },
                        format!(
                            "The person {what} consent for {} in {} on {}, but {} still shows it as given (its latest record is the grant of {}){}.",
                            ctx.purpose_label(Some(purpose)),
                            a.system,
                            when(w),
                            b.system,
                            when(bt),
                            used_after
                                .and_then(|u| u.occurred_at_ms)
                                .map(|t| format!(", and {} used the data for it afterwards, on {}", b.system, when(t)))
                                .unwrap_or_default()
                        ),
                    );
                }
            }
        }
    }
}
