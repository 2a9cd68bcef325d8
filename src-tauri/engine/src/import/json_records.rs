//! Streaming JSON inputs record by record: a top-level array (each element is a record, pointer
//! `/i`), a single object (one record, pointer ``), or JSON Lines (one record per line, locator
//! `line N`). Memory holds one record at a time; serde_json's recursion limit refuses
//! pathologically deep documents with a clear error.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use super::ImportError;

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
pub fn for_each_record(
    text: Box<dyn Read>,
    shape: JsonShape,
    name: &str,
    each: &mut dyn FnMut(JsonRecord) -> Result<Flow, ImportError>,
) -> Result<(), ImportError> {
    match shape {
        JsonShape::Lines => {
            let reader = BufReader::with_capacity(1 << 16, text);
            for (i, line) in reader.lines().enumerate() {
                let line_no = i as u64 + 1;
                let line = line.map_err(|e| ImportError::at(name, &format!("line {line_no}"), None, e.to_string()))?;
                let trimmed = line.trim().trim_start_matches('\u{feff}');
                if trimmed.is_empty() {
                    continue;
                }
                let locator = format!("line {line_no}");
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
            Ok(())
        }
        JsonShape::Object => {
            let value: Value = serde_json::from_reader(BufReader::with_capacity(1 << 16, text)).map_err(|e| {
                ImportError::at(name, &format!("line {}", e.line()), None, format!("not valid JSON: {e}"))
            })?;
            each(JsonRecord { locator: String::new(), line: Some(1), value })?;
            Ok(())
        }
        JsonShape::Array => {
            let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, text));
            let mut failure: Option<ImportError> = None;
            let result = de.deserialize_seq(ArrayVisitor { each, failure: &mut failure });
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
}

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(value) = seq.next_element_seed(ValueSeed)? {
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
            index += 1;
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
        let r =
            for_each_record(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), shape, "f.json", &mut |rec| {
                seen.push(rec.locator);
                Ok(Flow::Continue)
            });
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
