//! Turning laid-out pages into a PDF/A-3b file.
//!
//! printpdf writes the pages, fonts (embedded, subset, with ToUnicode) and outline; what it
//! lacks for PDF/A-3b is finished here on its `lopdf` document (DESIGN.md, platform facts):
//! XMP metadata with `pdfaid` part 3 / conformance B mirrored by the Info dictionary, an sRGB
//! output intent, the source extracts as associated files (`/AF`, `/AFRelationship`), a `/ID`
//! derived from the content, and no stream whose data ends in a CR byte (lopdf writes
//! `data\nendstream`, which a validator then reads one byte short).
//!
//! The file also carries a seal: `/CTSeal` in the Info dictionary is the SHA-256 of the whole
//! file with the seal's own 64 hex digits (and the signature's `/Contents`) set to zeros. The seal
//! is unkeyed, so it only catches accidents; what a forger cannot redo is the PAdES signature
//! (see `sign.rs`): an invisible signature field on the first page whose `/ByteRange` covers the
//! whole file but its `/Contents`, reserved at its exact size, filled in after the file is written.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Object, Stream, StringFormat};
use printpdf::{Mm, Op, PdfDocument, PdfPage, PdfSaveOptions};
use sha2::{Digest, Sha256};

use super::fonts::FontSet;
use super::sign::Sealing;
use super::PackError;

/// A file embedded in the pack.
pub struct Attachment {
    pub name: String,
    pub mime: &'static str,
    pub description: String,
    /// `Source` for the subject's source rows, `Supplement` for the manifest.
    pub relationship: &'static str,
    pub data: Body,
}

/// An attachment's content: in memory (a subject's rows, the manifest), or compressed into a
/// temporary file as it was generated (an organisation's extracts, which grow with the data and
/// are copied into the PDF from that file, so they are never held in memory).
pub enum Body {
    Memory(Vec<u8>),
    Spooled(Spooled),
}

impl Body {
    /// The content's length before compression.
    pub fn len(&self) -> usize {
        match self {
            Body::Memory(data) => data.len(),
            Body::Spooled(s) => s.plain_len,
        }
    }

    /// The SHA-256 of the content before compression, in hex.
    pub fn sha256(&self) -> String {
        match self {
            Body::Memory(data) => hex::encode(Sha256::digest(data)),
            Body::Spooled(s) => s.sha256.clone(),
        }
    }
}

/// Content compressed into an anonymous temporary file as it is written: exactly the stream
/// [`compress_streams`] would make of it in memory (the first level, 9 down to 1, whose output
/// does not end in CR; stored plain when every level does), with its plain length and SHA-256.
pub struct Spooled {
    file: std::fs::File,
    plain_len: usize,
    packed_len: u64,
    compressed: bool,
    sha256: String,
}

/// Hashes and counts what goes through it on its way to `inner`.
struct Measured<W: Write> {
    inner: W,
    hash: Sha256,
    len: usize,
}

impl<W: Write> Write for Measured<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n;
        Ok(n)
    }

    /// Does not flush `inner`: flushing a deflate stream ends a block early, and the data must
    /// compress exactly as it does in one piece. The caller finishes `inner` itself.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Spooled {
    /// Runs `generate` (as often as the compression needs: once, unless the compressed data
    /// ends in CR) and keeps what it writes, compressed.
    pub fn write(mut generate: impl FnMut(&mut dyn Write) -> Result<(), PackError>) -> Result<Spooled, PackError> {
        let io = |source| PackError::Io { path: "a temporary file for the pack's extracts".into(), source };
        let mut file = tempfile::tempfile().map_err(io)?;
        for level in [Some(9), Some(8), Some(7), Some(6), Some(5), Some(4), Some(3), Some(2), Some(1), None] {
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            let sink = std::io::BufWriter::with_capacity(1 << 16, &mut file);
            let (plain_len, sha256) = match level {
                Some(level) => {
                    let encoder = flate2::write::ZlibEncoder::new(sink, flate2::Compression::new(level));
                    let mut measured = Measured { inner: encoder, hash: Sha256::new(), len: 0 };
                    run(&mut generate, &mut measured).map_err(|e| e.or_io(io))?;
                    let Measured { inner, hash, len } = measured;
                    inner.finish().map_err(io)?.flush().map_err(io)?;
                    (len, hex::encode(hash.finalize()))
                }
                None => {
                    let mut measured = Measured { inner: sink, hash: Sha256::new(), len: 0 };
                    run(&mut generate, &mut measured).map_err(|e| e.or_io(io))?;
                    measured.inner.flush().map_err(io)?;
                    (measured.len, hex::encode(measured.hash.finalize()))
                }
            };
            let packed_len = file.seek(SeekFrom::End(0)).map_err(io)?;
            let mut last = [0u8; 1];
            if packed_len > 0 {
                file.seek(SeekFrom::End(-1)).map_err(io)?;
                file.read_exact(&mut last).map_err(io)?;
            }
            if level.is_none() || last[0] != b'\r' {
                return Ok(Spooled { file, plain_len, packed_len, compressed: level.is_some(), sha256 });
            }
        }
        Err(PackError::Pdf("an extract could not be stored".into()))
    }
}

