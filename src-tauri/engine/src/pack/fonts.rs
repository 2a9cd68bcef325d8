//! Fonts for evidence packs, with per-glyph fallback.
//!
//! Names in a pack can be in any script (SPEC §5), and no single free font covers Latin, Greek,
//! Cyrillic and CJK. printpdf has no fallback of its own (DESIGN.md, platform facts), so every
//! string is split into runs, each set in the first face that has a glyph for the character:
//! DejaVu Sans (Latin with diacritics, Greek, Cyrillic) and then Droid Sans Fallback (CJK).
//! The faces are read from the Debian packages `fonts-dejavu-core` and `fonts-droid-fallback`
//! at run time (never downloaded); `CONSENTTRAIL_FONT_DIR` can point at a folder holding the
//! same file names instead (e.g. a portable install).

use std::path::PathBuf;
use std::sync::OnceLock;

use printpdf::{FontId, ParsedFont};

use super::PackError;

/// The faces a pack uses, in fallback order after the primary (regular or bold) face.
pub struct FontSet {
    pub faces: Vec<Face>,
}

/// One loaded face.
pub struct Face {
    /// The PDF resource name; its first six letters become the subset tag, so it is six
    /// upper-case letters (ISO 32000-1 9.6.4) and fixed, which keeps packs byte-identical.
    pub id: FontId,
    pub parsed: ParsedFont,
    units_per_em: f32,
}

/// Index of the regular face.
pub const REGULAR: usize = 0;
/// Index of the bold face.
pub const BOLD: usize = 1;
/// Index of the CJK fallback face.
pub const CJK: usize = 2;

const FILES: [(&str, &str, &str, &str); 3] = [
    ("CTDJVR", "DejaVuSans", "DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu"),
    ("CTDJVB", "DejaVuSans-Bold", "DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu"),
    ("CTDRFB", "DroidSansFallbackFull", "DroidSansFallbackFull.ttf", "/usr/share/fonts/truetype/droid"),
];

fn font_path(file: &str, debian_dir: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("CONSENTTRAIL_FONT_DIR") {
        let candidate = PathBuf::from(dir).join(file);
        if candidate.exists() {
            return candidate;
        }
    }
    PathBuf::from(debian_dir).join(file)
}

fn load() -> Result<FontSet, PackError> {
    let mut faces = Vec::new();
    for (id, name, file, dir) in FILES {
        let path = font_path(file, dir);
        let bytes = std::fs::read(&path).map_err(|e| {
            PackError::Font(format!(
                "{}: {e} (install the Debian packages fonts-dejavu-core and fonts-droid-fallback)",
                path.display()
            ))
        })?;
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| PackError::Font(format!("{}: not a usable TrueType font", path.display())))?;
        parsed.font_name = Some(name.to_string());
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        faces.push(Face { id: FontId(id.to_string()), parsed, units_per_em });
    }
    Ok(FontSet { faces })
}

/// The process-wide font set: parsing the 4 MB CJK face once keeps a pack well under 0.5 s.
pub fn fonts() -> Result<&'static FontSet, PackError> {
    static FONTS: OnceLock<Result<FontSet, String>> = OnceLock::new();
    match FONTS.get_or_init(|| load().map_err(|e| e.to_string())) {
        Ok(set) => Ok(set),
        Err(e) => Err(PackError::Font(e.clone())),
    }
}

impl Face {
    /// True when the face has a real glyph for `c`.
    pub fn has(&self, c: char) -> bool {
        matches!(self.parsed.lookup_glyph_index(c as u32), Some(g) if g != 0)
    }

    /// Advance of `c` at `size` points.
    pub fn advance(&self, c: char, size: f32) -> f32 {
        let gid = self.parsed.lookup_glyph_index(c as u32).unwrap_or(0);
        f32::from(self.parsed.get_glyph_width(gid).unwrap_or(0)) / self.units_per_em * size
    }
}

impl FontSet {
    /// The face that sets `c`: the primary face when it has the glyph, else the first
    /// fallback that does, else the primary (which shows its .notdef box).
    pub fn face_for(&self, primary: usize, c: char) -> usize {
        if c.is_whitespace() || self.faces[primary].has(c) {
            return primary;
        }
        [REGULAR, CJK].into_iter().find(|&i| self.faces[i].has(c)).unwrap_or(primary)
    }

