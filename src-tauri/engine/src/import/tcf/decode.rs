//! Decoder for IAB TCF v2.x TC strings (core segment plus the optional DisclosedVendors,
//! AllowedVendors and PublisherTC segments).
//!
//! The decoder is strict on purpose: a TC string is evidence, so anything that does not follow
//! the bit layout of the "Consent string and vendor list formats v2" specification is rejected
//! with an error that names the segment, the field and the bit offset, instead of being decoded
//! into a plausible-looking but wrong record. It never panics, whatever the input.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Upper bound on vendor ids expanded from range entries across one TC string.
///
/// A 53-bit publisher-restriction entry can name all 65 535 vendor ids, so a hostile string of a
/// few kilobytes could otherwise make us allocate gigabytes. Real strings stay far below this
/// (the GVL holds around a thousand vendors).
const MAX_EXPANDED_VENDOR_IDS: usize = 1 << 20;

/// Why a TC string could not be decoded. Every variant says where, so that an import report can
/// point a data-protection officer at the exact defect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TcDecodeError {
    /// Nothing but whitespace was given.
    #[error("TC string is empty")]
    Empty,
    /// Two dots in a row, or a leading/trailing dot.
    #[error("segment {segment} is empty")]
    EmptySegment {
        /// Zero-based segment index (0 is the core segment).
        segment: usize,
    },
    /// A character outside the base64url (or standard base64) alphabet, or `=` padding that is
    /// not at the end of a segment.
    #[error("segment {segment}: invalid base64 character {ch:?} at position {position}")]
    InvalidBase64 {
        /// Zero-based segment index.
        segment: usize,
        /// Zero-based character position within the segment.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// The segment ended before a field could be read completely.
    #[error(
        "segment {segment} ({segment_name}) truncated: field {field} needs {needed} bit(s) at \
         bit offset {offset} but only {available} remain"
    )]
    Truncated {
        /// Zero-based segment index.
        segment: usize,
        /// Segment name, e.g. `Core`.
        segment_name: &'static str,
        /// Field being read.
        field: &'static str,
        /// Bit offset of the field within the segment.
        offset: usize,
        /// Bits the field needs.
        needed: usize,
        /// Bits left in the segment.
        available: usize,
    },
    /// The core segment is not TCF version 2 (TCF v1 strings start with version 1).
    #[error("unsupported version {0}: only TCF v2 TC strings (version 2) are supported")]
    UnsupportedVersion(u8),
    /// An optional segment's SegmentType is not 1, 2 or 3.
    #[error("segment {segment}: unknown segment type {segment_type}")]
    UnknownSegmentType {
        /// Zero-based segment index.
        segment: usize,
        /// The 3-bit SegmentType value read.
        segment_type: u8,
    },
    /// The same optional segment type occurs twice, so the string is ambiguous.
    #[error("segment {segment}: duplicate {segment_name} segment")]
    DuplicateSegment {
        /// Zero-based segment index of the second occurrence.
        segment: usize,
        /// Segment name.
        segment_name: &'static str,
    },
    /// A field holds a value the specification does not allow.
    #[error("segment {segment} ({segment_name}): invalid {field} at bit offset {offset}: {reason}")]
    InvalidField {
        /// Zero-based segment index.
        segment: usize,
        /// Segment name.
        segment_name: &'static str,
        /// Field name.
        field: &'static str,
        /// Bit offset of the field within the segment.
        offset: usize,
        /// Human-readable reason.
        reason: String,
    },
    /// Range entries expand to more vendor ids than any genuine string could contain.
    #[error("TC string expands to more than {MAX_EXPANDED_VENDOR_IDS} vendor ids")]
    TooManyVendorIds,
}

/// Publisher restriction type (2 bits). Kept as an enum so that the reserved value 3 is visible
/// rather than silently mapped onto a real restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RestrictionType {
    /// 0: the vendor may not process for this purpose at all.
    NotAllowed,
    /// 1: the vendor must have consent (no legitimate interest).
    RequireConsent,
    /// 2: the vendor must rely on legitimate interest (no consent).
    RequireLegitimateInterest,
    /// 3: reserved by the specification.
    Undefined,
}

impl RestrictionType {
    /// Maps the 2-bit wire value; values above 3 cannot occur from a 2-bit read and map to
    /// `Undefined`.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Self::NotAllowed,
            1 => Self::RequireConsent,
            2 => Self::RequireLegitimateInterest,
            _ => Self::Undefined,
        }
    }

    /// The 2-bit wire value, for reports that quote the specification's numbering.
    pub fn code(self) -> u8 {
        match self {
            Self::NotAllowed => 0,
            Self::RequireConsent => 1,
            Self::RequireLegitimateInterest => 2,
            Self::Undefined => 3,
        }
    }
}

/// One publisher restriction: for `purpose_id`, `vendors` are restricted as `restriction_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublisherRestriction {
    /// Purpose the restriction applies to.
    pub purpose_id: u8,
    /// What the publisher requires for that purpose.
    pub restriction_type: RestrictionType,
    /// Restricted vendor ids, sorted and deduplicated.
    pub vendors: Vec<u32>,
}

/// The PublisherTC segment: the publisher's own purposes, including custom ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublisherTc {
    /// Standard purposes the user consented to for the publisher (1-based ids).
    pub purpose_consents: Vec<u8>,
    /// Standard purposes the publisher uses under legitimate interest, transparency given.
    pub purpose_legitimate_interests: Vec<u8>,
    /// Number of custom purposes declared (the length of both custom bitfields).
    pub num_custom_purposes: u8,
    /// Custom purposes consented to (1-based ids).
    pub custom_purpose_consents: Vec<u8>,
    /// Custom purposes under legitimate interest (1-based ids).
    pub custom_purpose_legitimate_interests: Vec<u8>,
}

