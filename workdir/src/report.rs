//! The report of a working folder: the period, the data-quality checks and the indicators
//! (from the result cache when the warehouse is unchanged), then every output file — the
//! CSV/JSON, quarantine.csv, the star list, progress.csv and the briefing. The same report
//! asked again into the same folder with nothing changed leaves the files it wrote as they
//! are (see `outputs.rs`).

use std::path::{Path, PathBuf};

use domain::Config;
use transforms::star_list::StarListRow;
use transforms::{Engine, Indicators, Period, QualityReport};

use crate::cache::ResultCache;
use crate::outputs::OutputsRecord;
use crate::workspace::Workspace;
use crate::{Result, WorkdirError};

/// What to report, as the command line or the web page gave it.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    /// `2025`, `2025-Q3`, `2025-07`, `2025-ytd`, a range; None: the last full year in the data.
    pub period: Option<String>,
    /// A district lead's briefing.
    pub district: Option<String>,
    /// Default: `DIR/out/<period>[-<district>]`.
    pub out: Option<PathBuf>,
    pub issue: Option<String>,
    /// 印发日期, `YYYY-MM-DD`.
    pub date: Option<String>,
    pub pdf_a: bool,
    pub fonts: Vec<PathBuf>,
}

/// What a report wrote (or, when nothing changed since it last wrote them, left as written).
pub struct ReportOutcome {
    /// The figures (limited to the district for a district's briefing).
    pub indicators: Indicators,
    pub out: PathBuf,
    pub written: Vec<PathBuf>,
}

/// Where a report's figures are computed.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A working folder's warehouse, with its result cache.
    Workspace(&'a Workspace),
    /// An engine over exported Parquet (`--data`: DuckDB or Spark), with the office's
    /// configuration; `dir` is where `out/` goes by default. Nothing is cached.
    Engine {
        engine: &'a dyn Engine,
        config: &'a Config,
        dir: &'a Path,
    },
}

impl<'a> Source<'a> {
    pub(crate) fn engine(&self) -> Result<&'a dyn Engine> {
        match *self {
            Source::Workspace(ws) => Ok(ws.warehouse()?),
            Source::Engine { engine, .. } => Ok(engine),
        }
    }

    pub(crate) fn config(&self) -> &'a Config {
        match *self {
            Source::Workspace(ws) => ws.config(),
            Source::Engine { config, .. } => config,
        }
    }

    pub(crate) fn dir(&self) -> &'a Path {
        match *self {
            Source::Workspace(ws) => ws.dir(),
            Source::Engine { dir, .. } => dir,
        }
    }
}

