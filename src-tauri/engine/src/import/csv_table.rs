//! Reading CSV as exports really are (SPEC §3): any of `,` `;` tab, CRLF or LF, quoted newlines,
//! duplicate header names, formula-escaped cells, trailing empty lines — streamed record by
//! record with a cap on how large one record may grow.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::ImportError;

/// Largest accepted record (all its cells together). A larger one — a runaway quote in a
/// truncated file, or a hostile huge cell — stops the file with a clear error instead of
/// growing memory.
pub const MAX_RECORD_BYTES: u64 = 8 << 20;

/// Picks the delimiter from the header line: the most frequent of `,` `;` tab outside quotes.
pub fn sniff_delimiter(head: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for c in head.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' if !in_quotes => break,
            ',' if !in_quotes => counts[0] += 1,
            ';' if !in_quotes => counts[1] += 1,
            '\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Parses the header row of a text head (for detection).
pub fn sniff_header(head: &str) -> (u8, Vec<String>) {
    let delimiter = sniff_delimiter(head);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(head.as_bytes());
    let header = reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    (delimiter, header)
}

/// The error for a line longer than [`MAX_RECORD_BYTES`].
struct RecordTooLarge;
impl std::fmt::Display for RecordTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a record exceeds {} MiB (a runaway quote or a huge cell); the file was not imported",
            MAX_RECORD_BYTES >> 20
        )
    }
}

/// One data record.
pub struct CsvRecord {
    /// First physical line of the record (1-based; the header is line 1).
    pub line: u64,
    pub fields: csv::StringRecord,
}

impl CsvRecord {
    /// The cell at `index`, trimmed, with spreadsheet formula escaping (`'=`…) undone;
    /// None when absent or empty.
    pub fn get(&self, index: Option<usize>) -> Option<&str> {
        let v = self.fields.get(index?)?.trim();
        let v = match v.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
            _ => v,
        };
        (!v.is_empty()).then_some(v)
    }

    /// The record re-serialised as one CSV line (the values verbatim, comma-separated, quoted
    /// where needed), for the raw-row store.
    pub fn raw(&self) -> String {
        let mut out = String::with_capacity(self.fields.as_slice().len() + self.fields.len() * 2);
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ') {
                out.push('"');
                out.push_str(&field.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(field);
            }
        }
        out
    }

    /// True when every cell is empty (trailing empty lines, `,,,` rows).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// A header with lookup by name (case-insensitive, trimmed); duplicate names are kept and can
/// be read in order.
#[derive(Debug, Clone)]
pub struct Header {
    pub names: Vec<String>,
    folded: Vec<String>,
}

impl Header {
    pub fn new(names: Vec<String>) -> Header {
        let folded = names.iter().map(|n| fold(n)).collect();
        Header { names, folded }
    }

    /// The first column with this name.
    pub fn find(&self, name: &str) -> Option<usize> {
        let f = fold(name);
        self.folded.iter().position(|n| *n == f)
    }

    /// Every column with this name (duplicate header names occur in real exports).
    pub fn find_all(&self, name: &str) -> Vec<usize> {
        let f = fold(name);
        self.folded.iter().enumerate().filter(|(_, n)| **n == f).map(|(i, _)| i).collect()
    }

    /// The first column with any of these names.
    pub fn find_any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.find(n))
    }

    /// The column's name as written.
    pub fn name(&self, index: usize) -> &str {
        self.names.get(index).map(String::as_str).unwrap_or("?")
    }

    /// Columns whose name starts with `prefix` (e.g. HubSpot `Opted out of email: …`).
    pub fn with_prefix(&self, prefix: &str) -> Vec<usize> {
        let f = fold(prefix);
        self.folded.iter().enumerate().filter(|(_, n)| n.starts_with(&f)).map(|(i, _)| i).collect()
    }
}

/// Header names compare without case, surrounding space, BOM or `*` markers.
pub fn fold(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// A row the CSV reader itself refused: its first line, why, and its text as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub line: u64,
    pub message: String,
    pub raw: String,
}

/// What the parser found next.
enum Parsed {
    Record(CsvRecord),
    Rejected(RejectedRow),
}

