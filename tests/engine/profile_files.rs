//! Profile files, as the CLI's `profile import`/`export` and the app's Import…/Export… use them
//! (`ops::import_profile`, `ops::export_profile`): one reader, the same document both ways, a
//! refused file leaves the saved profile alone, and the audit log names the document's hash.

use consenttrail_engine::ops::{self, ProfileImportError};
use consenttrail_engine::profile::{diff, Profile, ProfileFile, ProfileFileError};
use consenttrail_engine::store::{audit_log, profile_doc};

use crate::support::*;

#[test]
fn a_profile_file_round_trips_and_only_the_previewed_file_is_imported() {
    let (dir, mut store) = temp_store();
    let exported = ops::export_profile(&store).unwrap();
    assert_eq!(exported, Profile::builtin().to_json());

    let mut edited = Profile::builtin();
    edited.organisation.name = "Fernhill Outdoor Ltd".into();
    let file = dir.path().join("fernhill.json");
    std::fs::write(&file, edited.to_json()).unwrap();
    let preview = ProfileFile::read(&file).unwrap();
    assert_eq!(
        diff::changes(&profile_doc::load(store.conn()).unwrap(), &preview.profile),
        vec!["Organisation: My Organisation → Fernhill Outdoor Ltd"]
    );

    // Changed after the preview: refused, nothing saved.
    let mut again = edited.clone();
    again.organisation.name = "Someone Else Ltd".into();
    std::fs::write(&file, again.to_json()).unwrap();
    let refused = ops::import_profile(&mut store, &file, Some(&preview.sha256), serde_json::json!({}));
    assert!(matches!(refused, Err(ProfileImportError::File(ProfileFileError::Changed { .. }))), "{refused:?}");
    assert_eq!(profile_doc::load(store.conn()).unwrap(), Profile::builtin());

    // The file as previewed: saved, exported back the same, and logged with its hash.
    std::fs::write(&file, edited.to_json()).unwrap();
    let (profile, _) =
        ops::import_profile(&mut store, &file, Some(&preview.sha256), serde_json::json!({"path": file})).unwrap();
    assert_eq!(profile, edited);
    assert_eq!(ops::export_profile(&store).unwrap(), edited.to_json());
    let entries = audit_log::list(store.conn()).unwrap();
    let logged = entries.iter().rev().find(|e| e.action == "profile-import").unwrap();
    assert_eq!(logged.detail["sha256"], preview.sha256.as_str());
    assert_eq!(entries.last().unwrap().action, "audit", "the audit re-runs after the import");
}
