//! R10 `child-consent`: the date of birth is known (from any system) and the person was under
//! the age of digital consent on the grant's UTC date, with no parental authorisation recorded
//! (an evidence field `parental_authorisation` / `parental_consent` that is true or names who
//! authorised). The grant still counts as a grant. When sources disagree on the date of birth,
//! the latest (youngest) date is used — the cautious reading for a child — and the finding
//! names the conflict.

use chrono::Datelike;

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};
use crate::reconcile::timeline::TimelineEvent;

pub struct ChildConsent;

/// Age in whole years on `on`.
pub fn age_on(birth: chrono::NaiveDate, on: chrono::NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn parental_authorisation(g: &TimelineEvent) -> bool {
    let evidence = g.evidence();
    ["parental_authorisation", "parental_consent"].iter().any(|k| match evidence.get(k) {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => {
            !s.trim().is_empty() && !matches!(s.trim().to_lowercase().as_str(), "false" | "no" | "0")
        }
        _ => false,
    })
}

impl Rule for ChildConsent {
    fn id(&self) -> RuleId {
        RuleId::R10
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        let Some((birth, recorded_by)) = ctx.birth_dates.iter().max_by_key(|(d, _)| *d) else { return };
        let others: Vec<String> = {
            let mut v: Vec<String> = ctx
                .birth_dates
                .iter()
                .filter(|(d, _)| d != birth)
                .map(|(d, system)| format!("{d} according to {system}"))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let conflict = if others.is_empty() {
            String::new()
        } else {
            format!(
                " Sources disagree on the date of birth (also recorded: {}); the latest date is used.",
                others.join("; ")
            )
        };
        let limit = ctx.profile.policy.age_of_digital_consent as i32;
        for g in ctx.grants() {
            let Some(t) = g.occurred_at_ms else { continue };
            let Some(on) = chrono::DateTime::from_timestamp_millis(t).map(|d| d.date_naive()) else { continue };
            let age = age_on(*birth, on);
            if age >= limit || parental_authorisation(g) {
                continue;
            }
            out.flag(
                Trigger {
                    rule: RuleId::R10,
                    severity: Severity::High,
                    purpose: g.purpose.clone(),
                    recipient: None,
                    at: Some(t),
                    events: vec![g],
                },
                format!(
                    "The person (born {birth}, according to {recorded_by}) was {age} when consent for {} was recorded by {} on {}, under the age of digital consent ({limit}), and no parental authorisation is recorded.{conflict}",
                    ctx.purpose_label(g.purpose.as_deref()),
                    g.system,
                    when(t)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_years() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(age_on(d("2009-02-01"), d("2025-01-31")), 15);
        assert_eq!(age_on(d("2009-02-01"), d("2025-02-01")), 16);
        assert_eq!(age_on(d("2008-02-29"), d("2024-02-28")), 15);
    }
}
