//! A small layout layer over printpdf's operations: wrapped paragraphs, tables whose cells wrap
//! and whose header repeats on every page, vector bar charts, bookmarks and a footer with
//! "Page X of Y" (DESIGN.md: printpdf's manual text has no wrapping, so that is ours).

use printpdf::{Color, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb};

use super::fonts::{FontSet, BOLD, REGULAR};

/// A4 portrait, in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const LEFT: f32 = 48.0;
pub const RIGHT: f32 = PAGE_W - 48.0;
const TOP: f32 = PAGE_H - 56.0;
const BOTTOM: f32 = 64.0;
/// Space between a table cell's border and its text.
const CELL_PAD: f32 = 3.0;

/// Colours used in packs (sRGB, matching the output intent).
pub mod colours {
    pub const TEXT: (f32, f32, f32) = (0.10, 0.10, 0.12);
    pub const MUTED: (f32, f32, f32) = (0.40, 0.42, 0.45);
    pub const RULE: (f32, f32, f32) = (0.75, 0.77, 0.80);
    pub const HEADER_BG: (f32, f32, f32) = (0.89, 0.91, 0.94);
    pub const ZEBRA: (f32, f32, f32) = (0.965, 0.97, 0.98);
    pub const ACCENT: (f32, f32, f32) = (0.13, 0.33, 0.55);
    pub const GIVEN: (f32, f32, f32) = (0.20, 0.58, 0.33);
    pub const WITHDRAWN: (f32, f32, f32) = (0.80, 0.22, 0.20);
    pub const REFUSED: (f32, f32, f32) = (0.90, 0.55, 0.15);
    pub const EXPIRED: (f32, f32, f32) = (0.55, 0.55, 0.58);
    pub const NONE: (f32, f32, f32) = (0.90, 0.91, 0.92);
    pub const HIGH: (f32, f32, f32) = (0.78, 0.16, 0.16);
    pub const MEDIUM: (f32, f32, f32) = (0.88, 0.52, 0.10);
    pub const LOW: (f32, f32, f32) = (0.35, 0.50, 0.70);
}

type Rgb3 = (f32, f32, f32);

fn colour((r, g, b): Rgb3) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

/// A table column: its title and share of the text width.
pub struct Column<'a> {
    pub title: &'a str,
    pub share: f32,
}