/// Continuation lines looked at when deciding whether a quoted value swallowed whole rows.
const SWALLOW_PROBE_LINES: usize = 64;

/// The CSV parser proper; it runs on the reader thread of a [`CsvTable`]. It reads physical
/// lines and hands them to `csv_core`, so that it always knows which lines a record spans:
/// a record whose quoted value runs over line ends is checked for an unescaped quote that
/// swallowed the rows after it, and those rows are read again on their own (SPEC §3: no row
/// lost, merged or invented without saying so). Every record must have the header's number of
/// fields.
struct CsvParser {
    input: Box<dyn BufRead + Send>,
    core: csv_core::Reader,
    delimiter: u8,
    header: Header,
    name: String,
    /// Physical lines to read again before the input (after an unescaped quote), with their numbers.
    replay: VecDeque<(u64, Vec<u8>)>,
    /// The number of the next physical line read from the input.
    next_line: u64,
    fields: Vec<u8>,
    ends: Vec<usize>,
    bytes_read: u64,
}

impl CsvParser {
    /// Opens decoded text as CSV and reads the header.
    fn open(text: Box<dyn Read + Send>, name: &str, delimiter: u8) -> Result<CsvParser, ImportError> {
        let mut parser = CsvParser {
            input: Box::new(BufReader::with_capacity(1 << 16, text)),
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            header: Header::new(Vec::new()),
            name: name.to_string(),
            replay: VecDeque::new(),
            next_line: 1,
            fields: vec![0; 1 << 12],
            ends: vec![0; 64],
            bytes_read: 0,
        };
        let first = loop {
            match parser.read_fields()? {
                None => return Err(ImportError::file(name, "the file is empty (no header row)")),
                Some(raw) if raw.is_blank(&parser.fields, &parser.ends) => continue,
                Some(raw) => break raw,
            }
        };
        let names = first.strings(&parser.fields, &parser.ends).ok_or_else(|| {
            ImportError::at(
                name,
                &format!("line {}", first.line),
                None,
                "the header row is not valid text (invalid UTF-8)",
            )
        })?;
        if names.first().is_some_and(|n| n.trim_start_matches('\u{feff}').trim() == "---") {
            return Err(ImportError::at(
                name,
                &format!("line {}", first.line),
                None,
                "the file starts with YAML front matter ('---', a CSVY file); remove the lines up to and including \
                 the closing '---' so that the first line is the CSV header, then import it again",
            ));
        }
        parser.header =
            Header::new(names.iter().map(|s| s.trim().trim_start_matches('\u{feff}').to_string()).collect());
        Ok(parser)
    }

    /// The next physical line (with its line end) and its number, or None at the end.
    fn next_physical_line(&mut self) -> Result<Option<(u64, Vec<u8>)>, ImportError> {
        if let Some(line) = self.replay.pop_front() {
            return Ok(Some(line));
        }
        let mut buf = Vec::new();
        let limit = MAX_RECORD_BYTES + 1;
        let n = (&mut self.input).take(limit).read_until(b'\n', &mut buf).map_err(|e| {
            ImportError::at(&self.name, &format!("line {}", self.next_line), None, format!("cannot read: {e}"))
        })?;
        if n == 0 {
            return Ok(None);
        }
        if n as u64 >= limit && buf.last() != Some(&b'\n') {
            return Err(ImportError::at(
                &self.name,
                &format!("line {}", self.next_line),
                None,
                RecordTooLarge.to_string(),
            ));
        }
        self.bytes_read += n as u64;
        let number = self.next_line;
        self.next_line += 1;
        Ok(Some((number, buf)))
    }

