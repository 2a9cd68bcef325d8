//! Kantara Initiative Consent Receipt v1.1 (JSON: one receipt, an array of receipts, or JSON
//! Lines). SPEC §3:
//! - `piiPrincipalId` is the subject (an e-mail / phone / `system:kind:value` as written, else
//!   `kantara:principal:<id>`);
//! - `consentTimestamp` (epoch seconds; milliseconds are told apart by magnitude) is the instant
//!   of every grant in the receipt;
//! - every `services[].purposes[]` entry is a grant for its `purpose` text (profile aliases under
//!   `kantara`); `thirdPartyName` names the recipient when `thirdPartyDisclosure` is true (a
//!   disclosure without a name is reported: the receipt does not say who receives the data);
//! - `consentType` EXPLICIT → explicit opt-in, IMPLICIT / IMPLIED → implied (which rule R6
//!   treats as invalid consent); other values are reported and leave the method unknown;
//! - `policyUrl` is what the person was told: it becomes the notice version and evidence;
//!   `collectionMethod` the capture source; `consentReceiptID`, `jurisdiction`, `piiControllers`,
//!   `termination` … are kept as evidence.
//!
//! A receipt is one stored row; a receipt that cannot be read (no subject, no timestamp, a
//! wrong type) is rejected whole with the JSON pointer of the field.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::context::{EventDraft, FileImport};
use super::json_records::{pointer, JsonRecord};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method, Timestamp};

pub struct Kantara;

fn is_receipt(v: &Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.contains_key("piiPrincipalId") && (o.contains_key("services") || o.contains_key("consentReceiptID"))
    })
}

impl Importer for Kantara {
    fn id(&self) -> &'static str {
        "kantara"
    }

    fn name(&self) -> &'static str {
        "Kantara Consent Receipt v1.1"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match &sniff.first_record {
            Some(v) if is_receipt(v) => 95,
            _ => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        file.for_each_json(&mut |file, rec| {
            let JsonRecord { locator, line, value } = rec;
            let locator = if locator.is_empty() { "/".to_string() } else { locator };
            receipt(file, &locator, line, &value)
        })
    }
}

struct Grant {
    at: String,
    purpose: String,
    recipient: Option<String>,
    method: Option<Method>,
    evidence: BTreeMap<String, Value>,
}

/// A problem that rejects the receipt: pointer, field, message.
type Bad = (String, String, String);

