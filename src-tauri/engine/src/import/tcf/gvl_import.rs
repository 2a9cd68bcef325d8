//! The IAB Global Vendor List (GVL specification v2 and v3) imported like any file: it gives TC
//! strings' vendor ids their names for the `vendorListVersion` it carries (SPEC §2, §3).
//!
//! The importer id is `tcf-gvl` (`tcf` reads the consent logs), but its lookups are stored under
//! system `tcf` — kind `gvl-vendor`, key `<vendorListVersion>:<vendor id>` — where recipient
//! resolution looks for them, and kind `purpose`, key `<purpose id>`, so that an unmapped TCF
//! purpose number is reported with its name. After the file the pipeline re-derives every
//! recipient, so logs imported before their GVL are named too.
//!
//! The file is parsed by [`parse_gvl`], vendor by vendor: a vendor entry the parser refuses (a
//! wrong type, a key that disagrees with its id) is a rejected row naming the JSON path, and the
//! other vendors still import. Deleted vendors (`deletedDate`) keep their names: consent given
//! before the deletion still names them. Every vendor is one stored row (`/vendors/<id>`), the
//! purposes one more (`/purposes`).

use serde_json::{Map, Value};

use super::gvl::{looks_like_gvl, parse_gvl};
use crate::import::context::FileImport;
use crate::import::json_records::{JsonRecord, JsonShape};
use crate::import::{ImportError, Importer, Sniff};

pub struct GvlImport;

/// The importer id.
pub const ID: &str = "tcf-gvl";
/// The system the lookups are stored under (the TC-string log importer's id).
const LOOKUP_SYSTEM: &str = super::log::ID;

/// A GVL larger than the detection head cannot be parsed from it; its opening keys still show.
fn head_looks_like_gvl(sniff: &Sniff) -> bool {
    let head = sniff.head.trim_start_matches('\u{feff}').trim_start();
    sniff.json_shape == Some(JsonShape::Object)
        && head.contains("\"vendorListVersion\"")
        && (head.contains("\"gvlSpecificationVersion\"")
            || head.contains("\"tcfPolicyVersion\"")
            || head.contains("\"vendors\""))
}

impl Importer for GvlImport {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "IAB TCF Global Vendor List"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match &sniff.first_record {
            Some(v) if looks_like_gvl(v) => 95,
            _ if head_looks_like_gvl(sniff) => 95,
            _ => 0,
        }
    }

    /// Before the logs, so their vendors resolve as they are stored.
    fn order(&self, _sniff: &Sniff) -> u8 {
        5
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        file.for_each_json(&mut |file, rec| import_gvl(file, rec))
    }
}

fn import_gvl(file: &mut FileImport<'_>, rec: JsonRecord) -> Result<(), ImportError> {
    let raw = || rec.value.to_string();
    let Some(root) = rec.value.as_object() else {
        return file.reject("/", None, "expected the Global Vendor List object", Some(&raw()));
    };
    // The header fields alone, so that a broken vendor cannot hide the version.
    let mut head: Map<String, Value> =
        root.iter().filter(|(k, _)| k.as_str() != "vendors").map(|(k, v)| (k.clone(), v.clone())).collect();
    head.insert("vendors".into(), Value::Object(Map::new()));
    let gvl = match parse_gvl(&Value::Object(head.clone())) {
        Ok(g) => g,
        Err(e) => return Err(ImportError::file(file.name(), e.to_string())),
    };
    let version = gvl.vendor_list_version;
    let purposes_raw = root.get("purposes").map(Value::to_string).unwrap_or_else(|| "{}".into());
    file.row("/purposes", None, &purposes_raw)?;
    for (id, name) in &gvl.purposes {
        file.lookup_for(LOOKUP_SYSTEM, "purpose", &id.to_string(), name.trim())?;
    }
    let vendors = match root.get("vendors") {
        Some(Value::Object(v)) => v,
        Some(_) => {
            return Err(ImportError::at(file.name(), "/vendors", Some("vendors"), "GVL: $.vendors must be an object"))
        }
        None => {
            return Err(ImportError::at(
                file.name(),
                "/vendors",
                Some("vendors"),
                "GVL: missing required field $.vendors",
            ))
        }
    };
    for (key, entry) in vendors {
        if file.is_cancelled() {
            return Err(ImportError::file(file.name(), "import cancelled"));
        }
        file.tick(0);
        let locator = format!("/vendors/{key}");
        let mut one = head.clone();
        one.insert("vendors".into(), Value::Object(Map::from_iter([(key.clone(), entry.clone())])));
        match parse_gvl(&Value::Object(one)) {
            Ok(parsed) => {
                file.row(&locator, None, &entry.to_string())?;
                for vendor in parsed.vendors.values() {
                    file.lookup_for(
                        LOOKUP_SYSTEM,
                        "gvl-vendor",
                        &format!("{version}:{}", vendor.id),
                        vendor.name.trim(),
                    )?;
                }
            }
            Err(e) => file.reject(&locator, Some("vendors"), &e.to_string(), Some(&entry.to_string()))?,
        }
    }
    Ok(())
}
