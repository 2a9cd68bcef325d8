//! ISO/IEC TS 27560 consent records written with W3C DPV terms (JSON with `dpv:` prefixes, or
//! JSON-LD with full IRIs, one record, an array, JSON Lines, or an `@graph`). SPEC §3.
//!
//! A record names its data subject (`dpv:hasDataSubject`, its `dpv:hasIdentifier` →
//! `dpv:subject:<id>`, or the e-mail itself; an e-mail given as the subject's personal data is
//! linked), its processes (`dpv:hasProcess`, nested for per-recipient decisions) with purposes
//! (`dpv:hasPurpose`: a term such as `dpv:Marketing`, or a described purpose whose label is its
//! `@id`, title or broader term) and recipients (`dpv:hasRecipient`, named through
//! `dpv:hasEntity`), and consent statuses (`dpv:hasConsentStatus`, also `hasPart`) with the time
//! they were indicated (`dpv:isIndicatedAtTime`; zone-less times take the assumed zone).
//!
//! Statuses apply where they are stated: a record's statuses to every process under it, a
//! process's to its purposes and recipients, a sub-process's to its own recipients — so one
//! record can give consent for a purpose to one recipient and refuse it to another. Status terms:
//! `ConsentGiven` / `RenewedConsentGiven` → grant; `ConsentRefused` → refusal;
//! `ConsentWithdrawn` → withdrawal; `ConsentExpired` → expiry; `ConsentRevoked` and
//! `ConsentInvalidated` (ended by someone other than the subject) → the undirected negative
//! signal; `ConsentRequested`, `ConsentRequestDeferred`, `ConsentUnknown` → no consent event.
//! `ExplicitlyExpressedConsent` / `ExpressedConsent` give the method explicit opt-in,
//! `ImpliedConsent` implied. The data controllers are our organisation, not recipients, so
//! they are left out of the recipients (and kept in the evidence). A stated duration is kept as
//! evidence, not turned into an expiry.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::context::{EventDraft, FileImport};
use super::json_records::{pointer, JsonRecord};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Method, Timestamp};

pub struct Dpv;

/// Compacts an IRI to the prefixed form DPV documents use (`https://w3id.org/dpv#Marketing` →
/// `dpv:Marketing`).
fn compact(s: &str) -> String {
    const PREFIXES: &[(&str, &str)] = &[
        ("https://w3id.org/dpv#", "dpv:"),
        ("http://w3id.org/dpv#", "dpv:"),
        ("https://w3id.org/dpv/owl#", "dpv:"),
        ("https://w3id.org/dpv/dpv-owl#", "dpv:"),
        ("https://w3id.org/dpv/pd#", "pd:"),
        ("https://w3id.org/dpv/dpv-pd#", "pd:"),
        ("https://w3id.org/dpv/legal/eu/gdpr#", "eu-gdpr:"),
        ("https://w3id.org/dpv/dpv-gdpr#", "eu-gdpr:"),
        ("http://purl.org/dc/terms/", "dct:"),
        ("http://www.w3.org/2004/02/skos/core#", "skos:"),
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf:"),
    ];
    for (iri, prefix) in PREFIXES {
        if let Some(rest) = s.strip_prefix(iri) {
            return format!("{prefix}{rest}");
        }
    }
    s.to_string()
}

/// The local name of a term (`dpv:ConsentGiven` → `ConsentGiven`).
fn local(term: &str) -> &str {
    term.rsplit([':', '#', '/']).next().unwrap_or(term)
}

/// A field by its prefixed name (`dpv:hasPurpose`), its full IRI, or its bare local name (a
/// document compacted with a default vocabulary).
fn get<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let bare = local(name);
    o.iter().find(|(k, v)| !v.is_null() && (compact(k) == name || k.as_str() == bare)).map(|(_, v)| v)
}

fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).collect(),
        Some(other) => vec![other],
    }
}

/// A string, `{"@value": …}` or `{"@id": …}` as text.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("@value").or_else(|| o.get("@id")).and_then(text),
        _ => None,
    }
}