fn text(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn receipt(file: &mut FileImport<'_>, locator: &str, line: Option<u64>, value: &Value) -> Result<(), ImportError> {
    let raw = value.to_string();
    let read = read(file, locator, value);
    let (subject, at, grants, warnings, notice, capture) = match read {
        Ok(r) => r,
        Err((at, field, message)) => return file.reject(&at, Some(&field), &message, Some(&raw)),
    };
    let row = file.row(locator, line, &raw)?;
    for (at, field, message) in warnings {
        file.warn(&at, Some(&field), &message)?;
    }
    for g in grants {
        let draft = EventDraft {
            subject: Some(subject.clone()),
            kind: Some(EventKind::ConsentGiven),
            occurred_at: Some(at.clone()),
            purpose_label: Some(g.purpose),
            recipients: g.recipient.into_iter().collect(),
            method: g.method,
            capture_source: capture.clone(),
            notice_version: notice.clone(),
            evidence: g.evidence,
            ..Default::default()
        };
        file.event(row, &g.at, draft)?;
    }
    Ok(())
}

type Read = (Identifier, Timestamp, Vec<Grant>, Vec<Bad>, Option<String>, Option<String>);

fn read(file: &FileImport<'_>, locator: &str, value: &Value) -> Result<Read, Bad> {
    let at = |f: &str| pointer(locator, f);
    let o = value.as_object().ok_or_else(|| {
        (locator.to_string(), String::new(), "expected a JSON object (one consent receipt)".to_string())
    })?;
    let principal = text(o, "piiPrincipalId")
        .ok_or_else(|| (at("piiPrincipalId"), "piiPrincipalId".to_string(), "missing piiPrincipalId".to_string()))?;
    let subject = Identifier::parse(&principal)
        .or_else(|_| Identifier::system("kantara", "principal", &principal))
        .map_err(|e| (at("piiPrincipalId"), "piiPrincipalId".to_string(), e.to_string()))?;
    let ts_text = match o.get("consentTimestamp") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Null) | None => {
            return Err((at("consentTimestamp"), "consentTimestamp".into(), "missing consentTimestamp".into()))
        }
        Some(_) => {
            return Err((
                at("consentTimestamp"),
                "consentTimestamp".into(),
                "consentTimestamp must be epoch seconds".into(),
            ))
        }
    };
    let when =
        file.time(&ts_text).map_err(|e| (at("consentTimestamp"), "consentTimestamp".to_string(), e.to_string()))?;
    let mut base: BTreeMap<String, Value> = BTreeMap::new();
    for key in [
        "consentReceiptID",
        "version",
        "jurisdiction",
        "language",
        "policyUrl",
        "collectionMethod",
        "sensitive",
        "spiCat",
    ] {
        if let Some(v) = o.get(key).filter(|v| !v.is_null()) {
            base.insert(key.to_string(), v.clone());
        }
    }
    if let Some(controllers) = o.get("piiControllers") {
        let list = controllers.as_array().ok_or_else(|| {
            (at("piiControllers"), "piiControllers".to_string(), "piiControllers must be an array".to_string())
        })?;
        let names: Vec<Value> = list
            .iter()
            .filter_map(|c| c.get("piiController").and_then(Value::as_str))
            .map(|s| Value::String(s.to_string()))
            .collect();
        base.insert("piiControllers".into(), Value::Array(names));
    }
    let services = o
        .get("services")
        .ok_or_else(|| (at("services"), "services".to_string(), "missing services".to_string()))?
        .as_array()
        .ok_or_else(|| (at("services"), "services".to_string(), "services must be an array".to_string()))?;
    let mut grants = Vec::new();
    let mut warnings = Vec::new();
    for (si, service) in services.iter().enumerate() {
        let sp = at(&format!("services/{si}"));
        let s = service
            .as_object()
            .ok_or_else(|| (sp.clone(), "services".to_string(), "a service must be an object".to_string()))?;
        let purposes = s.get("purposes").and_then(Value::as_array).ok_or_else(|| {
            (pointer(&sp, "purposes"), "purposes".to_string(), "a service needs a purposes array".to_string())
        })?;
        for (pi, purpose) in purposes.iter().enumerate() {
            let pp = pointer(&sp, &format!("purposes/{pi}"));
            let p = purpose
                .as_object()
                .ok_or_else(|| (pp.clone(), "purposes".to_string(), "a purpose must be an object".to_string()))?;
            let label = text(p, "purpose")
                .ok_or_else(|| (pointer(&pp, "purpose"), "purpose".to_string(), "missing purpose".to_string()))?;
            let method = match text(p, "consentType").map(|t| t.to_ascii_uppercase()) {
                Some(t) if t == "EXPLICIT" || t == "EXPRESSED" => Some(Method::ExplicitOptIn),
                Some(t) if t == "IMPLICIT" || t == "IMPLIED" => Some(Method::Implied),
                Some(t) => {
                    warnings.push((
                        pointer(&pp, "consentType"),
                        "consentType".to_string(),
                        format!("unknown consentType '{t}' (expected EXPLICIT or IMPLICIT): method left unknown"),
                    ));
                    None
                }
                None => None,
            };
            let discloses = match p.get("thirdPartyDisclosure") {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err((
                        pointer(&pp, "thirdPartyDisclosure"),
                        "thirdPartyDisclosure".into(),
                        "thirdPartyDisclosure must be true or false".into(),
                    ))
                }
            };
            let name = text(p, "thirdPartyName");
            let recipient = match (discloses, name) {
                (Some(false), Some(n)) => {
                    warnings.push((
                        pointer(&pp, "thirdPartyName"),
                        "thirdPartyName".to_string(),
                        format!("thirdPartyName '{n}' given although thirdPartyDisclosure is false; not read as a recipient"),
                    ));
                    None
                }
                (_, Some(n)) => Some(n),
                (Some(true), None) => {
                    warnings.push((
                        pointer(&pp, "thirdPartyName"),
                        "thirdPartyName".to_string(),
                        "thirdPartyDisclosure is true but no thirdPartyName: the receipt does not name the recipient"
                            .to_string(),
                    ));
                    None
                }
                _ => None,
            };
            let mut evidence = base.clone();
            if let Some(v) = s.get("service").filter(|v| !v.is_null()) {
                evidence.insert("service".into(), v.clone());
            }
            for key in [
                "purposeCategory",
                "piiCategory",
                "primaryPurpose",
                "termination",
                "thirdPartyDisclosure",
                "consentType",
            ] {
                if let Some(v) = p.get(key).filter(|v| !v.is_null()) {
                    evidence.insert(key.to_string(), v.clone());
                }
            }
            grants.push(Grant { at: pp, purpose: label, recipient, method, evidence });
        }
    }
    Ok((subject, when, grants, warnings, text(o, "policyUrl"), text(o, "collectionMethod")))
}
