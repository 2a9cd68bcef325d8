//! R11 `tcf-invalid-legitimate-interest`: a TC string under policy version ≥ 4 that sets
//! legitimate interest for purposes 3–6 (the TCF importer records them in the evidence as
//! `invalid_li_purposes`). One finding per TC string and profile purpose that an invalid
//! legitimate-interest TCF purpose maps to (SPEC §4.1); TCF purposes the profile does not map
//! are not judged. The instant is the log time of the string.

use std::collections::BTreeSet;

use super::context::{when, Trigger};
use super::{FindingSink, Rule, RuleId, Severity, SubjectContext};

pub struct TcfInvalidLegitimateInterest;

impl Rule for TcfInvalidLegitimateInterest {
    fn id(&self) -> RuleId {
        RuleId::R11
    }

    fn check(&self, ctx: &SubjectContext<'_>, out: &mut FindingSink) {
        let mut seen = BTreeSet::new();
        for e in ctx.events {
            let Some(text) = e.evidence_json.as_deref().filter(|t| t.contains("invalid_li_purposes")) else { continue };
            let Ok(evidence) = serde_json::from_str::<serde_json::Value>(text) else { continue };
            let purposes: Vec<u64> = evidence
                .get("invalid_li_purposes")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
                .unwrap_or_default();
            let tc = evidence.get("tc_string").and_then(|v| v.as_str()).unwrap_or("").to_string();
            let version = evidence.get("tcf_policy_version").and_then(|v| v.as_u64()).unwrap_or(0);
            // TCF v2.2 (policy version 4) is what forbids legitimate interest for purposes 3–6.
            if version < 4 || purposes.is_empty() || !seen.insert(tc.clone()) {
                continue;
            }
            // TCF purposes per profile purpose they map to.
            let mut by_purpose: std::collections::BTreeMap<String, Vec<u64>> = std::collections::BTreeMap::new();
            for p in &purposes {
                if let Some(mapped) = ctx.profile.resolve_purpose("tcf", &p.to_string()) {
                    by_purpose.entry(mapped.id.clone()).or_default().push(*p);
                }
            }
            for (purpose, tcf_purposes) in by_purpose {
                out.flag(
                    Trigger {
                        rule: RuleId::R11,
                        severity: Severity::Medium,
                        purpose: Some(purpose),
                        recipient: None,
                        at: e.occurred_at_ms,
                        events: vec![e],
                    },
                    format!(
                        "A TCF consent string logged {} by {} (policy version {version}) claims legitimate interest for TCF purpose(s) {}, which TCF v2.2 no longer allows.",
                        e.occurred_at_ms.map(when).unwrap_or_else(|| "at an unrecorded time".into()),
                        e.system,
                        tcf_purposes.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
}