/// Pages being laid out.
pub struct Canvas<'f> {
    fonts: &'f FontSet,
    pub pages: Vec<Vec<Op>>,
    y: f32,
    /// Outline entries: title and 1-based page.
    pub bookmarks: Vec<(String, usize)>,
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f FontSet) -> Self {
        let mut c = Canvas { fonts, pages: Vec::new(), y: TOP, bookmarks: Vec::new() };
        c.new_page();
        c
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Makes room for `height` points, starting a new page when the rest of this one is short.
    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM {
            self.new_page();
            return true;
        }
        false
    }

    /// Moves the cursor down.
    pub fn space(&mut self, points: f32) {
        self.y -= points;
    }

    /// The width of `text`.
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        self.fonts.width(if bold { BOLD } else { REGULAR }, text, size)
    }

    /// Draws one line of text with its baseline at (x, y): shaped, in visual order, each run
    /// in the face that has its glyphs (see `fonts`).
    pub fn text_at(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool, rgb: Rgb3) {
        let primary = if bold { BOLD } else { REGULAR };
        let runs = self.fonts.shape(primary, text);
        let mut pen = x;
        let mut ops = Vec::with_capacity(runs.len() * 6);
        for run in runs {
            let f = &self.fonts.faces[run.face];
            if !run.blank {
                ops.push(Op::StartTextSection);
                ops.push(Op::SetFillColor { col: colour(rgb) });
                ops.push(Op::SetFont { font: PdfFontHandle::External(f.id.clone()), size: Pt(size) });
                ops.push(Op::SetTextCursor { pos: Point { x: Pt(pen), y: Pt(y) } });
                ops.extend(self.fonts.show_ops(&run, size));
                ops.push(Op::EndTextSection);
            }
            pen += f.points(run.advance(), size);
        }
        self.ops().extend(ops);
    }

    /// A filled rectangle (x, y = lower left).
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: Rgb3) {
        let ops = self.ops();
        ops.push(Op::SetFillColor { col: colour(rgb) });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    /// A horizontal rule.
    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, rgb: Rgb3, thickness: f32) {
        let ops = self.ops();
        ops.push(Op::SetOutlineColor { col: colour(rgb) });
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint { p: Point { x: Pt(x1), y: Pt(y) }, bezier: false },
                    LinePoint { p: Point { x: Pt(x2), y: Pt(y) }, bezier: false },
                ],
                is_closed: false,
            },
        });
    }

    /// Breaks `text` into lines no wider than `max` (words first, characters for long words
    /// and scripts without spaces).
    pub fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ') {
                let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
                if self.width(&candidate, size, bold) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone may still be too wide: break it by characters.
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if !line.is_empty() && self.width(&next, size, bold) > max {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    /// A section title, with an outline entry.
    pub fn section(&mut self, title: &str) {
        if self.y < TOP - 1.0 {
            self.ensure(170.0);
        }
        if self.y < TOP - 1.0 {
            self.space(10.0);
        }
        let page = self.pages.len();
        self.bookmarks.push((title.to_string(), page));
        self.y -= 18.0;
        let y = self.y;
        self.text_at(LEFT, y, title, 15.0, true, colours::ACCENT);
        self.y -= 6.0;
        let y = self.y;
        self.hline(LEFT, RIGHT, y, colours::ACCENT, 0.8);
        self.y -= 12.0;
    }

    /// A smaller heading inside a section.
    pub fn subheading(&mut self, title: &str) {
        self.ensure(48.0);
        self.y -= 6.0;
        self.y -= 11.0;
        let y = self.y;
        self.text_at(LEFT, y, title, 10.5, true, colours::TEXT);
        self.y -= 6.0;
    }

    /// A wrapped paragraph.
    pub fn paragraph(&mut self, text: &str, size: f32, rgb: Rgb3) {
        let lead = size * 1.35;
        for line in self.wrap(text, size, false, RIGHT - LEFT) {
            self.ensure(lead);
            self.y -= lead;
            let y = self.y;
            self.text_at(LEFT, y, &line, size, false, rgb);
        }
        self.y -= size * 0.5;
    }

    /// Label / value pairs, the label in bold; both wrap.
    pub fn key_values(&mut self, rows: &[(String, String)]) {
        let size = 9.0;
        let lead = size * 1.4;
        let label_w = 130.0;
        for (label, value) in rows {
            let labels = self.wrap(label, size, true, label_w - 8.0);
            let lines = self.wrap(value, size, false, RIGHT - LEFT - label_w);
            let n = labels.len().max(lines.len()).max(1);
            self.ensure(lead * n as f32);
            let top = self.y;
            for i in 0..n {
                let y = top - lead * (i as f32 + 1.0);
                if let Some(l) = labels.get(i) {
                    self.text_at(LEFT, y, l, size, true, colours::MUTED);
                }
                if let Some(v) = lines.get(i) {
                    self.text_at(LEFT + label_w, y, v, size, false, colours::TEXT);
                }
            }
            self.y = top - lead * n as f32;
        }
        self.y -= 6.0;
    }

    /// The share a table column needs for `widest` to fit on one line in its cell, beside
    /// columns whose shares add up to `others` (so that an id never wraps mid-number).
    pub fn share_to_fit(&self, widest: &str, size: f32, others: f32) -> f32 {
        let need = self.width(widest, size, false) + 2.0 * CELL_PAD + 1.0;
        let total = RIGHT - LEFT;
        if need >= total / 2.0 {
            return others;
        }
        need * others / (total - need)
    }

    /// A table with wrapped cells; the header is drawn again at the top of every new page.
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>], size: f32) {
        let total: f32 = columns.iter().map(|c| c.share).sum::<f32>().max(0.0001);
        let width = RIGHT - LEFT;
        let widths: Vec<f32> = columns.iter().map(|c| c.share / total * width).collect();
        let pad = CELL_PAD;
        let lead = size * 1.3;
        let header_lines: Vec<Vec<String>> =
            columns.iter().zip(&widths).map(|(c, w)| self.wrap(c.title, size, true, w - 2.0 * pad)).collect();
        let header_h = header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
        self.ensure(header_h + lead * 2.0 + 2.0 * pad);
        self.table_header(&header_lines, &widths, header_h, size, lead, pad);
        for (index, row) in rows.iter().enumerate() {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| {
                    let mut lines = self.wrap(cell, size, false, w - 2.0 * pad);
                    // A cell never outgrows a page: the rest is in the attachments.
                    if lines.len() > 40 {
                        lines.truncate(40);
                        lines.push("…".into());
                    }
                    lines
                })
                .collect();
            let h = cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * lead + 2.0 * pad;
            if self.ensure(h) {
                self.table_header(&header_lines, &widths, header_h, size, lead, pad);
            }
            if index % 2 == 1 {
                let y = self.y;
                self.rect(LEFT, y - h, width, h, colours::ZEBRA);
            }
            let mut x = LEFT;
            for (lines, w) in cells.iter().zip(&widths) {
                for (i, line) in lines.iter().enumerate() {
                    let y = self.y - pad - lead * (i as f32 + 1.0) + lead * 0.25;
                    self.text_at(x + pad, y, line, size, false, colours::TEXT);
                }
                x += w;
            }
            self.y -= h;
            let y = self.y;
            self.hline(LEFT, RIGHT, y, colours::RULE, 0.3);
        }
        self.y -= 10.0;
    }

    fn table_header(&mut self, lines: &[Vec<String>], widths: &[f32], h: f32, size: f32, lead: f32, pad: f32) {
        let y = self.y;
        self.rect(LEFT, y - h, RIGHT - LEFT, h, colours::HEADER_BG);
        let mut x = LEFT;
        for (cell, w) in lines.iter().zip(widths) {
            for (i, line) in cell.iter().enumerate() {
                let ty = y - pad - lead * (i as f32 + 1.0) + lead * 0.25;
                self.text_at(x + pad, ty, line, size, true, colours::TEXT);
            }
            x += w;
        }
        self.y -= h;
    }

    /// Horizontal bars: one row per (label, value), scaled to the largest value.
    pub fn bar_chart(&mut self, title: &str, rows: &[(String, usize)], rgb: Rgb3) {
        let rows: Vec<(String, usize, Rgb3)> = rows.iter().map(|(l, v)| (l.clone(), *v, rgb)).collect();
        self.bar_chart_coloured(title, &rows);
    }

    /// Horizontal bars with a colour per row.
    pub fn bar_chart_coloured(&mut self, title: &str, rows: &[(String, usize, Rgb3)]) {
        if rows.is_empty() {
            return;
        }
        let size = 8.0;
        let row_h = 13.0;
        self.ensure(20.0 + row_h * rows.len().min(12) as f32);
        self.subheading(title);
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f32;
        let label_w = 160.0;
        let bar_max = RIGHT - LEFT - label_w - 40.0;
        for (label, value, rgb) in rows {
            self.ensure(row_h);
            self.y -= row_h;
            let y = self.y;
            let shown: String = self.wrap(label, size, false, label_w - 6.0).into_iter().next().unwrap_or_default();
            self.text_at(LEFT, y + 3.0, &shown, size, false, colours::TEXT);
            let w = (*value as f32 / max * bar_max).max(1.0);
            self.rect(LEFT + label_w, y + 1.0, w, row_h - 4.0, *rgb);
            self.text_at(LEFT + label_w + w + 4.0, y + 3.0, &value.to_string(), size, false, colours::MUTED);
        }
        self.y -= 8.0;
    }

    /// A row of coloured segments (a state-over-time strip) with a label at the left.
    /// `segments` are (start, end, colour) as fractions of the strip's width.
    pub fn strip(&mut self, label: &str, segments: &[(f32, f32, Rgb3)]) {
        let row_h = 14.0;
        let label_w = 130.0;
        self.ensure(row_h);
        self.y -= row_h;
        let y = self.y;
        let shown: String = self.wrap(label, 8.0, false, label_w - 6.0).into_iter().next().unwrap_or_default();
        self.text_at(LEFT, y + 3.5, &shown, 8.0, false, colours::TEXT);
        let x0 = LEFT + label_w;
        let w = RIGHT - x0;
        self.rect(x0, y + 1.0, w, row_h - 4.0, colours::NONE);
        for (start, end, rgb) in segments {
            let sw = ((end - start) * w).max(0.8);
            self.rect(x0 + start * w, y + 1.0, sw, row_h - 4.0, *rgb);
        }
    }

    /// The strip's axis: labels under the strip's left and right ends.
    pub fn strip_axis(&mut self, left: &str, right: &str) {
        let x0 = LEFT + 130.0;
        self.y -= 10.0;
        let y = self.y;
        self.text_at(x0, y, left, 7.0, false, colours::MUTED);
        let w = self.width(right, 7.0, false);
        self.text_at(RIGHT - w, y, right, 7.0, false, colours::MUTED);
        self.y -= 6.0;
    }

    /// A legend: coloured squares with labels.
    pub fn legend(&mut self, items: &[(&str, Rgb3)]) {
        self.ensure(14.0);
        self.y -= 12.0;
        let y = self.y;
        let mut x = LEFT + 130.0;
        for (label, rgb) in items {
            self.rect(x, y, 8.0, 8.0, *rgb);
            self.text_at(x + 11.0, y + 1.0, label, 7.5, false, colours::TEXT);
            x += 20.0 + self.width(label, 7.5, false);
        }
        self.y -= 8.0;
    }

    /// Adds the footer to every page: title, the manifest's SHA-256 and "Page X of Y".
    pub fn finish(mut self, left: &str, manifest_sha256: &str) -> (Vec<Vec<Op>>, Vec<(String, usize)>) {
        let total = self.pages.len();
        for index in 0..total {
            let mut footer = Canvas { fonts: self.fonts, pages: vec![Vec::new()], y: 0.0, bookmarks: Vec::new() };
            footer.hline(LEFT, RIGHT, 46.0, colours::RULE, 0.5);
            footer.text_at(LEFT, 35.0, left, 7.0, false, colours::MUTED);
            let page = format!("Page {} of {}", index + 1, total);
            let w = footer.width(&page, 7.5, true);
            footer.text_at(RIGHT - w, 35.0, &page, 7.5, true, colours::TEXT);
            footer.text_at(LEFT, 25.0, &format!("Manifest SHA-256: {manifest_sha256}"), 6.5, false, colours::MUTED);
            let ops = footer.pages.pop().unwrap_or_default();
            self.pages[index].extend(ops);
        }
        (self.pages, self.bookmarks)
    }
}
