//! The Mailchimp + Salesforce + log export set end to end.

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
