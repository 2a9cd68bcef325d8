//! Inputs: files on disk and entries of ZIP archives, re-openable so that a file can be hashed,
//! sniffed and then streamed (and, when a date column is ambiguous, scanned again) without ever
//! being held in memory whole.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ImportError;

/// Largest uncompressed size accepted for one ZIP entry.
pub const MAX_ZIP_ENTRY_BYTES: u64 = 4 << 30;
/// Largest compression ratio accepted for one ZIP entry (zip bombs reach thousands).
pub const MAX_ZIP_RATIO: u64 = 200;

/// One file to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    ZipEntry { archive: PathBuf, index: usize, name: String, declared_size: u64 },
}

impl Input {
    /// How the user sees this input: the path, or `archive.zip!/entry.csv`.
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::ZipEntry { archive, name, .. } => format!("{}!/{}", archive.display(), name),
        }
    }

    /// The file name without folders, for display and detection hints.
    pub fn file_name(&self) -> String {
        match self {
            Input::File(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            Input::ZipEntry { name, .. } => name.rsplit('/').next().unwrap_or(name).to_string(),
        }
    }

    /// Opens the raw bytes. ZIP entries are size-limited while they stream, because the
    /// declared size in a hostile archive can lie.
    pub fn open(&self) -> Result<Box<dyn Read + Send>, ImportError> {
        match self {
            Input::File(p) => {
                let f = File::open(p).map_err(|e| ImportError::io(&self.display(), e))?;
                Ok(Box::new(BufReader::with_capacity(1 << 16, f)))
            }
            Input::ZipEntry { archive, index, declared_size, .. } => {
                let f = File::open(archive).map_err(|e| ImportError::io(&self.display(), e))?;
                let mut zip = zip::ZipArchive::new(BufReader::new(f))
                    .map_err(|e| ImportError::file(&self.display(), format!("not a readable ZIP archive: {e}")))?;
                let mut entry = zip
                    .by_index(*index)
                    .map_err(|e| ImportError::file(&self.display(), format!("cannot read ZIP entry: {e}")))?;
                // The entry borrows the archive, so it is decompressed (size-limited) into an
                // unlinked temporary file that the caller then streams: memory stays bounded.
                let mut tmp = tempfile_in_target()?;
                let limit = (*declared_size).min(MAX_ZIP_ENTRY_BYTES) + 1;
                let copied = io::copy(&mut (&mut entry).take(limit), &mut tmp)
                    .map_err(|e| ImportError::file(&self.display(), format!("cannot decompress ZIP entry: {e}")))?;
                if copied >= limit {
                    return Err(ImportError::file(
                        &self.display(),
                        "ZIP entry is larger than it declares (a malformed archive or a zip bomb); not imported",
                    ));
                }
                use std::io::Seek;
                tmp.seek(io::SeekFrom::Start(0)).map_err(|e| ImportError::io(&self.display(), e))?;
                Ok(Box::new(BufReader::with_capacity(1 << 16, tmp)))
            }
        }
    }
}

fn tempfile_in_target() -> Result<File, ImportError> {
    // Unlinked at once: the open handle keeps it until dropped.
    tempfile::tempfile().map_err(|e| ImportError::io("temporary file", e))
}

/// What one pass over the raw bytes tells: hash, size, encoding, and the first bytes.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    /// None when left to [`sha256_of`] (see [`inspect`]).
    pub sha256: Option<String>,
    pub bytes: u64,
    pub encoding: TextEncoding,
    /// The first bytes (raw), for sniffing.
    pub head: Vec<u8>,
    /// Invalid UTF-8 sequences in a file read as UTF-8 anyway (see [`UTF8_TOLERANCE`]).
    pub invalid_utf8: u64,
}

/// A file with invalid UTF-8 stays UTF-8 when its valid multi-byte UTF-8 characters are at
/// least this many times as many as its invalid byte sequences (then only the rows holding the
/// invalid bytes are rejected); otherwise the whole file is read as Windows-1252. One stray byte
/// in a UTF-8 export must not turn every `ë` into `Ã«`, while a Windows-1252 file (whose
/// accented letters are all invalid UTF-8, and almost never valid multi-byte sequences) is still
/// read as one.
pub const UTF8_TOLERANCE: u64 = 1;

/// The text encoding of an input, decided by BOM, then UTF-8 validity, then Windows-1252.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// Not valid UTF-8: read as Windows-1252 (a superset of Latin-1), with a warning.
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16LE with BOM",
            TextEncoding::Utf16Be => "UTF-16BE with BOM",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

const HEAD_BYTES: usize = 64 * 1024;

/// Reads the input once: SHA-256, size, encoding, head.
pub fn fingerprint(input: &Input) -> Result<Fingerprint, ImportError> {
    read_once(input, true)
}

/// Reads the input once for size, encoding and head, but not its SHA-256: an import hashes the
/// bytes it reads as it reads them ([`open_text_recorded`]). A ZIP entry, decompressed anew for
/// every read, is hashed in this pass too.
pub fn inspect(input: &Input) -> Result<Fingerprint, ImportError> {
    read_once(input, matches!(input, Input::ZipEntry { .. }))
}

