//! Fonts for evidence packs: shipped in the binary, shaped, in visual order, with per-glyph
//! fallback.
//!
//! Names in a pack can be in any script (SPEC §5), and no single free font covers them all, so
//! four faces are compiled into the engine (`fonts/` beside `src/`, with their licences and a
//! PROVENANCE note): DejaVu Sans regular and bold (Latin with diacritics, Greek, Cyrillic,
//! Arabic, Hebrew), Droid Sans Fallback (CJK) and NanumSquare (Hangul). No font is ever read
//! from the system, so a pack is the same bytes on every machine and needs nothing installed.
//!
//! printpdf (without its heavy `text_layout` feature) neither shapes nor orders text, so a line
//! is laid out here: `unicode-bidi` gives the visual order of its runs, each run is split by
//! the face that has its characters, and runs with complex scripts (Arabic joining, Hebrew,
//! combining marks) are shaped with rustybuzz. Text is written as glyph ids, each carrying the
//! characters it stands for, so printpdf's ToUnicode map lets readers extract the words.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::OnceLock;

use printpdf::{Codepoint, FontId, Op, ParsedFont, TextItem};
use unicode_bidi::{BidiClass, Level, ParagraphBidiInfo};

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
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
}

/// Index of the regular face.
pub const REGULAR: usize = 0;
/// Index of the bold face.
pub const BOLD: usize = 1;
/// Index of the CJK fallback face.
pub const CJK: usize = 2;
/// Index of the Hangul fallback face.
pub const HANGUL: usize = 3;

/// Fallback order for a character the primary face lacks.
const FALLBACK: [usize; 3] = [REGULAR, CJK, HANGUL];

/// The shipped faces: resource name, PostScript-style name, font program.
const FACES: [(&str, &str, &[u8]); 4] = [
    ("CTDJVR", "DejaVuSans", include_bytes!("../../fonts/DejaVuSans.ttf")),
    ("CTDJVB", "DejaVuSans-Bold", include_bytes!("../../fonts/DejaVuSans-Bold.ttf")),
    ("CTDRFB", "DroidSansFallbackFull", include_bytes!("../../fonts/DroidSansFallbackFull.ttf")),
    ("CTNSQR", "NanumSquareR", include_bytes!("../../fonts/NanumSquareR.ttf")),
];

fn load() -> Result<FontSet, PackError> {
    let mut faces = Vec::new();
    for (id, name, bytes) in FACES {
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| PackError::Font(format!("{name}: not a usable TrueType font")))?;
        parsed.font_name = Some(name.to_string());
        let shaper = rustybuzz::Face::from_slice(bytes, 0)
            .ok_or_else(|| PackError::Font(format!("{name}: the shaper cannot read it")))?;
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        faces.push(Face { id: FontId(id.to_string()), parsed, shaper, units_per_em });
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

    fn gid(&self, c: char) -> u16 {
        self.parsed.lookup_glyph_index(c as u32).unwrap_or(0)
    }

    fn advance_units(&self, gid: u16) -> i32 {
        i32::from(self.parsed.get_glyph_width(gid).unwrap_or(0))
    }

    /// Font units to points at `size`.
    pub fn points(&self, units: i32, size: f32) -> f32 {
        units as f32 / self.units_per_em * size
    }

    /// Font units to the thousandths of an em that PDF text positioning uses.
    fn thousandths(&self, units: i32) -> f32 {
        units as f32 * 1000.0 / self.units_per_em
    }
}

/// One glyph as placed by the layout, in font units.
#[derive(Debug, Clone)]
pub struct Glyph {
    pub gid: u16,
    /// How far the pen moves after the glyph.
    pub advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
    /// The characters this glyph stands for (empty for the second and later glyphs of a
    /// cluster), written to the ToUnicode map so the text can be extracted.
    pub text: String,
}

/// Glyphs of one face in visual (left-to-right) order.
#[derive(Debug, Clone)]
pub struct GlyphRun {
    pub face: usize,
    pub glyphs: Vec<Glyph>,
    /// Only spaces: nothing to draw, but the pen still moves.
    pub blank: bool,
}

