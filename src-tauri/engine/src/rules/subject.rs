//! One subject's evaluation, written once for the audit and the packs: the subject's stable
//! key (which finding ids rest on), its dates of birth, the rule context built from them and
//! the rules run over it. The audit and a subject pack must give a subject the same findings
//! with the same ids, so neither builds these pieces itself.

use std::collections::{BTreeMap, HashMap};

use super::context::{FindingSink, SubjectContext};
use super::{registry, Finding, Rule};
use crate::model::Identifier;
use crate::profile::{Profile, Purpose};
use crate::reconcile::state::PurposeHistory;
use crate::reconcile::timeline::TimelineEvent;
use crate::store::identity;
use crate::store::StoreError;

/// A date of birth and the system that recorded it.
pub type BirthDate = (chrono::NaiveDate, String);

/// The profile's purposes by id, as the rule context looks them up.
pub fn purposes_by_id(profile: &Profile) -> BTreeMap<String, &Purpose> {
    profile.purposes.iter().map(|p| (p.id.clone(), p)).collect()
}

/// How an identifier kind ranks for the subject key: e-mail before phone before any system id.
fn key_rank(kind: &str) -> u8 {
    match kind {
        "email" => 0,
        "phone" => 1,
        _ => 2,
    }
}

/// Folds identifiers into the best key candidate so far: the lowest (rank, display text).
fn better_key(best: &mut Option<(u8, String)>, kind: &str, value: &str) {
    let rank = key_rank(kind);
    if best.as_ref().is_some_and(|(r, _)| *r < rank) {
        return;
    }
    let candidate = (rank, Identifier { kind: kind.to_string(), value: value.to_string() }.to_string());
    if best.as_ref().is_none_or(|b| candidate < *b) {
        *best = Some(candidate);
    }
}

/// The key that makes finding ids stable: the subject's first e-mail, else phone, else system
/// identifier (sorted), so that it does not depend on import order. A subject with no
/// identifier is named by its id.
pub fn subject_key<'a>(subject_id: i64, identifiers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut best = None;
    for (kind, value) in identifiers {
        better_key(&mut best, kind, value);
    }
    best.map(|(_, k)| k).unwrap_or_else(|| format!("subject:{subject_id}"))
}

/// Every subject's [`subject_key`] in one pass over the identifiers (subjects with no
/// identifier are absent: [`subject_key`] names them by id).
pub fn subject_keys(conn: &rusqlite::Connection) -> Result<HashMap<i64, String>, StoreError> {
    subject_keys_between(conn, i64::MIN, i64::MAX)
}

/// [`subject_keys`] of the subjects with ids from `first` to `last` (inclusive).
pub fn subject_keys_between(
    conn: &rusqlite::Connection,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, String>, StoreError> {
    let mut keys: HashMap<i64, Option<(u8, String)>> = HashMap::new();
    identity::for_each_identifier_between(conn, first, last, |subject, kind, value| {
        better_key(keys.entry(subject).or_default(), kind, value)
    })?;
    Ok(keys.into_iter().filter_map(|(s, k)| Some((s, k?.1))).collect())
}

/// A subject's dates of birth from the `date_of_birth` values sources recorded, with their
/// systems: ordered by value then system (whatever order they are given in), values that do not
/// start with a YYYY-MM-DD date left out.
pub fn birth_dates<'a>(recorded: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<BirthDate> {
    let mut recorded: Vec<(&str, &str)> = recorded.into_iter().collect();
    recorded.sort_unstable();
    recorded
        .into_iter()
        .filter_map(|(value, system)| {
            let date = chrono::NaiveDate::parse_from_str(value.trim().get(..10)?, "%Y-%m-%d").ok()?;
            Some((date, system.to_string()))
        })
        .collect()
}

/// Every subject's [`birth_dates`] in one query (subjects with none are absent).
pub fn all_birth_dates(conn: &rusqlite::Connection) -> Result<HashMap<i64, Vec<BirthDate>>, StoreError> {
    birth_dates_between(conn, i64::MIN, i64::MAX)
}

/// [`all_birth_dates`] of the subjects with ids from `first` to `last` (inclusive).
pub fn birth_dates_between(
    conn: &rusqlite::Connection,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, Vec<BirthDate>>, StoreError> {
    let mut recorded: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    identity::for_each_birth_date_between(conn, first, last, |subject, value, system| {
        recorded.entry(subject).or_default().push((value, system))
    })?;
    Ok(recorded
        .into_iter()
        .map(|(subject, values)| (subject, birth_dates(values.iter().map(|(v, s)| (v.as_str(), s.as_str())))))
        .filter(|(_, dates)| !dates.is_empty())
        .collect())
}

/// The rules, the profile and its purposes: what evaluating any subject needs, built once.
pub struct Evaluator<'p> {
    profile: &'p Profile,
    purposes: BTreeMap<String, &'p Purpose>,
    rules: Vec<&'static dyn Rule>,
}

impl<'p> Evaluator<'p> {
    pub fn new(profile: &'p Profile) -> Self {
        Evaluator { profile, purposes: purposes_by_id(profile), rules: registry() }
    }

    /// One subject's findings, in the order the rules raise them (callers sort for display).
    /// `events` are the subject's sorted, resolved timeline events.
    pub fn evaluate(
        &self,
        subject_id: i64,
        subject_key: &str,
        events: &[TimelineEvent],
        birth_dates: Vec<BirthDate>,
    ) -> Vec<Finding> {
        let ctx = SubjectContext {
            profile: self.profile,
            purposes: &self.purposes,
            subject_id,
            subject_key: subject_key.to_string(),
            events,
            histories: PurposeHistory::build_all(events),
            birth_dates,
        };
        let mut sink = FindingSink::default();
        for rule in &self.rules {
            rule.check(&ctx, &mut sink);
        }
        sink.finish(subject_id, subject_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefers_email_then_phone_then_the_lowest_system_id() {
        assert_eq!(
            subject_key(7, [("crm", "9"), ("phone", "+4912"), ("email", "b@x.de"), ("email", "a@x.de")]),
            "a@x.de"
        );
        assert_eq!(subject_key(7, [("crm", "9"), ("phone", "+4912")]), "+4912");
        assert_eq!(subject_key(7, [("crm", "9"), ("appid", "z")]), "appid:z");
        assert_eq!(subject_key(7, []), "subject:7");
    }

    #[test]
    fn birth_dates_are_ordered_by_value_then_system_and_unparsable_ones_dropped() {
        let dates =
            birth_dates([("2001-02-03", "shop"), ("n/a", "crm"), (" 1999-12-31T00:00", "app"), ("2001-02-03", "crm")]);
        let d = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            dates,
            vec![(d("1999-12-31"), "app".into()), (d("2001-02-03"), "crm".into()), (d("2001-02-03"), "shop".into())]
        );
    }
}
