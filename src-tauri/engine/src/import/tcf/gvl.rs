//! Global Vendor List (GVL) parsing for GVL specification versions 2 and 3.
//!
//! We keep only what consent evidence needs: which vendor an id is, which purposes it declared
//! for consent and for legitimate interest, and whether it has been deleted. Unknown fields are
//! ignored so that new GVL releases keep loading; required fields of the wrong type are errors
//! naming the JSON path, because silently dropping a vendor would misattribute consent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// Why a JSON document could not be read as a Global Vendor List.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GvlError {
    /// A required field is absent.
    #[error("GVL: missing required field {path}")]
    Missing {
        /// JSON path, e.g. `$.vendors.8.name`.
        path: String,
    },
    /// A field has the wrong JSON type or an out-of-range number.
    #[error("GVL: {path} must be {expected}, found {found}")]
    WrongType {
        /// JSON path of the field.
        path: String,
        /// What the specification requires.
        expected: &'static str,
        /// A short description of what was found.
        found: String,
    },
    /// A `vendors` map key is not a vendor id, or disagrees with the vendor's `id` field.
    #[error("GVL: {path}: {reason}")]
    Inconsistent {
        /// JSON path of the entry.
        path: String,
        /// Human-readable reason.
        reason: String,
    },
}

/// One vendor of the GVL, reduced to what consent evidence needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GvlVendor {
    /// IAB vendor id.
    pub id: u32,
    /// Registered vendor (company) name.
    pub name: String,
    /// Purposes declared on a consent basis, sorted and deduplicated.
    pub purposes: Vec<u32>,
    /// Purposes declared on a legitimate-interest basis, sorted and deduplicated.
    pub leg_int_purposes: Vec<u32>,
    /// When the vendor left the GVL; kept because consent given earlier still names it.
    pub deleted_date: Option<String>,
}

/// A parsed Global Vendor List: resolves vendor and purpose ids in a TC string to names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlobalVendorList {
    /// `gvlSpecificationVersion` (2 or 3); absent in some older files.
    pub gvl_specification_version: Option<u32>,
    /// `vendorListVersion`, matched against a TC string's VendorListVersion.
    pub vendor_list_version: u32,
    /// `tcfPolicyVersion` (4 = TCF v2.2).
    pub tcf_policy_version: Option<u32>,
    /// `lastUpdated`, verbatim.
    pub last_updated: Option<String>,
    /// Vendors by id, including deleted ones.
    pub vendors: BTreeMap<u32, GvlVendor>,
    /// Purpose names by purpose id.
    pub purposes: BTreeMap<u32, String>,
}

impl GlobalVendorList {
    /// The vendor's name. Deleted vendors still resolve: consent given before deletion must
    /// still name who received it.
    pub fn vendor_name(&self, id: u32) -> Option<&str> {
        self.vendors.get(&id).map(|v| v.name.as_str())
    }
}

/// Shape detection for importers: a JSON object with `vendorListVersion` and a `vendors`
/// object. Cheap and never fails, so it can be tried on any uploaded JSON file.
pub fn looks_like_gvl(json: &Value) -> bool {
    json.as_object().is_some_and(|o| {
        o.get("vendorListVersion").is_some_and(Value::is_number) && o.get("vendors").is_some_and(Value::is_object)
    })
}

