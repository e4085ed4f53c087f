//! The steps commands are made of, shared so that no command calls into another: ingest
//! with its printed summary, the data-quality checks (from the result cache when it can), the
//! period, and the report. Each takes the command's [`Workspace`].

use std::path::{Path, PathBuf};

use anyhow::Context;
use ingest::{IngestOptions, IngestReport, SheetStatus};
use transforms::quality::QualityCounts;
use transforms::{Indicators, Period, QualityReport};

use crate::cli::ReportArgs;
use crate::exit;
use crate::progress::Bars;
use crate::summary::{print_checks, print_indicators, print_ingest_summary};
use crate::workspace::Workspace;

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
    // The ingest opens the warehouse for writing: no connection of ours may hold it.
    ws.close_warehouse();
    let opts = IngestOptions {
        workdir: ws.dir().to_path_buf(),
        store: None,
        inputs: request.inputs,
        kind: request.kind,
        encoding: request.encoding,
        strict: request.strict,
    };
    let report = ingest::ingest(&opts, ws.config(), &Bars::new())?;
    for sheet in &report.sheets {
        if let SheetStatus::Failed(message) = &sheet.status {
            eprintln!("错误 error: {}: {message}", sheet.path);
        }
    }
    // The data-quality checks on the warehouse as it now is (for the default period).
    let quality = checks_after_ingest(ws, period)?;
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

/// The period from `--period` (`2025-ytd` resolved against the records), or the last full
/// calendar year in the data.
pub fn resolve_period(conn: &duckdb::Connection, period: Option<&str>) -> anyhow::Result<Period> {
    let today = chrono::Local::now().date_naive();
    match period {
        Some(p) => match Period::ytd_year(p) {
            Some(year) => Ok(transforms::indicators::year_to_date_period(
                conn, year, today,
            )?),
            None => Ok(Period::parse(p)?),
        },
        None => Ok(transforms::default_period(conn, today)?),
    }
}

/// The checks for the ingest summary: on the warehouse just written, for `period` (default:
/// the warehouse's default period). None when the ingest left no warehouse.
fn checks_after_ingest(
    ws: &Workspace,
    period: Option<&str>,
) -> anyhow::Result<Option<QualityReport>> {
    if !ws.warehouse_path().exists() {
        return Ok(None);
    }
    let _t = tracing::info_span!("checks.after_ingest").entered();
    let period = resolve_period(ws.warehouse()?, period)?;
    let today = chrono::Local::now().date_naive();
    Ok(Some(cached_checks(ws, &period, today)?))
}

/// The checks' counts for `period`, from the result cache when the warehouse has not changed
/// since they were computed (see `crate::cache`).
pub fn cached_checks(
    ws: &Workspace,
    period: &Period,
    today: chrono::NaiveDate,
) -> anyhow::Result<QualityReport> {
    let cache = ws.cache();
    let key = format!("checks-{}-{today}", period.label());
    if let Some(report) = cache
        .as_ref()
        .and_then(|c| c.get::<QualityCounts>(&key))
        .and_then(|counts| QualityReport::from_counts(&counts, ws.config()))
    {
        return Ok(report);
    }
    let report = transforms::run_checks(ws.warehouse()?, period, today, ws.config())?;
    if let Some(c) = cache.as_ref().filter(|c| ws.cache_still_valid(c)) {
        c.put(&key, &report.counts());
    }
    Ok(report)
}

/// A result from the cache under `key` when the warehouse and config are unchanged, else
/// computed on the warehouse and kept for the next run.
fn cached<T: serde::Serialize + serde::de::DeserializeOwned>(
    ws: &Workspace,
    key: &str,
    compute: impl FnOnce(&duckdb::Connection, &domain::Config) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let cache = ws.cache();
    if let Some(hit) = cache.as_ref().and_then(|c| c.get::<T>(key)) {
        return Ok(hit);
    }
    let computed = compute(ws.warehouse()?, ws.config())?;
    if let Some(c) = cache.as_ref().filter(|c| ws.cache_still_valid(c)) {
        c.put(key, &computed);
    }
    Ok(computed)
}

/// The indicators for `period`, from the result cache when it can.
fn cached_indicators(ws: &Workspace, period: &Period) -> anyhow::Result<Indicators> {
    cached(
        ws,
        &format!("indicators-{}", period.label()),
        |conn, config| Ok(transforms::compute(conn, period, config)?),
    )
}

/// The star certification list of the period, from the result cache when the warehouse and
/// config are unchanged (recomputing it costs seconds on a city: it scans every record twice).
/// It holds what the warehouse holds of a person (masked name, 志愿者编号), nothing more.
fn cached_star_list(
    ws: &Workspace,
    period: &Period,
) -> anyhow::Result<Vec<transforms::star_list::StarListRow>> {
    cached(
        ws,
        &format!("star-list-{}", period.label()),
        |conn, config| Ok(transforms::star_list::star_list(conn, period, config)?),
    )
}

