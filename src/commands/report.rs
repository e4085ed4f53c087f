//! `vbrief report`: indicators for a period, written as the output contract.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::steps::write_report;
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ReportArgs) -> anyhow::Result<u8> {
    let ws = Workspace::open(workdir)?;
    write_report(&ws, args, None)
}