fn types(v: &Value) -> Vec<String> {
    let Some(o) = v.as_object() else {
        return Vec::new();
    };
    list(o.get("@type")).into_iter().filter_map(text).map(|t| compact(&t)).collect()
}

const STATUS_TERMS: &[&str] = &[
    "ConsentGiven",
    "RenewedConsentGiven",
    "ConsentRefused",
    "ConsentWithdrawn",
    "ConsentExpired",
    "ConsentRevoked",
    "ConsentInvalidated",
    "ConsentRequested",
    "ConsentRequestDeferred",
    "ConsentUnknown",
];

/// What a status term means: `Some(kind)`, `None` for statuses that are no consent event.
fn status_kind(term: &str) -> Option<Option<EventKind>> {
    Some(match term {
        "ConsentGiven" | "RenewedConsentGiven" => Some(EventKind::ConsentGiven),
        "ConsentRefused" => Some(EventKind::ConsentRefused),
        "ConsentWithdrawn" => Some(EventKind::ConsentWithdrawn),
        "ConsentExpired" => Some(EventKind::ConsentExpired),
        "ConsentRevoked" | "ConsentInvalidated" => Some(EventKind::ConsentNegative),
        "ConsentRequested" | "ConsentRequestDeferred" | "ConsentUnknown" => None,
        _ => return None,
    })
}

fn is_record(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    if types(v).iter().any(|t| t == "dpv:ConsentRecord") {
        return true;
    }
    if let Some(graph) = o.get("@graph").and_then(Value::as_array) {
        return graph.iter().any(is_record);
    }
    get(o, "dpv:hasDataSubject").is_some()
        && (get(o, "dpv:hasConsentStatus").is_some() || get(o, "dpv:hasProcess").is_some())
}

impl Importer for Dpv {
    fn id(&self) -> &'static str {
        "dpv"
    }

    fn name(&self) -> &'static str {
        "ISO/IEC TS 27560 consent record (W3C DPV)"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match &sniff.first_record {
            Some(v) if is_record(v) => 90,
            _ => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        file.for_each_json(&mut |file, rec| {
            let JsonRecord { locator, line, value } = rec;
            let locator = if locator.is_empty() { "/".to_string() } else { locator };
            if let Some(graph) = value.get("@graph").and_then(Value::as_array) {
                let entities = entity_names(graph.iter());
                let mut found = false;
                for (i, node) in graph.iter().enumerate() {
                    if types(node).iter().any(|t| t == "dpv:ConsentRecord") {
                        found = true;
                        record(file, &pointer(&locator, &format!("@graph/{i}")), line, node, &entities)?;
                    }
                }
                if !found {
                    file.reject(
                        &locator,
                        Some("@graph"),
                        "the graph holds no dpv:ConsentRecord",
                        Some(&value.to_string()),
                    )?;
                }
                return Ok(());
            }
            record(file, &locator, line, &value, &BTreeMap::new())
        })
    }
}

/// Entity names by id, from `dpv:hasEntity` (a list of nodes or a map keyed by id) or a graph.
fn entity_names<'a>(nodes: impl Iterator<Item = &'a Value>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for node in nodes {
        if let (Some(id), Some(name)) =
            (node.get("@id").and_then(text), node.as_object().and_then(|o| get(o, "dpv:hasName")).and_then(text))
        {
            names.insert(id, name);
        }
    }
    names
}

fn entities_of(o: &Map<String, Value>) -> BTreeMap<String, String> {
    match get(o, "dpv:hasEntity") {
        Some(Value::Object(map)) if !map.contains_key("@id") => map
            .iter()
            .filter_map(|(id, node)| {
                node.as_object().and_then(|n| get(n, "dpv:hasName")).and_then(text).map(|n| (id.clone(), n))
            })
            .collect(),
        other => entity_names(list(other).into_iter()),
    }
}

/// A problem that rejects the record: pointer, field, message.
type Bad = (String, String, String);