    /// Reads the next record's fields into `self.fields` / `self.ends`; None at the end. A
    /// quoted value that runs over line ends is checked here (see [`CsvParser`]).
    fn read_fields(&mut self) -> Result<Option<RawRecord>, ImportError> {
        use csv_core::ReadRecordResult::*;
        'record: loop {
            let Some(first) = self.next_physical_line()? else { return Ok(None) };
            let mut lines = vec![first];
            let (mut pos, mut outlen, mut endlen) = (0usize, 0usize, 0usize);
            let mut size = 0u64;
            let mut at_eof = false;
            loop {
                let input: &[u8] = if at_eof { &[] } else { &lines[lines.len() - 1].1[pos..] };
                let (res, nin, nout, nend) =
                    self.core.read_record(input, &mut self.fields[outlen..], &mut self.ends[endlen..]);
                pos += nin;
                outlen += nout;
                endlen += nend;
                match res {
                    OutputFull => {
                        let len = self.fields.len();
                        self.fields.resize(len * 2, 0);
                    }
                    OutputEndsFull => {
                        let len = self.ends.len();
                        self.ends.resize(len * 2, 0);
                    }
                    Record => break,
                    End => return Ok(None),
                    InputEmpty if at_eof => break,
                    InputEmpty => {
                        if outlen == 0 && endlen == 0 {
                            // A blank line: the record starts on a later one.
                            lines.clear();
                        }
                        size += lines.last().map_or(0, |l| l.1.len() as u64);
                        if size > MAX_RECORD_BYTES && lines.len() > 1 {
                            self.core.reset();
                            let rejected = self.swallowed(lines, true);
                            return Ok(Some(RawRecord::rejected(rejected)));
                        }
                        match self.next_physical_line()? {
                            Some(next) => {
                                lines.push(next);
                                pos = 0;
                            }
                            None if lines.is_empty() => return Ok(None),
                            None => at_eof = true,
                        }
                    }
                }
            }
            let Some(&(line, _)) = lines.first() else { continue 'record };
            let last = lines.len() - 1;
            let record = RawRecord { line, fields: endlen, len: outlen, rejected: None };
            let blank = record.is_blank(&self.fields, &self.ends);
            let expected = self.header.names.len();
            let ends_inside_quotes = at_eof && {
                let text: usize = lines.iter().map(|l| l.1.iter().filter(|b| **b == b'"').count()).sum();
                text % 2 == 1
            };
            if lines.len() > 1 && !blank {
                // A quoted value over several lines swallowed rows when the record is broken (the
                // wrong number of values, or text after the quote that closed it, which is then
                // a later row's opening quote) and a line inside it reads as a row; or when most
                // of the lines inside it read as rows; or when it runs to the end of the file.
                let broken =
                    !self.count_fits(endlen, outlen) || text_after_closing_quote(&lines, pos, self.delimiter).is_some();
                let probed = (lines.len() - 1).min(SWALLOW_PROBE_LINES);
                let row_like = self.row_like_lines(&lines[1..]);
                let mostly_rows = row_like >= 2 && row_like * 2 >= probed && expected >= 3;
                if ends_inside_quotes || (broken && row_like > 0) || mostly_rows {
                    // Every line after the first is read again, whole.
                    self.core.reset();
                    let rejected = self.swallowed(lines, false);
                    return Ok(Some(RawRecord::rejected(rejected)));
                }
            }
            // What the last line holds after this record (records split by a lone CR) is read next.
            let rest = lines[last].1.get(pos..).unwrap_or_default();
            if !at_eof && rest.iter().any(|b| *b != b'\r' && *b != b'\n') {
                self.replay.push_front((lines[last].0, rest.to_vec()));
            }
            // The record's own text, without what follows it on its last line.
            lines[last].1.truncate(pos);
            if blank {
                continue 'record;
            }
            if !ends_inside_quotes && lines.iter().any(|(_, l)| l.contains(&b'"')) {
                if let Some(field) = text_after_closing_quote(&lines, pos, self.delimiter) {
                    let raw: String = lines.iter().map(|l| String::from_utf8_lossy(&l.1).into_owned()).collect();
                    let message = format!(
                        "text follows the closing quote of field {} ('{}'): a quote inside a quoted value is not \
                         escaped (write it as \"\"), so the value cannot be read as written; this row was not imported",
                        field + 1,
                        self.header.name(field)
                    );
                    let raw = String::from_utf8_lossy(trim_line_end(raw.as_bytes())).into_owned();
                    return Ok(Some(RawRecord::rejected(RejectedRow { line, message, raw })));
                }
            }
            if ends_inside_quotes {
                let raw = String::from_utf8_lossy(trim_line_end(&lines[0].1)).into_owned();
                let ended_with_newline = lines[last].1.ends_with(b"\n");
                let message = if ended_with_newline {
                    "an opening quote (\") is never closed: the row's last value runs to the end of the file \
                     (an unescaped quote); this row was not imported"
                        .to_string()
                } else {
                    "the file ends inside a quoted value (the export was cut off mid-row: a truncated file); this \
                     row was not imported"
                        .to_string()
                };
                return Ok(Some(RawRecord::rejected(RejectedRow { line, message, raw })));
            }
            if !self.count_fits(endlen, outlen) {
                let found = endlen;
                let raw: String = lines.iter().map(|l| String::from_utf8_lossy(&l.1).into_owned()).collect();
                let raw = trim_line_end(raw.as_bytes()).to_vec();
                let mut message = if found > expected {
                    format!(
                        "line {line} has {found} values but the header has {expected} columns; the extra value(s) \
                         would be lost, so this row was not imported (an unquoted delimiter inside a value?)"
                    )
                } else {
                    let missing: Vec<&str> =
                        self.header.names[found.min(expected)..].iter().map(String::as_str).take(5).collect();
                    format!(
                        "line {line} has {found} values but the header has {expected} columns (missing: {}); this \
                         row was not imported",
                        missing.join(", ")
                    )
                };
                if at_eof && !lines[last].1.ends_with(b"\n") {
                    message.push_str(" (the file ends here: cut off mid-row?)");
                }
                return Ok(Some(RawRecord::rejected(RejectedRow {
                    line,
                    message,
                    raw: String::from_utf8_lossy(&raw).into_owned(),
                })));
            }
            return Ok(Some(record));
        }
    }