/// A fully decoded TC string. Sets of ids are 1-based and sorted, so two decodes of the same
/// consent compare equal and serialize identically in an evidence pack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcString {
    /// Core segment version; always 2 for a successful decode.
    pub version: u8,
    /// When the TC string was first created (decisecond precision).
    pub created: DateTime<Utc>,
    /// When the TC string was last updated (decisecond precision).
    pub last_updated: DateTime<Utc>,
    /// IAB-registered id of the CMP that last updated the string.
    pub cmp_id: u16,
    /// Version of that CMP.
    pub cmp_version: u16,
    /// CMP-specific screen number on which consent was last given.
    pub consent_screen: u8,
    /// Two-letter ISO 639-1 language of the consent UI, upper case.
    pub consent_language: String,
    /// GVL version in force when the string was last updated.
    pub vendor_list_version: u16,
    /// TCF policy version (4 = TCF v2.2).
    pub policy_version: u8,
    /// Whether the signals apply only to the service that stored them.
    pub is_service_specific: bool,
    /// Whether the CMP used non-IAB texts (formerly "UseNonStandardStacks").
    pub use_non_standard_texts: bool,
    /// Special features opted in to (1-based ids).
    pub special_feature_optins: Vec<u8>,
    /// Purposes consented to (1-based ids).
    pub purpose_consents: Vec<u8>,
    /// Purposes for which legitimate-interest transparency was established (1-based ids).
    pub purpose_legitimate_interests: Vec<u8>,
    /// Whether Purpose 1 was not disclosed (publisher country's special treatment).
    pub purpose_one_treatment: bool,
    /// Two-letter country code of the publisher, upper case.
    pub publisher_country_code: String,
    /// Vendors with consent, sorted.
    pub vendor_consents: Vec<u32>,
    /// Vendors with legitimate-interest transparency established, sorted.
    pub vendor_legitimate_interests: Vec<u32>,
    /// Publisher restrictions in encoded order.
    pub publisher_restrictions: Vec<PublisherRestriction>,
    /// DisclosedVendors segment, if present.
    pub disclosed_vendors: Option<Vec<u32>>,
    /// AllowedVendors segment, if present.
    pub allowed_vendors: Option<Vec<u32>>,
    /// PublisherTC segment, if present.
    pub publisher_tc: Option<PublisherTc>,
}

impl TcString {
    /// Purposes 3–6 for which legitimate interest is signalled although the string claims TCF
    /// policy version 4 or later: TCF v2.2 forbids legitimate interest for those purposes, so a
    /// non-empty result is a compliance finding. Empty for earlier policy versions.
    pub fn invalid_legitimate_interest_purposes(&self) -> Vec<u8> {
        if self.policy_version < 4 {
            return Vec::new();
        }
        self.purpose_legitimate_interests.iter().copied().filter(|p| (3..=6).contains(p)).collect()
    }
}

/// Decodes a TC string as found in logs, cookies or `__tcfapi` dumps.
///
/// Tolerates surrounding whitespace, `=` padding at the end of a segment and the standard
/// base64 characters `+`/`/`; rejects everything else that is malformed with a
/// [`TcDecodeError`] saying where.
pub fn decode_tc_string(s: &str) -> Result<TcString, TcDecodeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TcDecodeError::Empty);
    }
    let mut budget = MAX_EXPANDED_VENDOR_IDS;
    let mut segments = s.split('.').enumerate();

    let core_sextets = match segments.next() {
        Some((index, text)) => sextets(index, text)?,
        None => return Err(TcDecodeError::Empty),
    };
    let mut tc = decode_core(BitReader::new(&core_sextets, 0, "Core"), &mut budget)?;

    for (index, text) in segments {
        let data = sextets(index, text)?;
        let mut r = BitReader::new(&data, index, "Optional");
        let segment_type = r.read_u8(3, "SegmentType")?;
        match segment_type {
            1 => {
                r.segment_name = "DisclosedVendors";
                if tc.disclosed_vendors.is_some() {
                    return Err(r.duplicate());
                }
                tc.disclosed_vendors = Some(read_vendor_section(&mut r, &mut budget)?);
            }
            2 => {
                r.segment_name = "AllowedVendors";
                if tc.allowed_vendors.is_some() {
                    return Err(r.duplicate());
                }
                tc.allowed_vendors = Some(read_vendor_section(&mut r, &mut budget)?);
            }
            3 => {
                r.segment_name = "PublisherTC";
                if tc.publisher_tc.is_some() {
                    return Err(r.duplicate());
                }
                tc.publisher_tc = Some(read_publisher_tc(&mut r)?);
            }
            other => return Err(TcDecodeError::UnknownSegmentType { segment: index, segment_type: other }),
        }
    }
    Ok(tc)
}

/// An IAB Global Privacy Platform (GPP) string: a header listing section ids, then one section
/// per id, joined by `~` (`DBABM~CPXxRfA…`). Section 2 is a TCF EU v2 TC string, decoded exactly
/// as one; the other sections (US national and state signals, Canadian TCF, the US Privacy
/// string) are named, not read: they are not consent under the GDPR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GppString {
    /// The GPP version of the header (1).
    pub version: u8,
    /// (section id, name, section text) in the order of the string.
    pub sections: Vec<(u16, &'static str, String)>,
}

impl GppString {
    /// The TCF EU v2 section's text (section id 2), if the string has one.
    pub fn tcf_eu_v2(&self) -> Option<&str> {
        self.sections.iter().find(|(id, _, _)| *id == GPP_TCF_EU_V2).map(|(_, _, text)| text.as_str())
    }

    /// The sections other than TCF EU v2: (id, name).
    pub fn other_sections(&self) -> Vec<(u16, &'static str)> {
        self.sections.iter().filter(|(id, _, _)| *id != GPP_TCF_EU_V2).map(|(id, name, _)| (*id, *name)).collect()
    }
}

/// The GPP section id of the TCF EU v2 section.
pub const GPP_TCF_EU_V2: u16 = 2;

/// The registered GPP section ids (IAB Tech Lab, GPP "Section Information").
pub fn gpp_section_name(id: u16) -> &'static str {
    match id {
        1 => "EU TCF v1 (deprecated)",
        2 => "EU TCF v2",
        3 => "GPP header",
        4 => "GPP signal integrity",
        5 => "Canadian TCF",
        6 => "US Privacy string (uspv1)",
        7 => "US national (usnat)",
        8 => "US California (usca)",
        9 => "US Virginia (usva)",
        10 => "US Colorado (usco)",
        11 => "US Utah (usut)",
        12 => "US Connecticut (usct)",
        13 => "US Florida (usfl)",
        14 => "US Montana (usmt)",
        15 => "US Oregon (usor)",
        16 => "US Texas (ustx)",
        17 => "US Delaware (usde)",
        18 => "US Iowa (usia)",
        19 => "US Nebraska (usne)",
        20 => "US New Hampshire (usnh)",
        21 => "US New Jersey (usnj)",
        22 => "US Tennessee (ustn)",
        23 => "US Minnesota (usmn)",
        _ => "a section this version does not know",
    }
}