/// The period from `--period` (`2025-ytd` resolved against the records), or the last full
/// calendar year in the data.
pub fn resolve_period(conn: &dyn Engine, period: Option<&str>) -> Result<Period> {
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

/// The checks' counts for `period`, from the result cache when the warehouse has not changed
/// since they were computed (see [`crate::cache`]).
pub fn cached_checks(
    ws: &Workspace,
    period: &Period,
    today: chrono::NaiveDate,
) -> Result<QualityReport> {
    let cache = ws.cache();
    let key = format!("checks-{}-{today}", period.label());
    if let Some(report) = cache
        .as_ref()
        .and_then(|c| c.get::<transforms::quality::QualityCounts>(&key))
        .and_then(|counts| QualityReport::from_counts(&counts, ws.config()))
    {
        return Ok(report);
    }
    // The checks that do not read the period give the same counts for every period of this
    // warehouse: another period's run lends them (the daily-hours check alone groups every
    // record by person and day).
    let reused: Vec<(String, i64, i64)> = cache
        .as_ref()
        .and_then(|c| c.get(PERIOD_FREE_CHECKS))
        .unwrap_or_default();
    let report =
        transforms::run_checks_reusing(ws.warehouse()?, period, today, ws.config(), &reused)?;
    if let Some(c) = cache.as_ref().filter(|c| ws.cache_still_valid(c)) {
        c.put(PERIOD_FREE_CHECKS, &report.period_free_counts());
        c.put(&key, &report.counts());
    }
    Ok(report)
}

/// The cache entry of the checks' counts that hold for any period (see [`cached_checks`]).
const PERIOD_FREE_CHECKS: &str = "checks-any-period";

/// The checks for `period` (default: the warehouse's default period), or None when the
/// folder has no warehouse yet.
pub fn checks_if_any(ws: &Workspace, period: Option<&str>) -> Result<Option<QualityReport>> {
    if !ws.warehouse_path().exists() {
        return Ok(None);
    }
    let period = resolve_period(ws.warehouse()?, period)?;
    let today = chrono::Local::now().date_naive();
    Ok(Some(cached_checks(ws, &period, today)?))
}

/// A result from the cache under `key` when the warehouse and config are unchanged, else
/// computed on the warehouse and kept for the next run.
pub(crate) fn cached<T: serde::Serialize + serde::de::DeserializeOwned>(
    ws: &Workspace,
    key: &str,
    compute: impl FnOnce(&dyn Engine, &domain::Config) -> Result<T>,
) -> Result<T> {
    cached_in(ws.dir(), key, || compute(ws.warehouse()?, ws.config()))
}

/// [`cached`] for the working folder `dir`, whatever connection `compute` uses.
fn cached_in<T: serde::Serialize + serde::de::DeserializeOwned>(
    dir: &Path,
    key: &str,
    compute: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let cache = ResultCache::for_folder(dir);
    if let Some(hit) = cache.as_ref().and_then(|c| c.get::<T>(key)) {
        return Ok(hit);
    }
    let computed = compute()?;
    if let Some(c) = cache.filter(|c| c.still_valid_in(dir)) {
        c.put(key, &computed);
    }
    Ok(computed)
}

/// The year's progress toward its targets, for a report. In a working folder it is computed
/// on a thread of its own, on a second connection to the warehouse (each connection has its
/// own temp tables), while the indicators run: the two share no table but the warehouse's,
/// which both only read. (The star list is not computed there: it reads the tables of the
/// indicators' own pass, see [`cached_indicators_and_star_list`].)
fn year_progress(
    engine: &dyn Engine,
    config: &Config,
    period: &Period,
) -> Result<Option<transforms::progress::Progress>> {
    let _t = tracing::info_span!("report.progress").entered();
    Ok(transforms::progress::compute(engine, period, config)?)
}

/// [`year_progress`] from the cache of the working folder `dir` when it is there, else computed
/// on `conn` and kept.
fn cached_year_progress_on(
    dir: &Path,
    conn: &duckdb::Connection,
    config: &Config,
    period: &Period,
) -> Result<Option<transforms::progress::Progress>> {
    cached_in(dir, &format!("progress-{}", period.label()), || {
        year_progress(conn, config, period)
    })
}

/// The indicators as the cache keeps them: the rows' community ids are not part of the
/// published row (the output files leave them out), so they are kept beside it, in row order.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedIndicators {
    indicators: Indicators,
    community_ids: Vec<i32>,
}

impl CachedIndicators {
    fn new(indicators: Indicators) -> CachedIndicators {
        let community_ids = indicators.rows.iter().map(|r| r.community_id).collect();
        CachedIndicators {
            indicators,
            community_ids,
        }
    }

    fn indicators(self) -> Indicators {
        let mut indicators = self.indicators;
        for (row, id) in indicators.rows.iter_mut().zip(self.community_ids) {
            row.community_id = id;
        }
        indicators
    }
}

fn indicators_key(period: &Period) -> String {
    format!("indicators-{}", period.label())
}

fn star_list_key(period: &Period) -> String {
    format!("star-list-{}", period.label())
}

/// The figures of other periods already in the result cache `cache` (see
/// [`transforms::indicators::KnownFigures`]): a report of 2025-Q3 after one of 2025-Q2 does
/// not compute the second quarter again.
fn known_figures(cache: Option<&ResultCache>) -> impl Fn(&Period) -> Option<Indicators> + '_ {
    move |period| {
        cache
            .and_then(|c| c.get::<CachedIndicators>(&indicators_key(period)))
            .map(CachedIndicators::indicators)
    }
}

/// The indicators for `period`, from the result cache when it can (and, computed, reading
/// its comparison periods from the cache when they are there).
pub fn cached_indicators(ws: &Workspace, period: &Period) -> Result<Indicators> {
    let cache = ws.cache();
    let cached = cached(ws, &indicators_key(period), |conn, config| {
        Ok(CachedIndicators::new(transforms::compute_reusing(
            conn,
            period,
            config,
            &known_figures(cache.as_ref()),
        )?))
    })?;
    Ok(cached.indicators())
}

