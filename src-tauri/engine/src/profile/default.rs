//! The built-in profile: common purposes and the SPEC §2 default policy, so that a new user gets
//! results at once. Kept as a JSON document (the same format users import and export).

use super::Profile;

/// The built-in profile document.
pub const BUILTIN_PROFILE_JSON: &str = include_str!("default-profile.json");

pub(super) fn builtin() -> Profile {
    match Profile::from_json(BUILTIN_PROFILE_JSON) {
        Ok(p) => p,
        // The document is part of the binary and checked by a unit test; reaching this is a
        // build defect, not a user error.
        Err(e) => panic!("built-in profile is invalid: {e}"),
    }
}
