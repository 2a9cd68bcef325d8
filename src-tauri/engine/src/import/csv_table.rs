//! Reading CSV as exports really are (SPEC §3): any of `,` `;` tab, CRLF or LF, quoted newlines,
//! duplicate header names, formula-escaped cells, trailing empty lines — streamed record by
//! record with a cap on how large one record may grow.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;
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

/// A counting reader whose count the CSV loop resets at every record boundary, so that one
/// record cannot make the reader buffer more than `MAX_RECORD_BYTES`. It also notes where
/// newlines are (only those the CSV reader has read ahead, so the queue stays small) because the
/// csv crate's own line numbers are off by one after CRLF line ends.
struct GuardedReader<R> {
    inner: R,
    since_boundary: Rc<Cell<u64>>,
    total: Rc<Cell<u64>>,
    newlines: Rc<RefCell<LineIndex>>,
    /// Quote characters seen (odd at the end: the file ends inside a quoted value) and the last
    /// byte read.
    ends: Rc<Cell<(u64, u8)>>,
    limit: u64,
}

/// Newline offsets read but not yet passed by a record, and how many were passed.
#[derive(Default)]
struct LineIndex {
    pending: VecDeque<u64>,
    passed: u64,
}

impl LineIndex {
    /// The 1-based line of the byte at `offset` (offsets only grow).
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.pending.front().is_some_and(|&nl| nl <= offset) {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for GuardedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_boundary.get() > self.limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLarge));
        }
        let n = self.inner.read(buf)?;
        let start = self.total.get();
        let mut index = self.newlines.borrow_mut();
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            index.pending.push_back(start + i as u64);
        }
        drop(index);
        if n > 0 {
            let (quotes, _) = self.ends.get();
            let more = buf[..n].iter().filter(|b| **b == b'"').count() as u64;
            self.ends.set((quotes + more, buf[n - 1]));
        }
        self.since_boundary.set(self.since_boundary.get() + n as u64);
        self.total.set(self.total.get() + n as u64);
        Ok(n)
    }
}

#[derive(Debug)]
struct RecordTooLarge;
impl std::fmt::Display for RecordTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a record exceeds {} MiB (a runaway quote or a huge cell)", MAX_RECORD_BYTES >> 20)
    }
}
impl std::error::Error for RecordTooLarge {}

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

/// The CSV parser proper; it runs on the reader thread of a [`CsvTable`].
struct CsvParser {
    reader: csv::Reader<GuardedReader<Box<dyn Read + Send>>>,
    header: Header,
    since_boundary: Rc<Cell<u64>>,
    total: Rc<Cell<u64>>,
    newlines: Rc<RefCell<LineIndex>>,
    ends: Rc<Cell<(u64, u8)>>,
    record: csv::StringRecord,
    name: String,
    /// One record of lookahead, so that the last record can be checked for truncation.
    pending: Option<CsvRecord>,
    /// The last record when the file ends inside a quoted value: (line, raw). Not returned as a
    /// record; the pipeline lists it as a rejected row.
    truncated: Option<(u64, String)>,
}

