//! `verify`: checks a pack against itself (PAdES signature, seal, pages, attachments, manifest)
//! and against the current database (sources, events, findings, profile; and the pack
//! re-rendered from its manifest, page by page and extract by extract), and says exactly what
//! differs. Every check inside the file alone can be redone by a forger who rewrites the file;
//! the signature (a key the forger does not hold) and the re-rendering (data the forger cannot
//! change) are what make an edit show.
//!
//! Any input is read in bounded memory: regular files only (a FIFO or a device is refused, never
//! waited on), at most [`MAX_FILE_BYTES`], and no page or other stream held past
//! [`MAX_STREAM_BYTES`] or all of them past [`MAX_INFLATED_BYTES`]. Embedded files (the
//! organisation extracts grow with the data: about 160 MB each at 10M events) are never held
//! inflated: they are hashed as they are inflated, and the file's bytes and parsed document are
//! let go before the database is compared (the file is read again, and must be the same bytes,
//! only if an extract's rows are read), so their bound is on time and honesty instead: each must declare its size (`/Params /Size`,
//! covered by the signature), at most [`MAX_ATTACHMENT_BYTES`], and inflate to exactly that.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use lopdf::{Dictionary, Document, LoadOptions, Object};
use sha2::{Digest, Sha256};

use super::data;
use super::manifest::{Manifest, ManifestSource};
use super::organisation::AuditResult;
use super::organisation::{self, as_recorded, finding_digest, neutral, read_columns, FINDINGS_CSV, SUBJECTS_CSV};
use super::pdfa::{seal_position, sealed_digest, signature_contents, signed_digest, MANIFEST_KEY, PAGES_KEY};
use super::sign::{self, Sealing, SignatureCheck, SignerIdentity};
use super::{subject, PackError, PackOptions, PackProgress};
use crate::rules::audit;
use crate::rules::{AuditSummary, Finding};
use crate::store::findings::{self, FindingsTable};
use crate::store::{identity, memory, profile_doc, scratch, Store, StoreError};

/// The largest file `verify` reads: above the largest pack the app makes (an organisation
/// pack's compressed extracts grow with the data).
pub const MAX_FILE_BYTES: u64 = 2 << 30;
/// The most one stream held in memory (a page, manifest.json) may inflate to.
pub const MAX_STREAM_BYTES: usize = 64 << 20;
/// The most an object stream may inflate to when the file is parsed (packs have none; files
/// other tools rewrote may).
const MAX_OBJECT_STREAM_BYTES: usize = 16 << 20;
/// The page cache (KiB) of the database connection while `verify` compares a pack with it. Its
/// reads are streams (events in id order, findings sorted), which a large cache does not speed
/// up, and SQLite sizes its in-memory sorts by it: with the usual 64 MiB, verify of the 1M-event
/// benchmark's pack peaked at 191 MB, with 8 MiB at 84 MB, in the same time.
const VERIFY_CACHE_KIB: i64 = 8 << 10;
/// The most all the streams `verify` inflates may come to together.
pub const MAX_INFLATED_BYTES: usize = 256 << 20;

/// One difference found by `verify`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Difference {
    /// `file` (the PDF itself) or `database` (the pack against the current data).
    pub against: String,
    /// What differs: `signature`, `seal`, `page`, `attachment`, `manifest`, `source`, `event`,
    /// `finding`, `subject`, `profile`.
    pub item: String,
    pub detail: String,
}

/// The result of `verify` (SPEC §9).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    pub ok: bool,
    pub differences: Vec<Difference>,
    pub pack_id: Option<String>,
    pub kind: Option<String>,
    pub manifest_sha256: Option<String>,
    /// The PDF signature: valid or not, and its certificate (`None`: the file is not signed).
    pub signature: Option<SignatureCheck>,
    /// What was checked, in words.
    pub checked: Vec<String>,
    /// What could not be checked (without the database: everything that needs it).
    pub not_checked: Vec<String>,
}

fn diff(against: &str, item: &str, detail: String) -> Difference {
    Difference { against: against.into(), item: item.into(), detail }
}

fn pdf_text(o: &Object) -> Option<String> {
    let Object::String(bytes, _) = o else { return None };
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> =
            bytes[2..].chunks(2).filter(|c| c.len() == 2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        return String::from_utf16(&units).ok();
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    resolve(doc, o).and_then(|o| o.as_dict().ok())
}

/// Inflates streams within [`MAX_STREAM_BYTES`] each and [`MAX_INFLATED_BYTES`] in all.
struct Budget {
    left: usize,
    path: String,
}

impl Budget {
    /// A stream's data, decoded; `Ok(Err)` when it cannot be decoded, `Err` when it inflates past
    /// the limits (the file is refused).
    fn decode(&mut self, s: &lopdf::Stream) -> Result<Result<Vec<u8>, String>, PackError> {
        let limit = MAX_STREAM_BYTES.min(self.left);
        let plain = if is_plain_flate(&s.dict) {
            // Measured first in a fixed buffer, then inflated into exactly that much room: a bomb
            // is refused without ever being held.
            let size = match inflated_size(&s.content, limit) {
                Ok(Some(n)) => n,
                Ok(None) => return Err(self.refuse()),
                Err(e) => return Ok(Err(format!("cannot be decoded: {e}"))),
            };
            let mut plain = Vec::with_capacity(size);
            let read = flate2::read::ZlibDecoder::new(&s.content[..]).take(size as u64).read_to_end(&mut plain);
            if let Err(e) = read {
                return Ok(Err(format!("cannot be decoded: {e}")));
            }
            plain
        } else if s.dict.has(b"Filter") {
            match s.decompressed_content_with_limit(limit) {
                Ok(p) => p,
                Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                    return Err(self.refuse())
                }
                Err(e) => return Ok(Err(format!("cannot be decoded: {e}"))),
            }
        } else {
            s.content.clone()
        };
        self.left = self.left.checked_sub(plain.len()).ok_or_else(|| self.refuse())?;
        Ok(Ok(plain))
    }

    fn refuse(&self) -> PackError {
        PackError::Refused(format!(
            "{}: a stream in this file inflates to more than a pack ever holds ({} MiB per stream, {} MiB in all); refused",
            self.path,
            MAX_STREAM_BYTES >> 20,
            MAX_INFLATED_BYTES >> 20
        ))
    }
}

/// A stream whose only filter is FlateDecode without a predictor (as packs write them).
fn is_plain_flate(dict: &Dictionary) -> bool {
    let flate = match dict.get(b"Filter") {
        Ok(Object::Name(n)) => n == b"FlateDecode",
        Ok(Object::Array(a)) => matches!(&a[..], [Object::Name(n)] if n == b"FlateDecode"),
        _ => false,
    };
    flate && !dict.has(b"DecodeParms")
}

