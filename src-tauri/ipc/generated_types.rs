//! The TypeScript declarations of everything the IPC sends and takes, generated from the Rust
//! types with ts-rs into `ui/src/api/generated/` (committed, imported by `ui/src/api/backend.ts`).
//! Hand-kept copies drifted from what serde actually sent; these cannot.
//!
//! `generated_types_are_current` fails when a committed file differs from what the Rust types
//! generate now. To regenerate after changing a type:
//! `UPDATE_GENERATED_TYPES=1 cargo test -p consent-trail-app --lib generated_types`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consenttrail_engine::import::mapping::ColumnMapping;
use consenttrail_engine::import::preview::FilePreview;
use consenttrail_engine::import::ImportReport;
use consenttrail_engine::pack::{PackProgress, VerifyReport};
use consenttrail_engine::profile::Profile;
use consenttrail_engine::reconcile::subjects::{SubjectPage, SubjectQuery};
use consenttrail_engine::rules::browse::{FindingBreakdown, FindingFilter, FindingPage};
use consenttrail_engine::rules::decisions::Decision;
use consenttrail_engine::rules::AuditSummary;
use consenttrail_engine::store::audit_log::AuditLogView;
use consenttrail_engine::store::sources::{EventSource, ImportIssue, SourceInfo};
use ts_rs::{Config, TS};

use super::app_info::AppInfo;
use super::error::IpcError;
use super::evidence::{PackResult, SigningKey};
use super::findings::{AuditProgress, FindingsExport};
use super::import::{ImportCatalog, ImportProgress, ImportRequest};
use super::paths::{Chosen, DropEvent};
use super::profile::{ProfileExported, ProfileImportPreview, ProfileSaved};
use super::sample::DatabaseInfo;
use super::sources::Removed;
use super::subjects::SubjectTimeline;

/// Where the committed declarations live.
fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/api/generated")
}

/// Writes the declaration of every type the commands return, take or stream (and of the types
/// they contain) into `dir`. 64-bit integers are `number`: ids and counts stay far below 2^53,
/// and JSON.parse gives numbers, never bigints.
fn export_all_into(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    // Returned by commands.
    AppInfo::export_all(&cfg)?;
    DatabaseInfo::export_all(&cfg)?;
    IpcError::export_all(&cfg)?;
    ImportCatalog::export_all(&cfg)?;
    FilePreview::export_all(&cfg)?;
    ImportReport::export_all(&cfg)?;
    SubjectPage::export_all(&cfg)?;
    SubjectTimeline::export_all(&cfg)?;
    EventSource::export_all(&cfg)?;
    AuditSummary::export_all(&cfg)?;
    FindingPage::export_all(&cfg)?;
    FindingBreakdown::export_all(&cfg)?;
    Decision::export_all(&cfg)?;
    FindingsExport::export_all(&cfg)?;
    PackResult::export_all(&cfg)?;
    VerifyReport::export_all(&cfg)?;
    SigningKey::export_all(&cfg)?;
    SourceInfo::export_all(&cfg)?;
    ImportIssue::export_all(&cfg)?;
    Removed::export_all(&cfg)?;
    Profile::export_all(&cfg)?;
    ProfileSaved::export_all(&cfg)?;
    ProfileImportPreview::export_all(&cfg)?;
    ProfileExported::export_all(&cfg)?;
    AuditLogView::export_all(&cfg)?;
    Chosen::export_all(&cfg)?;
    // Streamed over channels and events.
    ImportProgress::export_all(&cfg)?;
    AuditProgress::export_all(&cfg)?;
    PackProgress::export_all(&cfg)?;
    DropEvent::export_all(&cfg)?;
    // Taken as arguments.
    ImportRequest::export_all(&cfg)?;
    ColumnMapping::export_all(&cfg)?;
    SubjectQuery::export_all(&cfg)?;
    FindingFilter::export_all(&cfg)?;
    Ok(())
}

/// The `.ts` files under `dir` by path relative to it, with their text.
fn read_tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "ts") {
                let text = std::fs::read_to_string(&path).expect("generated file is UTF-8");
                files.insert(path.strip_prefix(dir).expect("under dir").to_path_buf(), text);
            }
        }
    }
    files
}

#[test]
fn generated_types_are_current() {
    let fresh = tempfile::tempdir().expect("temporary directory");
    export_all_into(fresh.path()).expect("export the TypeScript declarations");
    let generated = read_tree(fresh.path());
    assert!(generated.len() > 30, "only {} declarations generated", generated.len());

    let committed_dir = committed_dir();
    if std::env::var_os("UPDATE_GENERATED_TYPES").is_some() {
        for stale in read_tree(&committed_dir).keys() {
            std::fs::remove_file(committed_dir.join(stale)).expect("remove a stale declaration");
        }
        for (path, text) in &generated {
            let target = committed_dir.join(path);
            std::fs::create_dir_all(target.parent().expect("a file has a parent")).expect("create the folder");
            std::fs::write(target, text).expect("write a declaration");
        }
        return;
    }

    let committed = read_tree(&committed_dir);
    let missing: Vec<_> = generated.keys().filter(|p| !committed.contains_key(*p)).collect();
    let stale: Vec<_> = committed.keys().filter(|p| !generated.contains_key(*p)).collect();
    let changed: Vec<_> =
        generated.iter().filter(|(p, text)| committed.get(*p).is_some_and(|c| c != *text)).map(|(p, _)| p).collect();
    assert!(
        missing.is_empty() && stale.is_empty() && changed.is_empty(),
        "ui/src/api/generated is not what the Rust types generate: missing {missing:?}, not generated any more \
         {stale:?}, changed {changed:?}. Regenerate with \
         `UPDATE_GENERATED_TYPES=1 cargo test -p consent-trail-app --lib generated_types` and commit the result."
    );
}
