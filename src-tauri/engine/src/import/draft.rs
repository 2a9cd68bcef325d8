//! What an importer hands over for each fact it reads: its own file so that `derive` (which
//! works on drafts) and `context` (which calls `derive`) do not import each other.

use std::collections::BTreeMap;

use crate::model::{EventKind, Identifier, Method, Timestamp};

/// One fact an importer found, before it is stored.
#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub subject: Option<Identifier>,
    pub kind: Option<EventKind>,
    pub occurred_at: Option<Timestamp>,
    /// The purpose as the source names it (an alias, a Salesforce DataUsePurpose id …).
    pub purpose_label: Option<String>,
    /// Recipients as the source names them.
    pub recipients: Vec<String>,
    pub channel: Option<String>,
    pub method: Option<Method>,
    pub capture_source: Option<String>,
    pub collected_by: Option<String>,
    pub notice_version: Option<String>,
    /// Evidence as given (IP, user agent, form URL, receipt id, TC string …).
    pub evidence: BTreeMap<String, serde_json::Value>,
    /// The system that recorded the fact when it differs from the importer's (canonical files
    /// carry the original system).
    pub system: Option<String>,
}
