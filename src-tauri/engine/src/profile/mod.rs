//! The organisation profile (SPEC §2): purposes and their aliases per system, notices, third
//! parties, collection points, activities and policy. A user-facing JSON format versioned by
//! `format`; validated on import with errors that name the JSON path.

mod default;
pub mod diff;
mod file;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use file::{ProfileFile, ProfileFileError};
pub use validate::ProfileError;

/// The `format` value of the profile documents this version reads and writes.
pub const PROFILE_FORMAT: &str = "consenttrail-profile/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Profile {
    pub format: String,
    pub organisation: Organisation,
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    #[serde(default)]
    pub collection_points: Vec<CollectionPoint>,
    #[serde(default)]
    pub activities: Vec<Activity>,
    #[serde(default)]
    pub notices: Vec<Notice>,
    #[serde(default)]
    pub third_parties: Vec<ThirdParty>,
    #[serde(default)]
    pub policy: Policy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Organisation {
    pub name: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Purpose {
    pub id: String,
    pub label: String,
    pub lawful_basis: String,
    #[serde(default)]
    pub channel: Option<String>,
    /// Third parties this purpose discloses to (legal names or aliases).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Labels per importer id; `"*"` as a key means any system, `"*"` as a label means every
    /// consent in that system's files.
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CollectionPoint {
    pub system: String,
    pub label: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub collected_by: Option<String>,
    #[serde(default)]
    pub notice_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Activity {
    pub system: String,
    pub event: String,
    pub kind: String,
    pub purpose: String,
    #[serde(default)]
    pub recipient_property: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Notice {
    pub version: String,
    pub effective_from: String,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub named_recipients: Vec<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThirdParty {
    pub legal_name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub tcf_vendor_ids: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Policy {
    pub withdrawal_grace_hours: u32,
    pub consent_refresh_months: u32,
    pub double_opt_in_channels: Vec<String>,
    pub age_of_digital_consent: u32,
    /// Zone assumed for zone-less timestamps, per importer id, with `default` for the rest.
    pub assumed_time_zone: BTreeMap<String, String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            withdrawal_grace_hours: 48,
            consent_refresh_months: 24,
            double_opt_in_channels: Vec::new(),
            age_of_digital_consent: 16,
            assumed_time_zone: BTreeMap::from([("default".to_string(), "UTC".to_string())]),
        }
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Profile {
    /// The built-in profile a new user starts with (common purposes, SPEC §2 default policy).
    pub fn builtin() -> Profile {
        default::builtin()
    }

    /// Parses and validates a profile document; errors name the JSON path.
    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        validate::parse(text)
    }

    /// The document as pretty JSON (the export format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The canonical purpose for a label as `system` writes it: an alias for that system,
    /// then for `"*"`, then the purpose id or label itself; last, a `"*"` label (every consent
    /// in that system's files).
    pub fn resolve_purpose(&self, system: &str, label: &str) -> Option<&Purpose> {
        let l = norm(label);
        let alias_match = |key: &str| {
            self.purposes
                .iter()
                .find(|p| p.aliases.get(key).is_some_and(|labels| labels.iter().any(|a| a != "*" && norm(a) == l)))
        };
        if !l.is_empty() {
            if let Some(p) = alias_match(system).or_else(|| alias_match("*")) {
                return Some(p);
            }
            if let Some(p) = self.purposes.iter().find(|p| norm(&p.id) == l || norm(&p.label) == l) {
                return Some(p);
            }
        }
        self.purposes.iter().find(|p| p.aliases.get(system).is_some_and(|labels| labels.iter().any(|a| a == "*")))
    }

    /// The purpose a system's consents belong to when its export names none (a `"*"` alias).
    pub fn wildcard_purpose(&self, system: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.aliases.get(system).is_some_and(|labels| labels.iter().any(|a| a == "*")))
    }

    /// The third party a name refers to, through legal names and aliases (case-insensitive).
    pub fn resolve_third_party(&self, name: &str) -> Option<&ThirdParty> {
        let n = norm(name);
        if n.is_empty() {
            return None;
        }
        self.third_parties.iter().find(|t| norm(&t.legal_name) == n || t.aliases.iter().any(|a| norm(a) == n))
    }

    /// The collection point for a capture label in a system.
    pub fn collection_point(&self, system: &str, label: &str) -> Option<&CollectionPoint> {
        let l = norm(label);
        self.collection_points.iter().find(|c| (c.system == system || c.system == "*") && norm(&c.label) == l)
    }

    /// The zone assumed for zone-less times from `system`.
    pub fn assumed_zone(&self, system: &str) -> &str {
        self.policy
            .assumed_time_zone
            .get(system)
            .or_else(|| self.policy.assumed_time_zone.get("default"))
            .map(String::as_str)
            .unwrap_or("UTC")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profile_round_trips_and_validates() {
        let p = Profile::builtin();
        let text = p.to_json();
        assert_eq!(Profile::from_json(&text).unwrap(), p);
        assert_eq!(p.policy.withdrawal_grace_hours, 48);
        assert_eq!(p.policy.consent_refresh_months, 24);
        assert_eq!(p.policy.age_of_digital_consent, 16);
        assert_eq!(p.assumed_zone("hubspot"), "UTC");
    }

    #[test]
    fn aliases_resolve_per_system_then_any_then_wildcard() {
        let p = Profile::builtin();
        assert_eq!(p.resolve_purpose("salesforce", "Marketing Emails").unwrap().id, "email-marketing");
        assert_eq!(p.resolve_purpose("segment", "Advertising").unwrap().id, "advertising");
        assert_eq!(p.resolve_purpose("consenttrail", "email-marketing").unwrap().id, "email-marketing");
        assert_eq!(p.resolve_purpose("mailchimp", "").unwrap().id, "email-marketing");
        assert!(p.resolve_purpose("salesforce", "Carrier pigeons").is_none());
    }
}