/// What a level of the record tree passes down.
#[derive(Clone, Default)]
struct Context {
    purposes: Vec<(String, BTreeMap<String, Value>)>,
    recipients: Vec<String>,
    controllers: Vec<String>,
    legal_basis: Vec<String>,
    /// The recipients were set by a sub-process under the purposes' process: its statuses are
    /// decisions about those recipients only.
    recipient_scoped: bool,
}

#[derive(Clone)]
struct Status {
    at: String,
    kind: Option<EventKind>,
    term: String,
    time: Option<Timestamp>,
    method: Option<Method>,
    notice: Option<String>,
    evidence: BTreeMap<String, Value>,
}

struct Fact {
    at: String,
    kind: EventKind,
    time: Timestamp,
    purpose: String,
    recipients: Vec<String>,
    method: Option<Method>,
    notice: Option<String>,
    evidence: BTreeMap<String, Value>,
}

struct Collected {
    facts: Vec<Fact>,
    warnings: Vec<Bad>,
}

fn record(
    file: &mut FileImport<'_>,
    locator: &str,
    line: Option<u64>,
    value: &Value,
    graph_entities: &BTreeMap<String, String>,
) -> Result<(), ImportError> {
    let raw = value.to_string();
    let (subject, linked, collected) = match read(file, locator, value, graph_entities) {
        Ok(r) => r,
        Err((at, field, message)) => return file.reject(&at, Some(&field), &message, Some(&raw)),
    };
    let row = file.row(locator, line, &raw)?;
    for other in &linked {
        file.link(row, &subject, other, "e-mail given as the data subject's personal data in the same consent record")?;
    }
    for (at, field, message) in collected.warnings {
        file.warn(&at, Some(&field), &message)?;
    }
    for f in collected.facts {
        let draft = EventDraft {
            subject: Some(subject.clone()),
            kind: Some(f.kind),
            occurred_at: Some(f.time),
            purpose_label: Some(f.purpose),
            recipients: f.recipients,
            method: f.method,
            notice_version: f.notice,
            evidence: f.evidence,
            ..Default::default()
        };
        file.event(row, &f.at, draft)?;
    }
    Ok(())
}

fn read(
    file: &FileImport<'_>,
    locator: &str,
    value: &Value,
    graph_entities: &BTreeMap<String, String>,
) -> Result<(Identifier, Vec<Identifier>, Collected), Bad> {
    let o = value.as_object().ok_or_else(|| {
        (locator.to_string(), String::new(), "expected a JSON object (one consent record)".to_string())
    })?;
    let subject_at = pointer(locator, "dpv:hasDataSubject");
    let subject_value = get(o, "dpv:hasDataSubject").ok_or_else(|| {
        (subject_at.clone(), "dpv:hasDataSubject".to_string(), "missing dpv:hasDataSubject".to_string())
    })?;
    let subject_text = match subject_value {
        Value::Object(s) => get(s, "dpv:hasIdentifier").and_then(text).or_else(|| s.get("@id").and_then(text)),
        other => text(other),
    }
    .ok_or_else(|| {
        (subject_at.clone(), "dpv:hasIdentifier".to_string(), "the data subject has no identifier".to_string())
    })?;
    let subject = if subject_text.contains('@') {
        Identifier::email(&subject_text)
    } else {
        Identifier::system("dpv", "subject", &subject_text)
    }
    .map_err(|e| (subject_at, "dpv:hasIdentifier".to_string(), e.to_string()))?;
    let mut entities = graph_entities.clone();
    entities.extend(entities_of(o));
    let mut collected = Collected { facts: Vec::new(), warnings: Vec::new() };
    let mut linked = Vec::new();
    let mut base = BTreeMap::new();
    if let Some(id) = get(o, "dpv:hasIdentifier").and_then(text) {
        base.insert("record_id".to_string(), Value::String(id));
    }
    for key in ["dct:conformsTo", "dct:created", "dct:creator", "dct:hasVersion"] {
        if let Some(v) = get(o, key) {
            base.insert(local(key).to_string(), v.clone());
        }
    }
    walk(file, locator, o, &Context::default(), &[], &entities, &base, &mut collected, &mut linked)?;
    linked.retain(|l| *l != subject);
    linked.dedup();
    if collected.facts.is_empty() && collected.warnings.is_empty() {
        collected.warnings.push((
            pointer(locator, "dpv:hasConsentStatus"),
            "dpv:hasConsentStatus".to_string(),
            "the record states no consent status that is a consent event".to_string(),
        ));
    }
    Ok((subject, linked, collected))
}