    /// True when a record of `found` fields fits the header: the same number, or extra fields
    /// that are all empty (a trailing delimiter), or missing fields whose header names are empty.
    fn count_fits(&self, found: usize, len: usize) -> bool {
        let expected = self.header.names.len();
        if found == expected || expected == 0 {
            return true;
        }
        if found > expected {
            let from = if expected == 0 { 0 } else { self.ends[expected - 1] };
            return self.fields[from..len].iter().all(|b| b.is_ascii_whitespace());
        }
        self.header.names[found..].iter().all(|n| n.trim().is_empty())
    }

    /// How many of these continuation lines, read on their own, are rows of the header's width
    /// (evidence that a quoted value swallowed whole rows).
    fn row_like_lines(&self, lines: &[(u64, Vec<u8>)]) -> usize {
        let expected = self.header.names.len();
        if expected < 2 {
            return 0;
        }
        lines
            .iter()
            .take(SWALLOW_PROBE_LINES)
            .filter(|(_, l)| field_count(trim_line_end(l), self.delimiter) == expected)
            .count()
    }

    /// The first line of a record whose quoted value swallowed the lines after it: rejected,
    /// naming the quote; the other lines are read again on their own.
    fn swallowed(&mut self, mut lines: Vec<(u64, Vec<u8>)>, too_large: bool) -> RejectedRow {
        let (line, first) = lines.remove(0);
        let swallowed = lines.len();
        for next in lines.into_iter().rev() {
            self.replay.push_front(next);
        }
        let column = quote_column(&first, self.delimiter);
        let named = match column {
            Some(i) => format!(" in field {} ('{}')", i + 1, self.header.name(i)),
            None => String::new(),
        };
        let how_far = if too_large {
            format!("over {} MiB", MAX_RECORD_BYTES >> 20)
        } else {
            format!("{swallowed} following line(s)")
        };
        RejectedRow {
            line,
            message: format!(
                "unescaped quote: the opening quote (\"){named} on line {line} is not closed on that line, so its \
                 value would swallow the {how_far} — the rows after it; this row was not imported (write a quote \
                 inside a value as \"\"), the following rows were read on their own"
            ),
            raw: String::from_utf8_lossy(trim_line_end(&first)).into_owned(),
        }
    }

