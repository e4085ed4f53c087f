//! `vbrief check`: every data-quality check on a batch of exports, without touching the
//! warehouse. The files are ingested into a scratch copy of the warehouse (or a new scratch
//! warehouse), the checks run there, and the report is written: quality.html, quality.csv,
//! quality_rows.csv and one CSV per community.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ingest::identity::{KEY_ENV, KEY_FILE};
use ingest::warehouse::WAREHOUSE_FILE;
use ingest::{IngestOptions, SheetStatus};
use transforms::quality::QualityCounts;
use transforms::{CheckStatus, QualityReport};

use crate::cache::ResultCache;

use crate::cli::CheckArgs;
use crate::commands::ingest::{exit_code, print_summary};
use crate::commands::init::{load_config, INBOX};
use crate::commands::report::resolve_period;
use crate::exit;
use crate::progress::Bars;

pub fn run(workdir: &Path, args: &CheckArgs) -> anyhow::Result<u8> {
    if !workdir.is_dir() {
        anyhow::bail!(
            "工作目录不存在 (working folder not found): {}",
            workdir.display()
        );
    }
    let config = load_config(workdir)?;
    let inputs = if args.inputs.is_empty() {
        vec![workdir.join(INBOX)]
    } else {
        args.inputs.clone()
    };
    let warehouse = workdir.join(WAREHOUSE_FILE);
    let scratch = tempfile::Builder::new()
        .prefix("vbrief-check")
        .tempdir()
        .context("cannot create a scratch folder for the check")?;
    if warehouse.exists() {
        // The checks run on the warehouse as it would be after ingesting these files: a copy,
        // with the same key so that persons match the ones already there.
        std::fs::copy(&warehouse, scratch.path().join(WAREHOUSE_FILE))
            .with_context(|| format!("cannot copy {}", warehouse.display()))?;
        let wal = warehouse.with_extension("duckdb.wal");
        if wal.exists() {
            std::fs::copy(&wal, scratch.path().join(format!("{WAREHOUSE_FILE}.wal")))
                .with_context(|| format!("cannot copy {}", wal.display()))?;
        }
        let key = workdir.join(KEY_FILE);
        if std::env::var_os(KEY_ENV).is_none() {
            if !key.exists() {
                return Err(
                    ingest::identity::KeyError::MissingForWarehouse { warehouse, key }.into(),
                );
            }
            std::fs::copy(&key, scratch.path().join(KEY_FILE))
                .with_context(|| format!("cannot copy {}", key.display()))?;
        }
    }
    let files = ingest::pipeline::expand_inputs(&inputs);
    let mut code = exit::OK;
    if files.is_empty() && warehouse.exists() {
        println!("没有新文件，只检查仓库中已有的数据 (no files given: checking what the warehouse holds)");
    } else {
        let opts = IngestOptions {
            workdir: workdir.to_path_buf(),
            store: Some(scratch.path().to_path_buf()),
            inputs,
            kind: args.kind,
            encoding: args.encoding.clone(),
            strict: false,
        };
        let report = ingest::ingest(&opts, &config, &Bars::new())?;
        for sheet in &report.sheets {
            if let SheetStatus::Failed(message) = &sheet.status {
                eprintln!("错误 error: {}: {message}", sheet.path);
            }
        }
        println!("检查 Check — 仓库未改动 (the warehouse is not changed)");
        print_summary(&report, false);
        code = exit_code(&report);
        if !report.warehouse.exists() {
            return Ok(exit::FAILED);
        }
    }
    let conn = ingest::warehouse::open(&scratch.path().join(WAREHOUSE_FILE))?;
    let period = resolve_period(&conn, args.period.as_deref())?;
    let today = chrono::Local::now().date_naive();
    let out = args.out.clone().unwrap_or_else(|| default_out(workdir));
    let mut writer = reports::quality::QualityWriter::create(&out)
        .with_context(|| format!("writing {}", out.display()))?;
    let mut on_row = |row: transforms::quality::FailingRow| -> Result<(), String> {
        writer.row(&row).map_err(|e| e.to_string())
    };
    let quality = transforms::quality::run_checks_with_rows(
        &conn,
        &period,
        today,
        &config,
        Some(&mut on_row),
    )?;
    let files = ingest::warehouse::quality_summary(&conn)?;
    drop(conn);
    let written = writer
        .finish(&quality, &files, &config.city.name)
        .with_context(|| format!("writing {}", out.display()))?;
    println!();
    print_checks(&quality);
    for path in &written {
        println!("  → {}", path.display());
    }
    if code == exit::OK && quality.worst() == CheckStatus::Fail {
        code = exit::CHECK_FAILED;
    }
    Ok(code)
}

/// The checks as a table: status, failing / checked (share), name.
pub fn print_checks(report: &QualityReport) {
    println!(
        "数据质量 Data quality — 期间 period {} ({} .. {})",
        report.period_label, report.period.start, report.period.end
    );
    for c in &report.checks {
        // The Chinese texts go last: their display width is not their char count.
        println!(
            "  {:<5} {:>8} / {:<9} {:>8}  {:<20} {} {}",
            c.status.code(),
            c.failing,
            c.checked,
            c.share
                .map_or("—".to_string(), |s| format!("{:.2}%", s * 100.0)),
            c.id,
            c.status.label_zh(),
            c.name_zh
        );
    }
}

/// The checks for the ingest summary: on the warehouse just written, for `period` (default:
/// the warehouse's default period).
pub fn checks_after_ingest(
    warehouse: &Path,
    config: &ingest::Config,
    period: Option<&str>,
) -> anyhow::Result<Option<QualityReport>> {
    if !warehouse.exists() {
        return Ok(None);
    }
    let _t = ingest::timing::phase(|| "checks.after_ingest".into());
    let conn = ingest::warehouse::open(warehouse)?;
    let period = resolve_period(&conn, period)?;
    let today = chrono::Local::now().date_naive();
    let workdir = warehouse.parent().unwrap_or(Path::new("."));
    Ok(Some(cached_checks(
        &conn, workdir, warehouse, &period, today, config,
    )?))
}

/// The checks' counts for `period`, from the result cache when the warehouse has not changed
/// since they were computed (see `crate::cache`).
pub fn cached_checks(
    conn: &duckdb::Connection,
    workdir: &Path,
    warehouse: &Path,
    period: &transforms::Period,
    today: chrono::NaiveDate,
    config: &ingest::Config,
) -> anyhow::Result<QualityReport> {
    let cache = ResultCache::for_warehouse(workdir, warehouse);
    let key = format!("checks-{}-{today}", period.label());
    if let Some(report) = cache
        .as_ref()
        .and_then(|c| c.get::<QualityCounts>(&key))
        .and_then(|counts| QualityReport::from_counts(&counts, config))
    {
        return Ok(report);
    }
    let report = transforms::run_checks(conn, period, today, config)?;
    if let Some(c) = cache.as_ref().filter(|c| c.still_valid(workdir, warehouse)) {
        c.put(&key, &report.counts());
    }
    Ok(report)
}

/// Where `vbrief check` writes by default.
pub fn default_out(workdir: &Path) -> PathBuf {
    workdir.join("out").join("quality")
}