/// A purpose of a level: label, evidence, and the recipients and controllers a described
/// purpose names inside itself.
type PurposeEntry = (String, BTreeMap<String, Value>, Vec<String>, Vec<String>);

/// The purposes of a level.
fn purposes_of(o: &Map<String, Value>) -> Vec<PurposeEntry> {
    let mut out = Vec::new();
    for p in list(get(o, "dpv:hasPurpose")) {
        let mut evidence = BTreeMap::new();
        let (label, recipients, controllers) = match p {
            Value::Object(po) => {
                let broader = list(get(po, "skos:broader").or_else(|| get(po, "dpv:isSubTypeOf")))
                    .into_iter()
                    .filter_map(text)
                    .map(|t| compact(&t))
                    .next();
                let title = get(po, "dct:title").and_then(text);
                let description = get(po, "dct:description").or_else(|| po.get("description")).and_then(text);
                if let Some(d) = &description {
                    evidence.insert("purpose_description".to_string(), Value::String(d.clone()));
                }
                if let Some(b) = &broader {
                    evidence.insert("purpose_broader".to_string(), Value::String(b.clone()));
                }
                let label = po.get("@id").and_then(text).map(|t| compact(&t)).or(title).or(broader).or(description);
                let recipients = list(get(po, "dpv:hasRecipient")).into_iter().filter_map(text).collect();
                let controllers = list(get(po, "dpv:hasDataController")).into_iter().filter_map(text).collect();
                (label, recipients, controllers)
            }
            other => (text(other).map(|t| compact(&t)), Vec::new(), Vec::new()),
        };
        if let Some(label) = label {
            out.push((label, evidence, recipients, controllers));
        }
    }
    out
}

