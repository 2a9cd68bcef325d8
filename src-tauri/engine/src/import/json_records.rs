//! Streaming JSON inputs record by record: a top-level array (each element is a record, pointer
//! `/i`), a single object (one record, pointer ``), or JSON Lines (one record per line, locator
//! `line N`). Memory holds one record at a time; serde_json's recursion limit refuses
//! pathologically deep documents with a clear error.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use super::csv_table::MAX_RECORD_BYTES;
use super::ImportError;

/// Counts the bytes read since the last record boundary and fails the read past
/// [`MAX_RECORD_BYTES`]: one record (a line, an array element, a whole single-object document)
/// never grows memory beyond that, however large the file.
struct CappedReader<R> {
    inner: R,
    since_boundary: Rc<Cell<u64>>,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_boundary.get() > MAX_RECORD_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, TOO_LARGE));
        }
        let n = self.inner.read(buf)?;
        self.since_boundary.set(self.since_boundary.get() + n as u64);
        Ok(n)
    }
}

const TOO_LARGE: &str = "record too large";

/// The message for a record over the limit.
fn too_large(what: &str) -> String {
    format!(
        "{what} exceeds {} MiB; it was not read (a record that large is not a consent log entry)",
        MAX_RECORD_BYTES >> 20
    )
}

fn is_too_large(e: &serde_json::Error) -> bool {
    e.is_io() && e.to_string().contains(TOO_LARGE)
}

/// The top-level shape of a JSON input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    Array,
    Object,
    Lines,
}

/// Decides the shape from the head of the text.
pub fn sniff_shape(head: &str) -> Option<JsonShape> {
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('[') {
        return Some(JsonShape::Array);
    }
    if !t.starts_with('{') {
        return None;
    }
    // JSON Lines: the first line is a complete object and something follows on a later line.
    let first_line = t.lines().next().unwrap_or("");
    if serde_json::from_str::<Value>(first_line).is_ok() && t[first_line.len()..].trim_start().starts_with('{') {
        return Some(JsonShape::Lines);
    }
    Some(JsonShape::Object)
}

/// What the callback wants after a record.
pub enum Flow {
    Continue,
    Stop,
}

/// One record: its locator (`/3` or `line 4`), the line it starts on when known, and the value.
pub struct JsonRecord {
    pub locator: String,
    pub line: Option<u64>,
    pub value: Value,
}

/// Streams the records of `text` to `each`. A syntax error after some records have been read
/// is returned as `Err` with the position, after those records were delivered (so an importer
/// can keep them and reject the rest).
///
/// A JSON Lines line over [`MAX_RECORD_BYTES`], or one that is not valid UTF-8 in a file that is
/// UTF-8 elsewhere, goes to `rejected` (locator, reason, raw text when it is small enough) and
/// the next line is read; an array element or single document over the limit stops the file
/// with that reason.
pub fn for_each_record(
    text: Box<dyn Read>,
    shape: JsonShape,
    name: &str,
    each: &mut dyn FnMut(JsonRecord) -> Result<Flow, ImportError>,
    rejected: &mut dyn FnMut(String, String, Option<String>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    match shape {
        JsonShape::Lines => {
            let mut reader = BufReader::with_capacity(1 << 16, text);
            let mut line = Vec::new();
            let mut line_no = 0u64;
            loop {
                line.clear();
                line_no += 1;
                let locator = format!("line {line_no}");
                let n = (&mut reader)
                    .take(MAX_RECORD_BYTES + 1)
                    .read_until(b'\n', &mut line)
                    .map_err(|e| ImportError::at(name, &locator, None, e.to_string()))?;
                if n == 0 {
                    return Ok(());
                }
                if n as u64 > MAX_RECORD_BYTES && line.last() != Some(&b'\n') {
                    // Skip the rest of the line without holding it, and go on with the next.
                    loop {
                        let buf =
                            reader.fill_buf().map_err(|e| ImportError::at(name, &locator, None, e.to_string()))?;
                        if buf.is_empty() {
                            break;
                        }
                        match buf.iter().position(|b| *b == b'\n') {
                            Some(i) => {
                                reader.consume(i + 1);
                                break;
                            }
                            None => {
                                let len = buf.len();
                                reader.consume(len);
                            }
                        }
                    }
                    rejected(locator, too_large("this JSON line"), None)?;
                    continue;
                }
                let text = match std::str::from_utf8(&line) {
                    Ok(text) => text,
                    Err(_) => {
                        let raw = String::from_utf8_lossy(&line).trim_end().to_string();
                        let message = "invalid UTF-8 bytes in a file that is UTF-8 elsewhere; this line was not \
                                       imported (the bytes are shown as \u{fffd})";
                        rejected(locator, message.to_string(), Some(raw))?;
                        continue;
                    }
                };
                let trimmed = text.trim().trim_start_matches('\u{feff}');
                if trimmed.is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(trimmed) {
                    Ok(value) => {
                        if let Flow::Stop = each(JsonRecord { locator, line: Some(line_no), value })? {
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        return Err(ImportError::at(name, &locator, None, format!("not valid JSON: {e}")));
                    }
                }
            }
        }
        JsonShape::Object => {
            let since_boundary = Rc::new(Cell::new(0));
            let capped = CappedReader { inner: text, since_boundary };
            let value: Value = serde_json::from_reader(BufReader::with_capacity(1 << 16, capped)).map_err(|e| {
                if is_too_large(&e) {
                    return ImportError::file(
                        name,
                        too_large("this single JSON document") + "; split it into a JSON array or JSON Lines",
                    );
                }
                ImportError::at(name, &format!("line {}", e.line()), None, format!("not valid JSON: {e}"))
            })?;
            each(JsonRecord { locator: String::new(), line: Some(1), value })?;
            Ok(())
        }
        JsonShape::Array => {
            let since_boundary = Rc::new(Cell::new(0));
            let capped = CappedReader { inner: text, since_boundary: since_boundary.clone() };
            let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, capped));
            let mut failure: Option<ImportError> = None;
            let mut index = 0usize;
            let result =
                de.deserialize_seq(ArrayVisitor { each, failure: &mut failure, since_boundary, index: &mut index });
            if let Some(e) = failure {
                return Err(e);
            }
            match result {
                Ok(()) => de.end().map_err(|e| {
                    ImportError::at(
                        name,
                        &format!("line {}", e.line()),
                        None,
                        format!("unexpected content after the JSON array: {e}"),
                    )
                }),
                Err(e) if is_too_large(&e) => Err(ImportError::at(
                    name,
                    &format!("/{index}"),
                    None,
                    too_large(&format!("record /{index}"))
                        + "; the records before it were read, the rest of the array was not",
                )),
                Err(e) => Err(ImportError::at(
                    name,
                    &format!("line {}", e.line()),
                    None,
                    format!("not valid JSON (the records before this point were read): {e}"),
                )),
            }
        }
    }
}

