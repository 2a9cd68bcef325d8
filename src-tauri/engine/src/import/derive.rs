//! What the profile makes of a source's words: the canonical purpose of a label, the legal name
//! of a recipient, and a capture source's method, collector and notice. Used when an event is
//! stored and again (`rederive`) when the profile or a system's own lookups change, so that
//! re-mapping a label never needs the files again.

use rusqlite::{params, Connection, OptionalExtension};

use super::context::EventDraft;
use super::ImportError;
use crate::model::Method;
use crate::profile::Profile;
use crate::store::StoreError;

/// The profile-dependent fields of one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub purpose: Option<String>,
    pub channel: Option<String>,
    pub recipients: Vec<Option<String>>,
    pub method: Option<Method>,
    pub collected_by: Option<String>,
    pub notice_version: Option<String>,
}

/// The canonical purpose id for a label from `system`, looking through the system's own
/// lookups (e.g. a Salesforce DataUsePurpose id → its name) when the label itself is unknown.
pub fn resolve_purpose(
    conn: &Connection,
    profile: &Profile,
    system: &str,
    label: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let label = label.unwrap_or("");
    if let Some(p) = profile.resolve_purpose(system, label) {
        if !label.is_empty() || profile.wildcard_purpose(system).is_some() {
            return Ok(Some(p.id.clone()));
        }
    }
    if label.is_empty() {
        return Ok(None);
    }
    let looked_up: Option<String> = conn
        .prepare_cached("SELECT value FROM label_lookups WHERE system = ?1 AND kind = 'purpose' AND key = ?2 ORDER BY source_id DESC LIMIT 1")?
        .query_row(params![system, label], |r| r.get(0))
        .optional()?;
    Ok(looked_up.and_then(|name| profile.resolve_purpose(system, &name).map(|p| p.id.clone())))
}

/// Recipient labels for IAB TCF vendors: `tcf:vendor:<id>@<vendorListVersion>`.
pub fn tcf_vendor_label(vendor_id: u32, vendor_list_version: u32) -> String {
    format!("tcf:vendor:{vendor_id}@{vendor_list_version}")
}

fn parse_tcf_vendor_label(label: &str) -> Option<(u32, u32)> {
    let rest = label.strip_prefix("tcf:vendor:")?;
    let (id, version) = rest.split_once('@')?;
    Some((id.parse().ok()?, version.parse().ok()?))
}

/// The legal name of a recipient as a source names it: through the profile's third parties
/// (legal name, aliases); a TCF vendor through `tcf_vendor_ids` first, then the name the Global
/// Vendor List of the string's version gives it (imported like any file).
pub fn resolve_recipient(conn: &Connection, profile: &Profile, label: &str) -> Result<Option<String>, StoreError> {
    if let Some((id, version)) = parse_tcf_vendor_label(label) {
        if let Some(t) = profile.third_parties.iter().find(|t| t.tcf_vendor_ids.contains(&id)) {
            return Ok(Some(t.legal_name.clone()));
        }
        let gvl_name: Option<String> = conn
            .prepare_cached(
                "SELECT value FROM label_lookups WHERE system = 'tcf' AND kind = 'gvl-vendor' AND key = ?1
                 ORDER BY source_id DESC LIMIT 1",
            )?
            .query_row(params![format!("{version}:{id}")], |r| r.get(0))
            .optional()?;
        return Ok(
            gvl_name.map(|name| profile.resolve_third_party(&name).map(|t| t.legal_name.clone()).unwrap_or(name))
        );
    }
    Ok(profile.resolve_third_party(label).map(|t| t.legal_name.clone()))
}

/// Derives the profile-dependent fields of a draft (the collection point's method, collector
/// and notice, not yet merged with what the row itself states).
pub fn derive(conn: &Connection, profile: &Profile, system: &str, d: &EventDraft) -> Result<Derived, ImportError> {
    let purpose = resolve_purpose(conn, profile, system, d.purpose_label.as_deref())?;
    let channel =
        purpose.as_deref().and_then(|id| profile.purposes.iter().find(|p| p.id == id)).and_then(|p| p.channel.clone());
    let recipients = d.recipients.iter().map(|r| resolve_recipient(conn, profile, r)).collect::<Result<Vec<_>, _>>()?;
    let cp = d.capture_source.as_deref().and_then(|label| profile.collection_point(system, label));
    let cp_method = cp.and_then(|c| c.method.as_deref()).and_then(|m| m.parse::<Method>().ok());
    // Only what the profile says: the caller lets the row's own statements override these.
    Ok(Derived {
        purpose,
        channel,
        recipients,
        method: cp_method,
        collected_by: cp.and_then(|c| c.collected_by.clone()),
        notice_version: cp.and_then(|c| c.notice_version.clone()),
    })
}

