//! What a working folder holds, as the web app's pages show it after every job: the files
//! ingested, the default period's figures, the checks with their files (written to
//! `out/quality/` as `vbrief check` writes them) and the years the records cover. Computed once
//! per job so that a page never waits for the warehouse.

use domain::quality::QualitySummary;
use transforms::{Indicators, Period};

use crate::check::{write_quality_files, QualityFiles};
use crate::workspace::Workspace;
use crate::Result;

/// The folder as of now.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The default period (the last full year with records).
    pub period: Period,
    /// Every unit's figures for that period (from the result cache when it can).
    pub indicators: Indicators,
    /// The checks of that period, with the quality files written.
    pub quality: QualityFiles,
    /// Calendar years with service records, newest first (transforms/sql/years.sql).
    pub years: Vec<i32>,
    /// The records' status words and the lists they are in (transforms/sql/status_words.sql).
    pub status_words: Vec<transforms::status::StatusWord>,
}

impl Snapshot {
    /// What was ingested: every file and sheet, and the quarantine by reason.
    pub fn summary(&self) -> &QualitySummary {
        &self.quality.summary
    }
}

/// The snapshot of `ws`, or None when it has no warehouse yet.
pub fn snapshot(ws: &Workspace) -> Result<Option<Snapshot>> {
    if !ws.warehouse_path().exists() {
        return Ok(None);
    }
    let _t = tracing::info_span!("snapshot").entered();
    let conn = ws.warehouse()?;
    let period = crate::resolve_period(conn, None)?;
    let indicators = crate::report::cached_indicators(ws, &period)?;
    let quality = write_quality_files(conn, &period, ws.config(), &ws.quality_out())?;
    let _t = tracing::info_span!("snapshot.years_and_words").entered();
    let years = transforms::indicators::years_with_records(conn)?;
    let status_words = transforms::status::words_in_records(conn, ws.config())?;
    Ok(Some(Snapshot {
        period,
        indicators,
        quality,
        years,
        status_words,
    }))
}