    /// The next record or rejected row, or None at the end.
    fn next_parsed(&mut self) -> Result<Option<Parsed>, ImportError> {
        let Some(raw) = self.read_fields()? else { return Ok(None) };
        if let Some(rejected) = raw.rejected {
            return Ok(Some(Parsed::Rejected(rejected)));
        }
        match raw.strings(&self.fields, &self.ends) {
            Some(values) => {
                Ok(Some(Parsed::Record(CsvRecord { line: raw.line, fields: csv::StringRecord::from(values) })))
            }
            None => {
                let (column, _) = raw.first_invalid_utf8(&self.fields, &self.ends).unwrap_or((0, 0));
                let text: Vec<String> = (0..raw.fields)
                    .map(|i| String::from_utf8_lossy(raw.field(&self.fields, &self.ends, i)).into_owned())
                    .collect();
                Ok(Some(Parsed::Rejected(RejectedRow {
                    line: raw.line,
                    message: format!(
                        "invalid UTF-8 bytes in field {} ('{}') of a file that is UTF-8 elsewhere; this row was not \
                         imported (the bytes are shown as \u{fffd})",
                        column + 1,
                        self.header.name(column)
                    ),
                    raw: CsvRecord { line: raw.line, fields: csv::StringRecord::from(text) }.raw(),
                })))
            }
        }
    }

    /// Bytes of decoded text read so far (for progress).
    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

/// A record's place in the parser's buffers (`fields` end positions, `len` bytes of values).
struct RawRecord {
    line: u64,
    fields: usize,
    len: usize,
    rejected: Option<RejectedRow>,
}

impl RawRecord {
    fn rejected(row: RejectedRow) -> RawRecord {
        RawRecord { line: row.line, fields: 0, len: 0, rejected: Some(row) }
    }

    fn field<'b>(&self, data: &'b [u8], ends: &[usize], i: usize) -> &'b [u8] {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        &data[start..ends[i]]
    }

    fn is_blank(&self, data: &[u8], _ends: &[usize]) -> bool {
        self.rejected.is_none() && data[..self.len].iter().all(|b| b.is_ascii_whitespace())
    }

    /// The values as text; None when any is not valid UTF-8.
    fn strings<'b>(&self, data: &'b [u8], ends: &[usize]) -> Option<Vec<&'b str>> {
        let all = std::str::from_utf8(&data[..self.len]).ok()?;
        let mut out = Vec::with_capacity(self.fields);
        let mut start = 0;
        for &end in &ends[..self.fields] {
            out.push(all.get(start..end)?);
            start = end;
        }
        Some(out)
    }

    /// The first field holding invalid UTF-8 and the byte offset in it.
    fn first_invalid_utf8(&self, data: &[u8], ends: &[usize]) -> Option<(usize, usize)> {
        (0..self.fields)
            .find_map(|i| std::str::from_utf8(self.field(data, ends, i)).err().map(|e| (i, e.valid_up_to())))
    }
}

/// The field (0-based) of a record where text follows a closing quote (`"abc"def`): the csv
/// reader would silently drop the quotes and join the text, so such a row is rejected instead.
fn text_after_closing_quote(lines: &[(u64, Vec<u8>)], end: usize, delimiter: u8) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Start,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut field) = (State::Start, 0usize);
    let last = lines.len().saturating_sub(1);
    // The record's bytes: its lines, the last one up to where the record ended.
    let bytes =
        lines.iter().enumerate().flat_map(|(i, (_, l))| if i == last { &l[..end.min(l.len())] } else { &l[..] });
    for &b in bytes {
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::Start | State::Unquoted | State::QuoteInQuoted, b'\r' | b'\n') => State::Start,
            (State::Start | State::Unquoted | State::QuoteInQuoted, d) if d == delimiter => {
                field += 1;
                State::Start
            }
            (State::QuoteInQuoted, _) => return Some(field),
            (State::Start, b'"') => State::Quoted,
            (State::Start | State::Unquoted, _) => State::Unquoted,
        };
    }
    None
}

/// A line without its `\n` / `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The number of fields of one line (without its line end) read on its own as CSV.
fn field_count(line: &[u8], delimiter: u8) -> usize {
    let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0u8; line.len() + 1];
    let mut ends = vec![0usize; line.len() + 2];
    let (res, _, nout, nend) = core.read_record(line, &mut out, &mut ends);
    if matches!(res, csv_core::ReadRecordResult::Record) {
        return nend;
    }
    let (_, _, _, more) = core.read_record(&[], &mut out[nout..], &mut ends[nend..]);
    nend + more
}

