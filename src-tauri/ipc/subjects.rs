//! Subject commands: the paged list, one subject's timeline and an event's raw source row.

use consenttrail_engine::reconcile::state::{state_bars, PurposeBars};
use consenttrail_engine::reconcile::subjects::{self, RecordedAttribute, RecordedName, SubjectPage, SubjectQuery};
use consenttrail_engine::reconcile::timeline::{self, TimelineEvent};
use consenttrail_engine::rules::audit::stored_findings;
use consenttrail_engine::rules::browse::{self, FindingView, SubjectRef};
use consenttrail_engine::store::sources::{self, EventSource};
use serde::Serialize;
use tauri::{AppHandle, Runtime};

use super::state::with_reader_blocking;
use super::{IpcError, IpcErrorCode};

/// A page of subjects matching a search, sorted (paging and sorting in SQLite; the order of a
/// sort by counts is kept for the next pages while the database does not change).
#[tauri::command]
pub async fn list_subjects<R: Runtime>(app: AppHandle<R>, query: SubjectQuery) -> Result<SubjectPage, IpcError> {
    with_reader_blocking(app, move |store| Ok(store.subject_page(&query)?)).await
}

/// Everything the timeline screen shows. Mirrored by `SubjectTimeline` in ui/src/api/backend.ts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SubjectTimeline {
    pub subject: SubjectRef,
    pub attributes: Vec<RecordedAttribute>,
    /// The person's names as recorded, most agreed first; more than one: the sources disagree.
    pub names: Vec<RecordedName>,
    pub events: Vec<TimelineEvent>,
    pub state_bars: Vec<PurposeBars>,
    pub findings: Vec<FindingView>,
}

/// One subject's events, consent-state bars and findings.
#[tauri::command]
pub async fn subject_timeline<R: Runtime>(app: AppHandle<R>, subject_id: i64) -> Result<SubjectTimeline, IpcError> {
    with_reader_blocking(app, move |store| {
        let conn = store.conn();
        let subject = browse::subject_ref(conn, subject_id)?;
        if subject.identifiers.is_empty() {
            return Err(IpcError::new(
                IpcErrorCode::NotFound,
                format!("no subject {subject_id} (it may have been removed with its source)"),
            ));
        }
        let events = timeline::subject_events(conn, subject_id)?;
        let findings = browse::views(conn, &stored_findings(conn, None, Some(subject_id))?)?;
        Ok(SubjectTimeline {
            attributes: subjects::attributes_of(conn, subject_id)?,
            names: subjects::names_of(conn, subject_id)?,
            state_bars: state_bars(&events),
            events,
            findings,
            subject,
        })
    })
    .await
}

/// The raw source row an event came from.
#[tauri::command]
pub async fn event_source<R: Runtime>(app: AppHandle<R>, event_id: i64) -> Result<EventSource, IpcError> {
    with_reader_blocking(app, move |store| {
        sources::event_source(store.conn(), event_id)?
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotFound, format!("no event {event_id}")))
    })
    .await
}