/// Why [`run`] failed: the generator's own error, or writing its output.
enum RunError {
    Pack(PackError),
    Io(std::io::Error),
}

impl RunError {
    fn or_io(self, io: impl Fn(std::io::Error) -> PackError) -> PackError {
        match self {
            RunError::Pack(e) => e,
            RunError::Io(e) => io(e),
        }
    }
}

/// Runs `generate` into `sink` through a buffer (rows are small writes), flushed at the end.
fn run(
    generate: &mut impl FnMut(&mut dyn Write) -> Result<(), PackError>,
    sink: &mut dyn Write,
) -> Result<(), RunError> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, sink);
    generate(&mut buffered).map_err(RunError::Pack)?;
    buffered.flush().map_err(RunError::Io)
}

/// Document metadata (Info dictionary and XMP, kept identical).
pub struct DocMeta<'a> {
    pub title: &'a str,
    pub subject: &'a str,
    pub keywords: &'a str,
    pub created: DateTime<Utc>,
    pub manifest_sha256: &'a str,
}

/// The Info key holding the seal.
pub const SEAL_KEY: &str = "CTSeal";
/// The Info key holding the manifest's SHA-256.
pub const MANIFEST_KEY: &str = "CTManifestSHA256";
/// The Info key holding each page's content digest.
pub const PAGES_KEY: &str = "CTPageDigests";
const ID_PLACEHOLDER: [u8; 16] = [0xC7; 16];
/// Written in each `/ByteRange` slot until the real offsets are known (ten digits, room for any
/// offset below 10 GB).
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

fn name(s: &str) -> Object {
    Object::Name(s.as_bytes().to_vec())
}

fn literal(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
}

/// A PDF text string: PDFDocEncoding-safe ASCII as is, anything else as UTF-16BE with a BOM.
pub fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return literal(s);
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in s.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xmp(meta: &DocMeta<'_>, producer: &str) -> String {
    let date = meta.created.format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\
<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
<dc:format>application/pdf</dc:format>\
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\
<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\
</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\
<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate>\
<xmp:MetadataDate>{date}</xmp:MetadataDate><xmp:CreatorTool>{producer}</xmp:CreatorTool></rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\
<pdf:Producer>{producer}</pdf:Producer><pdf:Keywords>{keywords}</pdf:Keywords></rdf:Description>\n\
</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>",
        title = xml_escape(meta.title),
        subject = xml_escape(meta.subject),
        keywords = xml_escape(meta.keywords),
    )
}