fn statuses_of(file: &FileImport<'_>, at: &str, o: &Map<String, Value>) -> Result<Vec<Status>, Bad> {
    let mut out = Vec::new();
    let mut entries: Vec<(String, &Value, bool)> = Vec::new();
    for key in ["dpv:hasConsentStatus", "dct:hasPart", "dpv:hasPart"] {
        for (i, v) in list(get(o, key)).into_iter().enumerate() {
            entries.push((pointer(at, &format!("{key}/{i}")), v, key == "dpv:hasConsentStatus"));
        }
    }
    for (p, v, declared) in entries {
        let ts = types(v);
        let reference = match v {
            Value::String(s) => Some(compact(s)),
            Value::Object(m) if !m.contains_key("@type") => m.get("@id").and_then(text).map(|s| compact(&s)),
            _ => None,
        };
        let all: Vec<String> = ts.iter().cloned().chain(reference.clone()).collect();
        let Some(term) = all.iter().map(|t| local(t).to_string()).find(|t| STATUS_TERMS.contains(&t.as_str())) else {
            // Anything stated as a consent status is one we should know; a part that merely
            // looks like one (`Consent…`) too.
            if declared || all.iter().any(|t| local(t).starts_with("Consent")) {
                out.push(Status {
                    at: p,
                    kind: None,
                    term: if all.is_empty() { v.to_string() } else { all.join(", ") },
                    time: None,
                    method: None,
                    notice: None,
                    evidence: BTreeMap::from([("unknown_status".to_string(), Value::Bool(true))]),
                });
            }
            continue;
        };
        let kind = status_kind(&term).flatten();
        let Some(m) = v.as_object() else {
            out.push(Status { at: p, kind, term, time: None, method: None, notice: None, evidence: BTreeMap::new() });
            continue;
        };
        let time_value =
            get(m, "dpv:isIndicatedAtTime").or_else(|| get(m, "dct:date")).or_else(|| get(m, "dct:created"));
        let time = match time_value {
            None => None,
            Some(tv) => {
                let t = text(tv).ok_or_else(|| {
                    (
                        pointer(&p, "dpv:isIndicatedAtTime"),
                        "dpv:isIndicatedAtTime".to_string(),
                        "the time must be a string".to_string(),
                    )
                })?;
                Some(file.time(&t).map_err(|e| {
                    (pointer(&p, "dpv:isIndicatedAtTime"), "dpv:isIndicatedAtTime".to_string(), e.to_string())
                })?)
            }
        };
        let method = ts.iter().find_map(|t| match local(t) {
            "ExplicitlyExpressedConsent" | "ExpressedConsent" | "InformedConsent" => Some(Method::ExplicitOptIn),
            "ImpliedConsent" => Some(Method::Implied),
            _ => None,
        });
        let notice = get(m, "dpv:hasNotice").and_then(|n| match n {
            Value::Object(no) => get(no, "dpv:hasIdentifier")
                .and_then(text)
                .or_else(|| no.get("@id").and_then(text))
                .or_else(|| get(no, "dpv:hasLocation").and_then(text)),
            other => text(other),
        });
        let mut evidence = BTreeMap::new();
        evidence.insert("status".to_string(), Value::from(ts.clone()));
        for key in ["dpv:isIndicatedBy", "dpv:isExercisedAt", "dpv:hasDuration", "dpv:hasNotice", "dpv:hasEntity"] {
            if let Some(v) = get(m, key) {
                evidence.insert(local(key).to_string(), v.clone());
            }
        }
        out.push(Status { at: p, kind, term, time, method, notice, evidence });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn walk(
    file: &FileImport<'_>,
    at: &str,
    o: &Map<String, Value>,
    parent: &Context,
    inherited: &[Status],
    entities: &BTreeMap<String, String>,
    base: &BTreeMap<String, Value>,
    out: &mut Collected,
    linked: &mut Vec<Identifier>,
) -> Result<(), Bad> {
    let mut ctx = parent.clone();
    let purposes = purposes_of(o);
    if !purposes.is_empty() {
        ctx.purposes = purposes.iter().map(|(l, e, _, _)| (l.clone(), e.clone())).collect();
        let nested_recipients: Vec<String> = purposes.iter().flat_map(|(_, _, r, _)| r.clone()).collect();
        if !nested_recipients.is_empty() {
            ctx.recipients = nested_recipients;
        }
        ctx.controllers.extend(purposes.iter().flat_map(|(_, _, _, c)| c.clone()));
    }
    let recipients: Vec<String> = list(get(o, "dpv:hasRecipient")).into_iter().filter_map(text).collect();
    if get(o, "dpv:hasRecipient").is_some() {
        ctx.recipients = recipients;
        ctx.recipient_scoped = purposes.is_empty() && !parent.purposes.is_empty();
    }
    ctx.controllers.extend(list(get(o, "dpv:hasDataController")).into_iter().filter_map(text));
    let bases: Vec<String> =
        list(get(o, "dpv:hasLegalBasis")).into_iter().filter_map(text).map(|t| compact(&t)).collect();
    if !bases.is_empty() {
        ctx.legal_basis = bases;
    }
    for pd in list(get(o, "dpv:hasPersonalData")) {
        let Some(m) = pd.as_object() else { continue };
        let kinds: Vec<String> = list(get(m, "skos:broader").or_else(|| get(m, "dpv:isSubTypeOf")))
            .into_iter()
            .filter_map(text)
            .chain(types(pd))
            .map(|t| compact(&t))
            .collect();
        if kinds.iter().any(|k| local(k) == "Email" || local(k) == "EmailAddress") {
            if let Some(email) = get(m, "rdf:value").and_then(text) {
                if let Ok(e) = Identifier::email(&email) {
                    linked.push(e);
                }
            }
        }
    }
    let own: Vec<Status> = statuses_of(file, at, o)?;
    let children: Vec<(String, &Map<String, Value>)> = list(get(o, "dpv:hasProcess"))
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_object().map(|m| (pointer(at, &format!("dpv:hasProcess/{i}")), m)))
        .collect();
    let effective: Vec<Status> = if own.is_empty() { inherited.to_vec() } else { own.clone() };
    if children.is_empty() {
        emit(&ctx, at, &effective, entities, base, out);
        return Ok(());
    }
    let pass: Vec<Status> = if !own.is_empty() && !purposes.is_empty() {
        // Statuses stated beside purposes belong to them; sub-processes state their own.
        emit(&ctx, at, &own, entities, base, out);
        Vec::new()
    } else {
        effective
    };
    for (child_at, child) in children {
        walk(file, &child_at, child, &ctx, &pass, entities, base, out, linked)?;
    }
    Ok(())
}

fn emit(
    ctx: &Context,
    at: &str,
    statuses: &[Status],
    entities: &BTreeMap<String, String>,
    base: &BTreeMap<String, Value>,
    out: &mut Collected,
) {
    if statuses.is_empty() {
        out.warnings.push((
            pointer(at, "dpv:hasConsentStatus"),
            "dpv:hasConsentStatus".to_string(),
            "no consent status applies to this process".to_string(),
        ));
        return;
    }
    if ctx.purposes.is_empty() {
        out.warnings.push((
            pointer(at, "dpv:hasPurpose"),
            "dpv:hasPurpose".to_string(),
            "a consent status without a purpose".to_string(),
        ));
        return;
    }
    let recipients: Vec<String> = ctx
        .recipients
        .iter()
        .filter(|r| !ctx.controllers.contains(r))
        .map(|r| entities.get(r).cloned().unwrap_or_else(|| r.clone()))
        .collect();
    let timed = statuses.iter().any(|s| s.time.is_some());
    for s in statuses {
        if s.evidence.contains_key("unknown_status") {
            out.warnings.push((
                s.at.clone(),
                "dpv:hasConsentStatus".to_string(),
                format!("unknown consent status '{}'; no consent event", s.term),
            ));
            continue;
        }
        let Some(kind) = s.kind else { continue };
        let Some(time) = s.time.clone() else {
            // A bare reference to the current status repeats a timed one when those exist.
            if !timed {
                out.warnings.push((
                    s.at.clone(),
                    "dpv:isIndicatedAtTime".to_string(),
                    format!("{} has no time; no event recorded", s.term),
                ));
            }
            continue;
        };
        for (purpose, purpose_evidence) in &ctx.purposes {
            let mut evidence = base.clone();
            evidence.extend(purpose_evidence.clone());
            evidence.extend(s.evidence.clone());
            if ctx.recipient_scoped {
                evidence.insert("recipient_scoped".into(), Value::Bool(true));
            }
            if !ctx.legal_basis.is_empty() {
                evidence.insert("legal_basis".into(), Value::from(ctx.legal_basis.clone()));
            }
            let mut controllers = ctx.controllers.clone();
            controllers.sort();
            controllers.dedup();
            if !controllers.is_empty() {
                evidence.insert("controllers".into(), Value::from(controllers));
            }
            out.facts.push(Fact {
                at: s.at.clone(),
                kind,
                time: time.clone(),
                purpose: purpose.clone(),
                recipients: recipients.clone(),
                method: s.method,
                notice: s.notice.clone(),
                evidence,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_and_prefixes_read_alike() {
        assert_eq!(compact("https://w3id.org/dpv#Marketing"), "dpv:Marketing");
        assert_eq!(local("dpv:ConsentGiven"), "ConsentGiven");
        let o: Map<String, Value> = serde_json::from_str(r#"{"https://w3id.org/dpv#hasPurpose": "x"}"#).unwrap();
        assert!(get(&o, "dpv:hasPurpose").is_some());
    }

    #[test]
    fn status_terms_are_mapped_deliberately() {
        assert_eq!(status_kind("ConsentGiven"), Some(Some(EventKind::ConsentGiven)));
        assert_eq!(status_kind("ConsentRefused"), Some(Some(EventKind::ConsentRefused)));
        assert_eq!(status_kind("ConsentRequested"), Some(None));
        assert_eq!(status_kind("Banana"), None);
    }
}
