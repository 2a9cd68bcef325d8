//! The profile in force, stored as its JSON document; the built-in one until the user imports.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now_rfc3339, StoreError};
use crate::profile::Profile;

/// The stored profile, or the built-in default when none was imported.
pub fn load(conn: &Connection) -> Result<Profile, StoreError> {
    let doc: Option<String> =
        conn.query_row("SELECT document FROM profile WHERE id = 1", [], |r| r.get(0)).optional()?;
    match doc {
        None => Ok(Profile::builtin()),
        Some(text) => {
            Profile::from_json(&text).map_err(|e| StoreError::NotFound(format!("stored profile is invalid: {e}")))
        }
    }
}

/// Replaces the profile in force.
pub fn save(conn: &Connection, profile: &Profile) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO profile (id, document, updated_at) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
        params![profile.to_json(), now_rfc3339()],
    )?;
    Ok(())
}
