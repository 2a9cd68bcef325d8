//! Evidence packs (SPEC §5): a per-subject pack that answers "show us the consent for this
//! person", an organisation pack that audits the whole programme, and `verify`, which checks a
//! pack against itself and against the current database.
//!
//! Packs are PDF/A-3b with embedded, subset fonts and the source extracts as associated files.
//! They are deterministic: the same database, profile and generation time give a byte-identical
//! file, because every identifier in the file (pack id, font subset tags, `/ID`) is derived from
//! the content rather than drawn at random.

mod data;
mod fonts;
mod layout;
pub mod manifest;
pub(crate) mod organisation;
mod pdfa;
mod sections;
pub mod sign;
mod subject;
mod verify;

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

use crate::store::{audit_log, Store, StoreError};
use sign::Sealing;
pub use sign::{SignatureCheck, Signer, SignerIdentity};

pub use verify::{verify, verify_file, verify_with_progress, Difference, VerifyReport};

/// What can go wrong writing or verifying a pack.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    NotFound(String),
    #[error("fonts for the pack are missing: {0}")]
    Font(String),
    #[error("PDF writing failed: {0}")]
    Pdf(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The output path is refused before anything is rendered (see [`check_output`]).
    #[error("{0}")]
    Output(String),
    #[error("manifest JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("signing: {0}")]
    Sign(String),
    /// `verify` refuses an input it cannot read in bounded memory (a FIFO, a Flate bomb).
    #[error("{0}")]
    Refused(String),
}

impl From<rusqlite::Error> for PackError {
    fn from(e: rusqlite::Error) -> Self {
        PackError::Store(StoreError::Sql(e))
    }
}

/// Choices the user makes when generating a pack.
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// The case reference typed by the user (subject packs).
    pub case_reference: Option<String>,
    /// The generation instant written into the pack (default: now). Fixing it makes the pack
    /// reproducible byte for byte.
    pub generated_at: Option<DateTime<Utc>>,
    /// Replace a file already at the output path (`pack --force`; the app passes it once the
    /// save dialog has asked). Without it an existing file is refused.
    pub overwrite: bool,
}

impl PackOptions {
    fn instant(&self) -> DateTime<Utc> {
        self.generated_at.unwrap_or_else(Utc::now).trunc_subsecs(0)
    }
}

/// A pack in memory.
#[derive(Debug, Clone)]
pub struct RenderedPack {
    pub bytes: Vec<u8>,
    pub manifest_sha256: String,
    pub pages: usize,
    pub pack_id: String,
}

/// What a rendering says about the pack it wrote.
pub(crate) struct PackFacts {
    pub manifest_sha256: String,
    pub pages: usize,
    pub pack_id: String,
}

impl PackFacts {
    fn with_bytes(self, bytes: Vec<u8>) -> RenderedPack {
        RenderedPack { bytes, manifest_sha256: self.manifest_sha256, pages: self.pages, pack_id: self.pack_id }
    }
}

/// A pack written to disk (SPEC §9 `pack`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackOutput {
    pub path: String,
    pub sha256: String,
    pub manifest_sha256: String,
    pub pages: usize,
    pub pack_id: String,
    /// The certificate the pack is signed with.
    pub signed_by: SignerIdentity,
}

/// Renders the pack of the subject an identifier belongs to, signed with the database's own key.
pub fn render_subject(store: &Store, identifier: &str, options: &PackOptions) -> Result<RenderedPack, PackError> {
    render_subject_signed(store, identifier, options, None)
}

/// The signer given, or else the database's own key (made once, on first use), kept in `own`.
fn signer_or_database<'a>(
    conn: &rusqlite::Connection,
    signer: Option<&'a Signer>,
    own: &'a mut Option<Signer>,
) -> Result<&'a Signer, PackError> {
    match signer {
        Some(given) => Ok(given),
        None => Ok(own.insert(Signer::for_database(conn)?)),
    }
}

