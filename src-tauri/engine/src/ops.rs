//! The use cases the desktop app and the CLI share, written once (DESIGN.md: "use cases live
//! once, in the engine"). Each step writes in its own transaction (an import one per file, a
//! removal or a profile save one each, the audit one), and every use case that changes the
//! data re-runs the audit, so that the findings an auditor reads, decides on or packs always
//! describe the data as it is — in the app and in the CLI alike.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::import::{self, ImportOptions, ImportReport, Progress};
use crate::pack::{self, PackError, PackOptions, PackOutput, PackProgress, Signer, VerifyReport};
use crate::profile::{Profile, ProfileFile, ProfileFileError};
use crate::rules::decisions::{self, Decision};
use crate::rules::{audit, AuditSummary};
use crate::sample;
use crate::store::{identity, profile_doc, Store, StoreError};

/// What an import did, and the audit it was followed by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub report: ImportReport,
    /// The audit re-run after the import; None when nothing was imported (or it was cancelled).
    pub audit: Option<AuditSummary>,
    /// True when `cancel` stopped the import (the file in progress was rolled back).
    pub cancelled: bool,
}

/// Imports `paths` (one transaction per file), then — when any file brought data and the user
/// did not cancel — re-runs the audit. `on_import` gets the files' progress, `on_audit`
/// `(subjects checked, subjects in all)`.
pub fn import_then_audit(
    store: &mut Store,
    paths: &[PathBuf],
    options: &ImportOptions,
    on_import: &mut dyn FnMut(Progress),
    on_audit: &mut dyn FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<Imported, StoreError> {
    let report = import::import_paths(store, paths, options, on_import, cancel)?;
    let cancelled = cancel.swap(false, Ordering::SeqCst);
    let changed = report.files.iter().any(|f| f.status == "imported");
    let audit = if changed && !cancelled {
        on_audit(0, 0);
        Some(audit::run_stored(store, on_audit)?)
    } else {
        None
    };
    Ok(Imported { report, audit, cancelled })
}

/// Why the sample data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("could not write the sample exports to {}: {source}", dir.display())]
    Write { dir: PathBuf, source: std::io::Error },
    #[error("the sample organisation's profile is invalid: {0}")]
    Profile(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// "Try with sample data": writes the embedded demo exports ([`sample::FILES`]) under `dir`,
/// puts the fictional organisation's profile in force and imports them as [`import_then_audit`]
/// does a user's files (same progress, same cancel). Meant for a separate demo database only —
/// the caller chooses the store; the app and the CLI never pass the user's own.
pub fn import_sample(
    store: &mut Store,
    dir: &Path,
    on_import: &mut dyn FnMut(Progress),
    on_audit: &mut dyn FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<Imported, SampleError> {
    let profile = Profile::from_json(sample::PROFILE_JSON).map_err(|e| SampleError::Profile(e.to_string()))?;
    let paths = sample::write_files(dir).map_err(|source| SampleError::Write { dir: dir.to_path_buf(), source })?;
    import::derive::apply_profile(
        store,
        &profile,
        serde_json::json!({"sample": true, "organisation": profile.organisation.name}),
    )?;
    Ok(import_then_audit(store, &paths, &ImportOptions::default(), on_import, on_audit, cancel)?)
}

/// What removing a source did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Removed {
    pub removed: i64,
    pub events_removed: usize,
    /// The audit re-run afterwards, so no finding points at removed events.
    pub audit: AuditSummary,
}

/// Removes a source and everything derived from it (the removal and its audit-log entry in one
/// transaction), then re-runs the audit.
pub fn remove_source(store: &mut Store, source_id: i64) -> Result<Removed, StoreError> {
    let events_removed = import::derive::remove_source(store.conn_mut(), source_id)?;
    let audit = audit::run_stored(store, &mut |_, _| {})?;
    Ok(Removed { removed: source_id, events_removed, audit })
}

/// What saving the profile did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfileSaved {
    pub events_rederived: usize,
    pub audit: AuditSummary,
}

/// Saves the profile and re-derives the stored events under it (one transaction, with its
/// audit-log entry `detail`), then re-runs the audit.
pub fn save_profile(
    store: &mut Store,
    profile: &Profile,
    detail: serde_json::Value,
) -> Result<ProfileSaved, StoreError> {
    let events_rederived = import::derive::apply_profile(store, profile, detail)?;
    let audit = audit::run_stored(store, &mut |_, _| {})?;
    Ok(ProfileSaved { events_rederived, audit })
}

/// Why a profile file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ProfileImportError {
    #[error(transparent)]
    File(#[from] ProfileFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports the profile document at `path` as [`save_profile`] saves an edited one, for the CLI's
/// `profile import` and the app's Import… alike. With `expected_sha256` (the app's preview) a file
/// that changed since it was read is refused. The audit-log entry is `detail` with the file's
/// SHA-256 added, so the log says exactly which document was put in force.
pub fn import_profile(
    store: &mut Store,
    path: &Path,
    expected_sha256: Option<&str>,
    detail: serde_json::Value,
) -> Result<(Profile, ProfileSaved), ProfileImportError> {
    let file = ProfileFile::read(path)?;
    if expected_sha256.is_some_and(|expected| expected != file.sha256) {
        return Err(ProfileFileError::Changed { path: path.to_path_buf() }.into());
    }
    let mut detail = detail;
    if let Some(object) = detail.as_object_mut() {
        object.insert("sha256".into(), file.sha256.clone().into());
    }
    let saved = save_profile(store, &file.profile, detail)?;
    Ok((file.profile, saved))
}

/// The profile in force as its JSON document (the built-in one until a profile is saved): what
/// the CLI's `profile export` prints and the app's Export… writes (with a final newline).
pub fn export_profile(store: &Store) -> Result<String, StoreError> {
    Ok(profile_doc::load(store.conn())?.to_json())
}

/// Records an auditor's decision on one finding of the latest audit (with its audit-log entry,
/// one transaction): `consent-trail decide ID` and the app's decision form.
pub fn decide(
    store: &Store,
    finding_id: &str,
    status: &str,
    note: &str,
    by: Option<&str>,
) -> Result<Decision, StoreError> {
    decisions::decide(store.conn(), finding_id, status, note, by)
}

/// Records one decision with one note on several findings — all of them with their audit-log
/// entries in one transaction, or none: `consent-trail decide ID ID …` and the app's bulk
/// decision on the Findings screen.
pub fn decide_many<S: AsRef<str>>(
    store: &Store,
    finding_ids: &[S],
    status: &str,
    note: &str,
    by: Option<&str>,
) -> Result<Vec<Decision>, StoreError> {
    decisions::decide_many(store.conn(), finding_ids, status, note, by)
}

/// Which subject a pack is for: the CLI names them by any of their identifiers, the app by the
/// subject id its Subjects screen shows.
#[derive(Debug, Clone, Copy)]
pub enum PackSubject<'a> {
    Identifier(&'a str),
    Id(i64),
}

/// Writes the evidence pack of one subject to `out` and records it in the audit log:
/// `consent-trail pack subject` and the app's subject pack. `signer`: the organisation's key for
/// this pack, or None for the database's own key.
pub fn make_subject_pack(
    store: &Store,
    subject: PackSubject<'_>,
    out: &Path,
    options: &PackOptions,
    signer: Option<&Signer>,
) -> Result<PackOutput, PackError> {
    let identifier = match subject {
        PackSubject::Identifier(identifier) => identifier.to_string(),
        // The pack names its subject by an identifier; any of theirs finds the same subject.
        PackSubject::Id(id) => identity::identifiers_of(store.conn(), id)?
            .first()
            .map(|i| i.display())
            .ok_or_else(|| PackError::NotFound(format!("no subject {id}")))?,
    };
    pack::write_subject_pack_signed(store, &identifier, out, options, signer)
}

/// Writes the organisation pack to `out` (re-running the audit first when the data changed since
/// the last one, so the pack and the Findings screen agree) and records it in the audit log:
/// `consent-trail pack organisation` and the app's organisation pack, with its steps in
/// `progress`.
pub fn make_organisation_pack(
    store: &mut Store,
    out: &Path,
    options: &PackOptions,
    signer: Option<&Signer>,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<PackOutput, PackError> {
    pack::write_organisation_pack_signed(store, out, options, signer, progress)
}

/// Checks the pack at `path`: its signature and seal, and — with a `store` — its manifest against
/// the database and its pages against the pack re-rendered from it (`progress` gets those
/// steps). Without a store (`verify --without-db`) only what the file alone can tell, and the
/// report says what that leaves unchecked.
pub fn verify_pack(
    store: Option<&Store>,
    path: &Path,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<VerifyReport, PackError> {
    match store {
        Some(store) => pack::verify_with_progress(store, path, progress),
        None => pack::verify_file(path),
    }
}