    /// Splits `text` into runs of one face each.
    pub fn runs(&self, primary: usize, text: &str) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = Vec::new();
        for c in text.chars() {
            let c = if c.is_control() { ' ' } else { c };
            let face = self.face_for(primary, c);
            match out.last_mut() {
                Some((f, s)) if *f == face => s.push(c),
                _ => out.push((face, c.to_string())),
            }
        }
        out
    }

    /// Width of `text` at `size` points, with fallback.
    pub fn width(&self, primary: usize, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.faces[self.face_for(primary, c)].advance(c, size)).sum()
    }
}

/// One face cut down to the glyphs a document uses, ready for printpdf.
pub struct SubsetFace {
    pub id: FontId,
    pub parsed: ParsedFont,
}

/// Subsets every face the pages use to exactly the glyphs they use.
///
/// printpdf 0.12 subsets only with its `text_layout` feature (a whole layout engine), so the
/// faces are cut here with the same subsetter (allsorts) and handed to printpdf as finished
/// font programs. allsorts renumbers glyph `ids[i]` to `i`; the character map and widths are
/// rebuilt from that, and the PostScript name gets a subset tag derived from the glyph set
/// (ISO 32000-1 9.6.4), so the same text always gives the same bytes.
pub fn subset_faces(fonts: &FontSet, pages: &[Vec<printpdf::Op>]) -> Result<Vec<SubsetFace>, PackError> {
    use std::collections::{BTreeMap, BTreeSet};

    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};
    use printpdf::{Op, PdfFontHandle, TextItem};
    use sha2::{Digest, Sha256};

    let mut used: BTreeMap<usize, BTreeSet<char>> = BTreeMap::new();
    for ops in pages {
        let mut current: Option<usize> = None;
        for op in ops {
            match op {
                Op::SetFont { font: PdfFontHandle::External(id), .. } => {
                    current = fonts.faces.iter().position(|f| f.id == *id);
                }
                Op::ShowText { items } => {
                    if let Some(face) = current {
                        let set = used.entry(face).or_default();
                        for item in items {
                            if let TextItem::Text(t) = item {
                                set.extend(t.chars());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for (index, chars) in used {
        let face = &fonts.faces[index];
        let original = &face.parsed;
        let mut gids: BTreeSet<u16> = BTreeSet::new();
        for c in &chars {
            if let Some(g) = original.lookup_glyph_index(*c as u32) {
                gids.insert(g);
            }
        }
        gids.remove(&0);
        let ids: Vec<u16> = std::iter::once(0).chain(gids.iter().copied()).collect();
        let scope = ReadScope::new(&original.original_bytes);
        let data = scope.read::<FontData<'_>>().map_err(|e| PackError::Font(format!("{}: {e}", face.id.0)))?;
        let provider = data.table_provider(0).map_err(|e| PackError::Font(format!("{}: {e}", face.id.0)))?;
        let bytes = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
            .map_err(|e| PackError::Font(format!("subsetting {}: {e}", face.id.0)))?;
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| PackError::Font(format!("subset of {} is unreadable", face.id.0)))?;
        let new_of: BTreeMap<u16, u16> = ids.iter().enumerate().map(|(i, g)| (*g, i as u16)).collect();
        parsed.codepoint_to_glyph = chars
            .iter()
            .filter_map(|c| {
                let old = original.lookup_glyph_index(*c as u32)?;
                Some((*c as u32, *new_of.get(&old)?))
            })
            .collect();
        parsed.glyph_widths =
            new_of.iter().filter_map(|(old, new)| Some((*new, original.get_glyph_width(*old)?))).collect();
        // Descriptor metrics (bounding box, ascent) stay those of the whole face.
        parsed.pdf_font_metrics = original.pdf_font_metrics.clone();
        parsed.font_metrics = original.font_metrics.clone();
        let digest = Sha256::digest(ids.iter().flat_map(|g| g.to_be_bytes()).collect::<Vec<u8>>());
        let tag: String = digest.iter().take(6).map(|b| char::from(b'A' + b % 26)).collect();
        parsed.font_name = Some(format!("{tag}+{}", original.font_name.clone().unwrap_or_default()));
        out.push(SubsetFace { id: face.id.clone(), parsed });
    }
    Ok(out)
}