/// True when the text has the shape of a GPP string: a header whose first sextet is the GPP
/// header type 3 (`D`) and at least one `~`.
pub fn looks_like_gpp(s: &str) -> bool {
    let s = s.trim();
    s.starts_with('D') && s.contains('~')
}

/// Decodes a GPP string's header and splits its sections (see [`GppString`]).
pub fn decode_gpp(s: &str) -> Result<GppString, TcDecodeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TcDecodeError::Empty);
    }
    let mut parts = s.split('~');
    let header = parts.next().unwrap_or_default();
    let data = sextets(0, header)?;
    let mut r = BitReader::new(&data, 0, "GPP header");
    let kind = r.read_u8(6, "Type")?;
    if kind != 3 {
        return Err(r.invalid("Type", 0, format!("a GPP header has type 3, this one {kind}")));
    }
    let version = r.read_u8(6, "Version")?;
    let ids = read_fibonacci_range(&mut r)?;
    let sections: Vec<&str> = parts.collect();
    if ids.len() != sections.len() {
        return Err(r.invalid(
            "Sections",
            12,
            format!("the header lists {} section(s) but {} follow it", ids.len(), sections.len()),
        ));
    }
    Ok(GppString {
        version,
        sections: ids
            .into_iter()
            .zip(sections)
            .map(|(id, text)| (id, gpp_section_name(id), text.to_string()))
            .collect(),
    })
}

/// GPP `Range(Fibonacci)`: a 12-bit count, then per item a group flag, the offset from the last
/// id (Fibonacci-coded), and for a group its length (Fibonacci-coded).
fn read_fibonacci_range(r: &mut BitReader<'_>) -> Result<Vec<u16>, TcDecodeError> {
    let count = r.read(12, "Sections.Amount")?;
    let mut ids = Vec::new();
    let mut last = 0u64;
    for _ in 0..count {
        let group = r.read_bool("Sections.IsGroup")?;
        let start = last + read_fibonacci(r, "Sections.Offset")?;
        let end = if group { start + read_fibonacci(r, "Sections.GroupLength")? } else { start };
        if end > u64::from(u16::MAX) || end - start > 64 || ids.len() > 256 {
            return Err(r.invalid("Sections", r.pos, format!("section ids {start}–{end} are out of range")));
        }
        ids.extend((start..=end).map(|id| id as u16));
        last = end;
    }
    Ok(ids)
}

/// A Fibonacci-coded integer: bit i stands for the (i+2)-th Fibonacci number (1, 2, 3, 5, 8 …),
/// and two 1 bits in a row end it.
fn read_fibonacci(r: &mut BitReader<'_>, field: &'static str) -> Result<u64, TcDecodeError> {
    let (mut a, mut b) = (1u64, 2u64);
    let mut value = 0u64;
    let mut previous = false;
    for _ in 0..48 {
        let bit = r.read_bool(field)?;
        if bit && previous {
            return Ok(value);
        }
        if bit {
            value += a;
        }
        previous = bit;
        (a, b) = (b, a + b);
    }
    Err(r.invalid(field, r.pos, "a Fibonacci-coded number without its end mark".to_string()))
}

/// Converts one base64url segment into 6-bit values. TC strings are bit streams, so decoding
/// to sextets (rather than bytes) accepts every length a CMP can legitimately emit.
fn sextets(segment: usize, text: &str) -> Result<Vec<u8>, TcDecodeError> {
    let body = text.trim_end_matches('=');
    if body.is_empty() {
        return Err(TcDecodeError::EmptySegment { segment });
    }
    body.chars()
        .enumerate()
        .map(|(position, ch)| {
            let v = match ch {
                'A'..='Z' => u32::from(ch) - u32::from('A'),
                'a'..='z' => u32::from(ch) - u32::from('a') + 26,
                '0'..='9' => u32::from(ch) - u32::from('0') + 52,
                '-' | '+' => 62,
                '_' | '/' => 63,
                _ => return Err(TcDecodeError::InvalidBase64 { segment, position, ch }),
            };
            // Every arm yields a value below 64.
            Ok(v as u8)
        })
        .collect()
}

/// Reads big-endian bit fields from a segment's sextets, tracking the position for errors.
struct BitReader<'a> {
    sextets: &'a [u8],
    pos: usize,
    segment: usize,
    segment_name: &'static str,
}

impl<'a> BitReader<'a> {
    fn new(sextets: &'a [u8], segment: usize, segment_name: &'static str) -> Self {
        Self { sextets, pos: 0, segment, segment_name }
    }

    fn len_bits(&self) -> usize {
        self.sextets.len() * 6
    }

    fn remaining(&self) -> usize {
        self.len_bits().saturating_sub(self.pos)
    }

    fn bit_at(&self, i: usize) -> bool {
        self.sextets.get(i / 6).is_some_and(|s| (s >> (5 - i % 6)) & 1 == 1)
    }