/// Parses a GVL of specification v2 or v3.
pub fn parse_gvl(json: &Value) -> Result<GlobalVendorList, GvlError> {
    let root = as_object(json, "$")?;
    let vendor_list_version = required_u32(root, "$", "vendorListVersion")?;
    let gvl_specification_version = optional_u32(root, "$", "gvlSpecificationVersion")?;
    let tcf_policy_version = optional_u32(root, "$", "tcfPolicyVersion")?;
    let last_updated = optional_string(root, "$", "lastUpdated")?;

    let mut purposes = BTreeMap::new();
    if let Some(p) = non_null(root, "purposes") {
        for (key, entry) in as_object(p, "$.purposes")? {
            let path = format!("$.purposes.{key}");
            let id = parse_key(key, &path)?;
            let obj = as_object(entry, &path)?;
            let name = required_string(obj, &path, "name")?;
            purposes.insert(id, name);
        }
    }

    let vendors_value = root.get("vendors").ok_or_else(|| GvlError::Missing { path: "$.vendors".into() })?;
    let mut vendors = BTreeMap::new();
    for (key, entry) in as_object(vendors_value, "$.vendors")? {
        let path = format!("$.vendors.{key}");
        let key_id = parse_key(key, &path)?;
        let vendor = parse_vendor(entry, &path)?;
        if vendor.id != key_id {
            return Err(GvlError::Inconsistent { path, reason: format!("key {key_id} but id {}", vendor.id) });
        }
        vendors.insert(key_id, vendor);
    }

    Ok(GlobalVendorList {
        gvl_specification_version,
        vendor_list_version,
        tcf_policy_version,
        last_updated,
        vendors,
        purposes,
    })
}

fn parse_vendor(entry: &Value, path: &str) -> Result<GvlVendor, GvlError> {
    let obj = as_object(entry, path)?;
    Ok(GvlVendor {
        id: required_u32(obj, path, "id")?,
        name: required_string(obj, path, "name")?,
        purposes: id_list(obj, path, "purposes")?,
        leg_int_purposes: id_list(obj, path, "legIntPurposes")?,
        deleted_date: optional_string(obj, path, "deletedDate")?,
    })
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            format!("string {short:?}")
        }
        Value::Array(a) => format!("array of {}", a.len()),
        Value::Object(_) => "object".into(),
    }
}

fn wrong(path: String, expected: &'static str, found: &Value) -> GvlError {
    GvlError::WrongType { path, expected, found: describe(found) }
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, GvlError> {
    v.as_object().ok_or_else(|| wrong(path.into(), "an object", v))
}

/// A field that is present and not `null` (GVL files use `null` for "not stated").
fn non_null<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    obj.get(field).filter(|v| !v.is_null())
}

fn to_u32(v: &Value, path: String) -> Result<u32, GvlError> {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| wrong(path, "a non-negative integer", v))
}

fn required_u32(obj: &Map<String, Value>, path: &str, field: &str) -> Result<u32, GvlError> {
    let p = format!("{path}.{field}");
    match non_null(obj, field) {
        Some(v) => to_u32(v, p),
        None => Err(GvlError::Missing { path: p }),
    }
}

fn optional_u32(obj: &Map<String, Value>, path: &str, field: &str) -> Result<Option<u32>, GvlError> {
    non_null(obj, field).map(|v| to_u32(v, format!("{path}.{field}"))).transpose()
}

fn required_string(obj: &Map<String, Value>, path: &str, field: &str) -> Result<String, GvlError> {
    let p = format!("{path}.{field}");
    match non_null(obj, field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(wrong(p, "a string", v)),
        None => Err(GvlError::Missing { path: p }),
    }
}

fn optional_string(obj: &Map<String, Value>, path: &str, field: &str) -> Result<Option<String>, GvlError> {
    match non_null(obj, field) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong(format!("{path}.{field}"), "a string", v)),
        None => Ok(None),
    }
}

