//! Import progress says which file of the run is being read (issue 16 item 5: "file 3 of 12"),
//! for every file, however small.

use std::sync::atomic::AtomicBool;

use consenttrail_engine::import::{self, ImportOptions, Progress};

use crate::support::*;

#[test]
fn progress_numbers_every_file_of_the_run_including_ones_that_failed_first() {
    let (_dir, mut store) = temp_store();
    // A folder of three exports, and a path that does not exist (reported failed, counted first).
    let paths = [fixtures().join("exports/mailchimp"), fixtures().join("exports/no-such-folder.csv")];
    let mut seen: Vec<Progress> = Vec::new();
    let cancel = AtomicBool::new(false);
    let report =
        import::import_paths(&mut store, &paths, &ImportOptions::default(), &mut |p| seen.push(p), &cancel).unwrap();
    assert_eq!(report.files.len(), 4);
    assert_eq!(report.files[0].status, "failed");

    assert!(seen.iter().all(|p| p.file_count == 4), "{seen:?}");
    let numbers: Vec<u64> = seen.iter().map(|p| p.file_number).collect();
    assert!(numbers.windows(2).all(|w| w[0] <= w[1]), "files are numbered in the order read: {numbers:?}");
    let mut distinct = numbers.clone();
    distinct.dedup();
    assert_eq!(distinct, vec![2, 3, 4], "each imported file is announced, even with fewer rows than a tick");
    // The first message about a file comes before any of it is read, and names it.
    for number in 2..=4 {
        let first = seen.iter().find(|p| p.file_number == number).unwrap();
        assert_eq!((first.rows, first.bytes_done), (0, 0), "{first:?}");
        assert!(first.bytes_total > 0 && first.file.contains("mailchimp"), "{first:?}");
        assert!(report.files.iter().any(|f| f.path == first.file), "{first:?}");
    }
}
