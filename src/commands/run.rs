//! `vbrief run`: ingest the inbox, then report. A partial ingest still reports, and exits 3.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::steps::ingest_then_report;
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ReportArgs) -> anyhow::Result<u8> {
    let mut ws = Workspace::existing(workdir)?;
    ingest_then_report(&mut ws, args)
}