/// Progress toward the year's targets at the period's end (None for a whole year), from the
/// result cache when it can: it runs the indicator SQL once more, for the year to date.
fn cached_progress(
    ws: &Workspace,
    period: &Period,
) -> anyhow::Result<Option<transforms::progress::Progress>> {
    cached(
        ws,
        &format!("progress-{}", period.label()),
        |conn, config| Ok(transforms::progress::compute(conn, period, config)?),
    )
}

/// The report: indicators for the period, the output files and the briefing, reusing
/// data-quality checks already computed for the same period (by the ingest summary of
/// `vbrief run`) instead of running them again.
pub fn write_report(
    ws: &Workspace,
    args: &ReportArgs,
    checks: Option<QualityReport>,
) -> anyhow::Result<u8> {
    let conn = ws.warehouse()?;
    let config = ws.config();
    let period = resolve_period(conn, args.period.as_deref())?;
    let phase = tracing::info_span!("report.indicators").entered();
    let mut indicators = cached_indicators(ws, &period)?;
    drop(phase);
    if let Some(district) = &args.district {
        keep_district(&mut indicators, district)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(ws.dir(), &indicators, args.district.as_deref()));
    let phase = tracing::info_span!("report.csv_json_quarantine").entered();
    let mut written = reports::indicator_files::write(&out, &indicators, config)
        .with_context(|| format!("writing {}", out.display()))?;
    let quarantine = out.join("quarantine.csv");
    ingest::warehouse::write_quarantine_csv(conn, &quarantine)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", quarantine.display()))?;
    written.push(quarantine);
    drop(phase);
    let date = match &args.date {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--date '{d}': 请写成 YYYY-MM-DD (use YYYY-MM-DD)"))?,
        ),
        None => None,
    };
    let phase = tracing::info_span!("report.checks").entered();
    let quality = ingest::warehouse::quality_summary(conn)?;
    let today = chrono::Local::now().date_naive();
    let checks = match checks {
        Some(c) if c.period == indicators.period && c.today == today => c,
        _ => cached_checks(ws, &indicators.period, today)?,
    };
    drop(phase);
    let phase = tracing::info_span!("report.star_list").entered();
    let mut star_list = cached_star_list(ws, &indicators.period)?;
    if let Some(d) = district_name(&indicators, args.district.as_deref()) {
        star_list.retain(|r| r.district == d);
    }
    let star_path = out.join(reports::star_list::FILE_NAME);
    reports::star_list::write(&star_path, &star_list, &config.stars.thresholds)
        .with_context(|| format!("writing {}", star_path.display()))?;
    written.push(star_path);
    drop(phase);
    let phase = tracing::info_span!("report.progress").entered();
    let mut progress = cached_progress(ws, &indicators.period)?;
    if let (Some(p), Some(d)) = (
        progress.as_mut(),
        district_name(&indicators, args.district.as_deref()),
    ) {
        p.rows.retain(|r| r.district == d || r.level == "city");
    }
    if let Some(p) = &progress {
        let path = out
            .join("indicators")
            .join(reports::indicator_files::PROGRESS_FILE);
        reports::indicator_files::write_progress(&path, p)
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    drop(phase);
    let options = reports::briefing::BriefingOptions {
        issue: args.issue.clone(),
        date,
        district: district_name(&indicators, args.district.as_deref()),
        stars_new: Some(reports::star_list::new_per_level(&star_list)),
        progress,
    };
    let pdf_options = reports::pdf::PdfOptions {
        pdf_a: args.pdf_a,
        fonts: args.font.clone(),
    };
    written.extend(reports::write_briefing(
        &out,
        &indicators,
        config,
        &quality,
        &checks.checks,
        &options,
        &pdf_options,
    )?);
    print_indicators(&indicators, &written);
    Ok(exit::OK)
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

/// `DIR/out/<period>` (or `DIR/out/<period>-<district>`), with the district name made safe
/// for a file name.
fn default_out(workdir: &Path, indicators: &Indicators, district: Option<&str>) -> PathBuf {
    let mut name = indicators.period_label.clone();
    if let Some(d) = district {
        let safe: String = d
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        name.push('-');
        name.push_str(&safe);
    }
    workdir.join("out").join(name)
}

/// The district's name as the ledger writes it (after `keep_district`).
fn district_name(indicators: &Indicators, district: Option<&str>) -> Option<String> {
    district.and_then(|_| {
        indicators
            .level("district")
            .next()
            .map(|r| r.district.clone())
    })
}

/// Keeps one district's rows and the city row (as the reference).
fn keep_district(indicators: &mut Indicators, district: &str) -> anyhow::Result<()> {
    let wanted = domain::community::area_stem(district);
    let known: Vec<String> = indicators
        .level("district")
        .map(|r| r.district.clone())
        .collect();
    let Some(name) = known
        .iter()
        .find(|d| domain::community::area_stem(d) == wanted)
        .cloned()
    else {
        anyhow::bail!(
            "没有区县 '{district}' (no such district); 可选 (known): {}",
            known.join("、")
        );
    };
    indicators
        .rows
        .retain(|r| r.level == "city" || r.district == name);
    Ok(())
}