struct ArrayVisitor<'a> {
    each: &'a mut dyn FnMut(JsonRecord) -> Result<Flow, ImportError>,
    failure: &'a mut Option<ImportError>,
    since_boundary: Rc<Cell<u64>>,
    /// The index of the element being read.
    index: &'a mut usize,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element_seed(ValueSeed)? {
            // What the reader buffered ahead (64 KiB at most) counts towards the next record.
            self.since_boundary.set(0);
            let index = *self.index;
            let record = JsonRecord { locator: format!("/{index}"), line: None, value };
            match (self.each)(record) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop) => {
                    // Drain the rest without holding it.
                    while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                    return Ok(());
                }
                Err(e) => {
                    *self.failure = Some(e);
                    return Err(serde::de::Error::custom("stopped by the importer"));
                }
            }
            *self.index += 1;
        }
        Ok(())
    }
}

struct ValueSeed;
impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
}

/// The JSON pointer of a record's field, for messages (`/3/timestamp`).
pub fn pointer(locator: &str, field: &str) -> String {
    if locator.starts_with('/') || locator.is_empty() {
        format!("{locator}/{field}")
    } else {
        format!("{locator} /{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> (Vec<String>, Option<String>) {
        let shape = sniff_shape(text).unwrap();
        let mut seen = Vec::new();
        let r = for_each_record(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            shape,
            "f.json",
            &mut |rec| {
                seen.push(rec.locator);
                Ok(Flow::Continue)
            },
            &mut |_, _, _| Ok(()),
        );
        (seen, r.err().map(|e| e.to_string()))
    }

    #[test]
    fn arrays_objects_and_lines() {
        assert_eq!(collect("[{\"a\":1},{\"a\":2}]").0, vec!["/0", "/1"]);
        assert_eq!(collect("{\"a\":1}").0, vec![""]);
        assert_eq!(collect("{\"a\":1}\n{\"a\":2}\n\n").0, vec!["line 1", "line 2"]);
    }

    #[test]
    fn truncated_array_delivers_what_was_read_then_errors() {
        let (seen, err) = collect("[{\"a\":1},{\"a\":2},{\"a\":");
        assert_eq!(seen, vec!["/0", "/1"]);
        assert!(err.unwrap().contains("f.json"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
        let (_, err) = collect(&deep);
        assert!(err.unwrap().contains("recursion limit"));
    }
}