/// How many bytes zlib `data` inflates to, counted in a fixed buffer; `None` past `limit`.
fn inflated_size(data: &[u8], limit: usize) -> std::io::Result<Option<usize>> {
    let mut decoder = flate2::read::ZlibDecoder::new(data);
    let mut buffer = vec![0u8; 64 << 10];
    let mut total = 0usize;
    loop {
        let n = decoder.read(&mut buffer)?;
        if n == 0 {
            return Ok(Some(total));
        }
        total += n;
        if total > limit {
            return Ok(None);
        }
    }
}

/// Each page's decoded content, in page order.
fn page_contents(doc: &Document, budget: &mut Budget) -> Result<Vec<Vec<u8>>, PackError> {
    let mut pages = Vec::new();
    for page in doc.get_pages().values() {
        let mut content = Vec::new();
        for id in doc.get_page_contents(*page) {
            if let Ok(Object::Stream(s)) = doc.get_object(id) {
                match budget.decode(s)? {
                    Ok(plain) => content.extend(plain),
                    // Undecodable content is compared as written.
                    Err(_) => content.extend_from_slice(&s.content),
                }
            }
        }
        pages.push(content);
    }
    Ok(pages)
}

/// The most an embedded file may declare (`/Params /Size`) it inflates to: far above any
/// extract the app writes (about 160 MB each at 10M events), so that inflating a file that
/// declares more is refused instead of taking minutes.
pub const MAX_ATTACHMENT_BYTES: u64 = 4 << 30;

/// An embedded file as `verify` reads it: its SHA-256 and length, computed as it is inflated.
/// The extracts grow with the data, so they are never held whole; their rows are read again
/// (from the file read again, [`PackFile`]) only when they are compared one by one.
struct Embedded<'a> {
    sha256: String,
    len: u64,
    source: Source<'a>,
    /// It inflates to fewer bytes than it declares (a file edited without care for its size).
    size_problem: Option<String>,
}

/// Where an embedded file's content is read from again.
enum Source<'a> {
    /// Zlib data, inflated as it is read (as packs write their extracts).
    Flate(&'a [u8]),
    /// Stored plain.
    Plain(&'a [u8]),
    /// Another filter, decoded within [`MAX_STREAM_BYTES`] (files other tools rewrote).
    Decoded(Vec<u8>),
}

impl Embedded<'_> {
    /// The content, inflated as it is read.
    fn reader(&self) -> Box<dyn Read + '_> {
        match &self.source {
            Source::Flate(data) => Box::new(flate2::read::ZlibDecoder::new(*data).take(self.len)),
            Source::Plain(data) => Box::new(*data),
            Source::Decoded(data) => Box::new(&data[..]),
        }
    }
}

/// The size an embedded file declares (`/Params /Size`, covered by the signature).
fn declared_size(dict: &Dictionary) -> Option<u64> {
    match dict.get(b"Params").ok()?.as_dict().ok()?.get(b"Size").ok()? {
        Object::Integer(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

/// SHA-256 and length of `reader`'s bytes, read in a fixed buffer; stops after `limit` bytes.
fn digest_reader(reader: &mut dyn Read, limit: u64) -> std::io::Result<(String, u64)> {
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 64 << 10];
    let mut len = 0u64;
    let mut reader = reader.take(limit);
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok((hex::encode(hash.finalize()), len));
        }
        hash.update(&buffer[..n]);
        len += n as u64;
    }
}

impl Budget {
    /// An embedded file's digest, inflated in a fixed buffer and never held: memory does not
    /// grow with the extract, so the safeguard against a Flate bomb is on time and on honesty
    /// instead. A zlib stream must declare its size (at most [`MAX_ATTACHMENT_BYTES`]); inflating
    /// stops one byte past it, and a stream that inflates to more than it declares is refused.
    /// A file that declares no size is decoded within the per-stream limit, as before.
    fn embedded<'a>(&mut self, s: &'a lopdf::Stream) -> Result<Result<Embedded<'a>, String>, PackError> {
        let declared = declared_size(&s.dict);
        let (sha256, len, source) = match (is_plain_flate(&s.dict), declared) {
            (true, Some(declared)) => {
                if declared > MAX_ATTACHMENT_BYTES {
                    return Err(PackError::Refused(format!(
                        "{}: an embedded file declares {declared} bytes, more than a pack ever holds ({} GiB); refused",
                        self.path,
                        MAX_ATTACHMENT_BYTES >> 30
                    )));
                }
                let mut decoder = flate2::read::ZlibDecoder::new(&s.content[..]);
                let (sha256, len) = match digest_reader(&mut decoder, declared + 1) {
                    Ok(d) => d,
                    Err(e) => return Ok(Err(format!("cannot be decoded: {e}"))),
                };
                if len > declared {
                    return Err(PackError::Refused(format!(
                        "{}: an embedded file inflates to more than the {declared} bytes it declares (a Flate bomb, or a forged size); refused",
                        self.path
                    )));
                }
                (sha256, len, Source::Flate(&s.content[..]))
            }
            _ if !s.dict.has(b"Filter") => {
                let (sha256, len) =
                    digest_reader(&mut &s.content[..], u64::MAX).map_err(|e| PackError::Pdf(e.to_string()))?;
                (sha256, len, Source::Plain(&s.content[..]))
            }
            _ => match self.decode(s)? {
                Err(why) => return Ok(Err(why)),
                Ok(plain) => (hex::encode(Sha256::digest(&plain)), plain.len() as u64, Source::Decoded(plain)),
            },
        };
        let size_problem = declared
            .filter(|d| *d != len)
            .map(|declared| format!("inflates to {len} bytes, but its /Params /Size declares {declared}"));
        Ok(Ok(Embedded { sha256, len, source, size_problem }))
    }
}

