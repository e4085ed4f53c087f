//! `vbrief check`: every data-quality check on a batch of exports, without touching the
//! warehouse. The files are ingested into a scratch copy of the warehouse (or a new scratch
//! warehouse), the checks run there, and the report is written: quality.html, quality.csv,
//! quality_rows.csv and one CSV per community.

use std::path::Path;

use anyhow::Context;
use ingest::identity::{KEY_ENV, KEY_FILE};
use ingest::warehouse::WAREHOUSE_FILE;
use ingest::{IngestOptions, SheetStatus};
use transforms::CheckStatus;

use crate::cli::CheckArgs;
use crate::exit;
use crate::progress::Bars;
use crate::steps::exit_code;
use crate::summary::{print_checks, print_ingest_summary};
use workdir::resolve_period;
use workdir::Workspace;

pub fn run(workdir: &Path, args: &CheckArgs) -> anyhow::Result<u8> {
    let ws = Workspace::existing(workdir)?;
    let config = ws.config();
    let inputs = if args.inputs.is_empty() {
        vec![ws.inbox()]
    } else {
        args.inputs.clone()
    };
    let warehouse = ws.warehouse_path();
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
        let key = ws.key_path();
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
        let report = ingest::ingest(&opts, config, &Bars::new())?;
        for sheet in &report.sheets {
            if let SheetStatus::Failed(message) = &sheet.status {
                eprintln!("错误 error: {}: {message}", sheet.path);
            }
        }
        println!("检查 Check — 仓库未改动 (the warehouse is not changed)");
        print_ingest_summary(&report, false);
        code = exit_code(&report);
        if !report.warehouse.exists() {
            return Ok(exit::FAILED);
        }
    }
    let conn = ingest::warehouse::open(&scratch.path().join(WAREHOUSE_FILE))?;
    let period = resolve_period(&conn, args.period.as_deref())?;
    let today = chrono::Local::now().date_naive();
    let out = args.out.clone().unwrap_or_else(|| ws.quality_out());
    let mut writer = reports::quality::QualityWriter::create(&out)
        .with_context(|| format!("writing {}", out.display()))?;
    let mut on_row = |row: transforms::quality::FailingRow| -> Result<(), String> {
        writer.row(&row).map_err(|e| e.to_string())
    };
    let quality = transforms::quality::run_checks_with_rows(
        &conn,
        &period,
        today,
        config,
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