/// A minimal ICC v2 display profile for sRGB (D50-adapted primaries, the sRGB tone curve as a
/// 256-entry table), generated here so that no third-party profile file or licence is needed.
pub fn srgb_icc() -> Vec<u8> {
    fn s15(v: f64) -> [u8; 4] {
        ((v * 65536.0).round() as i32).to_be_bytes()
    }
    fn xyz(x: f64, y: f64, z: f64) -> Vec<u8> {
        let mut t = b"XYZ \0\0\0\0".to_vec();
        for v in [x, y, z] {
            t.extend_from_slice(&s15(v));
        }
        t
    }
    let mut desc = b"desc\0\0\0\0".to_vec();
    let text = b"sRGB IEC61966-2.1 (ConsentTrail)\0";
    desc.extend_from_slice(&(text.len() as u32).to_be_bytes());
    desc.extend_from_slice(text);
    desc.extend_from_slice(&[0u8; 4 + 4 + 2 + 1 + 67]);
    let mut cprt = b"text\0\0\0\0".to_vec();
    cprt.extend_from_slice(b"No copyright, use freely\0");
    let mut curv = b"curv\0\0\0\0".to_vec();
    curv.extend_from_slice(&256u32.to_be_bytes());
    for i in 0..256 {
        let c = f64::from(i) / 255.0;
        let l = if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
        curv.extend_from_slice(&((l * 65535.0).round() as u16).to_be_bytes());
    }
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curv.clone()),
        (b"gTRC", curv.clone()),
        (b"bTRC", curv),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (sig, body) in &tags {
        let offset = 128 + table_len + data.len();
        entries.push((*sig, offset as u32, body.len() as u32));
        data.extend_from_slice(body);
        while data.len() % 4 != 0 {
            data.push(0);
        }
    }
    let size = 128 + table_len + data.len();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(size as u32).to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&[0x02, 0x10, 0, 0]);
    out.extend_from_slice(b"mntrRGB XYZ ");
    for v in [2024u16, 1, 1, 0, 0, 0] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(b"acsp");
    out.extend_from_slice(&[0; 24]);
    out.extend_from_slice(&[0; 4]);
    for v in [0.9642, 1.0, 0.8249] {
        out.extend_from_slice(&s15(v));
    }
    out.resize(128, 0);
    out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    for (sig, offset, len) in entries {
        out.extend_from_slice(sig);
        out.extend_from_slice(&offset.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(&data);
    out
}

fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    // Writing into a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Compresses every uncompressed stream (the XMP stays plain text so any tool can read it),
/// choosing a compression level whose output does not end in CR; a stream whose data would end
/// in CR whatever the level is stored uncompressed.
fn compress_streams(doc: &mut lopdf::Document) {
    for object in doc.objects.values_mut() {
        let Object::Stream(stream) = object else { continue };
        let is_metadata = stream.dict.get(b"Type").and_then(Object::as_name).map(|n| n == b"Metadata").unwrap_or(false);
        if stream.dict.has(b"Filter") {
            if stream.content.last() == Some(&b'\r') {
                if let Ok(plain) = stream.decompressed_content() {
                    recompress(stream, &plain);
                }
            }
            continue;
        }
        if is_metadata || stream.content.starts_with(SPOOL_MARKER) {
            continue;
        }
        let plain = std::mem::take(&mut stream.content);
        recompress(stream, &plain);
    }
}

fn recompress(stream: &mut Stream, plain: &[u8]) {
    for level in [9, 8, 7, 6, 5, 4, 3, 2, 1] {
        let packed = deflate(plain, level);
        if packed.last() != Some(&b'\r') {
            stream.dict.set("Filter", name("FlateDecode"));
            stream.dict.remove(b"DecodeParms");
            stream.set_content(packed);
            return;
        }
    }
    stream.dict.remove(b"Filter");
    stream.dict.remove(b"DecodeParms");
    stream.set_content(plain.to_vec());
}

/// SHA-256 of each page's content (decoded), in page order.
pub fn page_digests(doc: &lopdf::Document) -> Vec<String> {
    doc.get_pages()
        .values()
        .map(|&page| {
            let mut h = Sha256::new();
            for id in doc.get_page_contents(page) {
                if let Ok(Object::Stream(s)) = doc.get_object(id) {
                    let plain = if s.dict.has(b"Filter") {
                        s.decompressed_content().unwrap_or_else(|_| s.content.clone())
                    } else {
                        s.content.clone()
                    };
                    h.update(&plain);
                }
            }
            hex::encode(h.finalize())
        })
        .collect()
}

fn pdf_date(t: DateTime<Utc>) -> String {
    t.format("D:%Y%m%d%H%M%SZ").to_string()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes the document: pages through printpdf, then the PDF/A-3b finishing.
pub fn assemble(
    fonts: &FontSet,
    pages: Vec<Vec<Op>>,
    bookmarks: &[(String, usize)],
    meta: &DocMeta<'_>,
    attachments: &[Attachment],
    sealing: &Sealing<'_>,
) -> Result<Vec<u8>, PackError> {
    let mut bytes = Vec::new();
    assemble_into(fonts, pages, bookmarks, meta, attachments, sealing, &mut bytes)?;
    Ok(bytes)
}

/// What [`assemble_into`] wrote, as `verify` compares it: the SHA-256 of each page's content
/// (decoded) and of each embedded file (before compression), by name.
pub struct Rendition {
    pub page_digests: Vec<String>,
    pub attachment_digests: BTreeMap<String, String>,
}

/// The start of the placeholder a spooled attachment's stream holds until the file is written.
const SPOOL_MARKER: &[u8] = b"%ConsentTrail spooled extract ";

/// [`assemble`] into `out`. Spooled attachments are copied into it from their files, so the
/// memory it takes is that of the pages, not of the extracts.
pub fn assemble_into(
    fonts: &FontSet,
    mut pages: Vec<Vec<Op>>,
    bookmarks: &[(String, usize)],
    meta: &DocMeta<'_>,
    attachments: &[Attachment],
    sealing: &Sealing<'_>,
    out: &mut dyn Write,
) -> Result<Rendition, PackError> {
    let attachment_digests = attachments.iter().map(|a| (a.name.clone(), a.data.sha256())).collect();
    let producer = format!("ConsentTrail {}", crate::VERSION);
    let mut pdf = PdfDocument::new(meta.title);
    // Only the faces a page uses are registered, each cut to the glyphs it sets.
    for face in super::fonts::subset_faces(fonts, &mut pages)? {
        pdf.resources.fonts.map.insert(face.id, printpdf::PdfFont::new(face.parsed));
    }
    pdf.pages = pages.into_iter().map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops)).collect();
    for (title, page) in bookmarks {
        pdf.add_bookmark(title, *page);
    }
    let options = PdfSaveOptions { optimize: false, subset_fonts: true, secure: true, image_optimization: None };
    let mut warnings = Vec::new();
    let mut doc = pdf.to_lopdf_document(&options, &mut warnings);
    doc.version = "1.7".to_string();

    // XMP metadata, uncompressed.
    let mut xmp_stream = Stream::new(
        Dictionary::from_iter(vec![("Type", name("Metadata")), ("Subtype", name("XML"))]),
        xmp(meta, &producer).into_bytes(),
    );
    xmp_stream.allows_compression = false;
    let metadata_id = doc.add_object(Object::Stream(xmp_stream));

    // sRGB output intent.
    let icc_id =
        doc.add_object(Object::Stream(Stream::new(Dictionary::from_iter(vec![("N", Object::Integer(3))]), srgb_icc())));
    let intent = Dictionary::from_iter(vec![
        ("Type", name("OutputIntent")),
        ("S", name("GTS_PDFA1")),
        ("OutputConditionIdentifier", literal("sRGB IEC61966-2.1")),
        ("RegistryName", literal("http://www.color.org")),
        ("Info", literal("sRGB IEC61966-2.1")),
        ("DestOutputProfile", Object::Reference(icc_id)),
    ]);

    // Associated files, in name order (the name tree must be sorted).
    let mut sorted: Vec<&Attachment> = attachments.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut names = Vec::new();
    let mut af = Vec::new();
    let mut spooled: Vec<(Vec<u8>, &Spooled)> = Vec::new();
    for a in sorted {
        let params = Dictionary::from_iter(vec![
            ("Size", Object::Integer(a.data.len() as i64)),
            ("ModDate", literal(&pdf_date(meta.created))),
        ]);
        let dict = Dictionary::from_iter(vec![
            ("Type", name("EmbeddedFile")),
            ("Subtype", name(a.mime)),
            ("Params", Object::Dictionary(params)),
        ]);
        let stream = match &a.data {
            Body::Memory(data) => Stream::new(dict, data.clone()),
            Body::Spooled(file) => {
                // A placeholder of its own, replaced by the file's data as the PDF is written.
                let mut marker = SPOOL_MARKER.to_vec();
                marker.extend_from_slice(format!("{:06}%", spooled.len()).as_bytes());
                let mut stream = Stream::new(dict, marker.clone());
                if file.compressed {
                    stream.dict.set("Filter", name("FlateDecode"));
                }
                spooled.push((marker, file));
                stream
            }
        };
        let file_id = doc.add_object(Object::Stream(stream));
        let spec = Dictionary::from_iter(vec![
            ("Type", name("Filespec")),
            ("F", text_string(&a.name)),
            ("UF", text_string(&a.name)),
            ("Desc", text_string(&a.description)),
            ("AFRelationship", name(a.relationship)),
            (
                "EF",
                Object::Dictionary(Dictionary::from_iter(vec![
                    ("F", Object::Reference(file_id)),
                    ("UF", Object::Reference(file_id)),
                ])),
            ),
        ]);
        let spec_id = doc.add_object(Object::Dictionary(spec));
        names.push(text_string(&a.name));
        names.push(Object::Reference(spec_id));
        af.push(Object::Reference(spec_id));
    }

    let catalog = doc.catalog_mut().map_err(|e| PackError::Pdf(e.to_string()))?;
    catalog.set("Metadata", Object::Reference(metadata_id));
    catalog.set("OutputIntents", Object::Array(vec![Object::Dictionary(intent)]));
    // printpdf writes PageMode as a string; the standard wants a name.
    catalog.set("PageMode", name(if bookmarks.is_empty() { "UseNone" } else { "UseOutlines" }));
    if !af.is_empty() {
        catalog.set(
            "Names",
            Object::Dictionary(Dictionary::from_iter(vec![(
                "EmbeddedFiles",
                Object::Dictionary(Dictionary::from_iter(vec![("Names", Object::Array(names))])),
            )])),
        );
        catalog.set("AF", Object::Array(af));
    }

    if let Sealing::Sign(signer) = sealing {
        add_signature_field(&mut doc, signer.reserve()?, meta.created)?;
    }
    compress_streams(&mut doc);
    let digests = page_digests(&doc);

    let info = Dictionary::from_iter(vec![
        ("Title", text_string(meta.title)),
        ("Subject", text_string(meta.subject)),
        ("Keywords", text_string(meta.keywords)),
        ("Creator", text_string(&producer)),
        ("Producer", text_string(&producer)),
        ("CreationDate", literal(&pdf_date(meta.created))),
        ("ModDate", literal(&pdf_date(meta.created))),
        (MANIFEST_KEY, literal(meta.manifest_sha256)),
        (PAGES_KEY, Object::Array(digests.iter().map(|d| literal(d)).collect())),
        (SEAL_KEY, literal(&"0".repeat(64))),
    ]);
    let info_id = doc.add_object(Object::Dictionary(info));
    doc.trailer.set("Info", Object::Reference(info_id));
    let placeholder = Object::String(ID_PLACEHOLDER.to_vec(), StringFormat::Hexadecimal);
    doc.trailer.set("ID", Object::Array(vec![placeholder.clone(), placeholder]));

    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).map_err(|e| PackError::Pdf(e.to_string()))?;
    drop(doc);

    // The spooled extracts are written out as they are copied in, and hashed on the way: what
    // follows them (the signature, the Info dictionary, the cross-reference table) stays in
    // memory to be finished, as the whole file is when nothing is spooled.
    let mut prefix = Sha256::new();
    let (prefix_len, mut tail) = splice(bytes, &spooled, out, &mut prefix)?;
    finish_tail(&mut tail, prefix_len, &prefix, sealing)?;
    out.write_all(&tail).map_err(|source| PackError::Io { path: "the pack".into(), source })?;
    Ok(Rendition { page_digests: digests, attachment_digests })
}