/// The embedded files by name, digested as they are inflated ([`Budget::embedded`]).
/// `only`: that one file (the others are not inflated).
fn embedded_files<'a>(
    doc: &'a Document,
    budget: &mut Budget,
    only: Option<&str>,
) -> Result<BTreeMap<String, Result<Embedded<'a>, String>>, PackError> {
    let mut out = BTreeMap::new();
    let Ok(catalog) = doc.catalog() else { return Ok(out) };
    let names = catalog
        .get(b"Names")
        .ok()
        .and_then(|n| dict(doc, n))
        .and_then(|n| n.get(b"EmbeddedFiles").ok())
        .and_then(|e| dict(doc, e))
        .and_then(|e| e.get(b"Names").ok())
        .and_then(|a| resolve(doc, a))
        .and_then(|a| a.as_array().ok());
    let Some(names) = names else { return Ok(out) };
    for pair in names.chunks(2) {
        let [key, spec] = pair else { continue };
        let Some(name) = pdf_text(key) else { continue };
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let stream = dict(doc, spec)
            .and_then(|s| s.get(b"EF").ok())
            .and_then(|ef| dict(doc, ef))
            .and_then(|ef| ef.get(b"F").ok())
            .and_then(|f| resolve(doc, f))
            .and_then(|f| f.as_stream().ok());
        let content = match stream {
            None => Err("the embedded file stream is missing".to_string()),
            Some(s) => budget.embedded(s)?,
        };
        out.insert(name, content);
    }
    Ok(out)
}

/// An embedded file's whole content, within [`MAX_STREAM_BYTES`] (manifest.json, to be parsed).
fn embedded_content(e: &Embedded<'_>) -> Result<Vec<u8>, String> {
    if e.len > MAX_STREAM_BYTES as u64 {
        return Err(format!("is {} bytes, larger than any manifest ({} MiB)", e.len, MAX_STREAM_BYTES >> 20));
    }
    let mut content = Vec::with_capacity(e.len as usize);
    e.reader().read_to_end(&mut content).map_err(|e| format!("cannot be decoded: {e}"))?;
    Ok(content)
}

/// The pack file once verify has let its bytes and parsed document go (85 MB each at 10M
/// events): nothing needs them while the database is compared unless an extract's rows are
/// read, and then the file is read and parsed again, and must be the very bytes verified.
struct PackFile<'p> {
    path: &'p Path,
    sha256: [u8; 32],
    /// Set when the file read again was not the file verified: reported as a difference of
    /// the file itself, whatever the comparison made of the extract it could not read.
    changed: std::cell::Cell<bool>,
}

/// What [`PackFile::read_extract`] says when the file read again is not the one verified.
const FILE_CHANGED: &str = "the file changed while verify was reading it";

impl PackFile<'_> {
    /// Reads the embedded file `name` with `read`, from the file read again.
    fn read_extract<T>(
        &self,
        name: &str,
        read: impl FnOnce(Box<dyn Read + '_>) -> Result<T, String>,
    ) -> Result<T, String> {
        let bytes = read_pack(self.path).map_err(|e| e.to_string())?;
        if Sha256::digest(&bytes)[..] != self.sha256 {
            self.changed.set(true);
            return Err(FILE_CHANGED.into());
        }
        let options = LoadOptions::with_max_decompressed_size(MAX_OBJECT_STREAM_BYTES);
        let doc = Document::load_mem_with_options(&bytes, options).map_err(|e| e.to_string())?;
        drop(bytes);
        let mut budget = Budget { left: MAX_INFLATED_BYTES, path: self.path.display().to_string() };
        match embedded_files(&doc, &mut budget, Some(name)).map_err(|e| e.to_string())?.remove(name) {
            Some(Ok(embedded)) => read(embedded.reader()),
            Some(Err(why)) => Err(why),
            None => Err("is not embedded".into()),
        }
    }
}

/// SHA-256 of each page's content (decoded), in page order.
fn digests(pages: &[Vec<u8>]) -> Vec<String> {
    pages.iter().map(|p| hex::encode(Sha256::digest(p))).collect()
}

/// Reads a pack: a regular file of at most [`MAX_FILE_BYTES`], never waiting on a FIFO.
fn read_pack(path: &Path) -> Result<Vec<u8>, PackError> {
    let shown = path.display().to_string();
    let io = |source| PackError::Io { path: shown.clone(), source };
    let refuse = |why: &str| PackError::Refused(format!("{shown}: {why}"));
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file (a pack is a PDF file, not a pipe, device or folder)"));
    }
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    // Should the path be swapped for a FIFO after the check above, opening it does not block.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, libc::O_NONBLOCK);
    let file = open.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file (a pack is a PDF file, not a pipe, device or folder)"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(refuse(&format!(
            "{} MiB is larger than any pack (at most {} MiB)",
            meta.len() >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(refuse("the file grew past the largest pack while it was read"));
    }
    Ok(bytes)
}

/// Verifies the pack at `path` against itself and the database.
pub fn verify(store: &Store, path: &Path) -> Result<VerifyReport, PackError> {
    verify_with_progress(store, path, &mut |_| {})
}

