//! The per-subject counts table (store migration 0005) the subject list sorts on: after every
//! use case that changes the data (import, remove-source, profile save, audit) it holds exactly
//! what counting the rows gives — or nothing, and the list counts rows itself — and the list
//! sorted by findings or events is the order those fresh counts give. Property-style: random
//! files, in random order, a random source removed (proptest, 8 cases).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use proptest::prelude::*;

use consenttrail_engine::import::ImportOptions;
use consenttrail_engine::ops;
use consenttrail_engine::reconcile::subjects::{self, SubjectQuery, SubjectSort};
use consenttrail_engine::rules::audit;
use consenttrail_engine::store::{self, sources, Store};

use crate::rules::{canonical_csv, disclosed, given, load_profile, used, withdrawn, Row};
use crate::support::*;

/// (subject, events, findings, high, medium, low)
type Counts = (i64, i64, i64, i64, i64, i64);

/// Every subject's counts, counted now from the rows.
fn fresh_counts(store: &Store) -> Vec<Counts> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT s.subject_id,
                (SELECT count(*) FROM identifiers i JOIN events e ON e.identifier_id = i.id WHERE i.subject_id = s.subject_id),
                (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id),
                (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id AND f.severity = 'high'),
                (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id AND f.severity = 'medium'),
                (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id AND f.severity = 'low')
             FROM (SELECT DISTINCT subject_id FROM identifiers) s ORDER BY s.subject_id",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn stored_counts(store: &Store) -> Vec<Counts> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT subject_id, events, findings, findings_high, findings_medium, findings_low
             FROM subject_counts ORDER BY subject_id",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The list's ids for a sort, every subject on one page.
fn listed(store: &Store, sort: SubjectSort, descending: bool, search: &str) -> Vec<i64> {
    let query = SubjectQuery { search: search.into(), sort, descending, limit: 1000, offset: 0 };
    let page = subjects::page(store.conn(), &query).unwrap();
    assert_eq!(page.total as usize, page.rows.len(), "one page holds them all");
    page.rows.iter().map(|r| r.id).collect()
}

/// The counts are the fresh ones (`expect_known`), or unknown (empty); either way the list
/// sorted by findings or events is the order the fresh counts give, ties by subject id.
fn check(store: &Store, expect_known: bool, step: &str) {
    let fresh = fresh_counts(store);
    let stored = stored_counts(store);
    if expect_known {
        assert_eq!(stored, fresh, "after {step}: the counts table is the fresh count");
    } else {
        assert!(stored.is_empty(), "after {step}: counts not refreshed are dropped, not left stale: {stored:?}");
    }
    for descending in [true, false] {
        let order = |key: &dyn Fn(&Counts) -> (i64, i64)| {
            let mut rows = fresh.clone();
            rows.sort_by(|a, b| {
                let (ka, kb) = (key(a), key(b));
                (if descending { kb.cmp(&ka) } else { ka.cmp(&kb) }).then(a.0.cmp(&b.0))
            });
            rows.iter().map(|r| r.0).collect::<Vec<i64>>()
        };
        assert_eq!(
            listed(store, SubjectSort::Findings, descending, ""),
            order(&|c| (c.3, c.2)),
            "after {step}: by findings, descending {descending}"
        );
        assert_eq!(
            listed(store, SubjectSort::Events, descending, ""),
            order(&|c| (c.1, 0)),
            "after {step}: by events, descending {descending}"
        );
        // By id: every subject, from the counts table when it is known, else from identifiers.
        let mut by_id: Vec<i64> = fresh.iter().map(|c| c.0).collect();
        if descending {
            by_id.reverse();
        }
        assert_eq!(
            listed(store, SubjectSort::Id, descending, ""),
            by_id,
            "after {step}: by id, descending {descending}"
        );
        // A search sorts its matches by the same counts (here: the subjects with an e-mail).
        let with_email: Vec<i64> = {
            let mut stmt =
                store.conn().prepare("SELECT DISTINCT subject_id FROM identifiers WHERE value LIKE '%@%'").unwrap();
            let ids = stmt.query_map([], |r| r.get(0)).unwrap();
            ids.collect::<Result<_, _>>().unwrap()
        };
        let expected: Vec<i64> = order(&|c| (c.3, c.2)).into_iter().filter(|id| with_email.contains(id)).collect();
        assert_eq!(
            listed(store, SubjectSort::Findings, descending, "@"),
            expected,
            "after {step}: a search by findings"
        );
    }
}

