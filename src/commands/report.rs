//! `vbrief report`: indicators for a period, written as the output contract — from the
//! working folder's warehouse, or (`--data`) from exported Parquet on DuckDB or on Spark.

use std::path::Path;

use anyhow::bail;

use crate::cli::{EngineKind, ReportCommandArgs};
use crate::steps::{report_request, write_report};
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ReportCommandArgs) -> anyhow::Result<u8> {
    let ws = Workspace::open(workdir)?;
    let Some(engine) = engine_over_export(&args.engine)? else {
        return write_report(&ws, &args.report, None);
    };
    let request = report_request(&args.report);
    let source = workdir::Source::Engine {
        engine: engine.as_ref(),
        config: ws.config(),
        dir: ws.dir(),
    };
    let outcome = workdir::write_report_from(source, &request, None)?;
    crate::summary::print_indicators(&outcome.indicators, &outcome.written);
    Ok(crate::exit::OK)
}

/// The engine that `--engine`/`--data`/`--remote` ask for over an export, or None for the
/// working folder's own warehouse (no `--data`).
pub fn engine_over_export(
    engine: &crate::cli::EngineArgs,
) -> anyhow::Result<Option<Box<dyn transforms::Engine>>> {
    if engine.engine == EngineKind::Spark && engine.data.is_empty() {
        bail!("--engine spark 需要 --data：先用 `vbrief export --format parquet --out DIR` 导出 (Spark reads an export: give --data DIR)");
    }
    // --remote (or VBRIEF_SPARK_REMOTE, set once for an office's Spark) only matters to Spark.
    if engine.data.is_empty() {
        return Ok(None);
    }
    // A folder of exports (one per province, as `vbrief gen --nation` writes) is its exports.
    let data = transforms::dataset::expand_folders(&engine.data);
    let over: Box<dyn transforms::Engine> = match engine.engine {
        EngineKind::Duckdb => {
            let mut dataset = transforms::dataset::Dataset::open_local(&data)?;
            dataset.province = engine.province.clone();
            Box::new(transforms::dataset::open_duckdb(&dataset)?)
        }
        EngineKind::Spark => spark(engine, &data)?,
    };
    if let Some(province) = &engine.province {
        let known = transforms::dataset::provinces(over.as_ref(), true)?;
        if !known.contains(province) {
            bail!(
                "--province {province}: 导出中没有这个省 (no such province in the exports); 可选 (known): {}",
                known.join("、")
            );
        }
    }
    Ok(Some(over))
}

#[cfg(feature = "spark")]
fn spark(
    engine: &crate::cli::EngineArgs,
    data: &[String],
) -> anyhow::Result<Box<dyn transforms::Engine>> {
    let Some(remote) = &engine.remote else {
        bail!("--engine spark 需要 --remote sc://HOST:PORT（或环境变量 VBRIEF_SPARK_REMOTE） (give the Spark Connect server)");
    };
    Ok(Box::new(transforms::spark::SparkEngine::connect(
        remote,
        data,
        engine.province.as_deref(),
    )?))
}

#[cfg(not(feature = "spark"))]
fn spark(
    _engine: &crate::cli::EngineArgs,
    _data: &[String],
) -> anyhow::Result<Box<dyn transforms::Engine>> {
    bail!("这个 vbrief 编译时没有 Spark 支持 (built without the `spark` feature: build with `cargo build --features spark`)")
}
