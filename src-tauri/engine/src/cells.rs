//! Cells of the CSV and spreadsheet extracts (the findings export, the organisation pack's
//! attachments). Kept below every other module because both the rules' export and the packs
//! write such cells, and verify must read them back.

/// A cell as the extracts write it: a value a spreadsheet would run as a formula starts with `'`.
pub fn neutral(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// A cell as it was before [`neutral`], for messages.
pub fn as_recorded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}