/// The field (0-based) in which a line's unclosed opening quote stands: a quote at the start of
/// a field whose value does not close on the line.
fn quote_column(line: &[u8], delimiter: u8) -> Option<usize> {
    let line = trim_line_end(line);
    let (mut field, mut at_start, mut in_quotes) = (0usize, true, false);
    let mut opened = None;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if in_quotes {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == delimiter {
            field += 1;
            at_start = true;
            i += 1;
            continue;
        } else if b == b'"' && at_start {
            in_quotes = true;
            opened = Some(field);
        }
        at_start = false;
        i += 1;
    }
    if in_quotes {
        opened
    } else {
        None
    }
}

/// Records per message from the reader thread, and the text size after which a message is sent
/// early (large records): with the channel's bound this caps what is in flight.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;
const BATCHES_IN_FLIGHT: usize = 4;

/// Where the rows the reader itself rejects go (see [`CsvTable::open_prepared`]): the import
/// stores each in the file's list of rejected rows as it arrives, so a file of a million bad
/// rows is never held in memory.
pub type RejectSink<'t> = Box<dyn FnMut(&RejectedRow) -> Result<(), ImportError> + 't>;

/// Rejected rows a table without a sink keeps for its caller (tests, scans); the rest are counted.
const KEPT_REJECTIONS: usize = 1000;

/// What the reader thread sends, in this order: the header (or the error that prevented it),
/// batches of records and rejected rows, then the end or an error.
enum Message<P> {
    Header(Header),
    Records { records: Vec<(CsvRecord, P)>, rejected: Vec<RejectedRow>, bytes_read: u64 },
    End,
    Failed(ImportError),
}

/// A CSV stream. Decoding and parsing run on a reader thread ahead of the caller (a bounded
/// queue of record batches), so a bulk import parses on one core while SQLite writes on the
/// other. A caller may also give a `prepare` step — pure work per record, such as mapping it to
/// an event — that runs on the reader thread too ([`CsvTable::open_prepared`]).
pub struct CsvTable<'t, P = ()> {
    pub header: Header,
    pub delimiter: u8,
    receiver: Receiver<Message<P>>,
    current: std::vec::IntoIter<(CsvRecord, P)>,
    /// Records the caller is done with, sent back so the reader thread frees them: memory is
    /// freed fastest by the thread that allocated it.
    used: Vec<(CsvRecord, P)>,
    recycle: SyncSender<Vec<(CsvRecord, P)>>,
    bytes_read: u64,
    finished: bool,
    sink: Option<RejectSink<'t>>,
    /// Without a sink: the first rejected rows, and how many there were in all.
    kept: Vec<RejectedRow>,
    rejected_count: u64,
    name: String,
}

impl CsvTable<'static> {
    /// Opens decoded text as CSV and reads the header. `name` is the input's display name for
    /// error messages.
    pub fn open(text: Box<dyn Read + Send>, name: &str, delimiter: u8) -> Result<CsvTable<'static>, ImportError> {
        CsvTable::open_prepared(text, name, delimiter, |_| |_: &CsvRecord| ())
    }
}

impl CsvTable<'_> {
    /// The next non-blank record, or None at the end. Rows the reader rejects (wrong number of
    /// values, an unescaped quote, a last row cut off, invalid UTF-8) are not returned: they go
    /// to the sink ([`CsvTable::with_rejections`]) or are kept ([`CsvTable::rejected`]).
    pub fn next_record(&mut self) -> Result<Option<CsvRecord>, ImportError> {
        Ok(self.next_prepared()?.map(|(record, ())| record))
    }
}

