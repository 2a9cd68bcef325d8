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
}

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

/// Reads the input once for size, encoding and head, but not its SHA-256: an import of a new
/// file computes that on another thread meanwhile ([`sha256_of`]). A ZIP entry, decompressed
/// anew for every read, is hashed in the same pass.
pub fn inspect(input: &Input) -> Result<Fingerprint, ImportError> {
    read_once(input, matches!(input, Input::ZipEntry { .. }))
}

/// The input's SHA-256 (hex).
pub fn sha256_of(input: &Input) -> Result<String, ImportError> {
    let mut reader = input.open()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ImportError::io(&input.display(), e)),
        }
    }
    Ok(hex::encode(hasher.finalize()))
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
    } else if utf8.finish() {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    };
    Ok(Fingerprint { sha256: hasher.map(|h| hex::encode(h.finalize())), bytes, encoding, head })
}

/// Streaming UTF-8 validation across chunk boundaries.
#[derive(Default)]
struct Utf8Check {
    carry: Vec<u8>,
    invalid: bool,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) {
        if self.invalid {
            return;
        }
        let carried;
        let data: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(chunk);
            carried = joined;
            &carried
        };
        match std::str::from_utf8(data) {
            Ok(_) => {}
            Err(e) => match e.error_len() {
                Some(_) => self.invalid = true,
                None => self.carry = data[e.valid_up_to()..].to_vec(),
            },
        }
    }

    fn finish(&self) -> bool {
        !self.invalid && self.carry.is_empty()
    }
}

/// Opens the input as UTF-8 text, transcoding and dropping any BOM.
pub fn open_text(input: &Input, encoding: TextEncoding) -> Result<Box<dyn Read + Send>, ImportError> {
    let raw = input.open()?;
    let builder = || {
        let mut b = encoding_rs_io::DecodeReaderBytesBuilder::new();
        b.bom_sniffing(true).strip_bom(true);
        b
    };
    Ok(match encoding {
        TextEncoding::Utf8 => raw,
        TextEncoding::Utf8Bom | TextEncoding::Utf16Le | TextEncoding::Utf16Be => Box::new(builder().build(raw)),
        TextEncoding::Windows1252 => Box::new(builder().encoding(Some(encoding_rs::WINDOWS_1252)).build(raw)),
    })
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
/// become their entries. Unreadable paths and hostile archives become per-path errors.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<Input, ImportError>> {
    let mut out = Vec::new();
    for p in paths {
        expand_one(p, &mut out);
    }
    out
}

fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == [b'P', b'K', 3, 4]
}

fn expand_one(path: &Path, out: &mut Vec<Result<Input, ImportError>>) {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return out.push(Err(ImportError::io(&shown, e))),
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return out.push(Err(ImportError::io(&shown, e))),
        };
        entries.sort();
        for entry in entries {
            let hidden = entry.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                expand_one(&entry, out);
            }
        }
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