    fn ensure(&self, n: usize, field: &'static str) -> Result<(), TcDecodeError> {
        if n > self.remaining() {
            return Err(TcDecodeError::Truncated {
                segment: self.segment,
                segment_name: self.segment_name,
                field,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    /// Reads an unsigned field of at most 64 bits.
    fn read(&mut self, n: usize, field: &'static str) -> Result<u64, TcDecodeError> {
        debug_assert!(n <= 64);
        self.ensure(n, field)?;
        let mut v = 0u64;
        for i in self.pos..self.pos + n {
            v = (v << 1) | u64::from(self.bit_at(i));
        }
        self.pos += n;
        Ok(v)
    }

    fn read_bool(&mut self, field: &'static str) -> Result<bool, TcDecodeError> {
        Ok(self.read(1, field)? == 1)
    }

    fn read_u8(&mut self, n: usize, field: &'static str) -> Result<u8, TcDecodeError> {
        debug_assert!(n <= 8);
        self.read(n, field).map(|v| v as u8)
    }

    fn read_u16(&mut self, n: usize, field: &'static str) -> Result<u16, TcDecodeError> {
        debug_assert!(n <= 16);
        self.read(n, field).map(|v| v as u16)
    }

    /// Reads an `n`-bit bitfield and returns the 1-based positions of set bits.
    fn read_bitfield(&mut self, n: usize, field: &'static str) -> Result<Vec<u32>, TcDecodeError> {
        self.ensure(n, field)?;
        let start = self.pos;
        self.pos += n;
        Ok((0..n).filter(|&i| self.bit_at(start + i)).map(|i| (i + 1) as u32).collect())
    }

    /// Like [`Self::read_bitfield`] for purpose-sized fields (at most 63 bits here).
    fn read_small_bitfield(&mut self, n: usize, field: &'static str) -> Result<Vec<u8>, TcDecodeError> {
        debug_assert!(n < 256);
        Ok(self.read_bitfield(n, field)?.into_iter().map(|v| v as u8).collect())
    }

    /// Reads a 36-bit decisecond timestamp.
    fn read_timestamp(&mut self, field: &'static str) -> Result<DateTime<Utc>, TcDecodeError> {
        let offset = self.pos;
        let ds = self.read(36, field)?;
        // 36 bits of deciseconds is at most ~6.9e9 seconds, well inside chrono's range.
        i64::try_from(ds)
            .ok()
            .and_then(|ds| ds.checked_mul(100))
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| self.invalid(field, offset, format!("timestamp {ds} out of range")))
    }

    /// Reads two 6-bit letters ('A' + n), as used for language and country codes.
    fn read_letters(&mut self, field: &'static str) -> Result<String, TcDecodeError> {
        let offset = self.pos;
        let mut out = String::with_capacity(2);
        for _ in 0..2 {
            let n = self.read_u8(6, field)?;
            if n > 25 {
                return Err(self.invalid(field, offset, format!("letter value {n} is outside A-Z (0-25)")));
            }
            out.push(char::from(b'A' + n));
        }
        Ok(out)
    }

    fn invalid(&self, field: &'static str, offset: usize, reason: String) -> TcDecodeError {
        TcDecodeError::InvalidField { segment: self.segment, segment_name: self.segment_name, field, offset, reason }
    }

    fn duplicate(&self) -> TcDecodeError {
        TcDecodeError::DuplicateSegment { segment: self.segment, segment_name: self.segment_name }
    }
}

fn decode_core(mut r: BitReader<'_>, budget: &mut usize) -> Result<TcString, TcDecodeError> {
    let version = r.read_u8(6, "Version")?;
    if version != 2 {
        return Err(TcDecodeError::UnsupportedVersion(version));
    }
    let created = r.read_timestamp("Created")?;
    let last_updated = r.read_timestamp("LastUpdated")?;
    let cmp_id = r.read_u16(12, "CmpId")?;
    let cmp_version = r.read_u16(12, "CmpVersion")?;
    let consent_screen = r.read_u8(6, "ConsentScreen")?;
    let consent_language = r.read_letters("ConsentLanguage")?;
    let vendor_list_version = r.read_u16(12, "VendorListVersion")?;
    let policy_version = r.read_u8(6, "TcfPolicyVersion")?;
    let is_service_specific = r.read_bool("IsServiceSpecific")?;
    let use_non_standard_texts = r.read_bool("UseNonStandardTexts")?;
    let special_feature_optins = r.read_small_bitfield(12, "SpecialFeatureOptIns")?;
    let purpose_consents = r.read_small_bitfield(24, "PurposesConsent")?;
    let purpose_legitimate_interests = r.read_small_bitfield(24, "PurposesLITransparency")?;
    let purpose_one_treatment = r.read_bool("PurposeOneTreatment")?;
    let publisher_country_code = r.read_letters("PublisherCC")?;
    let vendor_consents = read_vendor_section(&mut r, budget)?;
    let vendor_legitimate_interests = read_vendor_section(&mut r, budget)?;

    let num_restrictions = r.read_u16(12, "NumPubRestrictions")?;
    let mut publisher_restrictions = Vec::with_capacity(usize::from(num_restrictions).min(64));
    for _ in 0..num_restrictions {
        let purpose_id = r.read_u8(6, "PurposeId")?;
        let restriction_type = RestrictionType::from_code(r.read_u8(2, "RestrictionType")?);
        let vendors = read_range_entries(&mut r, None, budget)?;
        publisher_restrictions.push(PublisherRestriction { purpose_id, restriction_type, vendors });
    }

    Ok(TcString {
        version,
        created,
        last_updated,
        cmp_id,
        cmp_version,
        consent_screen,
        consent_language,
        vendor_list_version,
        policy_version,
        is_service_specific,
        use_non_standard_texts,
        special_feature_optins,
        purpose_consents,
        purpose_legitimate_interests,
        purpose_one_treatment,
        publisher_country_code,
        vendor_consents,
        vendor_legitimate_interests,
        publisher_restrictions,
        disclosed_vendors: None,
        allowed_vendors: None,
        publisher_tc: None,
    })
}

/// Reads MaxVendorId, IsRangeEncoding and then a bitfield or range entries.
fn read_vendor_section(r: &mut BitReader<'_>, budget: &mut usize) -> Result<Vec<u32>, TcDecodeError> {
    let max_vendor_id = r.read_u16(16, "MaxVendorId")?;
    if r.read_bool("IsRangeEncoding")? {
        read_range_entries(r, Some(max_vendor_id), budget)
    } else {
        let ids = r.read_bitfield(usize::from(max_vendor_id), "VendorBitField")?;
        spend(budget, ids.len())?;
        Ok(ids)
    }
}

/// Reads NumEntries followed by single ids or inclusive ranges; returns the sorted union.
/// With `max_vendor_id` set, an id above it is rejected: the section would contradict itself.
fn read_range_entries(
    r: &mut BitReader<'_>,
    max_vendor_id: Option<u16>,
    budget: &mut usize,
) -> Result<Vec<u32>, TcDecodeError> {
    let num_entries = r.read_u16(12, "NumEntries")?;
    let mut ranges: Vec<(u32, u32)> = Vec::with_capacity(usize::from(num_entries).min(64));
    for _ in 0..num_entries {
        let is_range = r.read_bool("IsARange")?;
        let offset = r.pos;
        let start = u32::from(r.read_u16(16, "StartOrOnlyVendorId")?);
        let (end, end_field) = if is_range {
            (u32::from(r.read_u16(16, "EndVendorId")?), "EndVendorId")
        } else {
            (start, "StartOrOnlyVendorId")
        };
        if start == 0 {
            return Err(r.invalid("StartOrOnlyVendorId", offset, "vendor id 0 does not exist".into()));
        }
        if end < start {
            return Err(r.invalid("EndVendorId", offset, format!("range end {end} is before its start {start}")));
        }
        if let Some(max) = max_vendor_id {
            if end > u32::from(max) {
                return Err(r.invalid(end_field, offset, format!("vendor id {end} exceeds MaxVendorId {max}")));
            }
        }
        ranges.push((start, end));
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let total: usize = merged.iter().map(|&(s, e)| (e - s) as usize + 1).sum::<usize>();
    spend(budget, total)?;
    let ids: BTreeSet<u32> = merged.into_iter().flat_map(|(s, e)| s..=e).collect();
    Ok(ids.into_iter().collect())
}

fn spend(budget: &mut usize, n: usize) -> Result<(), TcDecodeError> {
    *budget = budget.checked_sub(n).ok_or(TcDecodeError::TooManyVendorIds)?;
    Ok(())
}

fn read_publisher_tc(r: &mut BitReader<'_>) -> Result<PublisherTc, TcDecodeError> {
    let purpose_consents = r.read_small_bitfield(24, "PubPurposesConsent")?;
    let purpose_legitimate_interests = r.read_small_bitfield(24, "PubPurposesLITransparency")?;
    let num_custom_purposes = r.read_u8(6, "NumCustomPurposes")?;
    let n = usize::from(num_custom_purposes);
    let custom_purpose_consents = r.read_small_bitfield(n, "CustomPurposesConsent")?;
    let custom_purpose_legitimate_interests = r.read_small_bitfield(n, "CustomPurposesLITransparency")?;
    Ok(PublisherTc {
        purpose_consents,
        purpose_legitimate_interests,
        num_custom_purposes,
        custom_purpose_consents,
        custom_purpose_legitimate_interests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tcf/vectors.json");

    fn vectors() -> Value {
        let text = std::fs::read_to_string(VECTORS_PATH).expect("read vectors.json");
        serde_json::from_str(&text).expect("parse vectors.json")
    }

    fn ts(t: &DateTime<Utc>) -> String {
        t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    /// Maps a decode onto the key names used by vectors.json.
    fn to_vector_json(tc: &TcString) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("version".into(), json!(tc.version));
        m.insert("created".into(), json!(ts(&tc.created)));
        m.insert("lastUpdated".into(), json!(ts(&tc.last_updated)));
        m.insert("cmpId".into(), json!(tc.cmp_id));
        m.insert("cmpVersion".into(), json!(tc.cmp_version));
        m.insert("consentScreen".into(), json!(tc.consent_screen));
        m.insert("consentLanguage".into(), json!(tc.consent_language));
        m.insert("vendorListVersion".into(), json!(tc.vendor_list_version));
        m.insert("policyVersion".into(), json!(tc.policy_version));
        m.insert("isServiceSpecific".into(), json!(tc.is_service_specific));
        m.insert("useNonStandardTexts".into(), json!(tc.use_non_standard_texts));
        m.insert("specialFeatureOptins".into(), json!(tc.special_feature_optins));
        m.insert("purposeConsents".into(), json!(tc.purpose_consents));
        m.insert("purposeLegitimateInterests".into(), json!(tc.purpose_legitimate_interests));
        m.insert("purposeOneTreatment".into(), json!(tc.purpose_one_treatment));
        m.insert("publisherCountryCode".into(), json!(tc.publisher_country_code));
        m.insert("vendorConsents".into(), json!(tc.vendor_consents));
        m.insert("vendorLegitimateInterests".into(), json!(tc.vendor_legitimate_interests));
        let restrictions: Vec<Value> = tc
            .publisher_restrictions
            .iter()
            .map(|r| {
                json!({
                    "purposeId": r.purpose_id,
                    "restrictionType": r.restriction_type.code(),
                    "vendors": r.vendors,
                })
            })
            .collect();
        m.insert("publisherRestrictions".into(), Value::Array(restrictions));
        if let Some(v) = &tc.disclosed_vendors {
            m.insert("disclosedVendors".into(), json!(v));
        }
        if let Some(v) = &tc.allowed_vendors {
            m.insert("allowedVendors".into(), json!(v));
        }
        if let Some(p) = &tc.publisher_tc {
            m.insert(
                "publisherTC".into(),
                json!({
                    "pubPurposesConsent": p.purpose_consents,
                    "pubPurposesLITransparency": p.purpose_legitimate_interests,
                    "numCustomPurposes": p.num_custom_purposes,
                    "customPurposesConsent": p.custom_purpose_consents,
                    "customPurposesLITransparency": p.custom_purpose_legitimate_interests,
                }),
            );
        }
        m
    }

    fn same_instant(a: &Value, b: &Value) -> bool {
        match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => match (DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            },
            _ => false,
        }
    }

    /// Checks every key of `expected` against `actual`, understanding the two derived-assertion
    /// forms upstream tests use (`X.containsAll`, `a.b.count`). Returns (mismatches, unchecked).
    fn check(expected: &Map<String, Value>, actual: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
        let mut mismatches = Vec::new();
        let mut unchecked = Vec::new();
        for (key, want) in expected {
            let parts: Vec<&str> = key.split('.').collect();
            match parts.as_slice() {
                [plain] => match actual.get(*plain) {
                    None => unchecked.push(key.clone()),
                    Some(got) => {
                        let ok = if *plain == "created" || *plain == "lastUpdated" {
                            same_instant(got, want)
                        } else {
                            got == want
                        };
                        if !ok {
                            mismatches.push(format!("{key}: expected {want}, decoded {got}"));
                        }
                    }
                },
                [field, "containsAll"] => match (actual.get(*field), want.as_array()) {
                    (Some(Value::Array(got)), Some(want_items)) => {
                        let missing: Vec<&Value> = want_items.iter().filter(|w| !got.contains(w)).collect();
                        if !missing.is_empty() {
                            mismatches.push(format!("{key}: {missing:?} not in {got:?}"));
                        }
                    }
                    _ => unchecked.push(key.clone()),
                },
                [outer, inner, "count"] => match actual.get(*outer).and_then(|o| o.get(*inner)) {
                    Some(Value::Array(got)) => {
                        if want.as_u64() != Some(got.len() as u64) {
                            mismatches.push(format!("{key}: expected {want}, decoded {} ({got:?})", got.len()));
                        }
                    }
                    _ => unchecked.push(key.clone()),
                },
                _ => unchecked.push(key.clone()),
            }
        }
        (mismatches, unchecked)
    }

    #[test]
    fn vectors_decode_exactly() {
        let v = vectors();
        let valid = v["valid"].as_array().expect("valid array");
        assert!(!valid.is_empty());
        let mut failures = Vec::new();
        for (i, vector) in valid.iter().enumerate() {
            let s = vector["tc_string"].as_str().expect("tc_string");
            let tc = match decode_tc_string(s) {
                Ok(tc) => tc,
                Err(e) => {
                    failures.push(format!("vector {i}: decode failed: {e}"));
                    continue;
                }
            };
            let actual = to_vector_json(&tc);
            for section in ["upstream_asserted", "decoded_full"] {
                let expected = vector[section].as_object().unwrap_or_else(|| panic!("vector {i} lacks {section}"));
                let (mismatches, unchecked) = check(expected, &actual);
                for m in mismatches {
                    failures.push(format!("vector {i} {section}: {m}"));
                }
                for k in unchecked {
                    failures.push(format!("vector {i} {section}: key {k:?} not checked"));
                }
            }
            // The full decode must not lack anything we decoded either (e.g. a segment).
            let full = vector["decoded_full"].as_object().expect("decoded_full");
            for k in actual.keys() {
                if !full.contains_key(k) {
                    failures.push(format!("vector {i}: decoded {k} absent from decoded_full"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn vectors_have_no_unexpected_sections() {
        let v = vectors();
        let obj = v.as_object().expect("object");
        for key in obj.keys() {
            assert!(
                ["description", "valid", "invalid"].contains(&key.as_str()),
                "vectors.json section {key:?} is not exercised by these tests"
            );
        }
        // If an invalid section appears, each entry must be rejected.
        if let Some(invalid) = obj.get("invalid").and_then(Value::as_array) {
            for entry in invalid {
                let s = entry
                    .get("tc_string")
                    .and_then(Value::as_str)
                    .or_else(|| entry.as_str())
                    .expect("invalid entry string");
                assert!(decode_tc_string(s).is_err(), "{s} should be rejected");
            }
        }
    }

    #[test]
    fn vector_checker_is_not_vacuous() {
        let actual = to_vector_json(&decode_tc_string(ALL_PARTS).expect("decode"));
        let expected = json!({
            "cmpId": 3,
            "created": "2019-12-04T18:53:00.000+00:00",
            "lastUpdated": "2019-12-04T18:53:00Z",
            "purposeConsents.containsAll": [1, 3],
            "publisherTC.pubPurposesConsent.count": 2,
            "vendorConsents.containsAll": [23, 98],
            "mystery": 1,
        });
        let (mismatches, unchecked) = check(expected.as_object().expect("object"), &actual);
        assert_eq!(mismatches.len(), 4, "{mismatches:?}");
        assert_eq!(unchecked, vec!["mystery".to_string()]);
    }

    // ---- a minimal independent encoder, used to build strings the vectors do not cover ----

    #[derive(Default)]
    struct Bits(Vec<bool>);

    impl Bits {
        fn put(&mut self, value: u64, n: usize) -> &mut Self {
            for i in (0..n).rev() {
                self.0.push((value >> i) & 1 == 1);
            }
            self
        }
        fn put_ids(&mut self, ids: &[u32], n: usize) -> &mut Self {
            for i in 1..=n as u32 {
                self.0.push(ids.contains(&i));
            }
            self
        }
        fn encode(&self) -> String {
            const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            self.0
                .chunks(6)
                .map(|c| {
                    let mut v = 0usize;
                    for i in 0..6 {
                        v = (v << 1) | usize::from(c.get(i).copied().unwrap_or(false));
                    }
                    char::from(ALPHABET[v])
                })
                .collect()
        }
    }

    /// Core fields up to and including PublisherCC, with fixed recognisable values.
    fn core_header(policy_version: u64, purpose_li: &[u32]) -> Bits {
        let mut b = Bits::default();
        b.put(2, 6)
            .put(15_800_000_000, 36) // 2020-01-25T... in deciseconds
            .put(15_800_000_015, 36)
            .put(300, 12)
            .put(7, 12)
            .put(3, 6)
            .put(3, 6) // D
            .put(4, 6) // E
            .put(120, 12)
            .put(policy_version, 6)
            .put(0, 1)
            .put(1, 1)
            .put_ids(&[2], 12)
            .put_ids(&[1, 3, 24], 24)
            .put_ids(purpose_li, 24)
            .put(1, 1)
            .put(5, 6) // F
            .put(17, 6); // R
        b
    }

    #[test]
    fn range_encoded_sections_and_publisher_restrictions() {
        let mut b = core_header(4, &[2, 3, 7]);
        // Vendor consents: range-encoded, out of order and overlapping entries.
        b.put(700, 16).put(1, 1).put(3, 12);
        b.put(1, 1).put(600, 16).put(605, 16);
        b.put(0, 1).put(5, 16);
        b.put(1, 1).put(603, 16).put(700, 16);
        // Vendor LI: bitfield.
        b.put(9, 16).put(0, 1).put_ids(&[1, 9], 9);
        // Two publisher restrictions.
        b.put(2, 12);
        b.put(7, 6).put(2, 2).put(2, 12);
        b.put(0, 1).put(42, 16);
        b.put(1, 1).put(10, 16).put(12, 16);
        b.put(1, 6).put(3, 2).put(0, 12);
        let tc = decode_tc_string(&b.encode()).expect("decode");
        assert_eq!(tc.version, 2);
        assert_eq!(tc.created.timestamp_millis(), 1_580_000_000_000);
        assert_eq!(tc.last_updated.timestamp_millis(), 1_580_000_001_500);
        assert_eq!(tc.cmp_id, 300);
        assert_eq!(tc.cmp_version, 7);
        assert_eq!(tc.consent_screen, 3);
        assert_eq!(tc.consent_language, "DE");
        assert_eq!(tc.vendor_list_version, 120);
        assert_eq!(tc.policy_version, 4);
        assert!(!tc.is_service_specific);
        assert!(tc.use_non_standard_texts);
        assert_eq!(tc.special_feature_optins, vec![2]);
        assert_eq!(tc.purpose_consents, vec![1, 3, 24]);
        assert_eq!(tc.purpose_legitimate_interests, vec![2, 3, 7]);
        assert!(tc.purpose_one_treatment);
        assert_eq!(tc.publisher_country_code, "FR");
        let mut expected: Vec<u32> = vec![5];
        expected.extend(600..=700);
        assert_eq!(tc.vendor_consents, expected);
        assert_eq!(tc.vendor_legitimate_interests, vec![1, 9]);
        assert_eq!(
            tc.publisher_restrictions,
            vec![
                PublisherRestriction {
                    purpose_id: 7,
                    restriction_type: RestrictionType::RequireLegitimateInterest,
                    vendors: vec![10, 11, 12, 42],
                },
                PublisherRestriction { purpose_id: 1, restriction_type: RestrictionType::Undefined, vendors: vec![] },
            ]
        );
        assert_eq!(tc.disclosed_vendors, None);
        assert_eq!(tc.allowed_vendors, None);
        assert_eq!(tc.publisher_tc, None);
        assert_eq!(tc.invalid_legitimate_interest_purposes(), vec![3]);
    }

    #[test]
    fn range_encoded_vector_vendor_li() {
        // testCanParseRangeEncodedVendorLegitimateInterests: both vendor sections are ranges.
        let tc = decode_tc_string("COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA").expect("decode");
        assert_eq!(tc.vendor_consents, vec![127]);
        assert_eq!(tc.vendor_legitimate_interests, vec![128]);
    }

    #[test]
    fn invalid_li_purposes_only_from_policy_v4() {
        let mut b = core_header(2, &[3, 4, 5, 6, 7]);
        b.put(0, 16).put(0, 1).put(0, 16).put(0, 1).put(0, 12);
        let v2 = decode_tc_string(&b.encode()).expect("decode");
        assert!(v2.invalid_legitimate_interest_purposes().is_empty());

        let mut b = core_header(5, &[2, 3, 4, 5, 6, 7]);
        b.put(0, 16).put(0, 1).put(0, 16).put(0, 1).put(0, 12);
        let v5 = decode_tc_string(&b.encode()).expect("decode");
        assert_eq!(v5.invalid_legitimate_interest_purposes(), vec![3, 4, 5, 6]);
    }

    const ALL_PARTS: &str = "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA.cAAAAAAAITg=";

    #[test]
    fn padding_whitespace_and_standard_alphabet_tolerated() {
        let base = decode_tc_string(ALL_PARTS).expect("decode");
        let unpadded = ALL_PARTS.trim_end_matches('=');
        assert_eq!(decode_tc_string(unpadded).expect("unpadded"), base);
        let padded_everywhere: String = unpadded.split('.').map(|s| format!("{s}==")).collect::<Vec<_>>().join(".");
        assert_eq!(decode_tc_string(&padded_everywhere).expect("padded"), base);
        assert_eq!(decode_tc_string(&format!("  \t{ALL_PARTS}\r\n")).expect("whitespace"), base);
        let standard = ALL_PARTS.replace('-', "+").replace('_', "/");
        assert_ne!(standard, ALL_PARTS);
        assert_eq!(decode_tc_string(&standard).expect("standard"), base);
        let pub_tc = base.publisher_tc.expect("publisher tc");
        assert_eq!(pub_tc.purpose_consents, vec![1]);
        assert_eq!(pub_tc.purpose_legitimate_interests, vec![24]);
        assert_eq!(pub_tc.num_custom_purposes, 2);
        assert_eq!(pub_tc.custom_purpose_consents, vec![2]);
        assert_eq!(pub_tc.custom_purpose_legitimate_interests, vec![1, 2]);
    }

    #[test]
    fn optional_segments_in_any_order() {
        let base = decode_tc_string(ALL_PARTS).expect("decode");
        let parts: Vec<&str> = ALL_PARTS.split('.').collect();
        let orders = [[3, 2, 1], [2, 1, 3], [1, 3, 2], [3, 1, 2]];
        for order in orders {
            let s = std::iter::once(parts[0]).chain(order.iter().map(|&i| parts[i])).collect::<Vec<_>>().join(".");
            assert_eq!(decode_tc_string(&s).expect("reordered"), base, "{s}");
        }
        // Core alone loses the optional segments but nothing else.
        let core_only = decode_tc_string(parts[0]).expect("core");
        assert_eq!(core_only.disclosed_vendors, None);
        assert_eq!(core_only.vendor_consents, base.vendor_consents);
    }

    #[test]
    fn malformed_strings_are_rejected_with_reasons() {
        let parts: Vec<&str> = ALL_PARTS.split('.').collect();
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("   ".into(), "empty"),
            (format!("{}.", parts[0]), "segment 1 is empty"),
            (format!("{}..{}", parts[0], parts[1]), "segment 1 is empty"),
            ("COtybn4PA_zT4KjACBENAPC!AEBAAECAAIAAAAAAAAAA".into(), "invalid base64 character '!'"),
            ("COtybn4PA_zT4=KjACBENAPCIAEBAAECAAIAAAAAAAAAA".into(), "invalid base64 character '='"),
            ("COtybn4PA_zT4 KjACBENAPCIAEBAAECAAIAAAAAAAAAA".into(), "invalid base64 character ' '"),
            // TCF v1 consent string (version 1).
            ("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA".into(), "unsupported version 1"),
            ("COtybn4PA_zT4KjACBENAPCIAEBAAECA".into(), "truncated"),
            (format!("{}.{}.{}", parts[0], parts[1], parts[1]), "duplicate DisclosedVendors"),
            (format!("{}.{}", parts[0], parts[0]), "unknown segment type 0"),
            (format!("{}.4AAA", parts[0]), "unknown segment type 7"),
            (format!("{}.cAAA", parts[0]), "PublisherTC) truncated"),
        ];
        for (s, needle) in cases {
            let err = decode_tc_string(&s).expect_err(&s).to_string();
            assert!(err.contains(needle), "{s:?}: {err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn truncation_error_names_field_and_offset() {
        // Vector 1 cut right after PublisherCC (213 bits = 35.5 sextets -> 36 chars = 216 bits).
        let err = decode_tc_string(&"COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"[..36]).expect_err("truncated");
        assert_eq!(
            err,
            TcDecodeError::Truncated {
                segment: 0,
                segment_name: "Core",
                field: "MaxVendorId",
                offset: 213,
                needed: 16,
                available: 3,
            }
        );
    }

    #[test]
    fn inconsistent_ranges_are_rejected() {
        let build = |start: u64, end: u64, max: u64| {
            let mut b = core_header(2, &[]);
            b.put(max, 16).put(1, 1).put(1, 12);
            b.put(1, 1).put(start, 16).put(end, 16);
            b.put(0, 16).put(0, 1).put(0, 12);
            b.encode()
        };
        assert!(decode_tc_string(&build(3, 9, 9)).is_ok());
        let err = decode_tc_string(&build(9, 3, 9)).expect_err("reversed").to_string();
        assert!(err.contains("before its start"), "{err}");
        let err = decode_tc_string(&build(0, 3, 9)).expect_err("zero").to_string();
        assert!(err.contains("vendor id 0"), "{err}");
        let err = decode_tc_string(&build(3, 10, 9)).expect_err("above max").to_string();
        assert!(err.contains("exceeds MaxVendorId 9"), "{err}");
    }

    #[test]
    fn bad_letters_are_rejected() {
        let mut b = Bits::default();
        b.put(2, 6).put(0, 36).put(0, 36).put(0, 12).put(0, 12).put(0, 6);
        b.put(30, 6).put(0, 6); // language letter beyond 'Z'
        for _ in 0..10 {
            b.put(0, 20);
        }
        let err = decode_tc_string(&b.encode()).expect_err("bad letter").to_string();
        assert!(err.contains("ConsentLanguage") && err.contains("bit offset 108"), "{err}");
    }

    #[test]
    fn hostile_expansion_is_bounded() {
        let mut b = core_header(2, &[]);
        b.put(0, 16).put(0, 1).put(0, 16).put(0, 1);
        b.put(4095, 12);
        for _ in 0..4095 {
            b.put(1, 6).put(0, 2).put(1, 12).put(1, 1).put(1, 16).put(65535, 16);
        }
        assert_eq!(decode_tc_string(&b.encode()), Err(TcDecodeError::TooManyVendorIds));
    }

    #[test]
    fn truncated_prefixes_and_random_input_never_panic() {
        let v = vectors();
        let mut inputs: Vec<String> = Vec::new();
        for vector in v["valid"].as_array().expect("valid") {
            let s = vector["tc_string"].as_str().expect("tc_string");
            for end in 0..s.len() {
                inputs.push(s[..end].to_string());
            }
        }
        // Every strict prefix of a core-only vector whose core is exactly consumed is an error.
        let exact = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
        for end in 0..exact.len() {
            assert!(decode_tc_string(&exact[..end]).is_err(), "prefix {end}");
        }

        // Deterministic xorshift so failures are reproducible.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. \n";
        for _ in 0..3000 {
            let len = (next() % 200) as usize;
            let s: String = (0..len).map(|_| char::from(CHARS[(next() % CHARS.len() as u64) as usize])).collect();
            inputs.push(s.clone());
            inputs.push(format!("C{s}"));
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            inputs.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        // Single-character mutations of valid strings.
        for vector in v["valid"].as_array().expect("valid") {
            let s: Vec<char> = vector["tc_string"].as_str().expect("s").chars().collect();
            for _ in 0..300 {
                let mut m = s.clone();
                let i = (next() % m.len() as u64) as usize;
                m[i] = char::from(CHARS[(next() % 64) as usize]);
                inputs.push(m.into_iter().collect());
            }
        }
        let mut ok = 0usize;
        for s in &inputs {
            let result = std::panic::catch_unwind(|| decode_tc_string(s));
            match result {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(e)) => assert!(!e.to_string().is_empty()),
                Err(_) => panic!("decoder panicked on {s:?}"),
            }
        }
        assert!(ok < inputs.len());
    }

    #[test]
    fn serializes_to_json() {
        let tc = decode_tc_string(ALL_PARTS).expect("decode");
        let v = serde_json::to_value(&tc).expect("serialize");
        assert_eq!(v["vendor_consents"], json!([23, 37, 47, 48, 53, 65, 98]));
        assert_eq!(v["publisher_tc"]["num_custom_purposes"], json!(2));
        assert_eq!(v["created"], json!("2019-12-04T18:53:00Z"));
    }

    #[test]
    fn gpp_headers_decode_as_the_specification_examples() {
        let tc = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
        let gpp = decode_gpp(&format!("DBABM~{tc}")).expect("GPP");
        assert_eq!(gpp.version, 1);
        assert_eq!(gpp.sections, vec![(2, "EU TCF v2", tc.to_string())]);
        assert_eq!(gpp.tcf_eu_v2(), Some(tc));
        assert_eq!(decode_tc_string(gpp.tcf_eu_v2().unwrap()), decode_tc_string(tc));
        // Example 2: TCF EU v2 and the US Privacy string; example 3: a group, Canadian TCF 5–6.
        let ids = |s: &str| decode_gpp(s).expect(s).sections.iter().map(|s| s.0).collect::<Vec<_>>();
        assert_eq!(ids(&format!("DBACNY~{tc}~1YNN")), vec![2, 6]);
        assert_eq!(ids("DBABjw~x~1YNN"), vec![5, 6]);
        // A US-only string (California): named, no TCF section.
        let us = decode_gpp("DBABBg~BAAAAACA").expect("usca");
        assert_eq!(us.other_sections(), vec![(8, "US California (usca)")]);
        assert_eq!(us.tcf_eu_v2(), None);
        // The header must list as many sections as follow it.
        assert!(decode_gpp("DBABM~a~b").unwrap_err().to_string().contains("1 section(s) but 2"));
        assert!(decode_gpp("CBABM~a").is_err());
    }
}