impl CsvParser {
    /// Opens decoded text as CSV and reads the header.
    fn open(text: Box<dyn Read + Send>, name: &str, delimiter: u8) -> Result<CsvParser, ImportError> {
        let since_boundary = Rc::new(Cell::new(0));
        let total = Rc::new(Cell::new(0));
        let newlines = Rc::new(RefCell::new(LineIndex::default()));
        let ends = Rc::new(Cell::new((0, 0)));
        let guarded = GuardedReader {
            inner: text,
            since_boundary: since_boundary.clone(),
            total: total.clone(),
            newlines: newlines.clone(),
            ends: ends.clone(),
            limit: MAX_RECORD_BYTES,
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(guarded);
        let mut first = csv::StringRecord::new();
        let has = reader.read_record(&mut first).map_err(|e| csv_error(name, e, 1))?;
        if !has || first.iter().all(|f| f.trim().is_empty()) {
            return Err(ImportError::file(name, "the file is empty (no header row)"));
        }
        since_boundary.set(0);
        let header = Header::new(first.iter().map(|s| s.trim().trim_start_matches('\u{feff}').to_string()).collect());
        Ok(CsvParser {
            reader,
            header,
            since_boundary,
            total,
            newlines,
            ends,
            record: csv::StringRecord::new(),
            name: name.to_string(),
            pending: None,
            truncated: None,
        })
    }

    /// The next non-blank record, or None at the end. A last record cut inside a quoted value
    /// (a truncated export) is not returned: it goes to the truncation slot.
    fn next_record(&mut self) -> Result<Option<CsvRecord>, ImportError> {
        loop {
            let next = self.read_one()?;
            match (self.pending.take(), next) {
                (None, Some(first)) => self.pending = Some(first),
                (Some(current), Some(following)) => {
                    self.pending = Some(following);
                    return Ok(Some(current));
                }
                (Some(last), None) => {
                    if self.ends_inside_quotes(&last) {
                        self.truncated = Some((last.line, last.raw()));
                        return Ok(None);
                    }
                    return Ok(Some(last));
                }
                (None, None) => return Ok(None),
            }
        }
    }

    /// True when the text ended inside a quoted value: an odd number of quotes, and the last
    /// record either runs to the end without a line end or swallowed the final line end.
    fn ends_inside_quotes(&self, last: &CsvRecord) -> bool {
        let (quotes, last_byte) = self.ends.get();
        let swallowed_newline = last.fields.iter().next_back().is_some_and(|f| f.ends_with('\n'));
        quotes % 2 == 1 && (last_byte != b'\n' || swallowed_newline)
    }

    fn read_one(&mut self) -> Result<Option<CsvRecord>, ImportError> {
        loop {
            let start = self.reader.position().byte();
            let ok = match self.reader.read_record(&mut self.record) {
                Ok(ok) => ok,
                Err(e) => {
                    let line = self.newlines.borrow_mut().line_at(start);
                    return Err(csv_error(&self.name, e, line));
                }
            };
            self.since_boundary.set(0);
            if !ok {
                return Ok(None);
            }
            let byte = self.record.position().map(|p| p.byte()).unwrap_or(0);
            let line = self.newlines.borrow_mut().line_at(byte);
            let rec = CsvRecord { line, fields: std::mem::take(&mut self.record) };
            if rec.is_blank() {
                continue;
            }
            return Ok(Some(rec));
        }
    }

    /// Bytes of decoded text read so far (for progress).
    fn bytes_read(&self) -> u64 {
        self.total.get()
    }
}

/// Records per message from the reader thread, and the text size after which a message is sent
/// early (large records): with the channel's bound this caps what is in flight.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;
const BATCHES_IN_FLIGHT: usize = 4;

/// Where a truncated last record (line, raw) is reported.
pub type TruncationSlot = Rc<RefCell<Option<(u64, String)>>>;

/// What the reader thread sends, in this order: the header (or the error that prevented it),
/// batches of records, a truncated last record if any, then the end or an error.
enum Message<P> {
    Header(Header),
    Records { records: Vec<(CsvRecord, P)>, bytes_read: u64 },
    Truncated { line: u64, raw: String },
    End,
    Failed(ImportError),
}

/// A CSV stream. Decoding and parsing run on a reader thread ahead of the caller (a bounded
/// queue of record batches), so a bulk import parses on one core while SQLite writes on the
/// other. A caller may also give a `prepare` step — pure work per record, such as mapping it to
/// an event — that runs on the reader thread too ([`CsvTable::open_prepared`]).
pub struct CsvTable<P = ()> {
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
    truncated: TruncationSlot,
    name: String,
}

impl CsvTable {
    /// Opens decoded text as CSV and reads the header. `name` is the input's display name for
    /// error messages.
    pub fn open(text: Box<dyn Read + Send>, name: &str, delimiter: u8) -> Result<CsvTable, ImportError> {
        CsvTable::open_prepared(text, name, delimiter, |_| |_: &CsvRecord| ())
    }

    /// The next non-blank record, or None at the end. A last record cut inside a quoted value
    /// (a truncated export) is not returned: it goes to the truncation slot.
    pub fn next_record(&mut self) -> Result<Option<CsvRecord>, ImportError> {
        Ok(self.next_prepared()?.map(|(record, ())| record))
    }
}

impl<P: Send + 'static> CsvTable<P> {
    /// Like [`CsvTable::open`], with `make(header)` giving the step that prepares each record on
    /// the reader thread.
    pub fn open_prepared<M, F>(
        text: Box<dyn Read + Send>,
        name: &str,
        delimiter: u8,
        make: M,
    ) -> Result<CsvTable<P>, ImportError>
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
            truncated: Rc::new(RefCell::new(None)),
            name: name.to_string(),
        })
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
                Ok(Message::Records { records, bytes_read }) => {
                    self.current = records.into_iter();
                    self.bytes_read = bytes_read;
                }
                Ok(Message::Truncated { line, raw }) => *self.truncated.borrow_mut() = Some((line, raw)),
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

    /// Where a truncated last record is reported (shared with the import context).
    pub fn truncation_slot(&self) -> TruncationSlot {
        self.truncated.clone()
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
    let mut batch_bytes = 0;
    let last = loop {
        while let Ok(done) = used.try_recv() {
            drop(done);
        }
        match parser.next_record() {
            Ok(Some(record)) => {
                batch_bytes += record.fields.as_slice().len();
                let prepared = prepare(&record);
                batch.push((record, prepared));
                if batch.len() >= BATCH_RECORDS || batch_bytes >= BATCH_BYTES {
                    let records = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_RECORDS));
                    batch_bytes = 0;
                    if sender.send(Message::Records { records, bytes_read: parser.bytes_read() }).is_err() {
                        return;
                    }
                }
            }
            Ok(None) => break Message::End,
            Err(e) => break Message::Failed(e),
        }
    };
    if !batch.is_empty() && sender.send(Message::Records { records: batch, bytes_read: parser.bytes_read() }).is_err() {
        return;
    }
    if let Some((line, raw)) = parser.truncated.take() {
        if sender.send(Message::Truncated { line, raw }).is_err() {
            return;
        }
    }
    let _ = sender.send(last);
}

/// A CSV reading error at the record starting on `line` (our count: the csv crate's own line
/// numbers are off after CRLF and absent for I/O errors such as an over-large record).
fn csv_error(name: &str, e: csv::Error, line: u64) -> ImportError {
    let message = match e.kind() {
        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<RecordTooLarge>()) => {
            format!("{}", RecordTooLarge)
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in field {}", err.field() + 1),
        _ => e.to_string(),
    };
    ImportError::at(name, &format!("line {line}"), None, message)
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
}
