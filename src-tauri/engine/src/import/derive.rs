//! What the profile makes of a source's words: the canonical purpose of a label, the legal name
//! of a recipient, and a capture source's method, collector and notice. Used when an event is
//! stored and again (`rederive`) when the profile or a system's own lookups change, so that
//! re-mapping a label never needs the files again.

use rusqlite::Connection;

use super::draft::EventDraft;
use super::ImportError;
use crate::model::Method;
use crate::profile::Profile;
use crate::store::events::write::{self as event_store, PurposeMap};
use crate::store::{labels, StoreError};

pub use crate::store::events::write::UnmappedLabel;

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
    let looked_up = labels::latest_purpose_name(conn, system, label)?;
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
        let gvl_name = labels::gvl_vendor_name(conn, &format!("{version}:{id}"))?;
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
    let purpose_labels = event_store::purpose_labels(conn, only_system)?;
    // One pass over the events with a temporary mapping table, rather than one scan per label.
    let mut map = PurposeMap::create(conn)?;
    for (system, label) in purpose_labels {
        let purpose = resolve_purpose(conn, profile, &system, label.as_deref())?;
        let channel = purpose
            .as_deref()
            .and_then(|id| profile.purposes.iter().find(|p| p.id == id))
            .and_then(|p| p.channel.as_deref());
        map.insert(&system, label.as_deref(), purpose.as_deref(), channel)?;
    }
    changed += map.apply(only_system)?;
    for label in event_store::recipient_labels(conn)? {
        let legal = resolve_recipient(conn, profile, &label)?;
        changed += event_store::set_recipient_legal_name(conn, &label, legal.as_deref())?;
    }
    for (system, capture) in event_store::capture_sources(conn, only_system)? {
        let cp = profile.collection_point(&system, &capture);
        let method = cp.and_then(|c| c.method.as_deref());
        let by = cp.and_then(|c| c.collected_by.as_deref());
        let notice = cp.and_then(|c| c.notice_version.as_deref());
        changed += event_store::apply_collection_point(conn, &system, &capture, method, by, notice)?;
    }
    Ok(changed)
}

/// Purpose labels no profile purpose maps (they become mappable by adding an alias).
pub fn unmapped_purpose_labels(conn: &Connection) -> Result<Vec<UnmappedLabel>, StoreError> {
    event_store::unmapped_purpose_labels(conn)
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

/// Removes a source and everything it brought (see [`crate::store::sources::remove`]), then
/// re-derives the stored events under the profile in force, in the same transaction: the
/// lookups the source provided (e.g. Salesforce purpose names) may have named other sources'
/// labels. The store does the removal; this is where the profile is applied again.
pub fn remove_source(conn: &mut Connection, source_id: i64) -> Result<usize, StoreError> {
    crate::store::sources::remove(conn, source_id, |tx| {
        let profile = crate::store::profile_doc::load(tx)?;
        rederive(tx, &profile, None)?;
        Ok(())
    })
}
