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

use std::io::Write;

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
    sealing: &Sealing<'_>,
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

    // /ID from the content: the hash of the file as written with the placeholders.
    let id = &Sha256::digest(&bytes)[..16];
    let (upper, lower) = (hex::encode_upper(ID_PLACEHOLDER), hex::encode(ID_PLACEHOLDER));
    for pattern in [upper.as_bytes(), lower.as_bytes()] {
        while let Some(at) = find(&bytes, pattern) {
            let replacement = if pattern == upper.as_bytes() { hex::encode_upper(id) } else { hex::encode(id) };
            bytes[at..at + 32].copy_from_slice(replacement.as_bytes());
        }
    }
    match sealing {
        Sealing::Sign(signer) => {
            let contents = place_byte_range(&mut bytes)?;
            seal(&mut bytes, Some(contents))?;
            let digest = signed_digest(&bytes, contents);
            let cms = signer.sign_digest(&digest)?;
            let hex = hex::encode_upper(&cms);
            let room = contents.1 - contents.0 - 2;
            if hex.len() > room {
                return Err(PackError::Pdf("the signature is larger than the room reserved for it".into()));
            }
            bytes[contents.0 + 1..contents.0 + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        }
        Sealing::Preview(_) => seal(&mut bytes, None)?,
    }
    Ok(bytes)
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

/// Writes the real `/ByteRange` over its placeholders and returns where `/Contents` is: the
/// offsets of its `<` and one past its `>`.
fn place_byte_range(bytes: &mut [u8]) -> Result<(usize, usize), PackError> {
    let missing = || PackError::Pdf("the signature placeholders were not written".into());
    let key = find(bytes, b"/ByteRange").ok_or_else(missing)?;
    let open = key + bytes[key..].iter().position(|&b| b == b'[').ok_or_else(missing)?;
    let close = open + bytes[open..].iter().position(|&b| b == b']').ok_or_else(missing)?;
    let contents_key = key + find(&bytes[key..], b"/Contents").ok_or_else(missing)?;
    let lt = contents_key + bytes[contents_key..].iter().position(|&b| b == b'<').ok_or_else(missing)?;
    let gt = lt + bytes[lt..].iter().position(|&b| b == b'>').ok_or_else(missing)?;
    let end = gt + 1;
    let ranges = format!("0 {lt} {end} {}", bytes.len() - end);
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
    let mut h = Sha256::new();
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
    let mut blanks = vec![(at, at + 64)];
    if let Some((lt, end)) = contents {
        blanks.push((lt + 1, end - 1));
    }
    blanks.sort();
    let mut h = Sha256::new();
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

fn seal(bytes: &mut [u8], contents: Option<(usize, usize)>) -> Result<(), PackError> {
    let at = seal_position(bytes).ok_or_else(|| PackError::Pdf("seal placeholder not written".into()))?;
    let digest = sealed_digest(bytes, at, contents);
    bytes[at..at + 64].copy_from_slice(digest.as_bytes());
    Ok(())
}
