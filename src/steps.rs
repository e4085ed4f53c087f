//! The steps commands are made of, shared so that no command calls into another: ingest
//! with its printed summary, and the report with its printed figures. The work itself is in
//! the `workdir` library (shared with the web app); these print what happened. Each takes
//! the command's [`Workspace`].

use std::path::PathBuf;

use ingest::{IngestReport, SheetStatus};
use transforms::QualityReport;

use crate::cli::ReportArgs;
use crate::exit;
use crate::progress::Bars;
use crate::summary::{print_checks, print_indicators, print_ingest_summary};
use workdir::Workspace;

/// What to ingest, as the command line gave it.
pub struct IngestRequest {
    pub inputs: Vec<PathBuf>,
    pub kind: Option<domain::SourceKind>,
    pub encoding: Option<String>,
    pub strict: bool,
    /// Print the summary as JSON.
    pub json: bool,
}

impl IngestRequest {
    /// The folder's inbox, with every option at its default.
    pub fn inbox(ws: &Workspace) -> IngestRequest {
        IngestRequest {
            inputs: vec![ws.inbox()],
            kind: None,
            encoding: None,
            strict: false,
            json: false,
        }
    }
}

/// Ingests into the folder's warehouse and prints the summary with the data-quality checks for
/// `period` (default: the warehouse's default period). Returns the exit code and the checks,
/// which `vbrief run` hands on to the briefing rather than computing them twice.
pub fn ingest_and_summarize(
    ws: &mut Workspace,
    request: IngestRequest,
    period: Option<&str>,
) -> anyhow::Result<(u8, Option<QualityReport>)> {
    let files = workdir::IngestRequest {
        inputs: request.inputs,
        kind: request.kind,
        encoding: request.encoding,
        strict: request.strict,
    };
    let report = workdir::ingest(ws, &files, &Bars::new())?;
    for sheet in &report.sheets {
        if let SheetStatus::Failed(message) = &sheet.status {
            eprintln!("错误 error: {}: {message}", sheet.path);
        }
    }
    // The data-quality checks on the warehouse as it now is (for the default period).
    let quality = {
        let _t = tracing::info_span!("checks.after_ingest").entered();
        workdir::report::checks_if_any(ws, period)?
    };
    if request.json {
        let mut value = serde_json::to_value(&report)?;
        if let (Some(map), Some(q)) = (value.as_object_mut(), &quality) {
            map.insert("quality".into(), serde_json::to_value(q)?);
            if let Some(q) = map.get_mut("quality").and_then(|q| q.as_object_mut()) {
                // The summary carries each check's counts; the rows are for `vbrief check`.
                q.remove("rows");
            }
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_ingest_summary(&report, true);
        if let Some(q) = &quality {
            println!();
            print_checks(q);
            println!(
                "逐行清单 rows to fix, by community: vbrief check --workdir {} (写出 writes {})",
                ws.dir().display(),
                ws.quality_out().join("quality.html").display()
            );
        }
    }
    Ok((exit_code(&report), quality))
}

/// 0 when every file loaded (or was unchanged); 3 when some failed but something loaded or
/// was already there; 1 when nothing could be read at all.
pub fn exit_code(report: &IngestReport) -> u8 {
    let failed = report.failed();
    if failed == 0 {
        exit::OK
    } else if report
        .sheets
        .iter()
        .all(|s| matches!(s.status, SheetStatus::Failed(_)))
    {
        exit::FAILED
    } else {
        exit::PARTIAL
    }
}

/// The report (see [`workdir::write_report`]), then the headline figures and the files
/// written, printed.
pub fn write_report(
    ws: &Workspace,
    args: &ReportArgs,
    checks: Option<QualityReport>,
) -> anyhow::Result<u8> {
    let request = report_request(args);
    let outcome = workdir::write_report(ws, &request, checks)?;
    print_indicators(&outcome.indicators, &outcome.written);
    Ok(exit::OK)
}

/// What the command line asks a report for.
pub fn report_request(args: &ReportArgs) -> workdir::ReportRequest {
    workdir::ReportRequest {
        period: args.period.clone(),
        district: args.district.clone(),
        out: args.out.clone(),
        issue: args.issue.clone(),
        date: args.date.clone(),
        pdf_a: args.pdf_a,
        fonts: args.font.clone(),
    }
}

/// Ingest the inbox, then report (`vbrief run`, `vbrief demo`). A partial ingest still
/// reports, and exits 3.
pub fn ingest_then_report(ws: &mut Workspace, args: &ReportArgs) -> anyhow::Result<u8> {
    let (ingest_code, checks) =
        ingest_and_summarize(ws, IngestRequest::inbox(ws), args.period.as_deref())?;
    if ingest_code == exit::FAILED {
        return Ok(ingest_code);
    }
    println!();
    let report_code = write_report(ws, args, checks)?;
    Ok(if ingest_code == exit::PARTIAL {
        exit::PARTIAL
    } else {
        report_code
    })
}
