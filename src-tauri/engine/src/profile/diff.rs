//! What replacing one profile with another changes, in lines a person reads before confirming an
//! import: items added, removed or changed, named by what identifies them.

use std::collections::BTreeMap;

use super::{Activity, CollectionPoint, Profile};

/// The changes from `old` to `new`, one line each; empty when the documents are the same.
pub fn changes(old: &Profile, new: &Profile) -> Vec<String> {
    let mut lines = Vec::new();
    if old.organisation != new.organisation {
        lines.push(format!("Organisation: {} → {}", describe_org(old), describe_org(new)));
    }
    keyed(&mut lines, "Purpose", &old.purposes, &new.purposes, |p| p.id.clone());
    keyed(&mut lines, "Collection point", &old.collection_points, &new.collection_points, collection_point_key);
    keyed(&mut lines, "Activity", &old.activities, &new.activities, activity_key);
    keyed(&mut lines, "Notice", &old.notices, &new.notices, |n| n.version.clone());
    keyed(&mut lines, "Third party", &old.third_parties, &new.third_parties, |t| t.legal_name.clone());
    if old.policy != new.policy {
        let (a, b) = (serde_json::to_value(&old.policy), serde_json::to_value(&new.policy));
        if let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (a, b) {
            for (field, before) in &a {
                let after = b.get(field).unwrap_or(&serde_json::Value::Null);
                if before != after {
                    lines.push(format!("Policy {field}: {before} → {after}"));
                }
            }
        }
    }
    lines
}

fn describe_org(p: &Profile) -> String {
    let o = &p.organisation;
    let extras: Vec<&str> = [o.country.as_deref(), o.contact.as_deref()].into_iter().flatten().collect();
    if extras.is_empty() {
        o.name.clone()
    } else {
        format!("{} ({})", o.name, extras.join(", "))
    }
}

fn collection_point_key(c: &CollectionPoint) -> String {
    format!("{} / {}", c.system, c.label)
}

fn activity_key(a: &Activity) -> String {
    format!("{} / {}", a.system, a.event)
}

/// Added, removed and changed items of one list, matched by `key` (repeated keys by position).
fn keyed<T: PartialEq>(lines: &mut Vec<String>, what: &str, old: &[T], new: &[T], key: impl Fn(&T) -> String) {
    let index = |items: &[T]| {
        let mut map: BTreeMap<(String, usize), usize> = BTreeMap::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (at, item) in items.iter().enumerate() {
            let k = key(item);
            let n = seen.entry(k.clone()).or_insert(0);
            map.insert((k, *n), at);
            *n += 1;
        }
        map
    };
    let (before, after) = (index(old), index(new));
    for (k, &at) in &after {
        match before.get(k) {
            None => lines.push(format!("{what} added: {}", k.0)),
            Some(&was) if old[was] != new[at] => lines.push(format!("{what} changed: {}", k.0)),
            Some(_) => {}
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            lines.push(format!("{what} removed: {}", k.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_is_added_removed_and_changed() {
        let old = Profile::builtin();
        assert!(changes(&old, &old).is_empty());
        let mut new = old.clone();
        new.organisation.name = "Fernhill Outdoor Ltd".into();
        new.purposes.retain(|p| p.id != "sms-marketing");
        new.purposes[0].label = "Newsletters".into();
        new.collection_points.push(CollectionPoint {
            system: "web".into(),
            label: "Footer form".into(),
            method: Some("checkbox".into()),
            collected_by: None,
            notice_version: None,
        });
        new.policy.withdrawal_grace_hours = 72;
        assert_eq!(
            changes(&old, &new),
            vec![
                "Organisation: My Organisation → Fernhill Outdoor Ltd",
                "Purpose changed: email-marketing",
                "Purpose removed: sms-marketing",
                "Collection point added: web / Footer form",
                "Policy withdrawal_grace_hours: 48 → 72",
            ]
        );
    }
}