/// [`verify`], reporting its steps: the file, then (organisation packs) the audit it re-runs
/// subject by subject, then the comparison with the database.
pub fn verify_with_progress(
    store: &Store,
    path: &Path,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<VerifyReport, PackError> {
    check(Some(store), path, progress)
}

/// Verifies the pack at `path` without a database: the signature and the file's own digests.
/// The report's `not_checked` says what that leaves open.
pub fn verify_file(path: &Path) -> Result<VerifyReport, PackError> {
    check(None, path, &mut |_| {})
}

fn check(
    store: Option<&Store>,
    path: &Path,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<VerifyReport, PackError> {
    progress(PackProgress::at(1, 3, "checking the file", 0, 0));
    // The pack's bytes and parsed document (twice its size) are verify's peak; the store's page
    // cache (up to 64 MiB after an import, audit or pack in the same process) is not needed
    // meanwhile, and the comparison later runs on a small one anyway.
    // Best effort: verify does not depend on it.
    if let Some(store) = store {
        memory::release_page_cache(store.conn()).ok();
    }
    let bytes = read_pack(path)?;
    let mut budget = Budget { left: MAX_INFLATED_BYTES, path: path.display().to_string() };
    let mut differences = Vec::new();
    let mut report = VerifyReport {
        ok: false,
        differences: Vec::new(),
        pack_id: None,
        kind: None,
        manifest_sha256: None,
        signature: None,
        checked: Vec::new(),
        not_checked: Vec::new(),
    };

    // 1. The signature: every byte but its own /Contents, with a key a forger does not hold.
    let contents = match signature_contents(&bytes) {
        Err(why) => {
            let detail = if why.contains("not signed") { why } else { format!("the signature is not valid: {why}") };
            differences.push(diff("file", "signature", detail));
            None
        }
        Ok(sig) => {
            let mut check = sign::check(&sig.cms, &signed_digest(&bytes, sig.contents));
            if let Some(why) = sig.coverage_problem {
                check.valid = false;
                check.problem = Some(why);
            }
            match (&check.problem, &check.signer) {
                (Some(why), _) => {
                    differences.push(diff("file", "signature", format!("the signature is not valid: {why}")))
                }
                (None, Some(s)) => report.checked.push(format!(
                    "the PDF signature is valid: every byte of the file is as {} signed it (certificate SHA-256 {})",
                    s.subject, s.sha256
                )),
                (None, None) => {}
            }
            report.signature = Some(check);
            Some(sig.contents)
        }
    };

    // 2. The seal: any edited byte anywhere in the file (unkeyed: it catches accidents).
    match seal_position(&bytes) {
        None => differences.push(diff(
            "file",
            "seal",
            "the file has no ConsentTrail seal: it is not a pack, or it was rewritten by another program".into(),
        )),
        Some(at) => {
            let recorded = String::from_utf8_lossy(&bytes[at..at + 64]).into_owned();
            let actual = sealed_digest(&bytes, at, contents);
            if recorded != actual {
                differences.push(diff(
                    "file",
                    "seal",
                    format!("the file was modified after it was written (sealed SHA-256 {recorded}, now {actual})"),
                ));
            }
        }
    }

    let doc =
        match Document::load_mem_with_options(&bytes, LoadOptions::with_max_decompressed_size(MAX_OBJECT_STREAM_BYTES))
        {
            Ok(d) => d,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(budget.refuse())
            }
            Err(e) => {
                differences.push(diff("file", "pdf", format!("the file is not a readable PDF: {e}")));
                report.differences = differences;
                return Ok(report);
            }
        };
    let pack_file = PackFile { path, sha256: Sha256::digest(&bytes).into(), changed: Default::default() };
    drop(bytes);
    let info = doc.trailer.get(b"Info").ok().and_then(|i| dict(&doc, i));

    // 3. Pages, against the digests the file states.
    let recorded_pages: Vec<String> = info
        .and_then(|i| i.get(PAGES_KEY.as_bytes()).ok())
        .and_then(|a| a.as_array().ok())
        .map(|a| a.iter().filter_map(pdf_text).collect())
        .unwrap_or_default();
    let page_texts = page_contents(&doc, &mut budget)?;
    let pages = digests(&page_texts);
    if recorded_pages.len() != pages.len() {
        differences.push(diff(
            "file",
            "page",
            format!("the pack had {} pages, the file now has {}", recorded_pages.len(), pages.len()),
        ));
    }
    for (i, (was, now)) in recorded_pages.iter().zip(&pages).enumerate() {
        if was != now {
            differences.push(diff("file", "page", format!("page {} content differs from what was written", i + 1)));
        }
    }

    // 4. The manifest and the attachments.
    let files = embedded_files(&doc, &mut budget, None)?;
    for (name, e) in &files {
        if let Ok(Embedded { size_problem: Some(why), .. }) = e {
            differences.push(diff("file", "attachment", format!("{name} {why}")));
        }
    }
    let recorded_manifest = info.and_then(|i| i.get(MANIFEST_KEY.as_bytes()).ok()).and_then(pdf_text);
    let manifest: Option<Manifest> = match files.get("manifest.json") {
        None => {
            differences.push(diff("file", "manifest", "manifest.json is not embedded in the file".into()));
            None
        }
        Some(Err(e)) => {
            differences.push(diff("file", "manifest", format!("manifest.json {e}")));
            None
        }
        Some(Ok(embedded)) => match embedded_content(embedded) {
            Err(e) => {
                differences.push(diff("file", "manifest", format!("manifest.json {e}")));
                None
            }
            Ok(content) => {
                let sha = hex::encode(Sha256::digest(&content));
                report.manifest_sha256 = Some(sha.clone());
                if recorded_manifest.as_deref() != Some(sha.as_str()) {
                    differences.push(diff(
                        "file",
                        "manifest",
                        format!(
                            "manifest.json has SHA-256 {sha}, the pack states {}",
                            recorded_manifest.clone().unwrap_or_else(|| "none".into())
                        ),
                    ));
                }
                match serde_json::from_slice::<Manifest>(&content) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        differences.push(diff(
                            "file",
                            "manifest",
                            format!("manifest.json is not a pack manifest: {e}"),
                        ));
                        None
                    }
                }
            }
        },
    };
    let Some(manifest) = manifest else {
        report.differences = differences;
        return Ok(report);
    };
    report.pack_id = Some(manifest.pack_id.clone());
    report.kind = Some(manifest.kind.clone());
    // The extracts that are as the manifest states: only those are read for the comparison below.
    let mut intact: BTreeSet<&str> = BTreeSet::new();
    for a in &manifest.attachments {
        match files.get(&a.name) {
            None => differences.push(diff(
                "file",
                "attachment",
                format!("{} is listed in the manifest but not embedded", a.name),
            )),
            Some(Err(e)) => differences.push(diff("file", "attachment", format!("{} {e}", a.name))),
            Some(Ok(content)) => {
                if content.sha256 != a.sha256 {
                    differences.push(diff(
                        "file",
                        "attachment",
                        format!("{}: SHA-256 is {}, the manifest states {}", a.name, content.sha256, a.sha256),
                    ));
                } else {
                    intact.insert(a.name.as_str());
                }
            }
        }
    }
    for name in files.keys() {
        if name != "manifest.json" && !manifest.attachments.iter().any(|a| &a.name == name) {
            differences.push(diff("file", "attachment", format!("{name} is embedded but not listed in the manifest")));
        }
    }
    report.checked.push(
        "the page digests, the manifest's SHA-256 and the extracts' SHA-256 stated in the file (a forger can recompute these: they prove nothing on their own)".into(),
    );

    // What the comparison needs of the file: the pages' content and the extracts' digests. The
    // parsed document (a copy of every stream: 85 MB at 10M events) is let go meanwhile.
    let file_digests: BTreeMap<String, Result<String, String>> =
        files.into_iter().map(|(name, e)| (name, e.map(|e| e.sha256))).collect();
    drop(doc);

    // 5. The current database.
    let Some(store) = store else {
        report.not_checked = vec![
            "whether the signing certificate is this database's key (no database was given)".into(),
            "whether the sources, events and findings the manifest lists are still those in the database".into(),
            "whether the pages and extracts are what the database renders for this manifest: without the database, a pack re-signed with another key whose pages were edited cannot be told apart".into(),
        ];
        report.ok = differences.is_empty();
        report.differences = differences;
        return Ok(report);
    };
    let conn = store.conn();
    let signer = report.signature.as_ref().and_then(|c| c.signer.clone());
    if let Some(s) = &signer {
        signer_differences(conn, s, &mut report.checked, &mut differences)?;
    }
    // An organisation pack is compared with the audit of the data as it is now, recomputed into
    // a temporary table on disk (the findings grow with the data; memory holds one at a time).
    // SQLite gets a small page cache and sort memory meanwhile (put back last, after the
    // temporary table is gone).
    let _cache = scratch::SmallerCache::new(conn, VERIFY_CACHE_KIB)?;
    // Temporary storage goes to disk first: changing it later would drop the table.
    let _spill = data::SpillToDisk::new(conn)?;
    let _recomputed = scratch::RecomputedFindings::new(conn)?;
    let audit_summary = if manifest.kind == "organisation" {
        Some(audit::recompute(conn, &mut |done, total| {
            progress(PackProgress::at(2, 3, "checking the rules", done, total))
        })?)
    } else {
        None
    };
    // The integrity page names the signer, and a different name changes the font subset (so the
    // glyph codes of every page): without a readable certificate, re-render for this database's
    // own key, the one that signs packs by default.
    let fallback = match &signer {
        Some(_) => None,
        None => sign::database_identity(conn)?,
    };
    let unsigned = SignerIdentity { subject: "(unsigned)".into(), sha256: "-".into() };
    // Extracts already reported as not matching the manifest are not reported twice.
    let reported: Vec<&str> =
        manifest.attachments.iter().map(|a| a.name.as_str()).filter(|n| !intact.contains(n)).collect();
    // Re-rendered first, so that the comparison with the database knows which extracts the
    // database renders exactly as written (those need not be read row by row); its differences
    // are listed after the database's.
    let mut rerendered = Vec::new();
    let extracts_now = rerender_differences(
        conn,
        &manifest,
        &Written { pages: &page_texts, files: &file_digests, reported: &reported },
        signer.as_ref().or(fallback.as_ref()).unwrap_or(&unsigned),
        audit_summary.as_ref(),
        &mut rerendered,
    )?;
    let extracts = Extracts { intact: &intact, now: &extracts_now, pack: &pack_file };
    database_differences(store, &manifest, &extracts, audit_summary.as_ref(), &mut differences, progress)?;
    if pack_file.changed.get() {
        differences.push(diff(
            "file",
            "pdf",
            format!("{FILE_CHANGED}: the extracts' rows were not compared (run verify again on a file nothing writes)"),
        ));
    }
    report.checked.push("the sources, events, findings and profile the manifest lists, against the database".into());
    differences.extend(rerendered);
    report
        .checked
        .push("every page's content and every extract, against the pack re-rendered from the database".into());
    report.ok = differences.is_empty();
    report.differences = differences;
    Ok(report)
}