impl GlyphRun {
    /// Total advance in font units.
    pub fn advance(&self) -> i32 {
        self.glyphs.iter().map(|g| g.advance).sum()
    }
}

/// Characters that need the shaper: right-to-left letters, combining marks, joiners, and the
/// blocks of scripts whose letters change form in context.
fn is_complex(c: char) -> bool {
    matches!(unicode_bidi::bidi_class(c), BidiClass::R | BidiClass::AL | BidiClass::NSM | BidiClass::AN)
        || matches!(c as u32,
        0x0590..=0x08FF | 0x0900..=0x0DFF | 0x0F00..=0x109F | 0x1780..=0x17FF
        | 0x200C | 0x200D | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Format characters (bidi controls, zero-width marks) that have no glyph of their own: text the
/// shaper does not see skips them rather than draw a .notdef box.
fn invisible(c: char) -> bool {
    use BidiClass::{BN, FSI, LRE, LRI, LRO, PDF, PDI, RLE, RLI, RLO};
    matches!(unicode_bidi::bidi_class(c), BN | LRE | RLE | LRO | RLO | PDF | LRI | RLI | FSI | PDI)
}

/// Characters that join the run before them rather than pick a face of their own, so that a
/// name like "伟 李" or a mark after its letter stays in one shaped run.
fn joins_previous(c: char) -> bool {
    c.is_whitespace() || matches!(unicode_bidi::bidi_class(c), BidiClass::NSM | BidiClass::BN)
}

impl FontSet {
    /// The face that sets `c`: the primary face when it has the glyph, else the first
    /// fallback that does, else the primary (which shows its .notdef box).
    pub fn face_for(&self, primary: usize, c: char) -> usize {
        if c.is_whitespace() || self.faces[primary].has(c) {
            return primary;
        }
        FALLBACK.into_iter().find(|&i| self.faces[i].has(c)).unwrap_or(primary)
    }

    /// Lays out one line: its glyph runs in visual order, left to right.
    pub fn shape(&self, primary: usize, text: &str) -> Vec<GlyphRun> {
        let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let mut out = Vec::new();
        if text.is_empty() {
            return out;
        }
        if !text.chars().any(is_complex) {
            // Nothing to reorder or shape (most text in a pack).
            self.shape_directional(primary, &text, 0..text.len(), false, &mut out);
            return out;
        }
        // Lines sit in a left-to-right document, so the paragraph level is LTR: a right-to-left
        // name reads right to left inside it, and its label stays after it.
        let bidi = ParagraphBidiInfo::new(&text, Some(Level::ltr()));
        if !bidi.has_rtl() {
            self.shape_directional(primary, &text, 0..text.len(), false, &mut out);
            return out;
        }
        let (levels, runs) = bidi.visual_runs(0..text.len());
        for run in runs {
            let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
            self.shape_directional(primary, &text, run, rtl, &mut out);
        }
        out
    }

    /// One directional run (bytes `range` of `text`), split by face; for a right-to-left run
    /// the face runs are emitted in reverse so that the whole stays in visual order.
    fn shape_directional(&self, primary: usize, text: &str, range: Range<usize>, rtl: bool, out: &mut Vec<GlyphRun>) {
        let mut shaped: Vec<GlyphRun> = self
            .pieces(primary, text, range)
            .into_iter()
            .map(|(face, r)| self.shape_piece(face, &text[r], rtl))
            .collect();
        if rtl {
            shaped.reverse();
        }
        out.extend(shaped);
    }

    /// Splits bytes `range` of `text` into pieces of one face each (logical order).
    fn pieces(&self, primary: usize, text: &str, range: Range<usize>) -> Vec<(usize, Range<usize>)> {
        let mut pieces: Vec<(usize, Range<usize>)> = Vec::new();
        for (offset, c) in text[range.clone()].char_indices() {
            let at = range.start + offset;
            let end = at + c.len_utf8();
            if let Some((face, r)) = pieces.last_mut() {
                if (joins_previous(c) && self.faces[*face].has(c)) || self.face_for(primary, c) == *face {
                    r.end = end;
                    continue;
                }
            }
            pieces.push((self.face_for(primary, c), at..end));
        }
        pieces
    }

    /// Glyphs for `piece`, all set in `face`, in visual order.
    fn shape_piece(&self, face_index: usize, piece: &str, rtl: bool) -> GlyphRun {
        let face = &self.faces[face_index];
        let blank = piece.chars().all(char::is_whitespace);
        if !piece.chars().any(is_complex) {
            // Left-to-right text without contextual forms: the character map and advances,
            // exactly what the PDF viewer itself computes from the widths.
            let glyphs = piece
                .chars()
                .filter(|c| !invisible(*c))
                .map(|c| {
                    let gid = face.gid(c);
                    Glyph { gid, advance: face.advance_units(gid), x_offset: 0, y_offset: 0, text: c.to_string() }
                })
                .collect();
            return GlyphRun { face: face_index, glyphs, blank };
        }
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(piece);
        buffer.set_direction(if rtl { rustybuzz::Direction::RightToLeft } else { rustybuzz::Direction::LeftToRight });
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(&face.shaper, &[], buffer);
        // A cluster's characters run from its start to the next cluster's start (logical order).
        let starts: BTreeSet<usize> = shaped.glyph_infos().iter().map(|g| g.cluster as usize).collect();
        let text_of = |start: usize| {
            let end = starts.range(start + 1..).next().copied().unwrap_or(piece.len());
            piece.get(start..end).unwrap_or_default().to_string()
        };
        let mut seen = BTreeSet::new();
        let glyphs = shaped
            .glyph_infos()
            .iter()
            .zip(shaped.glyph_positions())
            .map(|(info, pos)| {
                let cluster = info.cluster as usize;
                let text = if seen.insert(cluster) { text_of(cluster) } else { String::new() };
                Glyph {
                    gid: u16::try_from(info.glyph_id).unwrap_or(0),
                    advance: pos.x_advance,
                    x_offset: pos.x_offset,
                    y_offset: pos.y_offset,
                    text,
                }
            })
            .collect();
        GlyphRun { face: face_index, glyphs, blank }
    }

    /// Width of `text` at `size` points, as [`FontSet::shape`] lays it out.
    pub fn width(&self, primary: usize, text: &str, size: f32) -> f32 {
        if text.chars().any(|c| is_complex(c) || c.is_control()) {
            return self.shape(primary, text).iter().map(|run| self.faces[run.face].points(run.advance(), size)).sum();
        }
        // The same pieces and advances as `shape` lays out, without building glyph runs: line
        // wrapping measures every candidate line.
        self.pieces(primary, text, 0..text.len())
            .into_iter()
            .map(|(index, r)| {
                let face = &self.faces[index];
                let units = text[r].chars().filter(|c| !invisible(*c)).map(|c| face.advance_units(face.gid(c))).sum();
                face.points(units, size)
            })
            .sum()
    }

    /// The text operations that draw `run`'s glyphs from the current text position: one
    /// `ShowText` per stretch at the same height, with kerning numbers wherever the shaper's
    /// positions differ from the advances a viewer takes from the font's widths, and the text
    /// rise set (and reset) for glyphs the shaper raised or lowered.
    pub fn show_ops(&self, run: &GlyphRun, size: f32) -> Vec<Op> {
        let face = &self.faces[run.face];
        let mut ops = Vec::new();
        let mut items: Vec<Codepoint> = Vec::new();
        let mut lead = 0.0f32;
        let mut rise = 0;
        // Where the viewer's pen is after the last glyph shown, and where the layout's is,
        // both in font units from the run's start.
        let (mut viewer, mut layout) = (0i32, 0i32);
        let flush = |items: &mut Vec<Codepoint>, lead: &mut f32, ops: &mut Vec<Op>| {
            if items.is_empty() {
                return;
            }
            let mut list = Vec::new();
            if *lead != 0.0 {
                list.push(TextItem::Offset(*lead));
            }
            list.push(TextItem::GlyphIds(std::mem::take(items)));
            ops.push(Op::ShowText { items: list });
            *lead = 0.0;
        };
        for glyph in &run.glyphs {
            if glyph.y_offset != rise {
                flush(&mut items, &mut lead, &mut ops);
                rise = glyph.y_offset;
                ops.push(Op::SetLineOffset { multiplier: face.points(rise, size) });
            }
            let target = layout + glyph.x_offset;
            if target != viewer {
                // TJ numbers move the pen left by n/1000 em.
                let kern = -face.thousandths(target - viewer);
                match items.last_mut() {
                    Some(last) => last.offset += kern,
                    None => lead += kern,
                }
            }
            items.push(Codepoint { gid: glyph.gid, offset: 0.0, cid: Some(glyph.text.clone()) });
            viewer = target + face.advance_units(glyph.gid);
            layout += glyph.advance;
        }
        flush(&mut items, &mut lead, &mut ops);
        if rise != 0 {
            ops.push(Op::SetLineOffset { multiplier: 0.0 });
        }
        ops
    }
}

/// One face cut down to the glyphs a document uses, ready for printpdf.
pub struct SubsetFace {
    pub id: FontId,
    pub parsed: ParsedFont,
}

/// Subsets every face the pages use to exactly the glyphs they use, and renumbers the glyph
/// ids in the pages to the subset's.
///
/// printpdf 0.12 subsets only with its `text_layout` feature (a whole layout engine), so the
/// faces are cut here with the same subsetter (allsorts) and handed to printpdf as finished
/// font programs. allsorts renumbers glyph `ids[i]` to `i`; the pages' glyph ids and the widths
/// are rewritten to match, and the PostScript name gets a subset tag derived from the glyph set
/// (ISO 32000-1 9.6.4), so the same text always gives the same bytes.
pub fn subset_faces(fonts: &FontSet, pages: &mut [Vec<Op>]) -> Result<Vec<SubsetFace>, PackError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};
    use printpdf::PdfFontHandle;
    use sha2::{Digest, Sha256};

    /// Calls `f` with the face index and glyphs of every glyph run in `ops`.
    fn each_glyph(fonts: &FontSet, ops: &mut [Op], mut f: impl FnMut(usize, &mut Codepoint)) {
        let mut current: Option<usize> = None;
        for op in ops {
            match op {
                Op::SetFont { font: PdfFontHandle::External(id), .. } => {
                    current = fonts.faces.iter().position(|face| face.id == *id);
                }
                Op::ShowText { items } => {
                    let Some(face) = current else { continue };
                    for item in items {
                        if let TextItem::GlyphIds(glyphs) = item {
                            glyphs.iter_mut().for_each(|g| f(face, g));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    let mut used: BTreeMap<usize, BTreeSet<u16>> = BTreeMap::new();
    for ops in pages.iter_mut() {
        each_glyph(fonts, ops, |face, g| {
            used.entry(face).or_default().insert(g.gid);
        });
    }
    let mut out = Vec::new();
    let mut renumber: BTreeMap<usize, BTreeMap<u16, u16>> = BTreeMap::new();
    for (index, mut gids) in used {
        let face = &fonts.faces[index];
        let original = &face.parsed;
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
        parsed.glyph_widths =
            new_of.iter().filter_map(|(old, new)| Some((*new, original.get_glyph_width(*old)?))).collect();
        // Descriptor metrics (bounding box, ascent) stay those of the whole face.
        parsed.pdf_font_metrics = original.pdf_font_metrics.clone();
        parsed.font_metrics = original.font_metrics.clone();
        let digest = Sha256::digest(ids.iter().flat_map(|g| g.to_be_bytes()).collect::<Vec<u8>>());
        let tag: String = digest.iter().take(6).map(|b| char::from(b'A' + b % 26)).collect();
        parsed.font_name = Some(format!("{tag}+{}", original.font_name.clone().unwrap_or_default()));
        out.push(SubsetFace { id: face.id.clone(), parsed });
        renumber.insert(index, new_of);
    }
    for ops in pages.iter_mut() {
        each_glyph(fonts, ops, |face, g| {
            g.gid = renumber.get(&face).and_then(|m| m.get(&g.gid)).copied().unwrap_or(0);
        });
    }
    Ok(out)
}