/// An optional array of ids, returned sorted and deduplicated (real GVLs contain duplicates).
fn id_list(obj: &Map<String, Value>, path: &str, field: &str) -> Result<Vec<u32>, GvlError> {
    let Some(v) = non_null(obj, field) else {
        return Ok(Vec::new());
    };
    let p = format!("{path}.{field}");
    let items = v.as_array().ok_or_else(|| wrong(p.clone(), "an array", v))?;
    let mut ids = items
        .iter()
        .enumerate()
        .map(|(i, item)| to_u32(item, format!("{p}[{i}]")))
        .collect::<Result<Vec<u32>, GvlError>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

fn parse_key(key: &str, path: &str) -> Result<u32, GvlError> {
    key.parse()
        .map_err(|_| GvlError::Inconsistent { path: path.into(), reason: format!("key {key:?} is not a numeric id") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tcf");

    fn load(name: &str) -> Value {
        let path = format!("{DATA_DIR}/{name}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).expect("valid JSON")
    }

    #[test]
    fn parses_v2_spec_file() {
        let json = load("iabtcf-java_gvl_v2spec.json");
        assert!(looks_like_gvl(&json));
        let gvl = parse_gvl(&json).expect("parse");
        assert_eq!(gvl.gvl_specification_version, Some(2));
        assert_eq!(gvl.vendor_list_version, 26);
        assert_eq!(gvl.tcf_policy_version, Some(2));
        assert_eq!(gvl.last_updated.as_deref(), Some("2020-02-20T16:05:20Z"));
        assert_eq!(gvl.vendors.len(), 3);
        assert_eq!(gvl.vendors.keys().copied().collect::<Vec<_>>(), vec![2, 8, 512]);
        assert_eq!(gvl.purposes.len(), 10);
        assert_eq!(gvl.purposes.get(&2).map(String::as_str), Some("Select basic ads"));

        let v512 = &gvl.vendors[&512];
        assert_eq!(v512.name, "PubNative GmbH");
        // The file lists purpose 4 twice.
        assert_eq!(v512.purposes, vec![1, 2, 3, 4, 7, 8, 10]);
        assert!(v512.leg_int_purposes.is_empty());
        assert_eq!(v512.deleted_date.as_deref(), Some("2019-02-28T00:00:00Z"));
        // Deleted vendors still resolve.
        assert_eq!(gvl.vendor_name(512), Some("PubNative GmbH"));
        assert_eq!(gvl.vendor_name(8), Some("Emerse Sverige AB"));
        assert_eq!(gvl.vendors[&8].deleted_date.as_deref(), Some("2020-06-28T00:00:00Z"));
        assert_eq!(gvl.vendors[&8].leg_int_purposes, vec![2, 7, 8, 9]);
        assert_eq!(gvl.vendor_name(2), Some("Captify Technologies Limited"));
        assert_eq!(gvl.vendors[&2].deleted_date, None);
        assert_eq!(gvl.vendor_name(3), None);
    }

    #[test]
    fn parses_v3_spec_file() {
        let json = load("iabtcf-java_gvlv3.json");
        assert!(looks_like_gvl(&json));
        let gvl = parse_gvl(&json).expect("parse");
        assert_eq!(gvl.gvl_specification_version, Some(3));
        assert_eq!(gvl.vendor_list_version, 15);
        assert_eq!(gvl.tcf_policy_version, Some(4));
        assert_eq!(gvl.last_updated.as_deref(), Some("2023-08-24T16:07:27Z"));
        assert_eq!(gvl.vendors.len(), 2);
        assert_eq!(gvl.purposes.len(), 11);
        assert_eq!(gvl.purposes.get(&11).map(String::as_str), Some("Use limited data to select content"));
        assert_eq!(gvl.vendor_name(1), Some("Exponential Interactive, Inc d/b/a VDX.tv"));
        assert_eq!(gvl.vendor_name(2), Some("Captify Technologies Limited"));
        assert_eq!(gvl.vendors[&1].purposes, vec![1, 2, 3, 4, 7, 8, 9, 10]);
        assert!(gvl.vendors.values().all(|v| v.deleted_date.is_none()));
    }

    #[test]
    fn parses_real_v15_snapshot() {
        let json = load("iabtcf-es_vendor-list-v15.json");
        assert!(looks_like_gvl(&json));
        let gvl = parse_gvl(&json).expect("parse");
        assert_eq!(gvl.gvl_specification_version, Some(2));
        assert_eq!(gvl.vendor_list_version, 15);
        assert_eq!(gvl.tcf_policy_version, Some(2));
        assert_eq!(gvl.last_updated.as_deref(), Some("2019-12-12T16:05:12Z"));
        assert_eq!(gvl.vendors.len(), 79);
        assert_eq!(gvl.purposes.len(), 10);
        assert_eq!(gvl.vendor_name(8), Some("Emerse Sverige AB"));
        assert_eq!(gvl.vendor_name(12), Some("BeeswaxIO Corporation"));
        assert_eq!(gvl.vendor_name(6), Some("AdSpirit GmbH"));
        assert_eq!(gvl.vendors.keys().next_back(), Some(&720));
        assert!(gvl.vendors.iter().all(|(k, v)| *k == v.id));
        assert!(gvl.vendors.values().all(|v| v.purposes.windows(2).all(|w| w[0] < w[1])));
    }

    #[test]
    fn shape_detection() {
        assert!(looks_like_gvl(&json!({"vendorListVersion": 1, "vendors": {}})));
        assert!(!looks_like_gvl(&json!({"vendorListVersion": 1, "vendors": []})));
        assert!(!looks_like_gvl(&json!({"vendors": {}})));
        assert!(!looks_like_gvl(&json!([])));
        assert!(!looks_like_gvl(&json!({"vendorListVersion": "1", "vendors": {}})));
    }

    #[test]
    fn tolerates_unknown_and_missing_optional_fields() {
        let gvl = parse_gvl(&json!({
            "vendorListVersion": 3,
            "somethingNew": [1, 2],
            "tcfPolicyVersion": null,
            "vendors": {"7": {"id": 7, "name": "Seven", "extra": {"x": 1}, "deletedDate": null}}
        }))
        .expect("parse");
        assert_eq!(gvl.gvl_specification_version, None);
        assert_eq!(gvl.tcf_policy_version, None);
        assert_eq!(gvl.last_updated, None);
        assert!(gvl.purposes.is_empty());
        let v = &gvl.vendors[&7];
        assert!(v.purposes.is_empty() && v.leg_int_purposes.is_empty());
        assert_eq!(v.deleted_date, None);
    }

    #[test]
    fn wrong_types_name_the_path() {
        let cases = [
            (json!([]), "$ must be an object"),
            (json!({"vendors": {}}), "missing required field $.vendorListVersion"),
            (json!({"vendorListVersion": "26", "vendors": {}}), "$.vendorListVersion must be a non-negative integer"),
            (json!({"vendorListVersion": -1, "vendors": {}}), "$.vendorListVersion must be a non-negative integer"),
            (json!({"vendorListVersion": 1}), "missing required field $.vendors"),
            (json!({"vendorListVersion": 1, "vendors": []}), "$.vendors must be an object"),
            (json!({"vendorListVersion": 1, "vendors": {"5": {"id": 5}}}), "missing required field $.vendors.5.name"),
            (
                json!({"vendorListVersion": 1, "vendors": {"5": {"id": 5, "name": 3}}}),
                "$.vendors.5.name must be a string",
            ),
            (
                json!({"vendorListVersion": 1, "vendors": {"5": {"id": 5, "name": "x", "purposes": [1, "2"]}}}),
                "$.vendors.5.purposes[1] must be a non-negative integer",
            ),
            (
                json!({"vendorListVersion": 1, "vendors": {"5": {"id": 5, "name": "x", "legIntPurposes": 2}}}),
                "$.vendors.5.legIntPurposes must be an array",
            ),
            (json!({"vendorListVersion": 1, "vendors": {"5": {"id": 6, "name": "x"}}}), "$.vendors.5: key 5 but id 6"),
            (
                json!({"vendorListVersion": 1, "vendors": {"abc": {"id": 6, "name": "x"}}}),
                "$.vendors.abc: key \"abc\" is not a numeric id",
            ),
            (
                json!({"vendorListVersion": 1, "vendors": {"5": {"id": 5, "name": "x", "deletedDate": 5}}}),
                "$.vendors.5.deletedDate must be a string",
            ),
            (
                json!({"vendorListVersion": 1, "vendors": {}, "purposes": {"1": {"id": 1}}}),
                "missing required field $.purposes.1.name",
            ),
            (
                json!({"vendorListVersion": 1, "vendors": {}, "gvlSpecificationVersion": "3"}),
                "$.gvlSpecificationVersion must be a non-negative integer",
            ),
        ];
        for (json, needle) in cases {
            let err = parse_gvl(&json).expect_err(needle).to_string();
            assert!(err.contains(needle), "{err:?} should contain {needle:?}");
        }
    }
}