/// The input's SHA-256 (hex).
pub fn sha256_of(input: &Input) -> Result<String, ImportError> {
    digest_of(input).map(|(sha256, _)| sha256)
}

/// The input's SHA-256 (hex) and size, from one read.
pub fn digest_of(input: &Input) -> Result<(String, u64), ImportError> {
    let mut reader = input.open()?;
    let mut bytes = 0u64;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ImportError::io(&input.display(), e)),
        }
    }
    Ok((hex::encode(hasher.finalize()), bytes))
}

fn read_once(input: &Input, hash: bool) -> Result<Fingerprint, ImportError> {
    let mut reader = input.open()?;
    let mut hasher = hash.then(Sha256::new);
    let mut buf = vec![0u8; 1 << 16];
    let mut head = Vec::new();
    let mut bytes = 0u64;
    let mut utf8 = Utf8Check::default();
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ImportError::io(&input.display(), e)),
        };
        let chunk = &buf[..n];
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(n);
            head.extend_from_slice(&chunk[..take]);
        }
        utf8.feed(chunk);
        bytes += n as u64;
    }
    let encoding = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        TextEncoding::Utf8Bom
    } else if head.starts_with(&[0xFF, 0xFE]) {
        TextEncoding::Utf16Le
    } else if head.starts_with(&[0xFE, 0xFF]) {
        TextEncoding::Utf16Be
    } else if utf8.is_utf8() {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    };
    let invalid_utf8 = if encoding == TextEncoding::Utf8 { utf8.invalid() } else { 0 };
    Ok(Fingerprint { sha256: hasher.map(|h| hex::encode(h.finalize())), bytes, encoding, head, invalid_utf8 })
}

/// Streaming UTF-8 validation across chunk boundaries: counts valid multi-byte characters and
/// invalid sequences.
#[derive(Default)]
struct Utf8Check {
    carry: Vec<u8>,
    multibyte: u64,
    invalid: u64,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) {
        let carried;
        let mut data: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(chunk);
            carried = joined;
            &carried
        };
        loop {
            match std::str::from_utf8(data) {
                Ok(valid) => {
                    self.count(valid.as_bytes());
                    return;
                }
                Err(e) => {
                    let (valid, rest) = data.split_at(e.valid_up_to());
                    self.count(valid);
                    match e.error_len() {
                        Some(n) => {
                            self.invalid += 1;
                            data = &rest[n..];
                        }
                        None => {
                            self.carry = rest.to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }

    fn count(&mut self, valid: &[u8]) {
        self.multibyte += valid.iter().filter(|b| **b >= 0xC0).count() as u64;
    }

    /// Invalid sequences, counting an incomplete one at the end.
    fn invalid(&self) -> u64 {
        self.invalid + u64::from(!self.carry.is_empty())
    }

    /// True when the file is to be read as UTF-8 (see [`UTF8_TOLERANCE`]).
    fn is_utf8(&self) -> bool {
        let invalid = self.invalid();
        invalid == 0 || self.multibyte >= invalid.saturating_mul(UTF8_TOLERANCE)
    }
}

/// The SHA-256 and size of every complete read of one input during its import: what is stored
/// for a source comes from the very bytes that were imported, and a file that changed between
/// two reads is noticed.
#[derive(Debug, Clone, Default)]
pub struct ReadLedger(std::sync::Arc<std::sync::Mutex<Vec<(String, u64)>>>);

impl ReadLedger {
    /// (SHA-256 hex, bytes) of each read that reached the end, in order.
    pub fn reads(&self) -> Vec<(String, u64)> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// Hashes the bytes passing through; at the end of the input the digest goes to the ledger.
struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes: u64,
    ledger: ReadLedger,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(h) = self.hasher.as_mut() {
                h.update(&buf[..n]);
            }
            self.bytes += n as u64;
        } else if !buf.is_empty() {
            if let Some(h) = self.hasher.take() {
                if let Ok(mut reads) = self.ledger.0.lock() {
                    reads.push((hex::encode(h.finalize()), self.bytes));
                }
            }
        }
        Ok(n)
    }
}

/// Opens the input as UTF-8 text (see [`open_text`]), recording the raw bytes' SHA-256 and size
/// in `ledger` when the read reaches the end.
pub fn open_text_recorded(
    input: &Input,
    encoding: TextEncoding,
    ledger: &ReadLedger,
) -> Result<Box<dyn Read + Send>, ImportError> {
    let raw = HashingReader { inner: input.open()?, hasher: Some(Sha256::new()), bytes: 0, ledger: ledger.clone() };
    Ok(decode(Box::new(raw), encoding))
}

/// Opens the input as UTF-8 text, transcoding and dropping any BOM.
pub fn open_text(input: &Input, encoding: TextEncoding) -> Result<Box<dyn Read + Send>, ImportError> {
    Ok(decode(input.open()?, encoding))
}

fn decode(raw: Box<dyn Read + Send>, encoding: TextEncoding) -> Box<dyn Read + Send> {
    let builder = || {
        let mut b = encoding_rs_io::DecodeReaderBytesBuilder::new();
        b.bom_sniffing(true).strip_bom(true);
        b
    };
    match encoding {
        TextEncoding::Utf8 => raw,
        TextEncoding::Utf8Bom | TextEncoding::Utf16Le | TextEncoding::Utf16Be => Box::new(builder().build(raw)),
        TextEncoding::Windows1252 => Box::new(builder().encoding(Some(encoding_rs::WINDOWS_1252)).build(raw)),
    }
}

/// The head decoded as text (lossy), for sniffing the format.
pub fn head_text(fp: &Fingerprint) -> String {
    let (enc, skip) = match fp.encoding {
        TextEncoding::Utf8 => (encoding_rs::UTF_8, 0),
        TextEncoding::Utf8Bom => (encoding_rs::UTF_8, 3),
        TextEncoding::Utf16Le => (encoding_rs::UTF_16LE, 2),
        TextEncoding::Utf16Be => (encoding_rs::UTF_16BE, 2),
        TextEncoding::Windows1252 => (encoding_rs::WINDOWS_1252, 0),
    };
    let (text, _) = enc.decode_without_bom_handling(fp.head.get(skip..).unwrap_or_default());
    text.into_owned()
}

/// Expands the user's paths: folders are walked (sorted, hidden files skipped), ZIP archives
/// become their entries. Unreadable paths, hostile archives, and anything that is not a regular
/// file (a FIFO, a device such as `/dev/zero`, a socket) become per-path errors without being
/// opened — reading one would never end. A folder reached again through a symbolic link (a loop)
/// is named and skipped.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<Input, ImportError>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        expand_one(p, &mut out, &mut seen);
    }
    out
}

fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == [b'P', b'K', 3, 4]
}

/// What a path that is neither a file nor a folder is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "not a regular file"
}

/// A folder's identity for loop detection: its canonical path.
fn folder_key(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

fn expand_one(path: &Path, out: &mut Vec<Result<Input, ImportError>>, seen: &mut std::collections::HashSet<PathBuf>) {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return out.push(Err(ImportError::io(&shown, e))),
    };
    if meta.is_dir() {
        if let Some(key) = folder_key(path) {
            if !seen.insert(key.clone()) {
                return out.push(Err(ImportError::file(
                    &shown,
                    format!(
                        "skipped: this folder is {} again, reached through a symbolic link (a loop); its files are \
                         read once",
                        key.display()
                    ),
                )));
            }
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return out.push(Err(ImportError::io(&shown, e))),
        };
        entries.sort();
        for entry in entries {
            let hidden = entry.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                expand_one(&entry, out, seen);
            }
        }
    } else if !meta.is_file() {
        out.push(Err(ImportError::file(
            &shown,
            format!(
                "skipped: {}, not a regular file; only files, folders and ZIP archives are imported",
                kind_of(&meta)
            ),
        )));
    } else if is_zip(path) {
        expand_zip(path, out);
    } else {
        out.push(Ok(Input::File(path.to_path_buf())));
    }
}

fn expand_zip(path: &Path, out: &mut Vec<Result<Input, ImportError>>) {
    let shown = path.display().to_string();
    let archive = File::open(path).map_err(|e| ImportError::io(&shown, e)).and_then(|f| {
        zip::ZipArchive::new(BufReader::new(f))
            .map_err(|e| ImportError::file(&shown, format!("not a readable ZIP archive: {e}")))
    });
    let mut archive = match archive {
        Ok(a) => a,
        Err(e) => return out.push(Err(e)),
    };
    for index in 0..archive.len() {
        let entry = match archive.by_index(index) {
            Ok(e) => e,
            Err(e) => {
                out.push(Err(ImportError::file(&format!("{shown}!/#{index}"), format!("cannot read ZIP entry: {e}"))));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base.starts_with('.') || name.starts_with("__MACOSX/") {
            continue;
        }
        let shown_entry = format!("{shown}!/{name}");
        let size = entry.size();
        let compressed = entry.compressed_size().max(1);
        if size > MAX_ZIP_ENTRY_BYTES {
            out.push(Err(ImportError::file(
                &shown_entry,
                format!("ZIP entry expands to {size} bytes, over the {MAX_ZIP_ENTRY_BYTES}-byte limit; not imported"),
            )));
            continue;
        }
        if size > (1 << 20) && size / compressed > MAX_ZIP_RATIO {
            out.push(Err(ImportError::file(
                &shown_entry,
                format!(
                    "ZIP entry expands {}x ({compressed} → {size} bytes), which only a zip bomb does; not imported",
                    size / compressed
                ),
            )));
            continue;
        }
        out.push(Ok(Input::ZipEntry { archive: path.to_path_buf(), index, name, declared_size: size }));
    }
}
