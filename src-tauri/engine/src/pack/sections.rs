//! The sections subject and organisation packs share: integrity (what the manifest covers, the
//! signer, how to verify) and the list of attachments.

use super::layout::{colours, Canvas, Column};
use super::manifest::Manifest;
use super::sign::SignerIdentity;

/// The integrity section: what the manifest covers, the signer, and how to verify the pack.
pub fn integrity(c: &mut Canvas<'_>, number: u32, m: &Manifest, manifest_sha256: &str, signer: &SignerIdentity) {
    c.section(&format!("{number}. Integrity"));
    c.key_values(&[
        ("Manifest".into(), "manifest.json, embedded in this PDF".into()),
        ("Manifest SHA-256".into(), manifest_sha256.into()),
        ("Signed by".into(), signer.subject.clone()),
        ("Certificate SHA-256".into(), signer.sha256.clone()),
        ("Events covered".into(), format!("{} (digest {})", m.events_count, m.events_sha256)),
        ("Findings covered".into(), format!("{} (digest {})", m.findings_count, m.findings_sha256)),
        ("Source files covered".into(), m.sources.len().to_string()),
        ("Profile SHA-256".into(), m.profile_sha256.clone()),
    ]);
    c.paragraph(
        if m.kind == "subject" {
            "The manifest lists what this pack rests on: every source file with its SHA-256, every event with a digest of its fields and of its raw source row, every finding, and every embedded extract with its SHA-256. Its own SHA-256 is printed in the footer of every page."
        } else {
            "The manifest lists what this pack rests on: every source file with its SHA-256, a digest over all events and one over all findings, and every embedded extract with its SHA-256; the extracts hold a digest per subject (of its events' fields and raw source rows) and per finding. Its own SHA-256 is printed in the footer of every page."
        },
        8.5,
        colours::TEXT,
    );
    c.subheading("How to verify");
    c.paragraph(
        "1. With ConsentTrail: run `consent-trail verify PACK.pdf` (or Evidence › Verify in the app). It checks the PDF signature and the file's seal, each page, each attachment and the manifest against the file itself, then compares the manifest with the current database and lists every difference.",
        8.5,
        colours::TEXT,
    );
    c.paragraph(
        "2. Without ConsentTrail: extract the attachments (e.g. `pdfdetach -saveall PACK.pdf`), compute `sha256sum manifest.json` and compare it with the footer; then compare the SHA-256 of each extract with the manifest's `attachments` list, and the SHA-256 of each original export file with the manifest's `sources` list.",
        8.5,
        colours::TEXT,
    );
}

/// The attachments section: what is embedded, with sizes and SHA-256.
pub fn attachments_section(c: &mut Canvas<'_>, number: u32, m: &Manifest) {
    c.section(&format!("{number}. Attachments"));
    c.paragraph(
        if m.kind == "subject" {
            "The rows of the source files that this subject's events came from, as imported, one extract per file (CSV for CSV exports, JSON for JSON exports). They contain this subject's rows only. In CSV extracts a cell that a spreadsheet would run as a formula starts with an apostrophe."
        } else {
            "The manifest and two extracts are embedded as associated files: findings.csv, every finding with a digest of it, and subjects.csv, every subject with events (by the key findings name it by: first e-mail, else phone, else system identifier) with its number of events and a digest of them. `verify` compares these digests with the current database to name each finding and each subject that changed."
        },
        8.5,
        colours::TEXT,
    );
    let mut rows: Vec<Vec<String>> =
        m.attachments.iter().map(|a| vec![a.name.clone(), format!("{} bytes", a.bytes), a.sha256.clone()]).collect();
    rows.push(vec!["manifest.json".into(), "-".into(), "see the page footer".into()]);
    c.table(
        &[
            Column { title: "Attachment", share: 2.4 },
            Column { title: "Size", share: 0.8 },
            Column { title: "SHA-256", share: 3.0 },
        ],
        &rows,
        7.5,
    );
}