/// Writes `bytes` to `out` up to the last spooled placeholder, each placeholder replaced by its
/// file's data and the `/Length` before it by the data's length, hashing what it writes into
/// `hash`; returns how much it wrote and the rest, with the cross-reference table's offsets moved
/// by what the replacements added.
fn splice(
    bytes: Vec<u8>,
    spooled: &[(Vec<u8>, &Spooled)],
    out: &mut dyn Write,
    hash: &mut Sha256,
) -> Result<(u64, Vec<u8>), PackError> {
    if spooled.is_empty() {
        return Ok((0, bytes));
    }
    let misplaced = || PackError::Pdf("the extracts could not be placed in the file".into());
    let io = |source| PackError::Io { path: "the pack's extracts".into(), source };
    enum Cut<'a> {
        Text(String),
        File(&'a Spooled),
    }
    let mut cuts: Vec<(usize, usize, Cut<'_>)> = Vec::new();
    for (marker, file) in spooled {
        let at = find(&bytes, marker).ok_or_else(misplaced)?;
        let key = bytes[..at].windows(8).rposition(|w| w == b"/Length ").ok_or_else(misplaced)? + 8;
        let digits = bytes[key..].iter().position(|b| !b.is_ascii_digit()).ok_or_else(misplaced)?;
        if bytes[key..key + digits] != *marker.len().to_string().as_bytes() {
            return Err(misplaced());
        }
        cuts.push((key, key + digits, Cut::Text(file.packed_len.to_string())));
        cuts.push((at, at + marker.len(), Cut::File(file)));
    }
    cuts.sort_by_key(|c| c.0);
    let mut written = 0u64;
    let mut emit = |data: &[u8], out: &mut dyn Write| -> Result<(), PackError> {
        hash.update(data);
        written += data.len() as u64;
        out.write_all(data).map_err(io)
    };
    // (end of a cut in `bytes`, bytes added by it and every cut before it)
    let mut shifts: Vec<(usize, i64)> = Vec::new();
    let (mut from, mut delta) = (0usize, 0i64);
    let mut chunk = vec![0u8; 1 << 16];
    for (start, end, cut) in &cuts {
        emit(&bytes[from..*start], out)?;
        let added = match cut {
            Cut::Text(text) => {
                emit(text.as_bytes(), out)?;
                text.len() as u64
            }
            Cut::File(file) => {
                let mut reader = &file.file;
                reader.rewind().map_err(io)?;
                let mut reader = reader.take(file.packed_len);
                loop {
                    let n = reader.read(&mut chunk).map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    emit(&chunk[..n], out)?;
                }
                file.packed_len
            }
        };
        delta += added as i64 - (end - start) as i64;
        shifts.push((*end, delta));
        from = *end;
    }
    let moved = |offset: usize| -> i64 { shifts.iter().rev().find(|(end, _)| *end <= offset).map_or(0, |s| s.1) };
    let mut tail = bytes[from..].to_vec();
    drop(bytes);

    // The cross-reference table: each in-use entry's ten-digit offset, moved in place.
    let key = b"\nstartxref\n";
    let at = tail.windows(key.len()).rposition(|w| w == key).ok_or_else(misplaced)? + key.len();
    let digits = tail[at..].iter().position(|b| !b.is_ascii_digit()).unwrap_or(tail.len() - at);
    let xref: usize =
        std::str::from_utf8(&tail[at..at + digits]).ok().and_then(|d| d.parse().ok()).ok_or_else(misplaced)?;
    let mut line_at = xref.checked_sub(from).filter(|&x| tail[x..].starts_with(b"xref")).ok_or_else(misplaced)?;
    loop {
        let line_end = line_at + tail[line_at..].iter().position(|&b| b == b'\n').ok_or_else(misplaced)? + 1;
        let line = &tail[line_at..line_end];
        if line.starts_with(b"trailer") {
            break;
        }
        let fields: Vec<&[u8]> = line.split(|b| b.is_ascii_whitespace()).filter(|f| !f.is_empty()).collect();
        if let [offset, _, b"n"] = fields[..] {
            let old: usize = std::str::from_utf8(offset).ok().and_then(|d| d.parse().ok()).ok_or_else(misplaced)?;
            let new = format!("{:010}", old as i64 + moved(old));
            if new.len() != offset.len() {
                return Err(misplaced());
            }
            tail[line_at..line_at + new.len()].copy_from_slice(new.as_bytes());
        }
        line_at = line_end;
    }
    let start = (xref as i64 + delta).to_string();
    tail.splice(at..at + digits, start.into_bytes());
    Ok((written, tail))
}

/// Finishes the file's last `tail` bytes, which follow `prefix_len` bytes already written whose
/// SHA-256 so far is `prefix`: the `/ID` from the content, then the seal and the signature.
fn finish_tail(tail: &mut [u8], prefix_len: u64, prefix: &Sha256, sealing: &Sealing<'_>) -> Result<(), PackError> {
    // /ID from the content: the hash of the file as written with the placeholders.
    let whole = {
        let mut h = prefix.clone();
        h.update(&*tail);
        h.finalize()
    };
    let id = &whole[..16];
    let (upper, lower) = (hex::encode_upper(ID_PLACEHOLDER), hex::encode(ID_PLACEHOLDER));
    for pattern in [upper.as_bytes(), lower.as_bytes()] {
        while let Some(at) = find(tail, pattern) {
            let replacement = if pattern == upper.as_bytes() { hex::encode_upper(id) } else { hex::encode(id) };
            tail[at..at + 32].copy_from_slice(replacement.as_bytes());
        }
    }
    match sealing {
        Sealing::Sign(signer) => {
            let contents = place_byte_range(tail, prefix_len)?;
            seal(tail, prefix, Some(contents))?;
            let digest = signed_digest_after(prefix.clone(), tail, contents);
            let cms = signer.sign_digest(&digest)?;
            let hex = hex::encode_upper(&cms);
            let room = contents.1 - contents.0 - 2;
            if hex.len() > room {
                return Err(PackError::Pdf("the signature is larger than the room reserved for it".into()));
            }
            tail[contents.0 + 1..contents.0 + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        }
        Sealing::Preview(_) => seal(tail, prefix, None)?,
    }
    Ok(())
}

/// The signature dictionary (`/Contents` zeros of `reserve` bytes, `/ByteRange` placeholders,
/// `/M` the generation time), its field as an invisible, printable, locked widget on the first
/// page (PDF/A: an appearance stream, the Print flag), and the form that lists it.
fn add_signature_field(doc: &mut lopdf::Document, reserve: usize, created: DateTime<Utc>) -> Result<(), PackError> {
    let pdf_err = |e: lopdf::Error| PackError::Pdf(e.to_string());
    let sig_id = doc.add_object(Object::Dictionary(Dictionary::from_iter(vec![
        ("Type", name("Sig")),
        ("Filter", name("Adobe.PPKLite")),
        ("SubFilter", name("ETSI.CAdES.detached")),
        (
            "ByteRange",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(RANGE_PLACEHOLDER),
                Object::Integer(RANGE_PLACEHOLDER),
                Object::Integer(RANGE_PLACEHOLDER),
            ]),
        ),
        ("Contents", Object::String(vec![0; reserve], StringFormat::Hexadecimal)),
        ("M", literal(&pdf_date(created))),
    ])));
    let zero_rect = || Object::Array(vec![Object::Integer(0); 4]);
    let appearance = doc.add_object(Object::Stream(Stream::new(
        Dictionary::from_iter(vec![("Type", name("XObject")), ("Subtype", name("Form")), ("BBox", zero_rect())]),
        Vec::new(),
    )));
    let first_page = *doc.get_pages().values().next().ok_or_else(|| PackError::Pdf("the pack has no pages".into()))?;
    let widget = doc.add_object(Object::Dictionary(Dictionary::from_iter(vec![
        ("Type", name("Annot")),
        ("Subtype", name("Widget")),
        ("FT", name("Sig")),
        ("T", literal("ConsentTrail signature")),
        ("V", Object::Reference(sig_id)),
        ("Rect", zero_rect()),
        // Print (4) + Locked (128).
        ("F", Object::Integer(132)),
        ("P", Object::Reference(first_page)),
        ("AP", Object::Dictionary(Dictionary::from_iter(vec![("N", Object::Reference(appearance))]))),
    ])));
    let page = doc.get_object_mut(first_page).and_then(Object::as_dict_mut).map_err(pdf_err)?;
    match page.get_mut(b"Annots") {
        Ok(Object::Array(annots)) => annots.push(Object::Reference(widget)),
        _ => page.set("Annots", Object::Array(vec![Object::Reference(widget)])),
    }
    let catalog = doc.catalog_mut().map_err(pdf_err)?;
    catalog.set(
        "AcroForm",
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Fields", Object::Array(vec![Object::Reference(widget)])),
            // SignaturesExist + AppendOnly.
            ("SigFlags", Object::Integer(3)),
        ])),
    );
    Ok(())
}

