//! What the gap rules produce and the store keeps: rule ids, severities, findings and an
//! audit's summary. Plain data, so that the store can read and write them without depending on
//! the rules that raise them.

use std::collections::BTreeMap;

/// Rule identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum RuleId {
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    R10,
    R11,
}

impl RuleId {
    pub const ALL: [RuleId; 11] = [
        RuleId::R1,
        RuleId::R2,
        RuleId::R3,
        RuleId::R4,
        RuleId::R5,
        RuleId::R6,
        RuleId::R7,
        RuleId::R8,
        RuleId::R9,
        RuleId::R10,
        RuleId::R11,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::R1 => "R1",
            RuleId::R2 => "R2",
            RuleId::R3 => "R3",
            RuleId::R4 => "R4",
            RuleId::R5 => "R5",
            RuleId::R6 => "R6",
            RuleId::R7 => "R7",
            RuleId::R8 => "R8",
            RuleId::R9 => "R9",
            RuleId::R10 => "R10",
            RuleId::R11 => "R11",
        }
    }

    /// The rule's code (SPEC §4).
    pub fn code(self) -> &'static str {
        match self {
            RuleId::R1 => "unnamed-recipient",
            RuleId::R2 => "no-valid-consent",
            RuleId::R3 => "processing-after-withdrawal",
            RuleId::R4 => "incomplete-record",
            RuleId::R5 => "indirect-consent",
            RuleId::R6 => "invalid-method",
            RuleId::R7 => "withdrawal-not-propagated",
            RuleId::R8 => "stale-consent",
            RuleId::R9 => "missing-double-opt-in",
            RuleId::R10 => "child-consent",
            RuleId::R11 => "tcf-invalid-legitimate-interest",
        }
    }

    /// The name an officer reads ("Unnamed recipient"), as the app's screens show it (ui/src/rules.ts).
    pub fn name(self) -> &'static str {
        match self {
            RuleId::R1 => "Unnamed recipient",
            RuleId::R2 => "No valid consent",
            RuleId::R3 => "Processing after withdrawal",
            RuleId::R4 => "Incomplete record",
            RuleId::R5 => "Indirect consent",
            RuleId::R6 => "Invalid method",
            RuleId::R7 => "Withdrawal not propagated",
            RuleId::R8 => "Stale consent",
            RuleId::R9 => "Missing double opt-in",
            RuleId::R10 => "Child consent",
            RuleId::R11 => "TCF invalid legitimate interest",
        }
    }

    /// The legal basis the rule rests on (SPEC §4).
    pub fn legal_reference(self) -> &'static str {
        match self {
            RuleId::R1 => "GDPR Art. 4(11), 6(1)(a), 7; EDPB Guidelines 05/2020 ¶64–65; ICO: categories of third parties are not specific enough",
            RuleId::R2 => "GDPR Art. 6(1)(a)",
            RuleId::R3 => "GDPR Art. 7(3), 21(3)",
            RuleId::R4 => "GDPR Art. 7(1); ICO guidance on records of consent; ISO/IEC TS 27560 mandatory fields",
            RuleId::R5 => "PECR reg. 22; ICO direct marketing guidance (indirect consent)",
            RuleId::R6 => "GDPR Art. 4(11), recital 32; CJEU C-673/17 Planet49, C-61/19 Orange Romania",
            RuleId::R7 => "GDPR Art. 7(3), 5(1)(d)",
            RuleId::R8 => "EDPB Guidelines 05/2020 ¶110; ICO: refresh consent at appropriate intervals",
            RuleId::R9 => "National practice (e.g. Germany: double opt-in); organisation policy",
            RuleId::R10 => "GDPR Art. 8",
            RuleId::R11 => "IAB TCF v2.2 policy (legitimate interest not permitted for purposes 3–6)",
        }
    }

    /// Parses `R1` … `R11` or a rule code.
    pub fn parse(text: &str) -> Option<RuleId> {
        let t = text.trim();
        RuleId::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(t) || r.code() == t)
    }
}

/// Finding severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// One finding (SPEC §4, §9 FINDING).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub id: String,
    pub rule: RuleId,
    pub severity: Severity,
    pub subject_id: i64,
    pub subject_key: String,
    pub purpose: Option<String>,
    pub recipient: Option<String>,
    /// Earliest triggering instant (ms UTC); None only when no occurrence has a time (a
    /// grant recorded without one, R4).
    pub at: Option<i64>,
    /// Every triggering instant, sorted.
    pub occurrences: Vec<i64>,
    pub event_ids: Vec<i64>,
    pub systems: Vec<String>,
    pub explanation: String,
}

/// Why a rule could not be evaluated (SPEC §4: never a silent "no findings").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NotEvaluated {
    pub rule: String,
    pub purpose: Option<String>,
    pub reason: String,
}

/// Audit summary (SPEC §9 `audit`); stored with each run, read back by the organisation pack.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditSummary {
    pub findings: usize,
    pub by_rule: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub by_purpose: BTreeMap<String, usize>,
    pub by_system: BTreeMap<String, usize>,
    pub subjects: usize,
    pub events: usize,
    pub rules_run: Vec<String>,
    pub not_evaluated: Vec<NotEvaluated>,
}