/// The indicators and the star list for `period`, each from the result cache when it is
/// there. Without cached indicators they are computed together: the star list reads the
/// persons' cumulative hours the indicators' own pass sums (`transforms::compute_with_star_list`).
fn cached_indicators_and_star_list(
    ws: &Workspace,
    period: &Period,
) -> Result<(Indicators, Vec<StarListRow>)> {
    let cache = ws.cache();
    let indicators: Option<CachedIndicators> =
        cache.as_ref().and_then(|c| c.get(&indicators_key(period)));
    if let Some(indicators) = indicators {
        let star_list = cached(ws, &star_list_key(period), |conn, config| {
            Ok(transforms::star_list::star_list(conn, period, config)?)
        })?;
        return Ok((indicators.indicators(), star_list));
    }
    let (indicators, star_list) = transforms::compute_with_star_list(
        ws.warehouse()?,
        period,
        ws.config(),
        &known_figures(cache.as_ref()),
    )?;
    let indicators = CachedIndicators::new(indicators);
    if let Some(c) = cache.as_ref().filter(|c| ws.cache_still_valid(c)) {
        c.put(&indicators_key(period), &indicators);
        c.put(&star_list_key(period), &star_list);
    }
    Ok((indicators.indicators(), star_list))
}

fn write_error(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> WorkdirError + '_ {
    move |e| WorkdirError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// The report: indicators for the period, the output files and the briefing, reusing
/// data-quality checks already computed for the same period (by the ingest summary of
/// `vbrief run`) instead of running them again.
pub fn write_report(
    ws: &Workspace,
    request: &ReportRequest,
    checks: Option<QualityReport>,
) -> Result<ReportOutcome> {
    write_report_from(Source::Workspace(ws), request, checks)
}

/// The report, with its figures computed by `source`.
pub fn write_report_from(
    source: Source,
    request: &ReportRequest,
    checks: Option<QualityReport>,
) -> Result<ReportOutcome> {
    let engine = source.engine()?;
    let config = source.config();
    let period = resolve_period(engine, request.period.as_deref())?;
    let date = match &request.date {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| WorkdirError::BadDate(d.clone()))?,
        ),
        None => None,
    };
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| default_out(source.dir(), &period, request.district.as_deref()));
    let today = chrono::Local::now().date_naive();
    // The same report into the same folder, nothing changed since: its files stand as written.
    let record = match source {
        Source::Workspace(ws) => OutputsRecord::for_report(ws, &out, request, &period, today),
        Source::Engine { .. } => None,
    };
    if let (Some(written), Source::Workspace(ws)) =
        (record.as_ref().and_then(|r| r.unchanged(&out)), source)
    {
        return Ok(ReportOutcome {
            indicators: report_indicators(ws, request, &period)?,
            out,
            written,
        });
    }
    // In a working folder the year's progress is computed beside the rest.
    let beside_conn = match source {
        Source::Workspace(ws) => Some(ws.warehouse()?.try_clone()?),
        Source::Engine { .. } => None,
    };
    let star_path = out.join(reports::star_list::FILE_NAME);
    std::thread::scope(|scope| {
        let beside = beside_conn.map(|conn| {
            let dir = source.dir();
            scope.spawn(move || cached_year_progress_on(dir, &conn, config, &period))
        });
        let (indicators, star_list) = indicators_and_star_list(source, request, &period)?;
        let stars_new = reports::star_list::new_per_level(&star_list);
        // The star list's workbook (a city's is ~100,000 rows) is written while the CSV/JSON,
        // quarantine.csv, the checks and the briefing are.
        std::fs::create_dir_all(&out).map_err(|e| write_error(&out)(&e))?;
        let star_file = {
            let path = star_path.clone();
            scope.spawn(move || {
                let _t = tracing::info_span!("report.star_list_file").entered();
                reports::star_list::write(&path, &star_list, &config.stars.thresholds)
            })
        };
        let (mut written, quality, checks) =
            files_and_checks(source, &indicators, &out, today, checks)?;
        let mut progress = match beside {
            Some(b) => b.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?,
            None => year_progress(engine, config, &period)?,
        };
        let district = district_name(&indicators, request.district.as_deref());
        if let (Some(p), Some(d)) = (progress.as_mut(), &district) {
            p.rows.retain(|r| &r.district == d || r.level == "city");
        }
        let options = reports::briefing::BriefingOptions {
            issue: request.issue.clone(),
            date,
            district,
            stars_new: Some(stars_new),
            progress,
        };
        let pdf_options = reports::pdf::PdfOptions {
            pdf_a: request.pdf_a,
            fonts: request.fonts.clone(),
        };
        let progress_path = match &options.progress {
            Some(p) => {
                let path = out
                    .join("indicators")
                    .join(reports::indicator_files::PROGRESS_FILE);
                reports::indicator_files::write_progress(&path, p)
                    .map_err(|e| write_error(&path)(&e))?;
                Some(path)
            }
            None => None,
        };
        let briefing = reports::write_briefing(
            &out,
            &indicators,
            config,
            &quality,
            &checks.checks,
            &options,
            &pdf_options,
        );
        star_file
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
            .map_err(|e| write_error(&star_path)(&e))?;
        written.push(star_path.clone());
        written.extend(progress_path);
        written.extend(briefing?);
        if let Some(record) = &record {
            record.remember(&out, &written);
        }
        Ok(ReportOutcome {
            indicators,
            out: out.clone(),
            written,
        })
    })
}

