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
//! file with the seal's own 64 hex digits set to zeros, so `verify` notices any edited byte.

use std::io::Write;

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Object, Stream, StringFormat};
use printpdf::{Mm, Op, PdfDocument, PdfPage, PdfSaveOptions};
use sha2::{Digest, Sha256};

use super::fonts::FontSet;
use super::PackError;

/// A file embedded in the pack.
pub struct Attachment {
    pub name: String,
    pub mime: &'static str,
    pub description: String,
    /// `Source` for the subject's source rows, `Supplement` for the manifest.
    pub relationship: &'static str,
    pub data: Vec<u8>,
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
        if is_metadata {
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
    mut pages: Vec<Vec<Op>>,
    bookmarks: &[(String, usize)],
    meta: &DocMeta<'_>,
    attachments: &[Attachment],
) -> Result<Vec<u8>, PackError> {
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
    for a in sorted {
        let params = Dictionary::from_iter(vec![
            ("Size", Object::Integer(a.data.len() as i64)),
            ("ModDate", literal(&pdf_date(meta.created))),
        ]);
        let file_id = doc.add_object(Object::Stream(Stream::new(
            Dictionary::from_iter(vec![
                ("Type", name("EmbeddedFile")),
                ("Subtype", name(a.mime)),
                ("Params", Object::Dictionary(params)),
            ]),
            a.data.clone(),
        )));
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

    // /ID from the content: the hash of the file as written with the placeholders.
    let id = &Sha256::digest(&bytes)[..16];
    let (upper, lower) = (hex::encode_upper(ID_PLACEHOLDER), hex::encode(ID_PLACEHOLDER));
    for pattern in [upper.as_bytes(), lower.as_bytes()] {
        while let Some(at) = find(&bytes, pattern) {
            let replacement = if pattern == upper.as_bytes() { hex::encode_upper(id) } else { hex::encode(id) };
            bytes[at..at + 32].copy_from_slice(replacement.as_bytes());
        }
    }
    seal(&mut bytes)?;
    Ok(bytes)
}

/// Where the seal's 64 hex digits are in the file.
pub fn seal_position(bytes: &[u8]) -> Option<usize> {
    // The Info dictionary is the last object written, so the last occurrence is the seal.
    let key = format!("/{SEAL_KEY}");
    let at = bytes.windows(key.len()).rposition(|w| w == key.as_bytes())? + key.len();
    let open = at + bytes.get(at..at + 4)?.iter().position(|&b| b == b'(')? + 1;
    (open + 64 <= bytes.len()).then_some(open)
}

/// The SHA-256 of the file with the seal zeroed.
pub fn sealed_digest(bytes: &[u8], at: usize) -> String {
    let mut h = Sha256::new();
    h.update(&bytes[..at]);
    h.update([b'0'; 64]);
    h.update(&bytes[at + 64..]);
    hex::encode(h.finalize())
}

fn seal(bytes: &mut [u8]) -> Result<(), PackError> {
    let at = seal_position(bytes).ok_or_else(|| PackError::Pdf("seal placeholder not written".into()))?;
    let digest = sealed_digest(bytes, at);
    bytes[at..at + 64].copy_from_slice(digest.as_bytes());
    Ok(())
}
