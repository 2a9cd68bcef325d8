//! The Mailchimp + Salesforce + log export set end to end, and how times are stored.

use consenttrail_engine::reconcile::timeline;
use consenttrail_engine::store::identity;

use crate::support::*;

#[test]
fn export_set_joins_people_across_systems_and_lists_every_rejection() {
    let (_dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports")]);
    assert!(!report.any_failed(), "{report:#?}");
    let anna =
        consenttrail_engine::store::identity::subject_of(store.conn(), "ANNA.KOWALSKA@example.pl").unwrap().unwrap();
    let by_sf = consenttrail_engine::store::identity::subject_of(store.conn(), "salesforce:individual:0PK5g000000XyZ1")
        .unwrap()
        .unwrap();
    let by_mc =
        consenttrail_engine::store::identity::subject_of(store.conn(), "mailchimp:euid:a1b2c3d4e5").unwrap().unwrap();
    assert_eq!(anna, by_sf);
    assert_eq!(anna, by_mc);
    let rejected: u64 = report.files.iter().map(|f| f.rows_rejected).sum();
    let listed: usize = report.files.iter().map(|f| f.rejections.len()).sum();
    assert_eq!(rejected as usize, listed);
    assert_eq!(rejected, 8);
}

/// The time text is stored only when the instant does not already say it (migration 0003), yet
/// every reader still sees each time exactly as the file wrote it, with its zone basis.
#[test]
fn times_read_back_as_written_whether_or_not_the_text_is_stored() {
    let (dir, mut store) = temp_store();
    let csv = dir.path().join("times.csv");
    let cases = [
        // (written, stored as written?, zone basis)
        ("2024-02-29T23:59:59Z", false, "explicit"),
        ("1999-12-31T23:59:59Z", false, "explicit"),
        ("2024-03-01T09:30:00.250Z", true, "explicit"),
        ("2024-03-01T09:30:00+01:00", true, "explicit"),
        ("2024-03-01T09:30:00z", true, "explicit"),
        ("2024-03-01 09:30", true, "assumed:UTC"),
        ("1709285400", true, "epoch"),
    ];
    let mut text = String::from("subject,kind,occurred_at,purpose\n");
    for (i, (written, ..)) in cases.iter().enumerate() {
        text.push_str(&format!("p{i}@example.com,consent.given,{written},email-marketing\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let report = import(&mut store, std::slice::from_ref(&csv));
    assert_eq!(report.files[0].rows_imported, cases.len() as u64, "{report:#?}");
    for (i, (written, stored, basis)) in cases.iter().enumerate() {
        let (text, zone, kept): (String, String, Option<String>) = store
            .conn()
            .query_row(
                "SELECT e.occurred_at_text, e.zone_basis, e.occurred_at_written FROM event_details e
                 JOIN identifiers i ON i.id = e.identifier_id WHERE i.value = ?1",
                [format!("p{i}@example.com")],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((text.as_str(), zone.as_str()), (*written, *basis), "case {i}");
        assert_eq!(kept.is_some(), *stored, "case {i}: stored written form {kept:?}");
        let subject = identity::subject_of(store.conn(), &format!("p{i}@example.com")).unwrap().unwrap();
        let timeline = timeline::subject_events(store.conn(), subject).unwrap();
        assert_eq!(timeline[0].occurred_at_text.as_deref(), Some(*written), "timeline, case {i}");
        assert_eq!(timeline[0].zone_basis.as_deref(), Some(*basis), "timeline, case {i}");
    }
}