/// The report's indicators and star list (both limited to the district for a district's
/// briefing): from the result cache in a working folder.
fn indicators_and_star_list(
    source: Source,
    request: &ReportRequest,
    period: &Period,
) -> Result<(Indicators, Vec<StarListRow>)> {
    let phase = tracing::info_span!("report.indicators").entered();
    let (mut indicators, mut star_list) = match source {
        Source::Workspace(ws) => cached_indicators_and_star_list(ws, period)?,
        Source::Engine { engine, config, .. } => {
            transforms::compute_with_star_list(engine, period, config, &|_| None)?
        }
    };
    drop(phase);
    if let Some(district) = &request.district {
        keep_district(&mut indicators, district)?;
        if let Some(d) = district_name(&indicators, Some(district)) {
            star_list.retain(|r| r.district == d);
        }
    }
    Ok((indicators, star_list))
}

/// The indicators' CSV/JSON and quarantine.csv written into `out` (the files written), what
/// was ingested, and the checks.
fn files_and_checks(
    source: Source,
    indicators: &Indicators,
    out: &Path,
    today: chrono::NaiveDate,
    checks: Option<QualityReport>,
) -> Result<(Vec<PathBuf>, domain::quality::QualitySummary, QualityReport)> {
    let engine = source.engine()?;
    let config = source.config();
    let phase = tracing::info_span!("report.csv_json_quarantine").entered();
    let mut written = reports::indicator_files::write(out, indicators, config)
        .map_err(|e| write_error(out)(&e))?;
    let quarantine = out.join("quarantine.csv");
    // The ingest records (files read, rows quarantined), read where they are or brought over.
    let records = engine.fetch(&["files", "quarantine"])?;
    let copied = match source {
        Source::Workspace(ws) => crate::cache::copy_ingested_quarantine(ws.dir(), &quarantine),
        Source::Engine { .. } => false,
    };
    if !copied {
        ingest::warehouse::write_quarantine_csv(records, &quarantine)
            .map_err(|e| write_error(&quarantine)(&e))?;
    }
    written.push(quarantine);
    drop(phase);
    let _phase = tracing::info_span!("report.checks").entered();
    let quality = ingest::warehouse::quality_summary(records)?;
    let checks = match (checks, source) {
        (Some(c), _) if c.period == indicators.period && c.today == today => c,
        (_, Source::Workspace(ws)) => cached_checks(ws, &indicators.period, today)?,
        (_, Source::Engine { .. }) => {
            transforms::run_checks(engine, &indicators.period, today, config)?
        }
    };
    Ok((written, quality, checks))
}

/// The indicators of a report left as written: from the folder's result cache, limited to the
/// district for a district's briefing.
fn report_indicators(
    ws: &Workspace,
    request: &ReportRequest,
    period: &Period,
) -> Result<Indicators> {
    let mut indicators = cached_indicators(ws, period)?;
    if let Some(district) = &request.district {
        keep_district(&mut indicators, district)?;
    }
    Ok(indicators)
}

/// `DIR/out/<period>` (or `DIR/out/<period>-<district>`), with the district name made safe
/// for a file name.
fn default_out(workdir: &Path, period: &Period, district: Option<&str>) -> PathBuf {
    let mut name = period.label();
    if let Some(d) = district {
        name.push('-');
        name.push_str(&safe_file_name(d));
    }
    workdir.join("out").join(name)
}

/// A name made safe for a file name: anything but letters, digits, `-` and `_` becomes `_`.
pub fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
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
pub fn keep_district(indicators: &mut Indicators, district: &str) -> Result<()> {
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
        return Err(WorkdirError::NoDistrict {
            wanted: district.to_string(),
            known: known.join("、"),
        });
    };
    indicators
        .rows
        .retain(|r| r.level == "city" || r.district == name);
    Ok(())
}