/// Is the signing certificate this database's own key, or one it has signed packs with?
fn signer_differences(
    conn: &rusqlite::Connection,
    signer: &SignerIdentity,
    checked: &mut Vec<String>,
    out: &mut Vec<Difference>,
) -> Result<(), PackError> {
    if sign::database_identity(conn)?.is_some_and(|own| own.sha256 == signer.sha256) {
        checked.push("the signing certificate is this database's own key".into());
        return Ok(());
    }
    if crate::store::audit_log::signed_pack_with(conn, &signer.sha256)? {
        checked
            .push(format!("the signing certificate ({}) is one this database has signed packs with", signer.subject));
    } else {
        out.push(diff(
            "database",
            "signature",
            format!(
                "the pack is signed by {} (certificate SHA-256 {}), a certificate this database never signed a pack with",
                signer.subject, signer.sha256
            ),
        ));
    }
    Ok(())
}

/// What the file holds: each page's decoded content, the embedded files, and the extracts
/// already reported as not matching the manifest (not reported twice).
struct Written<'a> {
    pages: &'a [Vec<u8>],
    /// Each embedded file's SHA-256, or why it cannot be read.
    files: &'a BTreeMap<String, Result<String, String>>,
    reported: &'a [&'a str],
}

/// The extracts for the comparison with the database: those in the file as the manifest
/// states them, and the SHA-256 of each as the database renders it now (empty when the pack
/// could not be re-rendered).
struct Extracts<'a> {
    intact: &'a BTreeSet<&'a str>,
    now: &'a BTreeMap<String, String>,
    pack: &'a PackFile<'a>,
}

/// Renders the pack again from its manifest (generation time, case reference, subject or whole
/// organisation) and the current database, and names every page and extract that differs.
/// Returns the SHA-256 of each extract as re-rendered (none when it could not be).
fn rerender_differences(
    conn: &rusqlite::Connection,
    m: &Manifest,
    written: &Written<'_>,
    signer: &SignerIdentity,
    audit_summary: Option<&AuditSummary>,
    out: &mut Vec<Difference>,
) -> Result<BTreeMap<String, String>, PackError> {
    let none = BTreeMap::new();
    let Ok(generated) = m.generated_at.parse::<chrono::DateTime<chrono::Utc>>() else {
        out.push(diff("file", "manifest", format!("the generation time {:?} cannot be read", m.generated_at)));
        return Ok(none);
    };
    let options =
        PackOptions { case_reference: m.case_reference.clone(), generated_at: Some(generated), ..Default::default() };
    let sealing = Sealing::Preview(signer);
    // The organisation pack is not written again, only digested (its extracts grow with the
    // data); a subject pack is rendered and read back.
    let rendered = match (m.kind.as_str(), &m.subject, audit_summary) {
        ("organisation", _, Some(r)) => organisation::render_recomputed(conn, r, &options, &sealing).map(|r| {
            let files = r.attachment_digests.into_iter().map(|(name, sha)| (name, Ok(sha))).collect();
            (r.page_digests, files)
        }),
        ("subject", Some(s), _) => {
            subject::render(conn, &s.primary, &options, &sealing).and_then(|r| read_back(&r.bytes))
        }
        _ => {
            out.push(diff("file", "manifest", format!("a pack of kind {:?} cannot be re-rendered", m.kind)));
            return Ok(none);
        }
    };
    let (again, files_again) = match rendered {
        Ok(r) => r,
        // Already reported: the subject is no longer in the database.
        Err(PackError::NotFound(_)) => return Ok(none),
        Err(e) => {
            out.push(diff("database", "page", format!("the pack could not be re-rendered from the database: {e}")));
            return Ok(none);
        }
    };
    let version = if m.app_version != crate::VERSION {
        format!(
            " (the pack was made by ConsentTrail {}, this is {}: a layout change between versions also shows here)",
            m.app_version,
            crate::VERSION
        )
    } else {
        String::new()
    };
    let Written { pages, files, reported } = *written;
    let pages = digests(pages);
    if again.len() != pages.len() {
        out.push(diff(
            "database",
            "page",
            format!(
                "the pack has {} pages, re-rendered from the database it has {}{version}",
                pages.len(),
                again.len()
            ),
        ));
    }
    let differing: Vec<String> =
        pages.iter().zip(&again).enumerate().filter(|(_, (a, b))| a != b).map(|(i, _)| (i + 1).to_string()).collect();
    if !differing.is_empty() {
        let (noun, verb) = if differing.len() == 1 { ("page", "differs") } else { ("pages", "differ") };
        out.push(diff(
            "database",
            "page",
            format!("{noun} {} {verb} from the pack re-rendered from the database{version}", differing.join(", ")),
        ));
    }
    for (name, now) in files_again.iter().filter(|(n, _)| !reported.contains(&n.as_str())) {
        match (files.get(name), now) {
            (Some(Ok(was)), Ok(now)) if was == now => {}
            (None, _) => {
                out.push(diff("database", "attachment", format!("{name} is missing: the database renders it")))
            }
            _ => out.push(diff(
                "database",
                "attachment",
                format!("{name} differs from the one re-rendered from the database"),
            )),
        }
    }
    Ok(files_again.into_iter().filter_map(|(name, sha)| Some((name, sha.ok()?))).collect())
}

