//! Segment event exports (JSON Lines or a JSON array of events; also a `{"batch": [...]}`
//! payload). SPEC §3 and §4.1:
//! - `identify` (and `alias`) link the identifiers seen together: `userId` →
//!   `segment:user:<id>`, `anonymousId` → `segment:anonymous:<id>`, `traits.email` (or
//!   `context.traits.email`) → the e-mail. Names in traits are kept for display.
//! - `track` `Segment Consent Preference Updated` carries
//!   `context.consent.categoryPreferences`: a category `true` is a grant, `false` an undirected
//!   negative signal. "A preferences event states every mapped category": every profile purpose
//!   with a `segment` alias that the event does not mention is a negative signal too (a missing
//!   category counts as false), so an empty object is negative for all of them. A category whose
//!   value is not a boolean is reported and left out (it is neither a grant nor a refusal).
//! - other `track` events are processing or disclosure as the profile's `activities` say (e.g.
//!   `Email Sent` → processing; `Audience Synced` → disclosure to the recipient named by the
//!   activity's `recipient_property`, e.g. `properties.destination`). A track event no activity
//!   maps is kept and reported, not guessed into an event; so are `page`, `screen` and `group`.
//! - the instant is `timestamp` (else `originalTimestamp`, `sentAt`, `receivedAt`), ISO 8601.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::context::{EventDraft, FileImport, RowId};
use super::json_records::{pointer, JsonRecord};
use super::{ImportError, Importer, Sniff};
use crate::model::{EventKind, Identifier, Timestamp};

pub struct Segment;

/// The track event Segment's consent management sends on every preference change.
pub const CONSENT_EVENT: &str = "Segment Consent Preference Updated";
const TYPES: &[&str] = &["track", "identify", "page", "screen", "group", "alias"];
const TIME_FIELDS: &[&str] = &["timestamp", "originalTimestamp", "sentAt", "receivedAt"];

fn is_event(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    let typed = o.get("type").and_then(Value::as_str).is_some_and(|t| TYPES.contains(&t));
    let who = ["userId", "anonymousId", "previousId"].iter().any(|k| o.contains_key(*k));
    let segmentish =
        ["messageId", "timestamp", "receivedAt", "originalTimestamp", "sentAt"].iter().any(|k| o.contains_key(*k));
    typed && who && segmentish
}

fn batch(v: &Value) -> Option<&Vec<Value>> {
    v.get("batch").and_then(Value::as_array)
}