/// Re-applies the profile (and the systems' lookups) to stored events, optionally for one system.
/// Returns the number of events whose derived fields changed.
pub fn rederive(conn: &Connection, profile: &Profile, only_system: Option<&str>) -> Result<usize, StoreError> {
    let mut changed = 0;
    let labels: Vec<(String, Option<String>)> = {
        let mut stmt =
            conn.prepare("SELECT DISTINCT system, purpose_label FROM events WHERE (?1 IS NULL OR system = ?1)")?;
        let rows = stmt.query_map(params![only_system], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    // One pass over the events with a temporary mapping table, rather than one scan per label.
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.purpose_map;
         CREATE TEMP TABLE purpose_map (system TEXT NOT NULL, label TEXT, purpose TEXT, channel TEXT);
         CREATE INDEX temp.purpose_map_key ON purpose_map (system, label);",
    )?;
    {
        let mut insert =
            conn.prepare("INSERT INTO temp.purpose_map (system, label, purpose, channel) VALUES (?1, ?2, ?3, ?4)")?;
        for (system, label) in labels {
            let purpose = resolve_purpose(conn, profile, &system, label.as_deref())?;
            let channel = purpose
                .as_deref()
                .and_then(|id| profile.purposes.iter().find(|p| p.id == id))
                .and_then(|p| p.channel.clone());
            insert.execute(params![system, label, purpose, channel])?;
        }
    }
    changed += conn.execute(
        "UPDATE events SET
            purpose = (SELECT m.purpose FROM temp.purpose_map m WHERE m.system = events.system AND m.label IS events.purpose_label),
            channel = COALESCE((SELECT m.channel FROM temp.purpose_map m WHERE m.system = events.system AND m.label IS events.purpose_label), channel)
         WHERE (?1 IS NULL OR system = ?1)
           AND purpose IS NOT (SELECT m.purpose FROM temp.purpose_map m WHERE m.system = events.system AND m.label IS events.purpose_label)",
        params![only_system],
    )?;
    conn.execute_batch("DROP TABLE temp.purpose_map;")?;
    let recipient_labels: Vec<String> = {
        let mut stmt = conn.prepare("SELECT DISTINCT label FROM event_recipients")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for label in recipient_labels {
        let legal = resolve_recipient(conn, profile, &label)?;
        changed += conn.execute(
            "UPDATE event_recipients SET legal_name = ?2 WHERE label = ?1 AND legal_name IS NOT ?2",
            params![label, legal],
        )?;
    }
    let captures: Vec<(String, String)> = {
        let mut stmt = conn.prepare(
            "SELECT DISTINCT system, capture_source FROM events WHERE capture_source IS NOT NULL AND (?1 IS NULL OR system = ?1)",
        )?;
        let rows = stmt.query_map(params![only_system], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (system, capture) in captures {
        let cp = profile.collection_point(&system, &capture);
        let method = cp.and_then(|c| c.method.clone());
        let by = cp.and_then(|c| c.collected_by.clone());
        let notice = cp.and_then(|c| c.notice_version.clone());
        changed += conn.execute(
            "UPDATE events SET method = COALESCE(method_stated, ?3), collected_by = COALESCE(collected_by_stated, ?4),
                notice_version = COALESCE(notice_stated, ?5)
             WHERE system = ?1 AND capture_source = ?2
               AND (method IS NOT COALESCE(method_stated, ?3) OR collected_by IS NOT COALESCE(collected_by_stated, ?4)
                    OR notice_version IS NOT COALESCE(notice_stated, ?5))",
            params![system, capture, method, by, notice],
        )?;
    }
    Ok(changed)
}

/// A label the profile does not map yet, with how many events carry it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnmappedLabel {
    pub system: String,
    pub label: String,
    pub events: i64,
}

/// Purpose labels no profile purpose maps (they become mappable by adding an alias).
pub fn unmapped_purpose_labels(conn: &Connection) -> Result<Vec<UnmappedLabel>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT system, purpose_label, count(*) FROM events WHERE purpose IS NULL AND purpose_label IS NOT NULL
         GROUP BY system, purpose_label ORDER BY system, purpose_label",
    )?;
    let rows = stmt.query_map([], |r| Ok(UnmappedLabel { system: r.get(0)?, label: r.get(1)?, events: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Puts `profile` in force: saves it, re-derives every stored event's purpose, recipients and
/// collection point from the files' own labels (no re-import needed) and records the change in
/// the audit log, all in one transaction. Returns how many events changed.
pub fn apply_profile(
    store: &mut crate::store::Store,
    profile: &Profile,
    detail: serde_json::Value,
) -> Result<usize, StoreError> {
    store.with_tx(|tx| {
        crate::store::profile_doc::save(tx, profile)?;
        let changed = rederive(tx, profile, None)?;
        let mut detail = detail;
        if let Some(map) = detail.as_object_mut() {
            map.insert("events_rederived".into(), changed.into());
        }
        crate::store::audit_log::record(tx, "profile-import", &detail)?;
        Ok(changed)
    })
}
