//! Timestamps as sources write them (SPEC §3): ISO 8601 with `Z`, `+00:00` or `+0000`;
//! zone-less (the zone is then assumed from the import settings and recorded as such); epoch
//! seconds, milliseconds or deciseconds; `dd/mm/yyyy` and `mm/dd/yyyy` only with a known order.
//! The original text and how the zone was known are kept with every instant.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How the zone of a timestamp was known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ZoneBasis {
    /// The text carried its offset.
    Explicit,
    /// No zone in the text: the named zone from the import settings was assumed.
    Assumed(String),
    /// A number of seconds / milliseconds / deciseconds since the Unix epoch.
    Epoch,
}

impl ZoneBasis {
    /// Stored form: `explicit`, `assumed:<zone>`, `epoch`.
    pub fn as_string(&self) -> String {
        match self {
            ZoneBasis::Explicit => "explicit".into(),
            ZoneBasis::Assumed(z) => format!("assumed:{z}"),
            ZoneBasis::Epoch => "epoch".into(),
        }
    }
}

/// An instant with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    pub utc: DateTime<Utc>,
    pub original: String,
    pub zone: ZoneBasis,
}

/// The order of day and month in slash dates, which must be known, never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DateOrder {
    /// `dd/mm/yyyy`
    Dmy,
    /// `mm/dd/yyyy`
    Mdy,
}

impl std::str::FromStr for DateOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dmy" | "dd/mm/yyyy" | "day-first" => Ok(DateOrder::Dmy),
            "mdy" | "mm/dd/yyyy" | "month-first" => Ok(DateOrder::Mdy),
            other => Err(format!("unknown date order '{other}' (expected dmy or mdy)")),
        }
    }
}

/// Why a text is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("'{0}' is not a date/time this importer understands (expected ISO 8601, epoch seconds/milliseconds, or a slash date)")]
    Unrecognised(String),
    #[error("'{0}' has day and month that could be either order; give the date order (dmy or mdy)")]
    AmbiguousDayMonth(String),
    #[error("'{text}' does not exist in {zone} (skipped by a daylight-saving change)")]
    NonExistentLocal { text: String, zone: String },
    #[error("'{0}' is out of the plausible range (1970–2200)")]
    OutOfRange(String),
}

/// What a slash date's parts allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlashEvidence {
    /// The first part is over 12: day-first.
    DayFirst,
    /// The second part is over 12: month-first.
    MonthFirst,
    /// Both parts ≤ 12: either order is possible.
    Ambiguous,
}

/// Looks at a slash date (`a/b/yyyy…`) and says which order its numbers allow; None when the
/// text is not a slash date.
pub fn slash_evidence(text: &str) -> Option<SlashEvidence> {
    let t = text.trim();
    let date_part = t.split([' ', 'T']).next()?;
    let mut it = date_part.split('/');
    let a: u32 = it.next()?.parse().ok()?;
    let b: u32 = it.next()?.parse().ok()?;
    let y = it.next()?;
    if it.next().is_some() || y.len() != 4 || !y.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(if a > 12 {
        SlashEvidence::DayFirst
    } else if b > 12 {
        SlashEvidence::MonthFirst
    } else {
        SlashEvidence::Ambiguous
    })
}

const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 2200;

fn in_range(dt: &DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (MIN_YEAR..=MAX_YEAR).contains(&dt.year())
}

/// Parses a timestamp. `assumed_zone` is used (and recorded) when the text has no zone;
/// `order` is needed for slash dates whose day and month are both ≤ 12 (and is checked
/// against unambiguous ones).
pub fn parse_timestamp(text: &str, assumed_zone: Tz, order: Option<DateOrder>) -> Result<Timestamp, TimestampError> {
    let t = text.trim();
    let original = text.to_string();
    if t.is_empty() {
        return Err(TimestampError::Unrecognised(original));
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        return parse_epoch(t).map(|utc| Timestamp { utc, original, zone: ZoneBasis::Epoch });
    }
    if let Some(utc) = parse_with_offset(t) {
        if !in_range(&utc) {
            return Err(TimestampError::OutOfRange(original));
        }
        return Ok(Timestamp { utc, original, zone: ZoneBasis::Explicit });
    }
    // A slash date with an offset (`07/15/2009 02:14:45+0800`, as Data Loader writes them).
    if let Some((local, offset)) = split_offset(t).filter(|(local, _)| slash_evidence(local).is_some()) {
        let naive = parse_naive(local, order)?;
        let utc = offset
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| TimestampError::Unrecognised(original.clone()))?;
        if !in_range(&utc) {
            return Err(TimestampError::OutOfRange(original));
        }
        return Ok(Timestamp { utc, original, zone: ZoneBasis::Explicit });
    }
    let naive = parse_naive(t, order)?;
    let utc = match assumed_zone.from_local_datetime(&naive) {
        LocalResult::Single(dt) => dt.with_timezone(&Utc),
        // A repeated hour at a daylight-saving change: the earlier instant is taken; the zone
        // basis records the assumption.
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            return Err(TimestampError::NonExistentLocal { text: original, zone: assumed_zone.name().to_string() })
        }
    };
    if !in_range(&utc) {
        return Err(TimestampError::OutOfRange(original));
    }
    Ok(Timestamp { utc, original, zone: ZoneBasis::Assumed(assumed_zone.name().to_string()) })
}