impl Importer for Segment {
    fn id(&self) -> &'static str {
        "segment"
    }

    fn name(&self) -> &'static str {
        "Segment events"
    }

    fn detect(&self, sniff: &Sniff) -> u8 {
        match &sniff.first_record {
            Some(v) if is_event(v) => 90,
            Some(v) if batch(v).and_then(|b| b.first()).is_some_and(is_event) => 90,
            _ => 0,
        }
    }

    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError> {
        file.for_each_json(&mut |file, rec| {
            if let Some(items) = batch(&rec.value) {
                for (i, item) in items.iter().enumerate() {
                    let locator = pointer(&rec.locator, &format!("batch/{i}"));
                    import_event(file, &locator, rec.line, item)?;
                }
                return Ok(());
            }
            let JsonRecord { locator, line, value } = rec;
            let locator = if locator.is_empty() { "/".to_string() } else { locator };
            import_event(file, &locator, line, &value)
        })
    }
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A string or number id as text (Segment ids are strings, but numbers occur).
fn id_text(o: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

/// The identifiers an event carries: its subject first (userId, else anonymousId), then the
/// others to link to it.
struct Who {
    subject: Identifier,
    linked: Vec<Identifier>,
}

fn who(o: &Map<String, Value>, locator: &str) -> Result<Who, (String, String, String)> {
    let err = |field: &str, msg: String| (pointer(locator, field), field.to_string(), msg);
    let user = id_text(o, "userId").map_err(|m| err("userId", m))?;
    let anon = id_text(o, "anonymousId").map_err(|m| err("anonymousId", m))?;
    let previous = id_text(o, "previousId").map_err(|m| err("previousId", m))?;
    let mut ids = Vec::new();
    if let Some(u) = &user {
        ids.push(Identifier::system("segment", "user", u).map_err(|e| err("userId", e.to_string()))?);
    }
    if let Some(a) = &anon {
        ids.push(Identifier::system("segment", "anonymous", a).map_err(|e| err("anonymousId", e.to_string()))?);
    }
    if let Some(p) = &previous {
        // `alias` names the id the user had before; Segment writes either kind there.
        ids.push(Identifier::system("segment", "user", p).map_err(|e| err("previousId", e.to_string()))?);
    }
    let traits = o
        .get("traits")
        .and_then(Value::as_object)
        .or_else(|| o.get("context").and_then(|c| c.get("traits")).and_then(Value::as_object));
    if let Some(email) = traits.and_then(|t| text(t, "email")) {
        match Identifier::email(email) {
            Ok(e) => ids.push(e),
            Err(e) => return Err(err("traits/email", e.to_string())),
        }
    }
    let mut it = ids.into_iter();
    let subject =
        it.next().ok_or_else(|| err("userId", "neither userId nor anonymousId: no way to tell who this is".into()))?;
    Ok(Who { subject, linked: it.collect() })
}

fn time(file: &FileImport<'_>, o: &Map<String, Value>, locator: &str) -> Result<Timestamp, (String, String, String)> {
    for key in TIME_FIELDS {
        if let Some(t) = o.get(*key).filter(|v| !v.is_null()) {
            let Some(s) = t.as_str() else {
                return Err((pointer(locator, key), key.to_string(), format!("{key} must be an ISO 8601 string")));
            };
            return file.time(s).map_err(|e| (pointer(locator, key), key.to_string(), e.to_string()));
        }
    }
    Err((pointer(locator, "timestamp"), "timestamp".into(), "missing timestamp".into()))
}

/// What a record becomes, decided before anything is stored.
enum Plan {
    /// Identity only (identify, alias).
    Links,
    /// Kept and reported, no event.
    Unmapped(String),
    Preferences {
        at: Timestamp,
        prefs: Vec<(String, Option<bool>)>,
        malformed: Vec<String>,
    },
    Activities {
        at: Timestamp,
        events: Vec<(EventKind, String, Option<String>)>,
    },
}

fn import_event(file: &mut FileImport<'_>, locator: &str, line: Option<u64>, value: &Value) -> Result<(), ImportError> {
    let raw = value.to_string();
    let Some(o) = value.as_object() else {
        return file.reject(locator, None, "expected a JSON object (one Segment event)", Some(&raw));
    };
    let kind = match o.get("type").and_then(Value::as_str) {
        Some(t) => t.to_string(),
        None => return file.reject(&pointer(locator, "type"), Some("type"), "missing event type", Some(&raw)),
    };
    let who = match who(o, locator) {
        Ok(w) => w,
        Err((at, field, msg)) => return file.reject(&at, Some(&field), &msg, Some(&raw)),
    };
    let plan = match plan(file, o, locator, &kind) {
        Ok(p) => p,
        Err((at, field, msg)) => return file.reject(&at, Some(&field), &msg, Some(&raw)),
    };
    let row = file.row(locator, line, &raw)?;
    for other in &who.linked {
        file.link(row, &who.subject, other, &format!("same Segment {kind} event"))?;
    }
    if kind == "identify" {
        if let Some(traits) = o.get("traits").and_then(Value::as_object) {
            for (keys, attribute) in [
                (&["firstName", "first_name"][..], "first_name"),
                (&["lastName", "last_name"][..], "last_name"),
                (&["birthday", "dateOfBirth"][..], "date_of_birth"),
            ] {
                if let Some(v) = keys.iter().find_map(|k| text(traits, k)) {
                    file.attribute(row, &who.subject, attribute, v)?;
                }
            }
        }
    }
    let evidence = evidence_of(o);
    match plan {
        Plan::Links => {}
        Plan::Unmapped(message) => file.warn(locator, Some("event"), &message)?,
        Plan::Preferences { at, prefs, malformed } => {
            for category in &malformed {
                file.warn(
                    &pointer(locator, &format!("context/consent/categoryPreferences/{category}")),
                    Some("categoryPreferences"),
                    &format!("category '{category}' is not true or false; left out (neither a grant nor a refusal)"),
                )?;
            }
            for (category, given) in prefs {
                let kind = if given == Some(true) { EventKind::ConsentGiven } else { EventKind::ConsentNegative };
                let mut evidence = evidence.clone();
                if given.is_none() {
                    evidence.insert("category_missing".into(), Value::Bool(true));
                }
                consent(file, row, locator, &who.subject, kind, &at, category, evidence)?;
            }
        }
        Plan::Activities { at, events } => {
            for (kind, purpose, recipient) in events {
                let draft = EventDraft {
                    subject: Some(who.subject.clone()),
                    kind: Some(kind),
                    occurred_at: Some(at.clone()),
                    purpose_label: Some(purpose),
                    recipients: recipient.into_iter().collect(),
                    evidence: evidence.clone(),
                    ..Default::default()
                };
                file.event(row, locator, draft)?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn consent(
    file: &mut FileImport<'_>,
    row: RowId,
    locator: &str,
    subject: &Identifier,
    kind: EventKind,
    at: &Timestamp,
    category: String,
    evidence: BTreeMap<String, Value>,
) -> Result<(), ImportError> {
    let draft = EventDraft {
        subject: Some(subject.clone()),
        kind: Some(kind),
        occurred_at: Some(at.clone()),
        purpose_label: Some(category),
        channel: Some("web".into()),
        evidence,
        ..Default::default()
    };
    file.event(row, locator, draft)?;
    Ok(())
}

fn plan(
    file: &FileImport<'_>,
    o: &Map<String, Value>,
    locator: &str,
    kind: &str,
) -> Result<Plan, (String, String, String)> {
    match kind {
        "identify" | "alias" => Ok(Plan::Links),
        "track" => {
            let Some(event) = text(o, "event") else {
                return Err((pointer(locator, "event"), "event".into(), "a track call without an event name".into()));
            };
            if event.eq_ignore_ascii_case(CONSENT_EVENT) {
                let at = time(file, o, locator)?;
                let prefs_at = "context/consent/categoryPreferences";
                let prefs = o
                    .get("context")
                    .and_then(|c| c.get("consent"))
                    .and_then(|c| c.get("categoryPreferences"))
                    .ok_or_else(|| {
                        (
                            pointer(locator, prefs_at),
                            "categoryPreferences".to_string(),
                            "missing context.consent.categoryPreferences".to_string(),
                        )
                    })?
                    .as_object()
                    .ok_or_else(|| {
                        (
                            pointer(locator, prefs_at),
                            "categoryPreferences".to_string(),
                            "categoryPreferences must be an object".to_string(),
                        )
                    })?;
                let (stated, malformed) = preferences(file, prefs);
                return Ok(Plan::Preferences { at, prefs: stated, malformed });
            }
            let activities: Vec<_> = file
                .profile()
                .activities
                .iter()
                .filter(|a| a.system.eq_ignore_ascii_case("segment") && a.event.trim().eq_ignore_ascii_case(event))
                .cloned()
                .collect();
            if activities.is_empty() {
                return Ok(Plan::Unmapped(format!(
                    "track event '{event}' is not mapped to processing or disclosure; add a 'segment' activity to the profile"
                )));
            }
            let at = time(file, o, locator)?;
            let mut events = Vec::new();
            for a in activities {
                let kind = match a.kind.trim().to_ascii_lowercase().as_str() {
                    "processing" => EventKind::Processing,
                    "disclosure" => EventKind::Disclosure,
                    other => {
                        return Err((
                            pointer(locator, "event"),
                            "event".into(),
                            format!(
                                "profile activity for '{event}' has kind '{other}' (expected processing or disclosure)"
                            ),
                        ))
                    }
                };
                let recipient = match (&a.recipient_property, kind) {
                    (Some(prop), _) => {
                        let value = o.get("properties").and_then(|p| p.get(prop.as_str()));
                        match value.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()) {
                            Some(r) => Some(r.to_string()),
                            None if kind == EventKind::Disclosure => {
                                return Err((
                                    pointer(locator, &format!("properties/{prop}")),
                                    format!("properties.{prop}"),
                                    format!("'{event}' is a disclosure but properties.{prop} names no recipient"),
                                ))
                            }
                            None => None,
                        }
                    }
                    (None, EventKind::Disclosure) => {
                        return Err((
                            pointer(locator, "properties"),
                            "properties".into(),
                            format!("'{event}' is a disclosure but its profile activity has no recipient_property"),
                        ))
                    }
                    (None, _) => None,
                };
                events.push((kind, a.purpose.clone(), if kind == EventKind::Disclosure { recipient } else { None }));
            }
            Ok(Plan::Activities { at, events })
        }
        other => Ok(Plan::Unmapped(format!("a '{other}' call is not a consent, processing or disclosure fact; kept"))),
    }
}

/// The categories a preferences event states: those it names (true / false) and, as missing
/// (`None`), every purpose with a `segment` alias it does not cover. Returns the malformed
/// categories apart.
fn preferences(file: &FileImport<'_>, prefs: &Map<String, Value>) -> (Vec<(String, Option<bool>)>, Vec<String>) {
    let profile = file.profile();
    let mut stated = Vec::new();
    let mut malformed = Vec::new();
    let mut covered = BTreeSet::new();
    for (category, value) in prefs {
        if let Some(p) = profile.resolve_purpose("segment", category) {
            covered.insert(p.id.clone());
        }
        match value {
            Value::Bool(b) => stated.push((category.clone(), Some(*b))),
            _ => malformed.push(category.clone()),
        }
    }
    // Stored in name order whatever order the JSON object had, so a re-export with keys in
    // another order is recognised as the same facts.
    stated.sort();
    for p in &profile.purposes {
        if covered.contains(&p.id) {
            continue;
        }
        if let Some(label) = p.aliases.get("segment").and_then(|labels| labels.iter().find(|a| a.as_str() != "*")) {
            stated.push((label.clone(), None));
        }
    }
    (stated, malformed)
}

/// Evidence as Segment gives it: message id, IP, user agent, page.
fn evidence_of(o: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut e = BTreeMap::new();
    if let Some(v) = o.get("messageId") {
        e.insert("messageId".into(), v.clone());
    }
    if let Some(event) = o.get("event") {
        e.insert("event".into(), event.clone());
    }
    if let Some(ctx) = o.get("context").and_then(Value::as_object) {
        for key in ["ip", "userAgent"] {
            if let Some(v) = ctx.get(key) {
                e.insert(key.into(), v.clone());
            }
        }
        if let Some(url) = ctx.get("page").and_then(|p| p.get("url")) {
            e.insert("page_url".into(), url.clone());
        }
    }
    e
}
