//! Detection by content, never by file name alone: a CSV header signature or a JSON shape.

use serde_json::Value;

use super::csv_table::{sniff_header, Header};
use super::input::{head_text, Fingerprint, Input};
use super::json_records::{sniff_shape, JsonShape};
use super::{registry, Importer};

/// What detection looks at.
#[derive(Debug, Clone)]
pub struct Sniff {
    pub file_name: String,
    pub head: String,
    /// For CSV-like text: the delimiter and the header.
    pub delimiter: u8,
    pub header: Option<Header>,
    /// For JSON: the shape and the first record.
    pub json_shape: Option<JsonShape>,
    pub first_record: Option<Value>,
    pub empty: bool,
    pub binary: bool,
}

/// Builds the sniff of an input from its head.
pub fn sniff(input: &Input, fp: &Fingerprint) -> Sniff {
    let head = head_text(fp);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    let binary = fp.head.iter().take(4096).filter(|b| **b == 0).count() > 0
        && !matches!(fp.encoding, super::input::TextEncoding::Utf16Le | super::input::TextEncoding::Utf16Be);
    let json_shape = sniff_shape(trimmed);
    let first_record = json_shape.and_then(|shape| first_json_record(trimmed, shape));
    let (delimiter, header) = if json_shape.is_none() && !trimmed.is_empty() {
        let (d, h) = sniff_header(trimmed);
        (d, (!h.is_empty()).then(|| Header::new(h)))
    } else {
        (b',', None)
    };
    Sniff {
        file_name: input.file_name(),
        empty: trimmed.trim().is_empty(),
        head,
        delimiter,
        header,
        json_shape,
        first_record,
        binary,
    }
}

/// The first record from the head (which may cut a large file short: for arrays we parse
/// element by element until the head ends).
fn first_json_record(head: &str, shape: JsonShape) -> Option<Value> {
    match shape {
        JsonShape::Lines => head.lines().find(|l| !l.trim().is_empty()).and_then(|l| serde_json::from_str(l).ok()),
        JsonShape::Object => serde_json::from_str(head).ok().or(Some(Value::Null)),
        JsonShape::Array => {
            let inner = head.trim_start().strip_prefix('[')?;
            let mut stream = serde_json::Deserializer::from_str(inner).into_iter::<Value>();
            stream.next().and_then(Result::ok)
        }
    }
}

/// The best importer for a sniff by content, or None.
pub fn choose(sniff: &Sniff) -> Option<&'static dyn Importer> {
    if sniff.empty || sniff.binary {
        return None;
    }
    let best = registry()
        .into_iter()
        .map(|i| (i.detect(sniff), i))
        .filter(|(score, _)| *score > 0)
        .max_by_key(|(score, _)| *score);
    best.map(|(_, i)| i)
}

/// Why nothing recognised the file, in words that say what to do.
pub fn unrecognised_reason(sniff: &Sniff) -> String {
    if sniff.empty {
        return "the file is empty".into();
    }
    if sniff.binary {
        return "the file is not text: it holds NUL bytes (binary content); expected CSV or JSON".into();
    }
    let first_line = sniff.head.trim_start_matches('\u{feff}').lines().next().unwrap_or_default().trim();
    if first_line == "---" {
        return "the file starts with YAML front matter ('---', a CSVY file); remove the lines up to and including \
                the closing '---' so that the first line is the CSV header, then import it again"
            .into();
    }
    if let Some(h) = &sniff.header {
        let shown: Vec<_> = h.names.iter().take(8).cloned().collect();
        return format!(
            "no importer recognises this layout (header: {}); choose the system with --system, or give a column mapping with --mapping",
            shown.join(", ")
        );
    }
    "no importer recognises this JSON; choose the system with --system".into()
}
