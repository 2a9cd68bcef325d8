//! "Try with sample data" (issue 16 item 1): the embedded demo set imports with nothing
//! rejected and plants one or more findings of every rule a new user should see.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use consenttrail_engine::ops;
use consenttrail_engine::sample;

use crate::support::temp_store;

#[test]
fn sample_data_imports_cleanly_and_plants_each_kind_of_finding() {
    let (dir, mut store) = temp_store();
    let exports = dir.path().join("sample-exports");
    let cancel = AtomicBool::new(false);
    let imported = ops::import_sample(&mut store, &exports, &mut |_| {}, &mut |_, _| {}, &cancel).unwrap();

    assert_eq!(imported.report.files.len(), sample::FILES.len(), "every embedded file is imported");
    for file in &imported.report.files {
        assert_eq!(file.status, "imported", "{}: {:?}", file.path, file.status);
        assert_eq!(file.rows_rejected, 0, "{}: rows rejected", file.path);
    }
    let audit = imported.audit.expect("the import is followed by an audit");
    assert!(audit.subjects >= 45, "about 50 fictional people, got {}", audit.subjects);

    let found: BTreeSet<(String, String)> = store
        .conn()
        .prepare("SELECT rule, subject_key FROM findings")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let planted = [
        ("R1", "oskar.lindgren@example.se"),
        ("R1", "hamid.rahimi@example.org"),
        ("R2", "nora.ahmadi@example.org"),
        ("R2", "maria.sokolova@example.ru"),
        ("R3", "daniel.cohen@example.il"),
        ("R4", "wang.fang@example.cn"),
        ("R5", "tunde.adeyemi@example.ng"),
        ("R6", "sofia.romero@example.es"),
        ("R7", "kostas.pappas@example.gr"),
        ("R8", "fiona.macleod@example.co.uk"),
        ("R9", "arjun.mehta@example.in"),
        ("R10", "lea.hoffmann@example.de"),
    ];
    for (rule, subject) in planted {
        assert!(
            found.iter().any(|(r, s)| r == rule && s.ends_with(subject)),
            "the sample should plant {rule} for {subject}; found {found:?}"
        );
    }
    // The thirty clean people stay clean: the findings are the planted ones, not noise.
    assert_eq!(found.len(), 19, "{found:?}");
    assert!(!found.iter().any(|(_, s)| s.ends_with("@example.org") && s.contains("hughes")));
}

#[test]
fn sample_data_puts_the_fictional_organisations_profile_in_force() {
    let (dir, mut store) = temp_store();
    let cancel = AtomicBool::new(false);
    ops::import_sample(&mut store, &dir.path().join("x"), &mut |_| {}, &mut |_, _| {}, &cancel).unwrap();
    let profile = ops::export_profile(&store).unwrap();
    assert!(profile.contains("Alder & Finch Outdoor Ltd (fictional)"), "{profile}");
}