/// [`render_subject`] signed by `signer` (the organisation's key from a PKCS#12 file), or by the
/// database's own key when `None`.
pub fn render_subject_signed(
    store: &Store,
    identifier: &str,
    options: &PackOptions,
    signer: Option<&Signer>,
) -> Result<RenderedPack, PackError> {
    let mut own = None;
    let signer = signer_or_database(store.conn(), signer, &mut own)?;
    subject::render(store.conn(), identifier, options, &Sealing::Sign(signer))
}

/// Renders the organisation pack, signed with the database's own key. It reports the last audit
/// (the findings the Findings screen shows); when the data changed since, it runs the audit
/// first (storing its findings, decisions kept), so that the pack and the screen agree.
pub fn render_organisation(store: &mut Store, options: &PackOptions) -> Result<RenderedPack, PackError> {
    let signer = Signer::for_database(store.conn())?;
    organisation::render(store, options, &Sealing::Sign(&signer))
}

/// Writes the subject pack to `out` and records it in the audit log.
pub fn write_subject_pack(
    store: &Store,
    identifier: &str,
    out: &Path,
    options: &PackOptions,
) -> Result<PackOutput, PackError> {
    write_subject_pack_signed(store, identifier, out, options, None)
}

/// [`write_subject_pack`] signed by `signer`, or by the database's own key when `None`.
pub fn write_subject_pack_signed(
    store: &Store,
    identifier: &str,
    out: &Path,
    options: &PackOptions,
    signer: Option<&Signer>,
) -> Result<PackOutput, PackError> {
    check_output(store, out, options.overwrite)?;
    let mut own = None;
    let signer = signer_or_database(store.conn(), signer, &mut own)?;
    let pack = render_subject_signed(store, identifier, options, Some(signer))?;
    finish(store, "subject", Some(identifier), out, options.overwrite, pack, signer.identity())
}

/// Writes the organisation pack to `out` and records it in the audit log.
pub fn write_organisation_pack(store: &mut Store, out: &Path, options: &PackOptions) -> Result<PackOutput, PackError> {
    write_organisation_pack_with_progress(store, out, options, &mut |_| {})
}

/// Where a long pack job (an organisation pack, a verification) is, for a progress bar: step
/// `step` of `steps`, named by `label`; within the step `done` of `total` when it can tell
/// (0 of 0 when it cannot).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PackProgress {
    pub step: usize,
    pub steps: usize,
    pub label: &'static str,
    pub done: usize,
    pub total: usize,
}

impl PackProgress {
    pub(crate) fn at(step: usize, steps: usize, label: &'static str, done: usize, total: usize) -> Self {
        PackProgress { step, steps, label, done, total }
    }
}

