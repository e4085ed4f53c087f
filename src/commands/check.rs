//! `vbrief check`: every data-quality check on a batch of exports, without touching the
//! warehouse (the work is `workdir::check`: a scratch copy of the warehouse, the files ingested
//! into it, the checks run there), and the report: quality.html, quality.csv, quality_rows.csv
//! and one CSV per community.

use std::path::Path;

use ingest::SheetStatus;
use transforms::CheckStatus;

use crate::cli::CheckArgs;
use crate::exit;
use crate::progress::Bars;
use crate::steps::exit_code;
use crate::summary::{print_checks, print_ingest_summary};
use workdir::{CheckRequest, IngestRequest, Workspace};

pub fn run(workdir: &Path, args: &CheckArgs) -> anyhow::Result<u8> {
    let ws = Workspace::existing(workdir)?;
    let request = CheckRequest {
        files: IngestRequest {
            inputs: args.inputs.clone(),
            kind: args.kind,
            encoding: args.encoding.clone(),
            strict: false,
        },
        period: args.period.clone(),
        out: args.out.clone(),
    };
    let outcome = workdir::check(&ws, &request, &Bars::new())?;
    let mut code = exit::OK;
    match &outcome.ingested {
        None => println!(
            "没有新文件，只检查仓库中已有的数据 (no files given: checking what the warehouse holds)"
        ),
        Some(report) => {
            for sheet in &report.sheets {
                if let SheetStatus::Failed(message) = &sheet.status {
                    eprintln!("错误 error: {}: {message}", sheet.path);
                }
            }
            println!("检查 Check — 仓库未改动 (the warehouse is not changed)");
            print_ingest_summary(report, false);
            code = exit_code(report);
        }
    }
    let Some(quality) = outcome.quality else {
        return Ok(exit::FAILED);
    };
    println!();
    print_checks(&quality.report);
    for path in &quality.written {
        println!("  → {}", path.display());
    }
    if code == exit::OK && quality.report.worst() == CheckStatus::Fail {
        code = exit::CHECK_FAILED;
    }
    Ok(code)
}