impl<'t, P: Send + 'static> CsvTable<'t, P> {
    /// Like [`CsvTable::open`], with `make(header)` giving the step that prepares each record on
    /// the reader thread.
    pub fn open_prepared<M, F>(
        text: Box<dyn Read + Send>,
        name: &str,
        delimiter: u8,
        make: M,
    ) -> Result<CsvTable<'t, P>, ImportError>
    where
        M: FnOnce(&Header) -> F + Send + 'static,
        F: FnMut(&CsvRecord) -> P,
    {
        let (sender, receiver) = sync_channel(BATCHES_IN_FLIGHT);
        let (recycle, used) = sync_channel(BATCHES_IN_FLIGHT);
        let thread_name = name.to_string();
        std::thread::Builder::new()
            .name("csv-reader".into())
            .spawn(move || read_records(text, &thread_name, delimiter, make, &sender, &used))
            .map_err(|e| ImportError::file(name, format!("cannot start the CSV reader: {e}")))?;
        let header = match receiver.recv() {
            Ok(Message::Header(header)) => header,
            Ok(Message::Failed(e)) => return Err(e),
            _ => return Err(reader_stopped(name)),
        };
        Ok(CsvTable {
            header,
            delimiter,
            receiver,
            current: Vec::new().into_iter(),
            used: Vec::new(),
            recycle,
            bytes_read: 0,
            finished: false,
            sink: None,
            kept: Vec::new(),
            rejected_count: 0,
            name: name.to_string(),
        })
    }

    /// Sends every row the reader rejects to `sink` as it arrives.
    pub fn with_rejections(mut self, sink: RejectSink<'t>) -> CsvTable<'t, P> {
        self.sink = Some(sink);
        self
    }

    /// Rejected rows kept by a table without a sink (the first 1,000) and how many there were.
    pub fn rejected(&self) -> (&[RejectedRow], u64) {
        (&self.kept, self.rejected_count)
    }

    /// The next non-blank record with what `prepare` made of it, or None at the end.
    pub fn next_prepared(&mut self) -> Result<Option<(CsvRecord, P)>, ImportError> {
        loop {
            if let Some(item) = self.current.next() {
                return Ok(Some(item));
            }
            if self.finished {
                return Ok(None);
            }
            match self.receiver.recv() {
                Ok(Message::Records { records, rejected, bytes_read }) => {
                    self.current = records.into_iter();
                    self.bytes_read = bytes_read;
                    for row in rejected {
                        self.rejected_count += 1;
                        match self.sink.as_mut() {
                            Some(sink) => sink(&row)?,
                            None if self.kept.len() < KEPT_REJECTIONS => self.kept.push(row),
                            None => {}
                        }
                    }
                }
                Ok(Message::End) => self.finished = true,
                Ok(Message::Failed(e)) => {
                    self.finished = true;
                    return Err(e);
                }
                Ok(Message::Header(_)) | Err(_) => {
                    self.finished = true;
                    return Err(reader_stopped(&self.name));
                }
            }
        }
    }

    /// Hands a record back when done with it, to be freed on the reader thread (optional: a
    /// record simply dropped is freed here).
    pub fn recycle(&mut self, item: (CsvRecord, P)) {
        self.used.push(item);
        if self.used.len() >= BATCH_RECORDS {
            let used = std::mem::replace(&mut self.used, Vec::with_capacity(BATCH_RECORDS));
            // A full queue or a finished reader: the records are freed here instead.
            let _ = self.recycle.try_send(used);
        }
    }

    /// Bytes of decoded text read so far (for progress; advances a batch at a time).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

fn reader_stopped(name: &str) -> ImportError {
    ImportError::file(name, "the CSV reader stopped unexpectedly")
}

/// The reader thread: parses, prepares and sends batches until the end, an error, or the
/// receiving table is dropped (a cancelled or failed import), whichever comes first.
fn read_records<P, M, F>(
    text: Box<dyn Read + Send>,
    name: &str,
    delimiter: u8,
    make: M,
    sender: &SyncSender<Message<P>>,
    used: &Receiver<Vec<(CsvRecord, P)>>,
) where
    M: FnOnce(&Header) -> F,
    F: FnMut(&CsvRecord) -> P,
{
    let mut parser = match CsvParser::open(text, name, delimiter) {
        Ok(parser) => parser,
        Err(e) => {
            let _ = sender.send(Message::Failed(e));
            return;
        }
    };
    if sender.send(Message::Header(parser.header.clone())).is_err() {
        return;
    }
    let mut prepare = make(&parser.header);
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    let mut rejected = Vec::new();
    let mut batch_bytes = 0;
    let last = loop {
        while let Ok(done) = used.try_recv() {
            drop(done);
        }
        match parser.next_parsed() {
            Ok(Some(Parsed::Record(record))) => {
                batch_bytes += record.fields.as_slice().len();
                let prepared = prepare(&record);
                batch.push((record, prepared));
            }
            Ok(Some(Parsed::Rejected(row))) => {
                batch_bytes += row.raw.len();
                rejected.push(row);
            }
            Ok(None) => break Message::End,
            Err(e) => break Message::Failed(e),
        }
        if batch.len() + rejected.len() >= BATCH_RECORDS || batch_bytes >= BATCH_BYTES {
            let records = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_RECORDS));
            let rows = std::mem::take(&mut rejected);
            batch_bytes = 0;
            if sender.send(Message::Records { records, rejected: rows, bytes_read: parser.bytes_read() }).is_err() {
                return;
            }
        }
    };
    if (!batch.is_empty() || !rejected.is_empty())
        && sender.send(Message::Records { records: batch, rejected, bytes_read: parser.bytes_read() }).is_err()
    {
        return;
    }
    let _ = sender.send(last);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a;b;\"c,d,e,f\"\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
    }

    #[test]
    fn formula_escapes_are_undone_and_blank_rows_skipped() {
        let text = "Email,Note\r\nx@y.z,'=SUM(A1)\r\n,\r\n\r\n";
        let mut t = CsvTable::open(Box::new(text.as_bytes()), "t.csv", b',').unwrap();
        let r = t.next_record().unwrap().unwrap();
        assert_eq!(r.get(Some(1)), Some("=SUM(A1)"));
        assert_eq!(r.line, 2);
        assert!(t.next_record().unwrap().is_none());
        // Quoted newlines and blank lines move the line count as a text editor shows it.
        let text = "a,b\n\n\"x\ny\",1\r\n2,3\n";
        let mut t = CsvTable::open(Box::new(text.as_bytes()), "t.csv", b',').unwrap();
        assert_eq!(t.next_record().unwrap().unwrap().line, 3);
        assert_eq!(t.next_record().unwrap().unwrap().line, 5);
        assert!(t.next_record().unwrap().is_none());
    }

    #[test]
    fn a_runaway_record_is_an_error_not_unbounded_memory() {
        let mut text = String::from("a,b\n1,\"");
        text.push_str(&"x".repeat((MAX_RECORD_BYTES + (1 << 20)) as usize));
        let mut t = CsvTable::open(Box::new(std::io::Cursor::new(text.into_bytes())), "big.csv", b',').unwrap();
        let err = t.next_record().err().expect("too large");
        assert!(err.to_string().contains("big.csv"), "{err}");
        assert!(err.to_string().contains("MiB"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// Any text of quotes, delimiters, line ends and letters is read to the end without a
        /// panic, and every non-blank line is part of a record or of a rejected row.
        #[test]
        fn any_text_is_read_to_the_end(body in "[a\",\r\n\u{e9}]{0,200}") {
            let text = format!("h1,h2,h3\n{body}");
            let mut t = CsvTable::open(Box::new(std::io::Cursor::new(text.into_bytes())), "p.csv", b',').unwrap();
            let (mut records, mut bytes) = (0u64, 0usize);
            while let Some(r) = t.next_record().unwrap() {
                proptest::prop_assert!(r.line >= 2);
                records += 1;
                bytes += r.fields.iter().map(str::len).sum::<usize>();
            }
            let (kept, rejected) = t.rejected();
            bytes += kept.iter().map(|r| r.raw.len()).sum::<usize>();
            let lines = body.split(['\n', '\r']).filter(|l| !l.trim_matches(',').is_empty()).count() as u64;
            proptest::prop_assert!(records + rejected <= lines.max(1) + 1, "{records} + {rejected} > {lines}");
            // Nothing is read twice: the values and rejected rows hold no more text than the body.
            proptest::prop_assert!(bytes <= body.len(), "{bytes} bytes read from {}", body.len());
        }
    }
}
