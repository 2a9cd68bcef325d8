//! Event kinds and consent methods (SPEC §2).

use std::fmt;
use std::str::FromStr;

/// What one source fact says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EventKind {
    #[serde(rename = "consent.given")]
    ConsentGiven,
    #[serde(rename = "consent.refused")]
    ConsentRefused,
    #[serde(rename = "consent.withdrawn")]
    ConsentWithdrawn,
    #[serde(rename = "consent.expired")]
    ConsentExpired,
    /// A double opt-in confirmation click; belongs to its grant.
    #[serde(rename = "consent.confirmed")]
    ConsentConfirmed,
    /// A negative signal that does not say whether it is a refusal or a withdrawal (a boolean
    /// false, an opt-out flag): SPEC §4.1 decides from the state just before it.
    #[serde(rename = "consent.negative")]
    ConsentNegative,
    /// Data used for a purpose by the organisation itself (e.g. a campaign send).
    #[serde(rename = "processing")]
    Processing,
    /// Data given to a named recipient.
    #[serde(rename = "disclosure")]
    Disclosure,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::ConsentGiven,
        EventKind::ConsentRefused,
        EventKind::ConsentWithdrawn,
        EventKind::ConsentExpired,
        EventKind::ConsentConfirmed,
        EventKind::ConsentNegative,
        EventKind::Processing,
        EventKind::Disclosure,
    ];

    /// The stored and exported name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ConsentGiven => "consent.given",
            EventKind::ConsentRefused => "consent.refused",
            EventKind::ConsentWithdrawn => "consent.withdrawn",
            EventKind::ConsentExpired => "consent.expired",
            EventKind::ConsentConfirmed => "consent.confirmed",
            EventKind::ConsentNegative => "consent.negative",
            EventKind::Processing => "processing",
            EventKind::Disclosure => "disclosure",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The stored form (every event the audit reads) without allocating.
        if let Some(k) = EventKind::ALL.into_iter().find(|k| k.as_str() == s) {
            return Ok(k);
        }
        let t = s.trim().to_ascii_lowercase();
        EventKind::ALL.into_iter().find(|k| k.as_str() == t).ok_or_else(|| {
            format!(
                "unknown event kind '{}' (expected one of {})",
                s.trim(),
                EventKind::ALL.map(|k| k.as_str()).join(", ")
            )
        })
    }
}

/// How consent was expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    ExplicitOptIn,
    DoubleOptIn,
    PreTicked,
    Implied,
    OptOut,
    Verbal,
    Paper,
    ThirdPartyCollected,
    ImportedList,
    Unknown,
}

impl Method {
    pub const ALL: [Method; 10] = [
        Method::ExplicitOptIn,
        Method::DoubleOptIn,
        Method::PreTicked,
        Method::Implied,
        Method::OptOut,
        Method::Verbal,
        Method::Paper,
        Method::ThirdPartyCollected,
        Method::ImportedList,
        Method::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::ExplicitOptIn => "explicit-opt-in",
            Method::DoubleOptIn => "double-opt-in",
            Method::PreTicked => "pre-ticked",
            Method::Implied => "implied",
            Method::OptOut => "opt-out",
            Method::Verbal => "verbal",
            Method::Paper => "paper",
            Method::ThirdPartyCollected => "third-party-collected",
            Method::ImportedList => "imported-list",
            Method::Unknown => "unknown",
        }
    }

    /// Methods that never establish valid consent (rule R6).
    pub fn is_invalid_for_consent(self) -> bool {
        matches!(self, Method::PreTicked | Method::Implied | Method::OptOut)
    }

    /// Consent collected by someone else (rule R5).
    pub fn is_indirect(self) -> bool {
        matches!(self, Method::ThirdPartyCollected | Method::ImportedList)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The stored form (every event the audit reads) without allocating.
        if let Some(m) = Method::ALL.into_iter().find(|m| m.as_str() == s) {
            return Ok(m);
        }
        let t = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Method::ALL.into_iter().find(|m| m.as_str() == t).ok_or_else(|| {
            format!(
                "unknown consent method '{}' (expected one of {})",
                s.trim(),
                Method::ALL.map(|m| m.as_str()).join(", ")
            )
        })
    }
}