/// A re-rendered pack's page digests and its embedded files' SHA-256 (or why one cannot be
/// read), read back from its bytes.
type ReadBack = (Vec<String>, BTreeMap<String, Result<String, String>>);

fn read_back(bytes: &[u8]) -> Result<ReadBack, PackError> {
    let doc = Document::load_mem(bytes).map_err(|e| PackError::Pdf(e.to_string()))?;
    let mut budget = Budget { left: usize::MAX, path: String::new() };
    let pages = digests(&page_contents(&doc, &mut budget)?);
    let files =
        embedded_files(&doc, &mut budget, None)?.into_iter().map(|(name, e)| (name, e.map(|e| e.sha256))).collect();
    Ok((pages, files))
}

fn database_differences(
    store: &Store,
    m: &Manifest,
    extracts: &Extracts<'_>,
    audit_summary: Option<&AuditSummary>,
    out: &mut Vec<Difference>,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<(), PackError> {
    let conn = store.conn();
    let profile = profile_doc::load(conn)?;
    if data::profile_sha256(&profile) != m.profile_sha256 {
        out.push(diff(
            "database",
            "profile",
            "the organisation profile in force differs from the one the pack was made with".into(),
        ));
    }
    if let (true, Some(summary)) = (m.kind == "organisation", audit_summary) {
        let recomputed = AuditResult::Recomputed(summary);
        progress(PackProgress::at(3, 3, "comparing with the database", 0, 0));
        let (sources, events_count, events_sha256) = organisation::database_parts(conn)?;
        let (findings_count, findings_sha256) = organisation::findings_totals(conn, &recomputed)?;
        source_differences(m, &sources, out);
        let now = Totals { count: events_count, sha256: &events_sha256 };
        subject_differences(conn, m, extract(m, extracts, SUBJECTS_CSV), now, out)?;
        let now = Totals { count: findings_count, sha256: &findings_sha256 };
        finding_differences(conn, m, extract(m, extracts, FINDINGS_CSV), now, out)?;
        return Ok(());
    }
    progress(PackProgress::at(3, 3, "comparing with the database", 0, 0));
    let Some(subject) = &m.subject else {
        out.push(diff("file", "manifest", "a subject pack manifest without a subject".into()));
        return Ok(());
    };
    let d = match data::subject_data(conn, &profile, &subject.primary) {
        Ok(d) => d,
        Err(PackError::NotFound(_)) => {
            out.push(diff(
                "database",
                "subject",
                format!("no subject has the identifier {} any more", subject.primary),
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let ids: Vec<String> = d.identifiers.iter().map(|i| i.display()).collect();
    for i in &subject.identifiers {
        if !ids.contains(i) {
            out.push(diff("database", "subject", format!("identifier {i} no longer belongs to this subject")));
        }
    }
    for i in &ids {
        if !subject.identifiers.contains(i) {
            out.push(diff("database", "subject", format!("identifier {i} now belongs to this subject")));
        }
    }
    let sources: Vec<_> = d.sources.iter().map(data::manifest_source).collect();
    source_differences(m, &sources, out);
    let now: BTreeMap<i64, super::manifest::ManifestEvent> =
        data::manifest_events(&d).into_iter().map(|e| (e.id, e)).collect();
    for e in &m.events {
        match now.get(&e.id) {
            None => out.push(diff("database", "event", format!("{} is no longer in the database", e.summary))),
            Some(n) if n.sha256 != e.sha256 => {
                out.push(diff("database", "event", format!("{} changed: now {}", e.summary, n.summary)))
            }
            Some(_) => {}
        }
    }
    for (id, n) in &now {
        if !m.events.iter().any(|e| e.id == *id) {
            out.push(diff("database", "event", format!("{} is new since the pack was made", n.summary)));
        }
    }
    let findings: Vec<_> = d.findings.iter().map(data::manifest_finding).collect();
    for f in &m.findings {
        match findings.iter().find(|n| n.id == f.id) {
            None => out.push(diff("database", "finding", format!("finding {} ({}) no longer holds", f.id, f.summary))),
            Some(n) if n.sha256 != f.sha256 => out.push(diff(
                "database",
                "finding",
                format!("finding {} changed: was {}, now {}", f.id, f.summary, n.summary),
            )),
            Some(_) => {}
        }
    }
    for n in &findings {
        if !m.findings.iter().any(|f| f.id == n.id) {
            out.push(diff(
                "database",
                "finding",
                format!("finding {} ({}) is new since the pack was made", n.id, n.summary),
            ));
        }
    }
    Ok(())
}

fn source_differences(m: &Manifest, list: &[ManifestSource], out: &mut Vec<Difference>) {
    for s in &m.sources {
        match list.iter().find(|d| d.sha256 == s.sha256) {
            None => out.push(diff(
                "database",
                "source",
                format!("{} ({}, SHA-256 {}) is no longer in the database", s.path, s.system, s.sha256),
            )),
            Some(d) if d != s => out.push(diff(
                "database",
                "source",
                format!(
                    "{}: rows imported/rejected were {}/{}, now {}/{}",
                    s.path, s.rows_imported, s.rows_rejected, d.rows_imported, d.rows_rejected
                ),
            )),
            Some(_) => {}
        }
    }
    for d in list {
        if !m.sources.iter().any(|s| s.sha256 == d.sha256) {
            out.push(diff(
                "database",
                "source",
                format!("{} ({}) was imported after the pack was made", d.path, d.system),
            ));
        }
    }
}

/// Most subjects, and most findings, listed one by one; the rest are counted.
const MAX_LISTED: usize = 1000;

/// A count and a digest over all of them, from the manifest or the database.
#[derive(Clone, Copy)]
struct Totals<'a> {
    count: usize,
    sha256: &'a str,
}

/// An organisation extract for the comparison, or why it cannot be used.
struct Extract<'a> {
    name: &'a str,
    /// The file, read again if the extract's rows are read.
    pack: &'a PackFile<'a>,
    /// The database renders it now exactly as the file holds it: no row can differ.
    as_rendered: bool,
}

fn extract<'a>(m: &'a Manifest, extracts: &Extracts<'a>, name: &str) -> Result<Extract<'a>, String> {
    let Some(stated) = m.attachments.iter().find(|a| a.name == name) else {
        return Err(format!("the pack has no {name}"));
    };
    if !extracts.intact.contains(name) {
        return Err(format!("{name} in the file is not the one the manifest states"));
    }
    Ok(Extract { name: &stated.name, pack: extracts.pack, as_rendered: extracts.now.get(name) == Some(&stated.sha256) })
}

/// Lists the first [`MAX_LISTED`] of `total` differences, then one line that counts the rest.
fn push_capped(out: &mut Vec<Difference>, item: &str, listed: Vec<Difference>, total: usize, what: &str) {
    out.extend(listed.into_iter().take(MAX_LISTED));
    if total > MAX_LISTED {
        out.push(diff(
            "database",
            item,
            format!("… and {} more {what} (only the first {MAX_LISTED} are listed)", total - MAX_LISTED),
        ));
    }
}

/// "1 event", "3 events".
fn events(n: usize) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{n} events")
    }
}

/// How one subject's events differ.
enum SubjectChange<'a> {
    Changed { key: &'a str, was: usize, now: usize },
    Gone { key: &'a str, was: usize },
    New { key: &'a str, now: usize },
    Rekeyed { was: &'a str, now: &'a str, events: usize },
}

impl<'a> SubjectChange<'a> {
    /// The key the change is listed under.
    fn key(&self) -> &'a str {
        match *self {
            SubjectChange::Changed { key, .. } | SubjectChange::Gone { key, .. } | SubjectChange::New { key, .. } => {
                key
            }
            SubjectChange::Rekeyed { was, .. } => was,
        }
    }
}

/// Why the events' digest changed when no subject's events did.
const EVENT_IDS_CHANGED: &str =
    "yet every subject's events have the same content: event ids changed (e.g. a source was re-imported)";

/// Organisation packs: the subjects whose events differ, from the per-subject digests of
/// subjects.csv; packs without it (or with a damaged one) fall back to the totals.
fn subject_differences(
    conn: &rusqlite::Connection,
    m: &Manifest,
    extract: Result<Extract<'_>, String>,
    now_totals: Totals<'_>,
    out: &mut Vec<Difference>,
) -> Result<(), PackError> {
    let totals = || {
        format!(
            "the events differ: the pack rests on {} events, the database now has {} (digest changed)",
            m.events_count, now_totals.count
        )
    };
    if extract.as_ref().is_ok_and(|e| e.as_rendered) {
        // Every subject's row is as written: only the event ids can have changed.
        if now_totals.sha256 != m.events_sha256 {
            out.push(diff("database", "event", format!("{}, {}", totals(), EVENT_IDS_CHANGED)));
        }
        return Ok(());
    }
    let rows = extract.and_then(|e| {
        e.pack
            .read_extract(e.name, |data| read_columns(data, &["subject", "events", "digest"]))
            .map_err(|e| format!("{SUBJECTS_CSV} cannot be read: {e}"))
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(why) => {
            if now_totals.sha256 != m.events_sha256 {
                let why = if m.attachments.iter().any(|a| a.name == SUBJECTS_CSV) {
                    why
                } else {
                    "the pack predates per-subject digests".into()
                };
                out.push(diff(
                    "database",
                    "event",
                    format!("{}; {why}, so the subjects concerned cannot be named", totals()),
                ));
            }
            return Ok(());
        }
    };
    // Keys are compared as the extract writes them.
    let mut was: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for r in &rows {
        was.insert(r[0].as_str(), (r[1].parse().unwrap_or(usize::MAX), r[2].as_str()));
    }
    let current = data::subject_digests(conn)?;
    let current: Vec<(String, usize, &str)> =
        current.iter().map(|s| (neutral(&s.key), s.events, s.digest.as_str())).collect();
    let now: BTreeMap<&str, (usize, &str)> = current.iter().map(|(k, n, d)| (k.as_str(), (*n, *d))).collect();

    let mut changes: Vec<SubjectChange<'_>> = Vec::new();
    let mut gone: Vec<(&str, (usize, &str))> = Vec::new();
    for (key, (n, d)) in &was {
        match now.get(key) {
            None => gone.push((key, (*n, d))),
            Some((n2, d2)) if (n2, d2) != (n, d) => changes.push(SubjectChange::Changed { key, was: *n, now: *n2 }),
            Some(_) => {}
        }
    }
    // A subject whose events are unchanged but whose key is not (e.g. an e-mail linked to a
    // subject known by phone) is one change, not one removed and one new subject.
    let mut new: BTreeMap<(usize, &str), &str> = BTreeMap::new();
    for (key, (n, d)) in &now {
        if !was.contains_key(key) {
            new.insert((*n, *d), key);
        }
    }
    for (key, (n, d)) in gone {
        match new.remove(&(n, d)) {
            Some(to) => changes.push(SubjectChange::Rekeyed { was: key, now: to, events: n }),
            None => changes.push(SubjectChange::Gone { key, was: n }),
        }
    }
    changes.extend(new.into_iter().map(|((n, _), key)| SubjectChange::New { key, now: n }));
    changes.sort_by(|a, b| a.key().cmp(b.key()));

    if changes.is_empty() {
        if now_totals.sha256 != m.events_sha256 {
            out.push(diff("database", "event", format!("{}, {}", totals(), EVENT_IDS_CHANGED)));
        }
        return Ok(());
    }
    out.push(diff(
        "database",
        "event",
        format!(
            "the events of {} subject(s) differ: the pack rests on {} events of {} subjects, the database now has {} events of {} subjects",
            changes.len(),
            m.events_count,
            was.len(),
            now_totals.count,
            now.len()
        ),
    ));
    let keys = if changes.iter().take(MAX_LISTED).any(|c| matches!(c, SubjectChange::Gone { .. })) {
        data::subject_keys(conn)?
    } else {
        Default::default()
    };
    let mut listed = Vec::new();
    for c in changes.iter().take(MAX_LISTED) {
        listed.push(match *c {
            SubjectChange::Changed { key, was, now } => diff(
                "database",
                "event",
                format!("events of subject {} changed ({} in the pack, {now} now)", as_recorded(key), events(was)),
            ),
            SubjectChange::New { key, now } => diff(
                "database",
                "subject",
                format!("subject {} is new since the pack was made ({})", as_recorded(key), events(now)),
            ),
            SubjectChange::Rekeyed { was, now, events: n } => diff(
                "database",
                "subject",
                format!(
                    "subject {} is now known as {} (its identifiers changed; its {} did not)",
                    as_recorded(was),
                    as_recorded(now),
                    events(n)
                ),
            ),
            SubjectChange::Gone { key, was } => {
                let key = as_recorded(key);
                let subject = match identity::subject_of(conn, key) {
                    Ok(s) => s,
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                let detail = match subject.and_then(|s| keys.get(&s)) {
                    None => format!("subject {key} is no longer in the database ({} in the pack)", events(was)),
                    Some(k) if k == key => {
                        format!("subject {key} has no events in the database any more ({} in the pack)", events(was))
                    }
                    Some(k) => format!(
                        "subject {key} is no longer a subject of its own: its identifier now belongs to subject {k} ({} in the pack)",
                        events(was)
                    ),
                };
                diff("database", "subject", detail)
            }
        });
    }
    push_capped(out, "event", listed, changes.len(), "subjects whose events differ");
    Ok(())
}

/// Organisation packs: each finding no longer produced, new or changed, from the digests in
/// findings.csv; packs without them (or with a damaged extract) fall back to the totals.
/// Names the findings that differ between the pack's extract and the recomputed audit. Only a
/// pack whose extract differs from the re-rendered one has its findings read into memory (to
/// pair them by id); an unchanged pack is checked by its totals alone.
fn finding_differences(
    conn: &rusqlite::Connection,
    m: &Manifest,
    extract: Result<Extract<'_>, String>,
    now_totals: Totals<'_>,
    out: &mut Vec<Difference>,
) -> Result<(), PackError> {
    let columns = ["id", "rule", "code", "subject", "purpose", "recipient", "digest"];
    if extract.as_ref().is_ok_and(|e| e.as_rendered) {
        // Every finding's row, digest included, is as written: only their order can differ.
        if now_totals.sha256 != m.findings_sha256 {
            out.push(diff("database", "finding", findings_reordered(m, now_totals)));
        }
        return Ok(());
    }
    let rows = extract.and_then(|e| {
        e.pack.read_extract(e.name, |data| read_columns(data, &columns)).map_err(|e| {
            if e.contains("no digest column") {
                "the pack predates per-finding digests".to_string()
            } else {
                format!("{FINDINGS_CSV} cannot be read: {e}")
            }
        })
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(why) => {
            if now_totals.sha256 != m.findings_sha256 {
                out.push(diff(
                    "database",
                    "finding",
                    format!(
                        "the findings differ: {} in the pack, {} now; {why}, so they cannot be named",
                        m.findings_count, now_totals.count
                    ),
                ));
            }
            return Ok(());
        }
    };
    let name = |cells: [&str; 6]| {
        let [id, rule, code, subject, purpose, recipient] = cells;
        let purpose = if purpose.is_empty() { String::new() } else { format!(", purpose {}", as_recorded(purpose)) };
        let recipient = if recipient.is_empty() { String::new() } else { format!(" → {}", as_recorded(recipient)) };
        format!("finding {rule} {code} for {}{purpose}{recipient} (id {id})", as_recorded(subject))
    };
    let was: BTreeMap<&str, &Vec<String>> = rows.iter().map(|r| (r[0].as_str(), r)).collect();
    let mut findings: Vec<Finding> = Vec::new();
    findings::for_each_in(conn, FindingsTable::Recomputed, |f| {
        findings.push(f.clone());
        Ok::<(), PackError>(())
    })?;
    let now: BTreeMap<&str, (&Finding, String)> =
        findings.iter().map(|f| (f.id.as_str(), (f, finding_digest(f)))).collect();
    let of_finding = |f: &Finding| {
        name([
            &f.id,
            f.rule.as_str(),
            f.rule.code(),
            &f.subject_key,
            f.purpose.as_deref().unwrap_or_default(),
            f.recipient.as_deref().unwrap_or_default(),
        ])
    };
    // In the order findings are listed everywhere: by subject, then rule.
    let rule_number = |rule: &str| rule.trim_start_matches('R').parse::<u32>().unwrap_or(u32::MAX);
    let mut listed: Vec<((String, u32, String), Difference)> = Vec::new();
    let (mut gone, mut added, mut changed) = (0usize, 0usize, 0usize);
    for (id, r) in &was {
        let sort = (as_recorded(&r[3]).to_string(), rule_number(&r[1]), id.to_string());
        match now.get(id) {
            None => {
                gone += 1;
                let cells = [r[0].as_str(), &r[1], &r[2], &r[3], &r[4], &r[5]];
                listed.push((sort, diff("database", "finding", format!("{} is no longer produced", name(cells)))));
            }
            Some((f, digest)) if *digest != r[6] => {
                changed += 1;
                listed.push((
                    sort,
                    diff(
                        "database",
                        "finding",
                        format!("{} changed (its severity, occurrences, events or explanation differ)", of_finding(f)),
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    for (id, (f, _)) in &now {
        if !was.contains_key(id) {
            added += 1;
            let sort = (f.subject_key.clone(), rule_number(f.rule.as_str()), f.id.clone());
            listed
                .push((sort, diff("database", "finding", format!("{} is new since the pack was made", of_finding(f)))));
        }
    }
    if listed.is_empty() {
        if now_totals.sha256 != m.findings_sha256 {
            out.push(diff("database", "finding", findings_reordered(m, now_totals)));
        }
        return Ok(());
    }
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    out.push(diff(
        "database",
        "finding",
        format!(
            "the findings differ: {} in the pack, {} now ({gone} no longer produced, {added} new, {changed} changed)",
            m.findings_count, now_totals.count
        ),
    ));
    let total = listed.len();
    let listed = listed.into_iter().take(MAX_LISTED).map(|(_, d)| d).collect();
    push_capped(out, "finding", listed, total, "findings that differ");
    Ok(())
}

/// The findings' digest changed though no finding did.
fn findings_reordered(m: &Manifest, now_totals: Totals<'_>) -> String {
    format!(
        "the findings differ: {} in the pack, {} now (digest changed, though no finding did: their order changed)",
        m.findings_count, now_totals.count
    )
}
