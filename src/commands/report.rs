//! `vbrief report`: indicators for a period, written as the output contract — from the
//! working folder's warehouse, or (`--data`) from exported Parquet on DuckDB or on Spark.

use std::path::Path;

use anyhow::bail;

use crate::cli::{EngineKind, ReportCommandArgs};
use crate::steps::{report_request, write_report};
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ReportCommandArgs) -> anyhow::Result<u8> {
    let ws = Workspace::open(workdir)?;
    let engine = &args.engine;
    if engine.engine == EngineKind::Spark && engine.data.is_empty() {
        bail!("--engine spark 需要 --data：先用 `vbrief export --format parquet --out DIR` 导出 (Spark reads an export: give --data DIR)");
    }
    // --remote (or VBRIEF_SPARK_REMOTE, set once for an office's Spark) only matters to Spark.
    if engine.data.is_empty() {
        return write_report(&ws, &args.report, None);
    }
    let request = report_request(&args.report);
    let outcome = match engine.engine {
        EngineKind::Duckdb => {
            let dataset = transforms::dataset::Dataset::open_local(&engine.data)?;
            let conn = transforms::dataset::open_duckdb(&dataset)?;
            report_on(&ws, &conn, &request)?
        }
        EngineKind::Spark => spark_report(&ws, engine, &request)?,
    };
    crate::summary::print_indicators(&outcome.indicators, &outcome.written);
    Ok(crate::exit::OK)
}

fn report_on(
    ws: &Workspace,
    engine: &dyn transforms::Engine,
    request: &workdir::ReportRequest,
) -> anyhow::Result<workdir::ReportOutcome> {
    let source = workdir::Source::Engine {
        engine,
        config: ws.config(),
        dir: ws.dir(),
    };
    Ok(workdir::write_report_from(source, request, None)?)
}

#[cfg(feature = "spark")]
fn spark_report(
    ws: &Workspace,
    engine: &crate::cli::EngineArgs,
    request: &workdir::ReportRequest,
) -> anyhow::Result<workdir::ReportOutcome> {
    let Some(remote) = &engine.remote else {
        bail!("--engine spark 需要 --remote sc://HOST:PORT（或环境变量 VBRIEF_SPARK_REMOTE） (give the Spark Connect server)");
    };
    let spark = transforms::spark::SparkEngine::connect(remote, &engine.data)?;
    report_on(ws, &spark, request)
}

#[cfg(not(feature = "spark"))]
fn spark_report(
    _ws: &Workspace,
    _engine: &crate::cli::EngineArgs,
    _request: &workdir::ReportRequest,
) -> anyhow::Result<workdir::ReportOutcome> {
    bail!("这个 vbrief 编译时没有 Spark 支持 (built without the `spark` feature: build with `cargo build --features spark`)")
}
