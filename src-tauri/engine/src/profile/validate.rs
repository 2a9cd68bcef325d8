//! Profile validation: serde for shape (its errors carry the JSON path through
//! `serde_path_to_error`-style tracking done by hand here) and semantic checks that name the path.

use super::{Profile, PROFILE_FORMAT};

/// A profile document that cannot be used, with the JSON path of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile {path}: {message}")]
pub struct ProfileError {
    /// JSON path, e.g. `$.purposes[2].lawful_basis`.
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> ProfileError {
    ProfileError { path: path.into(), message: message.into() }
}

const LAWFUL_BASES: &[&str] =
    &["consent", "contract", "legal-obligation", "vital-interests", "public-task", "legitimate-interest"];

pub(super) fn parse(text: &str) -> Result<Profile, ProfileError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| err("$", format!("not valid JSON: {e}")))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(PROFILE_FORMAT) => {}
        Some(other) => {
            return Err(err(
                "$.format",
                format!("unsupported format '{other}' (this version reads '{PROFILE_FORMAT}')"),
            ))
        }
        None => return Err(err("$.format", format!("missing; expected \"{PROFILE_FORMAT}\""))),
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let profile: Profile =
        serde_path_to_error::deserialize(de).map_err(|e| err(format!("$.{}", e.path()), e.inner().to_string()))?;
    check(&profile)?;
    Ok(profile)
}

fn check(p: &Profile) -> Result<(), ProfileError> {
    if p.organisation.name.trim().is_empty() {
        return Err(err("$.organisation.name", "must not be empty"));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, purpose) in p.purposes.iter().enumerate() {
        let at = format!("$.purposes[{i}]");
        if purpose.id.trim().is_empty() {
            return Err(err(format!("{at}.id"), "must not be empty"));
        }
        if !ids.insert(purpose.id.as_str()) {
            return Err(err(format!("{at}.id"), format!("duplicate purpose id '{}'", purpose.id)));
        }
        if !LAWFUL_BASES.contains(&purpose.lawful_basis.as_str()) {
            return Err(err(
                format!("{at}.lawful_basis"),
                format!("'{}' is not one of {}", purpose.lawful_basis, LAWFUL_BASES.join(", ")),
            ));
        }
    }
    for (i, a) in p.activities.iter().enumerate() {
        let at = format!("$.activities[{i}]");
        if a.kind != "processing" && a.kind != "disclosure" {
            return Err(err(format!("{at}.kind"), format!("'{}' must be processing or disclosure", a.kind)));
        }
        if !ids.contains(a.purpose.as_str()) {
            return Err(err(format!("{at}.purpose"), format!("unknown purpose id '{}'", a.purpose)));
        }
    }
    for (i, c) in p.collection_points.iter().enumerate() {
        if let Some(m) = &c.method {
            m.parse::<crate::model::Method>().map_err(|e| err(format!("$.collection_points[{i}].method"), e))?;
        }
    }
    for (i, n) in p.notices.iter().enumerate() {
        let at = format!("$.notices[{i}]");
        chrono::DateTime::parse_from_rfc3339(&n.effective_from)
            .map_err(|e| err(format!("{at}.effective_from"), format!("'{}' is not RFC 3339: {e}", n.effective_from)))?;
        for (j, purpose) in n.purposes.iter().enumerate() {
            if !ids.contains(purpose.as_str()) {
                return Err(err(format!("{at}.purposes[{j}]"), format!("unknown purpose id '{purpose}'")));
            }
        }
    }
    for (i, t) in p.third_parties.iter().enumerate() {
        if t.legal_name.trim().is_empty() {
            return Err(err(format!("$.third_parties[{i}].legal_name"), "must not be empty"));
        }
    }
    for (system, zone) in &p.policy.assumed_time_zone {
        zone.parse::<chrono_tz::Tz>().map_err(|_| {
            err(format!("$.policy.assumed_time_zone.{system}"), format!("'{zone}' is not an IANA time zone"))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(patch: impl FnOnce(&mut serde_json::Value)) -> Result<Profile, ProfileError> {
        let mut v: serde_json::Value = serde_json::from_str(&Profile::builtin().to_json()).unwrap();
        patch(&mut v);
        parse(&v.to_string())
    }

    #[test]
    fn errors_name_the_json_path() {
        let e = with(|v| v["purposes"][1]["lawful_basis"] = "vibes".into()).unwrap_err();
        assert_eq!(e.path, "$.purposes[1].lawful_basis");
        let e = with(|v| v["policy"]["withdrawal_grace_hours"] = "two days".into()).unwrap_err();
        assert_eq!(e.path, "$.policy.withdrawal_grace_hours");
        let e = with(|v| v["format"] = "consenttrail-profile/9".into()).unwrap_err();
        assert_eq!(e.path, "$.format");
        let e = with(|v| v["policy"]["assumed_time_zone"]["hubspot"] = "Mars/Olympus".into()).unwrap_err();
        assert_eq!(e.path, "$.policy.assumed_time_zone.hubspot");
        let e = with(|v| v["purposes"][0]["colour"] = "red".into()).unwrap_err();
        assert!(e.path.starts_with("$.purposes[0]"), "{e}");
        assert!(parse("{not json").unwrap_err().message.contains("not valid JSON"));
    }
}