/// [`write_organisation_pack`], reporting its steps (the audit subject by subject) as it goes.
pub fn write_organisation_pack_with_progress(
    store: &mut Store,
    out: &Path,
    options: &PackOptions,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<PackOutput, PackError> {
    write_organisation_pack_signed(store, out, options, None, progress)
}

/// [`write_organisation_pack_with_progress`] signed by `signer`, or by the database's own key
/// when `None`.
pub fn write_organisation_pack_signed(
    store: &mut Store,
    out: &Path,
    options: &PackOptions,
    signer: Option<&Signer>,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<PackOutput, PackError> {
    check_output(store, out, options.overwrite)?;
    let mut own = None;
    let signer = signer_or_database(store.conn(), signer, &mut own)?;
    let summary = organisation::current_audit(store, progress)?;
    let audit = organisation::AuditResult::Stored(summary);
    // Written straight into the file: an organisation pack grows with the data.
    finish_with(store, "organisation", None, out, options.overwrite, signer.identity(), &mut |file| {
        let facts =
            organisation::render_into(store.conn(), &audit, options, &Sealing::Sign(signer), progress, file)?.facts;
        progress(PackProgress::at(4, 4, "writing the file", 0, 0));
        Ok(facts)
    })
}

/// Refuses an output path that would destroy something: the open database (under any name:
/// a link or another spelling of the same file), a name not ending in `.pdf`, anything that
/// is not a regular file, and an existing file unless `overwrite`. Checked before rendering so
/// a refusal costs nothing, and again when the file is put in place.
pub fn check_output(store: &Store, out: &Path, overwrite: bool) -> Result<(), PackError> {
    let shown = out.display();
    let existing = std::fs::metadata(out).ok();
    let database = std::fs::canonicalize(store.path()).ok();
    if let (Some(db), Ok(target)) = (database, std::fs::canonicalize(out)) {
        if db == target {
            return Err(PackError::Output(format!("{shown}: this is the database; choose another file for the pack")));
        }
    }
    if !out.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        return Err(PackError::Output(format!("{shown}: an evidence pack is a PDF; end the file name with .pdf")));
    }
    match existing {
        Some(meta) if !meta.is_file() => {
            Err(PackError::Output(format!("{shown}: exists and is not a regular file; choose another name")))
        }
        Some(_) if !overwrite => Err(PackError::Output(format!("{shown}: already exists; use --force to replace it"))),
        _ => Ok(()),
    }
}

fn finish(
    store: &Store,
    kind: &str,
    identifier: Option<&str>,
    out: &Path,
    overwrite: bool,
    pack: RenderedPack,
    signer: &SignerIdentity,
) -> Result<PackOutput, PackError> {
    let RenderedPack { bytes, manifest_sha256, pages, pack_id } = pack;
    finish_with(store, kind, identifier, out, overwrite, signer, &mut |file| {
        file.write_all(&bytes).map_err(|source| PackError::Io { path: out.display().to_string(), source })?;
        Ok(PackFacts { manifest_sha256: manifest_sha256.clone(), pages, pack_id: pack_id.clone() })
    })
}

/// Hashes what is written through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Puts the pack `write` writes at `out` and records it in the audit log.
fn finish_with(
    store: &Store,
    kind: &str,
    identifier: Option<&str>,
    out: &Path,
    overwrite: bool,
    signer: &SignerIdentity,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<PackFacts, PackError>,
) -> Result<PackOutput, PackError> {
    let io = |source| PackError::Io { path: out.display().to_string(), source };
    check_output(store, out, overwrite)?;
    // Written beside the target, flushed to disk and renamed, so a crash never leaves half a
    // pack; without `overwrite` the rename refuses a file that appeared meanwhile.
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".consenttrail-pack-").suffix(".tmp").tempfile_in(dir).map_err(io)?;
    let (facts, sha256) = {
        let file = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        let mut sink = Hashing { inner: file, hash: Sha256::new() };
        let facts = write(&mut sink)?;
        sink.flush().map_err(io)?;
        (facts, hex::encode(sink.hash.finalize()))
    };
    tmp.as_file().sync_all().map_err(io)?;
    if overwrite {
        tmp.persist(out).map_err(|e| io(e.error))?;
    } else {
        tmp.persist_noclobber(out).map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => {
                PackError::Output(format!("{}: already exists; use --force to replace it", out.display()))
            }
            _ => io(e.error),
        })?;
    }
    // The rename itself is durable once the folder is flushed (not possible on Windows).
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    let output = PackOutput {
        path: out.display().to_string(),
        sha256,
        manifest_sha256: facts.manifest_sha256,
        pages: facts.pages,
        pack_id: facts.pack_id,
        signed_by: signer.clone(),
    };
    audit_log::record(
        store.conn(),
        "pack",
        &serde_json::json!({
            "kind": kind,
            "subject": identifier,
            "path": output.path,
            "sha256": output.sha256,
            "manifest_sha256": output.manifest_sha256,
            "pack_id": output.pack_id,
            "pages": output.pages,
            "signer_subject": signer.subject,
            "signer_certificate_sha256": signer.sha256,
        }),
    )?;
    Ok(output)
}