/// Splits a trailing UTC offset (`Z`, `+0800`, `-08:00`) from a date-time that has a time part.
fn split_offset(t: &str) -> Option<(&str, FixedOffset)> {
    if let Some(local) = t.strip_suffix('Z') {
        return Some((local.trim_end(), FixedOffset::east_opt(0)?));
    }
    let pos = t.rfind(['+', '-'])?;
    let (local, off) = t.split_at(pos);
    if !local.contains(':') {
        return None;
    }
    let digits: String = off[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    let seconds = (hours * 3600 + minutes * 60) * if off.starts_with('-') { -1 } else { 1 };
    Some((local.trim_end(), FixedOffset::east_opt(seconds)?))
}

/// Epoch numbers are told apart by magnitude: seconds (≤ 11 digits up to year 2200 is
/// 7.2e9, 10 digits), deciseconds (11 digits), milliseconds (13 digits).
fn parse_epoch(t: &str) -> Result<DateTime<Utc>, TimestampError> {
    let n: i64 = t.parse().map_err(|_| TimestampError::Unrecognised(t.to_string()))?;
    let dt = match t.len() {
        9 | 10 => Utc.timestamp_opt(n, 0).single(),
        11 | 12 => Utc.timestamp_millis_opt(n * 100).single(),
        13 => Utc.timestamp_millis_opt(n).single(),
        _ => None,
    };
    match dt {
        Some(dt) if in_range(&dt) => Ok(dt),
        Some(_) => Err(TimestampError::OutOfRange(t.to_string())),
        None => Err(TimestampError::Unrecognised(t.to_string())),
    }
}

fn parse_with_offset(t: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    // Space instead of T, `+0000` without colon, `Z`, optional fraction.
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ];
    let normalised = if let Some(stripped) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        format!("{stripped}+0000")
    } else if let Some(stripped) = t.strip_suffix(" UTC").or_else(|| t.strip_suffix(" GMT")) {
        format!("{stripped}+0000")
    } else {
        t.to_string()
    };
    FORMATS
        .iter()
        .find_map(|f| DateTime::<FixedOffset>::parse_from_str(&normalised, f).ok().map(|dt| dt.with_timezone(&Utc)))
}

fn parse_naive(t: &str, order: Option<DateOrder>) -> Result<NaiveDateTime, TimestampError> {
    const FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];
    for f in FORMATS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(dt);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN));
    }
    if let Some(evidence) = slash_evidence(t) {
        let order = match (evidence, order) {
            (SlashEvidence::DayFirst, Some(DateOrder::Mdy)) | (SlashEvidence::MonthFirst, Some(DateOrder::Dmy)) => {
                return Err(TimestampError::Unrecognised(t.to_string()))
            }
            (SlashEvidence::DayFirst, _) => DateOrder::Dmy,
            (SlashEvidence::MonthFirst, _) => DateOrder::Mdy,
            (SlashEvidence::Ambiguous, Some(o)) => o,
            (SlashEvidence::Ambiguous, None) => return Err(TimestampError::AmbiguousDayMonth(t.to_string())),
        };
        let (d, m) = match order {
            DateOrder::Dmy => ("%d", "%m"),
            DateOrder::Mdy => ("%m", "%d"),
        };
        for time in ["", " %H:%M:%S", " %H:%M"] {
            let f = format!("{d}/{m}/%Y{time}");
            if time.is_empty() {
                if let Ok(date) = NaiveDate::parse_from_str(t, &f) {
                    return Ok(date.and_time(chrono::NaiveTime::MIN));
                }
            } else if let Ok(dt) = NaiveDateTime::parse_from_str(t, &f) {
                return Ok(dt);
            }
        }
    }
    Err(TimestampError::Unrecognised(t.to_string()))
}

/// Milliseconds since the epoch, the stored form.
pub fn to_millis(dt: &DateTime<Utc>) -> i64 {
    dt.timestamp_millis()
}