/// Writes the real `/ByteRange` over its placeholders in the file's last `bytes`, which follow
/// `base` bytes, and returns where `/Contents` is in them: the offsets of its `<` and one past
/// its `>`.
fn place_byte_range(bytes: &mut [u8], base: u64) -> Result<(usize, usize), PackError> {
    let missing = || PackError::Pdf("the signature placeholders were not written".into());
    let key = find(bytes, b"/ByteRange").ok_or_else(missing)?;
    let open = key + bytes[key..].iter().position(|&b| b == b'[').ok_or_else(missing)?;
    let close = open + bytes[open..].iter().position(|&b| b == b']').ok_or_else(missing)?;
    let contents_key = key + find(&bytes[key..], b"/Contents").ok_or_else(missing)?;
    let lt = contents_key + bytes[contents_key..].iter().position(|&b| b == b'<').ok_or_else(missing)?;
    let gt = lt + bytes[lt..].iter().position(|&b| b == b'>').ok_or_else(missing)?;
    let end = gt + 1;
    let ranges = format!("0 {} {} {}", base + lt as u64, base + end as u64, bytes.len() - end);
    let room = close - open - 1;
    if ranges.len() > room {
        return Err(missing());
    }
    let padded = format!("{ranges:<room$}");
    bytes[open + 1..close].copy_from_slice(padded.as_bytes());
    Ok((lt, end))
}

