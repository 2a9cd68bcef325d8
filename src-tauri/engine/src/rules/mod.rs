//! The gap rules R1–R11 (SPEC §4), one module each, registered in [`registry`]. Findings are
//! recomputed deterministically from the events and the profile by [`audit::run`]; decisions
//! an auditor takes on them are kept by stable finding id.

pub mod audit;
pub mod browse;
pub mod context;
pub mod decisions;
pub mod export;
mod r01_unnamed_recipient;
mod r02_no_valid_consent;
mod r03_processing_after_withdrawal;
mod r04_incomplete_record;
mod r05_indirect_consent;
mod r06_invalid_method;
mod r07_withdrawal_not_propagated;
mod r08_stale_consent;
mod r09_missing_double_opt_in;
mod r10_child_consent;
mod r11_tcf_invalid_legitimate_interest;
pub mod subject;

use std::collections::{BTreeMap, BTreeSet};

pub use context::{FindingSink, SubjectContext};

/// The rules' plain data lives in the model, where the store can read it too.
pub use crate::model::finding::{AuditSummary, Finding, NotEvaluated, RuleId, Severity};

/// One rule.
pub trait Rule: Sync {
    fn id(&self) -> RuleId;
    /// Flags what this rule finds in one subject's events.
    fn check(&self, subject: &SubjectContext<'_>, out: &mut FindingSink);
}

/// Every rule, in order.
pub fn registry() -> Vec<&'static dyn Rule> {
    vec![
        &r01_unnamed_recipient::UnnamedRecipient,
        &r02_no_valid_consent::NoValidConsent,
        &r03_processing_after_withdrawal::ProcessingAfterWithdrawal,
        &r04_incomplete_record::IncompleteRecord,
        &r05_indirect_consent::IndirectConsent,
        &r06_invalid_method::InvalidMethod,
        &r07_withdrawal_not_propagated::WithdrawalNotPropagated,
        &r08_stale_consent::StaleConsent,
        &r09_missing_double_opt_in::MissingDoubleOptIn,
        &r10_child_consent::ChildConsent,
        &r11_tcf_invalid_legitimate_interest::TcfInvalidLegitimateInterest,
    ]
}

/// Collects facts across subjects that tell whether a rule had data to work on.
#[derive(Debug, Default)]
pub struct Coverage {
    pub uses_by_purpose: BTreeMap<String, usize>,
    pub disclosures_by_purpose: BTreeMap<String, usize>,
    pub consent_systems_by_purpose: BTreeMap<String, BTreeSet<String>>,
    pub grants: usize,
    pub subjects_with_birth_date: usize,
    pub tc_strings: usize,
    pub unmapped_events: usize,
    /// Events whose label maps to no profile purpose, per system: count and labels (SPEC §4.1,
    /// "not evaluated").
    pub unmapped_by_system: BTreeMap<String, (usize, BTreeSet<String>)>,
}