/// RFC 3339 UTC (`…Z`), the form every output uses; milliseconds only when present.
pub fn format_millis(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(dt) if ms % 1000 != 0 => dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        Some(dt) => dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        let ts = parse_timestamp(text, chrono_tz::UTC, None).unwrap();
        format_millis(ts.utc.timestamp_millis())
    }

    #[test]
    fn explicit_offsets_in_every_spelling() {
        assert_eq!(utc("2023-03-01T10:00:00Z"), "2023-03-01T10:00:00Z");
        assert_eq!(utc("2023-03-01T10:00:00+00:00"), "2023-03-01T10:00:00Z");
        assert_eq!(utc("2023-03-01T10:00:00+0000"), "2023-03-01T10:00:00Z");
        assert_eq!(utc("2023-03-01T12:00:00.250+0200"), "2023-03-01T10:00:00.250Z");
        assert_eq!(utc("2010-10-14T12:00:00.000Z"), "2010-10-14T12:00:00Z");
        let ts = parse_timestamp("2023-03-01 10:00:00 +0100", chrono_tz::UTC, None).unwrap();
        assert_eq!(ts.zone, ZoneBasis::Explicit);
        assert_eq!(format_millis(ts.utc.timestamp_millis()), "2023-03-01T09:00:00Z");
    }

    #[test]
    fn zone_less_times_take_the_assumed_zone_and_say_so() {
        let ts = parse_timestamp("2023-07-01 09:30:00", chrono_tz::Europe::London, None).unwrap();
        assert_eq!(format_millis(ts.utc.timestamp_millis()), "2023-07-01T08:30:00Z");
        assert_eq!(ts.zone.as_string(), "assumed:Europe/London");
        assert_eq!(ts.original, "2023-07-01 09:30:00");
        let ts = parse_timestamp("2023-01-15 09:30", chrono_tz::Europe::London, None).unwrap();
        assert_eq!(format_millis(ts.utc.timestamp_millis()), "2023-01-15T09:30:00Z");
    }

    #[test]
    fn daylight_saving_gaps_and_repeats() {
        // 01:30 on 26 March 2023 does not exist in London.
        let err = parse_timestamp("2023-03-26 01:30:00", chrono_tz::Europe::London, None).unwrap_err();
        assert!(matches!(err, TimestampError::NonExistentLocal { .. }));
        // 01:30 on 29 October 2023 happens twice: the earlier (BST) instant is taken.
        let ts = parse_timestamp("2023-10-29 01:30:00", chrono_tz::Europe::London, None).unwrap();
        assert_eq!(format_millis(ts.utc.timestamp_millis()), "2023-10-29T00:30:00Z");
    }

    #[test]
    fn epoch_magnitudes() {
        assert_eq!(utc("1700000000"), "2023-11-14T22:13:20Z");
        assert_eq!(utc("1700000000123"), "2023-11-14T22:13:20.123Z");
        assert_eq!(utc("17000000001"), "2023-11-14T22:13:20.100Z");
        assert!(parse_timestamp("12", chrono_tz::UTC, None).is_err());
    }

    #[test]
    fn slash_dates_need_a_known_order() {
        assert!(matches!(
            parse_timestamp("03/04/2023", chrono_tz::UTC, None),
            Err(TimestampError::AmbiguousDayMonth(_))
        ));
        let dmy = parse_timestamp("03/04/2023", chrono_tz::UTC, Some(DateOrder::Dmy)).unwrap();
        assert_eq!(format_millis(dmy.utc.timestamp_millis()), "2023-04-03T00:00:00Z");
        let mdy = parse_timestamp("03/04/2023 10:00", chrono_tz::UTC, Some(DateOrder::Mdy)).unwrap();
        assert_eq!(format_millis(mdy.utc.timestamp_millis()), "2023-03-04T10:00:00Z");
        // Unambiguous values need no order, and contradicting the given order is an error.
        assert_eq!(utc("25/12/2022"), "2022-12-25T00:00:00Z");
        assert!(parse_timestamp("25/12/2022", chrono_tz::UTC, Some(DateOrder::Mdy)).is_err());
        assert_eq!(slash_evidence("12/31/2022 10:00"), Some(SlashEvidence::MonthFirst));
    }

    #[test]
    fn slash_dates_with_offsets() {
        assert_eq!(utc("07/15/2009 02:14:45+0800"), "2009-07-14T18:14:45Z");
        assert_eq!(utc("07/13/2009 22:14:45-0800"), "2009-07-14T06:14:45Z");
        let ts = parse_timestamp("07/14/2009 14:14:45+0200", chrono_tz::UTC, None).unwrap();
        assert_eq!(ts.zone, ZoneBasis::Explicit);
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "yesterday", "2009\\7\\14 22:14:45+0800", "2009-07/14 02:14:45-0800", "2023-13-01T00:00:00Z"] {
            assert!(parse_timestamp(bad, chrono_tz::UTC, None).is_err(), "{bad}");
        }
    }
}