/// The SHA-256 of the bytes a signature covers: all but the `/Contents` string.
pub fn signed_digest(bytes: &[u8], contents: (usize, usize)) -> [u8; 32] {
    signed_digest_after(Sha256::new(), bytes, contents)
}

/// [`signed_digest`] of `bytes` that follow what `h` has hashed.
fn signed_digest_after(mut h: Sha256, bytes: &[u8], contents: (usize, usize)) -> [u8; 32] {
    h.update(&bytes[..contents.0]);
    h.update(&bytes[contents.1..]);
    h.finalize().into()
}

/// A pack's signature as written: where its `/Contents` string is, the bytes it holds, and (when
/// it is not so) why the signature does not cover every other byte of the file. Only a single
/// signature whose `/ByteRange` covers the whole file but its `/Contents` string (hex digits
/// only) is accepted, so that every other byte of the file is signed.
pub struct SignatureBytes {
    pub contents: (usize, usize),
    pub cms: Vec<u8>,
    pub coverage_problem: Option<String>,
}

/// Finds the signature in a file (`Err` when there is none that can be read).
pub fn signature_contents(bytes: &[u8]) -> Result<SignatureBytes, String> {
    let key = b"/ByteRange";
    let mut found = bytes.windows(key.len()).enumerate().filter(|(_, w)| *w == key).map(|(i, _)| i);
    let Some(at) = found.next() else { return Err("the file is not signed".into()) };
    let mut coverage_problem = None;
    if found.next().is_some() {
        coverage_problem = Some("the file holds more than one signature (it was changed after signing)".to_string());
    }
    let unreadable = "the signature's byte range cannot be read";
    let tail = &bytes[at + key.len()..];
    let open = tail.iter().position(|&b| b == b'[').filter(|&p| p < 4).ok_or(unreadable)?;
    let close = tail[open..].iter().position(|&b| b == b']').filter(|&p| p < 64).ok_or(unreadable)?;
    let numbers: Vec<usize> = std::str::from_utf8(&tail[open + 1..open + close])
        .map_err(|_| unreadable)?
        .split_ascii_whitespace()
        .map(|n| n.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| unreadable)?;
    let [first, lt, end, rest] = numbers[..] else { return Err(unreadable.into()) };
    // Where /Contents is as the dictionary is written (whatever /ByteRange claims).
    let key = at + bytes[at..].windows(9).position(|w| w == b"/Contents").ok_or(unreadable)?;
    let hex_start = key + bytes[key..].iter().position(|&b| b == b'<').filter(|&p| p < 16).ok_or(unreadable)?;
    let hex_end = hex_start + bytes[hex_start..].iter().position(|&b| b == b'>').ok_or(unreadable)? + 1;
    let digits = &bytes[hex_start + 1..hex_end - 1];
    if !digits.iter().all(u8::is_ascii_hexdigit) || !digits.len().is_multiple_of(2) {
        return Err("the signature's /Contents cannot be read".into());
    }
    let cms = hex::decode(digits).map_err(|_| "the signature's /Contents cannot be read")?;
    if first != 0 || lt != hex_start || end != hex_end || end.checked_add(rest) != Some(bytes.len()) {
        coverage_problem.get_or_insert_with(|| {
            "the signature does not cover the whole file (the file was changed or rewritten after signing)".to_string()
        });
    }
    Ok(SignatureBytes { contents: (hex_start, hex_end), cms, coverage_problem })
}

