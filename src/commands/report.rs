//! `vbrief report` and `vbrief run`: indicators for a period, written as the output contract.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ingest::warehouse::WAREHOUSE_FILE;
use transforms::{Indicators, Period};

use crate::cache::ResultCache;
use crate::cli::ReportArgs;
use crate::commands::ingest::ingest_and_summarize;
use crate::commands::init::{load_config, INBOX};
use crate::exit;

/// Opens the warehouse of a working folder for reading figures.
pub fn open_warehouse(workdir: &Path) -> anyhow::Result<duckdb::Connection> {
    let path = workdir.join(WAREHOUSE_FILE);
    if !path.exists() {
        anyhow::bail!(
            "{} 中还没有仓库，请先导入 (no warehouse yet: run `vbrief ingest --workdir {}` first)",
            workdir.display(),
            workdir.display()
        );
    }
    Ok(ingest::warehouse::open(&path)?)
}

/// The period from `--period`, or the last full calendar year in the data.
pub fn resolve_period(conn: &duckdb::Connection, period: Option<&str>) -> anyhow::Result<Period> {
    match period {
        Some(p) => Ok(Period::parse(p)?),
        None => Ok(transforms::default_period(
            conn,
            chrono::Local::now().date_naive(),
        )?),
    }
}

pub fn run(workdir: &Path, args: &ReportArgs) -> anyhow::Result<u8> {
    report_with_checks(workdir, args, None)
}

/// The report, reusing data-quality checks already computed for the same period (by the
/// ingest summary of `vbrief run`) instead of running them again.
pub fn report_with_checks(
    workdir: &Path,
    args: &ReportArgs,
    checks: Option<transforms::quality::QualityReport>,
) -> anyhow::Result<u8> {
    let config = load_config(workdir)?;
    let conn = open_warehouse(workdir)?;
    let period = resolve_period(&conn, args.period.as_deref())?;
    let phase = ingest::timing::phase(|| "report.indicators".into());
    let warehouse = workdir.join(ingest::warehouse::WAREHOUSE_FILE);
    let cache = ResultCache::for_warehouse(workdir, &warehouse);
    let key = format!("indicators-{}", period.label());
    let mut indicators = match cache.as_ref().and_then(|c| c.get::<Indicators>(&key)) {
        Some(cached) => cached,
        None => {
            let computed = transforms::compute(&conn, &period, &config)?;
            if let Some(c) = cache
                .as_ref()
                .filter(|c| c.still_valid(workdir, &warehouse))
            {
                c.put(&key, &computed);
            }
            computed
        }
    };
    drop(phase);
    if let Some(district) = &args.district {
        keep_district(&mut indicators, district)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(workdir, &indicators, args.district.as_deref()));
    let phase = ingest::timing::phase(|| "report.csv_json_quarantine".into());
    let mut written = reports::indicator_files::write(&out, &indicators, &config)
        .with_context(|| format!("writing {}", out.display()))?;
    let quarantine = out.join("quarantine.csv");
    ingest::warehouse::write_quarantine_csv(&conn, &quarantine)
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
    let phase = ingest::timing::phase(|| "report.checks".into());
    let quality = ingest::warehouse::quality_summary(&conn)?;
    let today = chrono::Local::now().date_naive();
    let checks = match checks {
        Some(c) if c.period == indicators.period && c.today == today => c,
        _ => crate::commands::check::cached_checks(
            &conn,
            workdir,
            &warehouse,
            &indicators.period,
            today,
            &config,
        )?,
    };
    drop(phase);
    let options = reports::briefing::BriefingOptions {
        issue: args.issue.clone(),
        date,
        district: district_name(&indicators, args.district.as_deref()),
    };
    let pdf_options = reports::pdf::PdfOptions {
        pdf_a: args.pdf_a,
        fonts: args.font.clone(),
    };
    written.extend(reports::write_briefing(
        &out,
        &indicators,
        &config,
        &quality,
        &checks.checks,
        &options,
        &pdf_options,
    )?);
    print_summary(&indicators, &written);
    Ok(exit::OK)
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
    let wanted = ingest::community::area_stem(district);
    let known: Vec<String> = indicators
        .level("district")
        .map(|r| r.district.clone())
        .collect();
    let Some(name) = known
        .iter()
        .find(|d| ingest::community::area_stem(d) == wanted)
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

fn print_summary(indicators: &Indicators, written: &[PathBuf]) {
    println!(
        "指标 Indicators — 期间 period {} ({} .. {}, {} 天 days)",
        indicators.period_label, indicators.period.start, indicators.period.end, indicators.days
    );
    if let Some(city) = indicators.city() {
        let pct = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{:.2}%", v * 100.0));
        let num = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2}"));
        println!(
            "  全市 city: 注册率 registration {} (目标 target {:.0}%), 人均时长 per capita {} h (目标 {:.2} h), 参与率 participation {}",
            pct(city.registration_rate),
            city.registration_target * 100.0,
            num(city.per_capita_hours),
            city.per_capita_target,
            pct(city.participation_rate)
        );
        println!(
            "  达标社区 communities meeting: 注册率 {}/{}，人均时长 {}/{}，站点 {}/{}",
            city.communities_meeting_registration,
            city.communities,
            city.communities_meeting_per_capita_hours,
            city.communities,
            city.communities_meeting_station,
            city.communities
        );
    }
    if indicators.extends_past_data {
        println!("  注意 NOTE: 期间晚于最后一条服务记录，数据可能不完整 (the period ends after the last service record)");
    }
    for path in written {
        println!("  → {}", path.display());
    }
}

/// `vbrief run`: ingest the inbox, then report. A partial ingest still reports, and exits 3.
pub fn ingest_then_report(workdir: &Path, args: &ReportArgs) -> anyhow::Result<u8> {
    let (ingest_code, checks) = ingest_and_summarize(
        workdir.to_path_buf(),
        vec![workdir.join(INBOX)],
        None,
        None,
        false,
        false,
        args.period.as_deref(),
    )?;
    if ingest_code == exit::FAILED {
        return Ok(ingest_code);
    }
    println!();
    let report_code = report_with_checks(workdir, args, checks)?;
    Ok(if ingest_code == exit::PARTIAL {
        exit::PARTIAL
    } else {
        report_code
    })
}
