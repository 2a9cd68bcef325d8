//! The manifest: what a pack rests on, embedded in the pack as `manifest.json`. Its SHA-256
//! is printed in every page footer and stored in the Info dictionary; `verify` recomputes the
//! database parts and compares them entry by entry, so it can say exactly what changed.

use serde::{Deserialize, Serialize};

/// The manifest format written by this version.
pub const FORMAT: &str = "consenttrail-pack-manifest/1";

/// The manifest of one pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// `subject` or `organisation`.
    pub kind: String,
    /// Derived from the rest of the manifest, so the same content gives the same id.
    pub pack_id: String,
    pub generated_at: String,
    pub app_version: String,
    pub case_reference: Option<String>,
    pub subject: Option<ManifestSubject>,
    pub profile_sha256: String,
    pub sources: Vec<ManifestSource>,
    /// Every event of a subject pack (empty in organisation packs, which hash them instead, and
    /// keep a digest per subject in their `subjects.csv` extract).
    pub events: Vec<ManifestEvent>,
    pub events_count: usize,
    pub events_sha256: String,
    pub findings: Vec<ManifestFinding>,
    pub findings_count: usize,
    pub findings_sha256: String,
    pub attachments: Vec<ManifestAttachment>,
}

/// The subject of a subject pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestSubject {
    pub primary: String,
    pub identifiers: Vec<String>,
}

/// A source file the pack rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestSource {
    pub path: String,
    pub system: String,
    pub sha256: String,
    pub bytes: i64,
    pub rows_imported: i64,
    pub rows_rejected: i64,
}

/// One event: a digest of its fields and raw row, and a line that names it for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEvent {
    pub id: i64,
    pub sha256: String,
    pub summary: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFinding {
    pub id: String,
    pub rule: String,
    pub sha256: String,
    pub summary: String,
}

/// An embedded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestAttachment {
    pub name: String,
    pub sha256: String,
    pub bytes: usize,
}