/// Where the seal's 64 hex digits are in the file.
pub fn seal_position(bytes: &[u8]) -> Option<usize> {
    // The Info dictionary is the last object written, so the last occurrence is the seal.
    let key = format!("/{SEAL_KEY}");
    let at = bytes.windows(key.len()).rposition(|w| w == key.as_bytes())? + key.len();
    let open = at + bytes.get(at..at + 4)?.iter().position(|&b| b == b'(')? + 1;
    (open + 64 <= bytes.len()).then_some(open)
}

/// The SHA-256 of the file with the seal zeroed, and the signature's `/Contents` digits (between
/// `contents`' `<` and `>`) too: the signature is written after the seal.
pub fn sealed_digest(bytes: &[u8], at: usize, contents: Option<(usize, usize)>) -> String {
    sealed_digest_after(Sha256::new(), bytes, at, contents)
}

/// [`sealed_digest`] of `bytes` that follow what `h` has hashed.
fn sealed_digest_after(mut h: Sha256, bytes: &[u8], at: usize, contents: Option<(usize, usize)>) -> String {
    let mut blanks = vec![(at, at + 64)];
    if let Some((lt, end)) = contents {
        blanks.push((lt + 1, end - 1));
    }
    blanks.sort();
    let mut from = 0;
    for (start, stop) in blanks {
        if start < from || stop > bytes.len() {
            continue;
        }
        h.update(&bytes[from..start]);
        for _ in start..stop {
            h.update(b"0");
        }
        from = stop;
    }
    h.update(&bytes[from..]);
    hex::encode(h.finalize())
}

