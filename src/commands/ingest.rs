//! `vbrief ingest`: load exports into the warehouse and print what happened to every row.

use std::path::{Path, PathBuf};

use ingest::{IngestOptions, IngestReport, SheetStatus};
use transforms::quality::QualityReport;

use crate::cli::IngestArgs;
use crate::commands::check::{checks_after_ingest, print_checks};
use crate::commands::init::{load_config, INBOX};
use crate::exit;
use crate::progress::Bars;

pub fn run(workdir: &Path, args: &IngestArgs) -> anyhow::Result<u8> {
    let workdir = workdir.to_path_buf();
    let inputs = if args.inputs.is_empty() {
        vec![workdir.join(INBOX)]
    } else {
        args.inputs.clone()
    };
    let (code, _) = ingest_and_summarize(
        workdir,
        inputs,
        args.kind,
        args.encoding.clone(),
        args.strict,
        args.json,
        None,
    )?;
    Ok(code)
}

/// Ingests and prints the summary with the data-quality checks for `period` (default: the
/// warehouse's default period). Returns the exit code and the checks, which `vbrief run` hands
/// on to the briefing rather than computing them twice.
pub fn ingest_and_summarize(
    workdir: PathBuf,
    inputs: Vec<PathBuf>,
    kind: Option<ingest::SourceKind>,
    encoding: Option<String>,
    strict: bool,
    json: bool,
    period: Option<&str>,
) -> anyhow::Result<(u8, Option<QualityReport>)> {
    if !workdir.is_dir() {
        anyhow::bail!(
            "工作目录不存在 (working folder not found): {} — create it with `vbrief init {}`",
            workdir.display(),
            workdir.display()
        );
    }
    let config = load_config(&workdir)?;
    let opts = IngestOptions {
        workdir,
        store: None,
        inputs,
        kind,
        encoding,
        strict,
    };
    let report = ingest::ingest(&opts, &config, &Bars::new())?;
    for sheet in &report.sheets {
        if let SheetStatus::Failed(message) = &sheet.status {
            eprintln!("错误 error: {}: {message}", sheet.path);
        }
    }
    // The data-quality checks on the warehouse as it now is (for the default period).
    let quality = checks_after_ingest(&report.warehouse, &config, period)?;
    if json {
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
        print_summary(&report, true);
        if let Some(q) = &quality {
            println!();
            print_checks(q);
            println!(
                "逐行清单 rows to fix, by community: vbrief check --workdir {} (写出 writes {})",
                opts.workdir.display(),
                crate::commands::check::default_out(&opts.workdir)
                    .join("quality.html")
                    .display()
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

/// `in_place`: the warehouse written is the working folder's (not `vbrief check`'s scratch copy).
pub fn print_summary(report: &IngestReport, in_place: bool) {
    if in_place {
        println!(
            "导入摘要 Ingest summary — 仓库 warehouse: {}",
            report.warehouse.display()
        );
    } else {
        println!(
            "导入摘要 Ingest summary — 导入到仓库的临时副本 (into a scratch copy of the warehouse)"
        );
    }
    println!(
        "{:>9} {:>9} {:>11} {:>8}  {:<16} 文件 file",
        "读取read", "接受accept", "隔离quarant.", "跳过skip", "类型 kind"
    );
    let mut total = ingest::Counts::default();
    let mut total_skipped = 0;
    for s in &report.sheets {
        let name = ingest::reader::sheet_label(&s.path, &s.sheet);
        match &s.status {
            SheetStatus::Loaded => {
                let c = &s.counts;
                let mut skipped = Vec::new();
                for (n, label) in [
                    (c.skipped_title, "标题title"),
                    (c.skipped_header, "表头header"),
                    (c.skipped_blank, "空行blank"),
                    (c.skipped_total, "合计total"),
                    (c.skipped_known, "已导入known"),
                ] {
                    if n > 0 {
                        skipped.push(format!("{label} {n}"));
                    }
                }
                println!(
                    "{:>9} {:>9} {:>11} {:>8}  {:<16} {name}{}",
                    c.read,
                    c.accepted,
                    c.quarantined,
                    c.skipped(),
                    s.kind.unwrap_or(""),
                    if skipped.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", skipped.join(", "))
                    }
                );
                total.read += c.read;
                total.accepted += c.accepted;
                total.quarantined += c.quarantined;
                total_skipped += c.skipped();
            }
            SheetStatus::Unchanged => {
                println!("{:>9} {:>9} {:>11} {:>8}  {:<16} {name}  已导入过，内容未变 (unchanged since an earlier ingest)", "-", "-", "-", "-", "")
            }
            SheetStatus::Failed(msg) => println!(
                "{:>9} {:>9} {:>11} {:>8}  {:<16} {name}  失败 FAILED: {msg}",
                "-", "-", "-", "-", ""
            ),
            SheetStatus::Ignored(msg) => println!(
                "{:>9} {:>9} {:>11} {:>8}  {:<16} {name}  未导入 not ingested: {msg}",
                "-", "-", "-", "-", ""
            ),
        }
    }
    println!(
        "{:>9} {:>9} {:>11} {:>8}  合计 total",
        total.read, total.accepted, total.quarantined, total_skipped
    );
    if !report.quarantine_by_reason.is_empty() {
        let parts: Vec<String> = report
            .quarantine_by_reason
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        println!(
            "本次隔离原因 quarantined this run by reason: {}",
            parts.join(", ")
        );
    }
    if in_place {
        println!(
            "隔离明细 quarantine details: {}",
            report.quarantine_csv.display()
        );
    }
    if let (true, Some(ingest::identity::KeySource::Created(path))) = (in_place, &report.key_source)
    {
        println!(
            "已新建假名化密钥 new pseudonymization key: {} — 请备份，丢失后无法与本次数据对应 (back it up: without it later runs cannot match these persons)",
            path.display()
        );
    }
    let failed = report.failed();
    if failed > 0 {
        println!("注意 NOTE: {failed} 个文件无法读取，已跳过 (file(s) could not be read and were skipped; see FAILED above)");
    }
}