/// Small files whose subjects overlap, so that imports join subjects and removals split them.
fn files() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static FILES: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let scenarios: Vec<Vec<Row>> = vec![
            vec![
                given("a@example.com", "2022-01-01T00:00:00Z", "email-marketing").sys("mailchimp"),
                used("a@example.com", "2022-02-01T00:00:00Z", "sms-marketing"),
                used("b@example.com", "2022-02-01T00:00:00Z", "email-marketing"),
            ],
            vec![
                withdrawn("a@example.com", "2022-03-01T00:00:00Z", "email-marketing").sys("salesforce"),
                used("a@example.com", "2022-04-01T00:00:00Z", "email-marketing").sys("salesforce"),
                disclosed("c@example.com", "2022-04-01T00:00:00Z", "personalised-ads", "Meta"),
            ],
            vec![
                given("b@example.com", "2021-01-01T00:00:00Z", "personalised-ads").m("pre-ticked"),
                used("d@example.com", "2023-01-01T00:00:00Z", "loyalty-partners"),
                used("d@example.com", "2023-01-02T00:00:00Z", "loyalty-partners"),
            ],
        ];
        let mut paths: Vec<PathBuf> = scenarios
            .iter()
            .enumerate()
            .map(|(i, rows)| {
                let path = dir.path().join(format!("part{i}.csv"));
                std::fs::write(&path, canonical_csv(rows)).unwrap();
                path
            })
            .collect();
        // Real exports too: a crosswalk joins identities, other files add subjects.
        for system in ["mailchimp", "salesforce"] {
            let mut in_folder: Vec<PathBuf> = std::fs::read_dir(fixtures().join("exports").join(system))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            in_folder.sort();
            paths.extend(in_folder);
        }
        (dir, paths)
    })
}

fn run_steps(order: &[usize], remove: usize) {
    let (_dir, mut store) = temp_store();
    let profile = load_profile("golden-profile.json");
    store::profile_doc::save(store.conn(), &profile).unwrap();
    let cancel = AtomicBool::new(false);
    for &i in order {
        let path = files().1[i].clone();
        ops::import_then_audit(&mut store, &[path], &ImportOptions::default(), &mut |_| {}, &mut |_, _| {}, &cancel)
            .unwrap();
        check(&store, true, "import");
    }
    let ids: Vec<i64> = sources::list(store.conn()).unwrap().iter().map(|s| s.id).collect();
    ops::remove_source(&mut store, ids[remove % ids.len()]).unwrap();
    check(&store, true, "remove-source");
    ops::save_profile(&mut store, &profile, serde_json::json!({})).unwrap();
    check(&store, true, "profile save");
    audit::run(&mut store).unwrap();
    check(&store, true, "audit");
    // Removing a source without the audit after it: the counts are dropped with it.
    let ids: Vec<i64> = sources::list(store.conn()).unwrap().iter().map(|s| s.id).collect();
    if let Some(&first) = ids.first() {
        consenttrail_engine::import::derive::remove_source(store.conn_mut(), first).unwrap();
        check(&store, false, "a removal not yet audited");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn counts_equal_a_fresh_count_after_every_change(
        order in Just((0..files().1.len()).collect::<Vec<usize>>()).prop_shuffle(),
        take in 2usize..6,
        remove in 0usize..8,
    ) {
        run_steps(&order[..take.min(order.len())], remove);
    }
}

/// An import on its own (no audit after it yet) drops the counts in its transaction; the list
/// still sorts by fresh counts, and the next audit fills the table again.
#[test]
fn an_import_not_yet_audited_drops_the_counts_and_the_audit_refills_them() {
    let (_dir, mut store) = temp_store();
    store::profile_doc::save(store.conn(), &load_profile("golden-profile.json")).unwrap();
    import(&mut store, &files().1[..1]);
    audit::run(&mut store).unwrap();
    check(&store, true, "the first audit");
    assert!(!stored_counts(&store).is_empty());
    import(&mut store, &files().1[1..3]);
    check(&store, false, "an import");
    audit::run_stored(&mut store, &mut |_, _| {}).unwrap();
    check(&store, true, "the audit");
}