fn seal(bytes: &mut [u8], prefix: &Sha256, contents: Option<(usize, usize)>) -> Result<(), PackError> {
    let at = seal_position(bytes).ok_or_else(|| PackError::Pdf("seal placeholder not written".into()))?;
    let digest = sealed_digest_after(prefix.clone(), bytes, at, contents);
    bytes[at..at + 64].copy_from_slice(digest.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::layout::{colours, Canvas};
    use crate::pack::sign::SignerIdentity;

    fn attachment(name: &str, data: Body) -> Attachment {
        Attachment { name: name.into(), mime: "text/csv", description: "test".into(), relationship: "Data", data }
    }

    fn spooled(data: &[u8]) -> Body {
        let written = Spooled::write(|w| {
            // Many small writes, as the extracts are written row by row.
            for line in data.split_inclusive(|&b| b == b'\n') {
                w.write_all(line).map_err(|source| PackError::Io { path: "test".into(), source })?;
            }
            Ok(())
        });
        Body::Spooled(written.expect("spooled"))
    }

    /// Extracts copied in from their temporary files give, byte for byte, the file that the same
    /// extracts held in memory give: same compression, lengths, cross-reference offsets, /ID
    /// and seal, with a memory attachment between the spooled ones.
    #[test]
    fn spooled_attachments_give_the_same_file_as_attachments_in_memory() {
        let fonts = crate::pack::fonts::fonts().expect("fonts");
        let page = || {
            let mut c = Canvas::new(fonts);
            c.paragraph("Spooled extracts", 9.0, colours::TEXT);
            c.finish("test", "0")
        };
        let big: Vec<u8> =
            (0..60_000).map(|i| format!("\"row {i}\",\"{}\"\r\n", i * 7919 % 1000)).collect::<String>().into();
        let small = b"subject,events,digest\r\n\"a\",\"1\",\"ff\"\r\n".to_vec();
        let identity = SignerIdentity { subject: "test".into(), sha256: "-".into() };
        let meta = DocMeta {
            title: "t",
            subject: "s",
            keywords: "k",
            created: "2024-03-01T12:00:00Z".parse().expect("time"),
            manifest_sha256: "0",
        };
        let render = |files: Vec<Attachment>| {
            let (pages, bookmarks) = page();
            assemble(fonts, pages, &bookmarks, &meta, &files, &Sealing::Preview(&identity)).expect("assemble")
        };
        let in_memory = render(vec![
            attachment("a.csv", Body::Memory(big.clone())),
            attachment("b.json", Body::Memory(b"{}".to_vec())),
            attachment("c.csv", Body::Memory(small.clone())),
        ]);
        let copied_in = render(vec![
            attachment("a.csv", spooled(&big)),
            attachment("b.json", Body::Memory(b"{}".to_vec())),
            attachment("c.csv", spooled(&small)),
        ]);
        assert!(in_memory.len() > 100_000, "the big extract is in the file");
        assert!(in_memory == copied_in, "the files differ");
        let doc = lopdf::Document::load_mem(&copied_in).expect("a readable PDF");
        assert_eq!(doc.get_pages().len(), 1);
    }
}
