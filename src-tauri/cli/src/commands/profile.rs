//! `consent-trail profile import|export`: the organisation profile in force.

use consenttrail_engine::ops;
use consenttrail_engine::store::Store;
use serde_json::json;

use crate::{out, output, ProfileAction};

pub fn profile(store: &mut Store, json: bool, action: &ProfileAction) -> anyhow::Result<()> {
    match action {
        ProfileAction::Import { file } => {
            // Read, saved, events re-derived, then the audit re-run (as the app's Import…).
            let (p, _) = ops::import_profile(store, file, None, json!({"path": file}))?;
            if json {
                output::json(
                    &json!({"imported": file, "organisation": p.organisation.name, "purposes": p.purposes.len()}),
                )?;
            } else {
                out!("Profile of {} imported ({} purposes).", p.organisation.name, p.purposes.len());
            }
        }
        ProfileAction::Export => {
            out!("{}", ops::export_profile(store)?);
        }
    }
    Ok(())
}
