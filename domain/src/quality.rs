//! What reports are told about the data's quality: counts per ingested sheet and per
//! quarantine reason (read from the warehouse by `ingest::warehouse::quality_summary`).

use serde::Serialize;

/// What the briefing's data-quality annex shows: every ingested sheet with its counts, and
/// quarantined rows by reason.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QualitySummary {
    pub files: Vec<FileSummary>,
    pub quarantine_by_reason: Vec<(String, i64)>,
    pub quarantined: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub sheet: String,
    pub kind: String,
    pub rows_read: i64,
    pub accepted: i64,
    pub quarantined: i64,
    pub skipped: i64,
}
