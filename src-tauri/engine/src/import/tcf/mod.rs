//! IAB TCF v2.x: TC string decoding and Global Vendor List resolution.
//!
//! Pure functions over strings and JSON values, with no I/O, so importers, rules and the CLI can
//! share one decoder and the evidence it yields is reproducible.

pub mod decode;
pub mod gvl;
pub mod gvl_import;
pub mod log;

pub use decode::{decode_tc_string, PublisherRestriction, PublisherTc, RestrictionType, TcDecodeError, TcString};
pub use gvl::{looks_like_gvl, parse_gvl, GlobalVendorList, GvlError, GvlVendor};
