//! Data-quality checks on the warehouse: one plain SQL file per check in
//! `transforms/sql/quality/` (each opening with what it checks), run for a period. Every check
//! gets a status (pass / warn / fail against the thresholds in `vbrief.toml [quality]`), the
//! number of rows it looked at and the failing ones, each with the community that must fix it.

use chrono::{Datelike, Months, NaiveDate};
use duckdb::Connection;
use serde::Serialize;

use crate::engine::{Dialect, Engine, EngineError};
use crate::indicators::{date_literal, double_literal};
use crate::period::Period;
use domain::Config;

/// One check: its id (as in `vbrief.toml [quality.thresholds]`), its SQL and how to name it.
#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    pub id: &'static str,
    pub file: &'static str,
    pub sql: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// What the community should do about a failing row.
    pub fix_zh: &'static str,
}

impl CheckDef {
    /// Whether the check's result depends on the period or today's date: it reads the
    /// settings vbrief writes for a run (`qc_settings`, `qc_months`). The others give the same
    /// counts for any period of an unchanged warehouse (see [`run_checks_reusing`]).
    pub fn reads_period(&self) -> bool {
        self.sql.contains("qc_settings") || self.sql.contains("qc_months")
    }
}

/// Sets up the tables every check reads and writes.
pub const SETUP_SQL: (&str, &str) = (
    "quality/00_setup.sql",
    include_str!("../sql/quality/00_setup.sql"),
);

macro_rules! check {
    ($id:literal, $file:literal, $zh:literal, $en:literal, $fix:literal) => {
        CheckDef {
            id: $id,
            file: concat!("quality/", $file),
            sql: include_str!(concat!("../sql/quality/", $file)),
            name_zh: $zh,
            name_en: $en,
            fix_zh: $fix,
        }
    };
}

/// The checks, in the order they are reported.
pub const CHECKS: [CheckDef; 11] = [
    check!(
        "id_number",
        "01_id_number.sql",
        "证件号码无效或缺失",
        "invalid or missing ID number",
        "核对证件号码（18位、校验位、出生日期）；Excel中请把该列设为文本，避免变成科学计数法；护照、通行证等其他证件，请导入该志愿者的注册信息（含证件类型）"
    ),
    check!(
        "duplicate_person",
        "02_duplicate_person.sql",
        "同一人重复注册",
        "person registered more than once",
        "在系统中合并或注销重复的注册，保留最早的一条"
    ),
    check!(
        "community_match",
        "03_community_match.sql",
        "社区无法匹配或重名",
        "community unknown, ambiguous or empty",
        "按人口台账的名称填写社区，并填写区县、街道；旧称可在设置的“社区别名”中添加"
    ),
    check!(
        "date_range",
        "04_date_range.sql",
        "日期晚于今天或早于2000年",
        "date in the future or before 2000",
        "核对日期是否录错（年份、月日颠倒）"
    ),
    check!(
        "daily_hours",
        "05_daily_hours.sql",
        "时长不大于0、超过24小时或一人一天超24小时",
        "hours ≤ 0, or over 24 in a day for one person",
        "核对服务时长的单位（小时/分钟）和是否重复录入"
    ),
    check!(
        "unregistered_person",
        "06_unregistered_person.sql",
        "服务记录的人不在注册信息中",
        "records of persons not in the registry",
        "补充导出这些人的注册信息，或核对记录中的证件号码、志愿者编号"
    ),
    check!(
        "pending_records",
        "07_pending_records.sql",
        "未生效、待审核的服务记录",
        "records not yet effective (未生效, 待审核)",
        "在系统中审核这些记录，审核通过后重新导出"
    ),
    check!(
        "population",
        "08_population.sql",
        "缺少常住人口",
        "population missing",
        "在人口台账中补充本期的常住人口"
    ),
    check!(
        "reported_hours",
        "09_reported_hours.sql",
        "导出累计时长与服务记录合计不符",
        "exported cumulative hours differ from the records",
        "补充导出缺少年份的服务记录，或核对系统中被修改的记录"
    ),
    check!(
        "inactive_months",
        "10_inactive_months.sql",
        "社区某月没有活动也没有服务记录",
        "community month with no activity or service",
        "补录当月活动台账，或组织常态化志愿服务"
    ),
    check!(
        "bad_values",
        "11_bad_values.sql",
        "无法读取的值、错误单元格、空值或重复行",
        "unreadable values, error cells, empty required values, repeated rows",
        "按“说明”列改正该单元格后重新导出"
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
    /// Nothing to check (e.g. no export carries cumulative hours).
    NotApplicable,
}

impl CheckStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            CheckStatus::Pass => "通过",
            CheckStatus::Warn => "警告",
            CheckStatus::Fail => "不通过",
            CheckStatus::NotApplicable => "无数据",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
            CheckStatus::NotApplicable => "n/a",
        }
    }

    /// pass when nothing fails; warn / fail when the failing share is above the thresholds.
    pub fn judge(checked: i64, failing: i64, warn: f64, fail: f64) -> CheckStatus {
        if checked == 0 && failing == 0 {
            return CheckStatus::NotApplicable;
        }
        if failing == 0 {
            return CheckStatus::Pass;
        }
        let share = failing as f64 / checked.max(failing) as f64;
        if share > fail {
            CheckStatus::Fail
        } else if share > warn {
            CheckStatus::Warn
        } else {
            CheckStatus::Pass
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub fix_zh: &'static str,
    pub sql_file: &'static str,
    pub status: CheckStatus,
    pub checked: i64,
    pub failing: i64,
    /// failing / checked, rounded to 4 decimals (`None` when nothing was checked).
    pub share: Option<f64>,
    pub warn: f64,
    pub fail: f64,
}

/// One failing row (or unit, e.g. a community-month), with the community that must fix it.
/// Nothing personal beyond a masked name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailingRow {
    pub check: &'static str,
    /// The status of the row's check (every row of a check shares it).
    pub status: CheckStatus,
    /// The ledger's district / street / community; empty when not matched.
    pub district: String,
    pub street: String,
    pub community: String,
    /// The community as the row wrote it, when it could not be matched to the ledger.
    pub community_as_written: String,
    pub file: String,
    pub sheet: String,
    pub row: Option<i64>,
    pub column: String,
    pub detail: String,
    pub masked_name: String,
}

impl FailingRow {
    /// The community the row is filed under: `区县/街道/社区`, the text the row gave, or
    /// `社区不明` when neither is known.
    pub fn owner(&self) -> String {
        if !self.community.is_empty() {
            domain::community::path(&self.district, &self.street, &self.community)
        } else if !self.community_as_written.is_empty() {
            format!("{}（台账中无此社区）", self.community_as_written)
        } else {
            UNKNOWN_OWNER.to_string()
        }
    }
}

/// The group of rows whose community cannot be told.
pub const UNKNOWN_OWNER: &str = "社区不明 (community unknown)";

/// Every check's result. The failing rows are not held here (a province can have millions):
/// [`run_checks_with_rows`] hands them out one at a time.
#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    pub period_label: String,
    pub period: Period,
    /// The day dates are judged against (dates after it are in the future).
    pub today: NaiveDate,
    pub checks: Vec<CheckResult>,
}

/// A check's result from its counts, judged against the configured thresholds.
fn judged(check: &CheckDef, checked: i64, failing: i64, config: &Config) -> CheckResult {
    let threshold = config.quality.threshold(check.id);
    CheckResult {
        id: check.id,
        name_zh: check.name_zh,
        name_en: check.name_en,
        fix_zh: check.fix_zh,
        sql_file: check.file,
        status: CheckStatus::judge(checked, failing, threshold.warn, threshold.fail),
        checked,
        failing,
        share: (checked > 0)
            .then(|| crate::results::round_to(failing as f64 / checked.max(failing) as f64, 4)),
        warn: threshold.warn,
        fail: threshold.fail,
    }
}

/// What a [`QualityReport`] is made of, without the check texts: what a cache keeps.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct QualityCounts {
    pub period: Period,
    pub today: NaiveDate,
    /// (check id, checked, failing), in the order of the checks.
    pub counts: Vec<(String, i64, i64)>,
}

impl QualityReport {
    /// The counts, to be judged again later with [`QualityReport::from_counts`].
    pub fn counts(&self) -> QualityCounts {
        QualityCounts {
            period: self.period,
            today: self.today,
            counts: self
                .checks
                .iter()
                .map(|c| (c.id.to_string(), c.checked, c.failing))
                .collect(),
        }
    }

    /// The counts of the checks that do not read the period: what another period of the same
    /// warehouse can reuse ([`run_checks_reusing`]).
    pub fn period_free_counts(&self) -> Vec<(String, i64, i64)> {
        CHECKS
            .iter()
            .zip(&self.checks)
            .filter(|(check, _)| !check.reads_period())
            .map(|(_, c)| (c.id.to_string(), c.checked, c.failing))
            .collect()
    }

    /// The report again from its counts (`None` if they are not those of the current checks).
    pub fn from_counts(counts: &QualityCounts, config: &Config) -> Option<QualityReport> {
        if counts.counts.len() != CHECKS.len() {
            return None;
        }
        let checks = CHECKS
            .iter()
            .zip(&counts.counts)
            .map(|(check, (id, checked, failing))| {
                (check.id == id).then(|| judged(check, *checked, *failing, config))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(QualityReport {
            period_label: counts.period.label(),
            period: counts.period,
            today: counts.today,
            checks,
        })
    }

    pub fn worst(&self) -> CheckStatus {
        if self.checks.iter().any(|c| c.status == CheckStatus::Fail) {
            CheckStatus::Fail
        } else if self.checks.iter().any(|c| c.status == CheckStatus::Warn) {
            CheckStatus::Warn
        } else {
            CheckStatus::Pass
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    #[error("quality check failed in {0}")]
    Sql(EngineError),
    #[error("warehouse query failed: {0}")]
    Db(#[from] duckdb::Error),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Output(String),
}

/// Runs every check for `period`, judging dates against `today`: the counts only.
pub fn run_checks(
    engine: &dyn Engine,
    period: &Period,
    today: NaiveDate,
    config: &Config,
) -> Result<QualityReport, QualityError> {
    run_checks_reusing(engine, period, today, config, &[])
}

/// [`run_checks`], taking the counts of the checks that do not depend on the period
/// ([`CheckDef::reads_period`]) from `reused` (as [`QualityCounts::counts`] gives them, from
/// another period's run on the same warehouse and configuration) instead of running them. A
/// check missing from `reused` is run.
pub fn run_checks_reusing(
    engine: &dyn Engine,
    period: &Period,
    today: NaiveDate,
    config: &Config,
    reused: &[(String, i64, i64)],
) -> Result<QualityReport, QualityError> {
    let result = run_all(engine, period, today, config, None, reused);
    // The scratch tables go whatever happened.
    engine.run("vbrief (clean-up)", CLEAN_UP_SQL)?;
    result
}

/// The checks with every failing row handed to `on_row` (on the DuckDB warehouse: the rows
/// are read where they are).
pub fn run_checks_with_rows(
    conn: &Connection,
    period: &Period,
    today: NaiveDate,
    config: &Config,
    on_row: Option<&mut dyn FnMut(FailingRow) -> Result<(), String>>,
) -> Result<QualityReport, QualityError> {
    let result = run_all(conn, period, today, config, on_row, &[]);
    conn.run("vbrief (clean-up)", CLEAN_UP_SQL)?;
    conn.execute_batch("DROP TABLE IF EXISTS qc_failing_all;")?;
    result
}

const CLEAN_UP_SQL: &str = "DROP VIEW IF EXISTS qc_failing; DROP VIEW IF EXISTS qc_checked;
     DROP VIEW IF EXISTS qc_count; DROP VIEW IF EXISTS qc_quarantine; DROP TABLE IF EXISTS qc_rows;
     DROP VIEW IF EXISTS qc_records; DROP TABLE IF EXISTS qc_settings; DROP TABLE IF EXISTS qc_months;";

/// A check file's statements up to its trailing `DROP`s, and those `DROP`s (each part as SQL;
/// the second empty when the file drops nothing).
fn split_trailing_drops(sql: &str) -> (String, String) {
    let statements = crate::engine::split_statements(sql);
    let kept = statements
        .iter()
        .rposition(|s| !s.trim_start().to_ascii_uppercase().starts_with("DROP "))
        .map_or(0, |last| last + 1);
    let join = |part: &[String]| part.iter().map(|s| format!("{s};\n")).collect::<String>();
    (join(&statements[..kept]), join(&statements[kept..]))
}

/// The `qc_settings` and `qc_months` tables the checks read (see quality/00_setup.sql).
fn settings_sql(period: &Period, today: NaiveDate, config: &Config) -> String {
    let mut months = Vec::new();
    let mut month = period.start.with_day(1).expect("day 1 exists");
    while month <= period.end {
        months.push(format!("SELECT {} AS month", date_literal(month)));
        month = month + Months::new(1);
    }
    format!(
        "CREATE OR REPLACE TEMP TABLE qc_settings AS
         SELECT {start} AS start_date, {end} AS end_date, {today} AS today,
                CAST('2000-01-01' AS DATE) AS earliest, {tolerance} AS reported_hours_tolerance;
         CREATE OR REPLACE TEMP TABLE qc_months AS {months};",
        start = date_literal(period.start),
        end = date_literal(period.end),
        today = date_literal(today),
        tolerance = double_literal(config.quality.reported_hours_tolerance),
        months = months.join(" UNION ALL "),
    )
}

fn run_all(
    engine: &dyn Engine,
    period: &Period,
    today: NaiveDate,
    config: &Config,
    mut on_row: Option<&mut dyn FnMut(FailingRow) -> Result<(), String>>,
    reused: &[(String, i64, i64)],
) -> Result<QualityReport, QualityError> {
    engine.run(
        "vbrief (check settings)",
        &settings_sql(period, today, config),
    )?;
    let (setup_file, setup_sql) = SETUP_SQL;
    engine
        .run(setup_file, setup_sql)
        .map_err(QualityError::Sql)?;
    // With rows to hand out (DuckDB only), each check's rows are kept; else each check's rows
    // are counted where they are and replaced by the next check's, so a run holds at most one
    // check's failing rows and only the counts travel.
    let keep_rows = match on_row {
        Some(_) if engine.dialect() == Dialect::DuckDb => {
            let conn = engine.fetch(&[])?;
            conn.execute_batch(
                "CREATE OR REPLACE TEMP TABLE qc_failing_all (
                     check_id VARCHAR, owner_id INTEGER, owner_text VARCHAR, file_id INTEGER,
                     source_row BIGINT, column_name VARCHAR, detail VARCHAR, masked_name VARCHAR);",
            )?;
            Some(conn)
        }
        Some(_) => {
            return Err(QualityError::Output(
                "failing rows are listed on the DuckDB warehouse only".into(),
            ))
        }
        None => None,
    };
    let mut counts = Vec::with_capacity(CHECKS.len());
    for check in &CHECKS {
        let known = reused
            .iter()
            .find(|(id, _, _)| id == check.id && !check.reads_period());
        if let Some((_, checked, failing)) = known {
            counts.push((*checked, *failing));
            continue;
        }
        let _t = tracing::info_span!("checks", part = check.id).entered();
        // `qc_checked` and `qc_failing` are views, computed where they are read: once, by the
        // counts (or by the copy of the rows); on Spark a table would be a job more each. The
        // helpers they read are dropped by the file's last statements, run after that.
        let (build, drops) = split_trailing_drops(&crate::status::render(check.sql, config));
        engine.run(check.file, &build).map_err(QualityError::Sql)?;
        let (checked, failing): (i64, i64) = match keep_rows {
            Some(conn) => {
                conn.execute_batch("INSERT INTO qc_failing_all SELECT * FROM qc_failing;")?;
                conn.query_row(
                    "SELECT (SELECT coalesce(sum(checked), 0) FROM qc_checked),
                            (SELECT count(*) FROM qc_failing_all WHERE check_id = ?)",
                    [check.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
            }
            None => {
                engine.run(
                    "vbrief (check counts)",
                    "CREATE OR REPLACE TEMP VIEW qc_count AS
                     SELECT (SELECT coalesce(sum(checked), 0) FROM qc_checked) AS checked,
                            (SELECT count(*) FROM qc_failing) AS failing",
                )?;
                engine.fetch(&["qc_count"])?.query_row(
                    "SELECT checked, failing FROM qc_count",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
            }
        };
        counts.push((checked, failing));
        if !drops.is_empty() {
            engine.run(check.file, &drops).map_err(QualityError::Sql)?;
        }
    }
    let checks: Vec<CheckResult> = CHECKS
        .iter()
        .zip(counts)
        .map(|(check, (checked, failing))| judged(check, checked, failing, config))
        .collect();
    if let (Some(on_row), Some(conn)) = (on_row.as_mut(), keep_rows) {
        let _t = tracing::info_span!("checks.rows").entered();
        let order: String = CHECKS
            .iter()
            .enumerate()
            .map(|(i, c)| format!("WHEN '{}' THEN {i} ", c.id))
            .collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT q.check_id, coalesce(c.district, ''), coalesce(c.street, ''),
                    coalesce(c.community, ''), coalesce(q.owner_text, ''), coalesce(f.path, ''),
                    coalesce(f.sheet, ''), q.source_row, coalesce(q.column_name, ''),
                    coalesce(q.detail, ''), coalesce(q.masked_name, '')
               FROM qc_failing_all q
               LEFT JOIN communities c ON c.community_id = q.owner_id
               LEFT JOIN files f ON f.file_id = q.file_id
              ORDER BY c.community IS NULL, c.district, c.street, c.community,
                       q.owner_text NULLS LAST, CASE q.check_id {order} END, f.path, f.sheet,
                       q.source_row, q.detail"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let (check, status) = checks
                .iter()
                .find(|c| c.id == id)
                .map_or(("", CheckStatus::NotApplicable), |c| (c.id, c.status));
            on_row(FailingRow {
                check,
                status,
                district: r.get(1)?,
                street: r.get(2)?,
                community: r.get(3)?,
                community_as_written: r.get(4)?,
                file: r.get(5)?,
                sheet: r.get(6)?,
                row: r.get(7)?,
                column: r.get(8)?,
                detail: r.get(9)?,
                masked_name: r.get(10)?,
            })
            .map_err(QualityError::Output)?;
        }
    }
    Ok(QualityReport {
        period_label: period.label(),
        period: *period,
        today,
        checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configured_check_has_sql_and_back() {
        let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        let configured: Vec<&str> = domain::config::QUALITY_CHECKS
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(ids, configured);
        for c in CHECKS {
            assert!(c.sql.contains(&format!("'{}'", c.id)), "{}", c.file);
        }
    }

    #[test]
    fn a_checks_helpers_are_dropped_after_its_counts() {
        let (build, drops) = split_trailing_drops(
            "-- a helper\nCREATE OR REPLACE TEMP TABLE qc_x AS SELECT 1 AS a;\n\
             CREATE OR REPLACE TEMP VIEW qc_failing AS SELECT a FROM qc_x;\nDROP TABLE qc_x;\n",
        );
        assert!(build.contains("TEMP TABLE qc_x") && build.contains("VIEW qc_failing"));
        assert!(!build.contains("DROP"), "{build}");
        assert_eq!(drops.trim(), "DROP TABLE qc_x;");
        let (build, drops) =
            split_trailing_drops("CREATE OR REPLACE TEMP VIEW qc_failing AS SELECT 1;");
        assert!(build.contains("qc_failing") && drops.is_empty());
    }

    #[test]
    fn the_checks_that_read_the_period_are_those_that_use_its_settings() {
        let reading: Vec<&str> = CHECKS
            .iter()
            .filter(|c| c.reads_period())
            .map(|c| c.id)
            .collect();
        assert_eq!(
            reading,
            [
                "date_range",
                "population",
                "reported_hours",
                "inactive_months"
            ]
        );
    }

    #[test]
    fn every_check_leaves_its_counts_as_views() {
        // Read once each, by the counts: as tables they would be one Spark job more per check.
        for check in &CHECKS {
            for name in ["qc_checked", "qc_failing"] {
                assert!(
                    check
                        .sql
                        .contains(&format!("CREATE OR REPLACE TEMP VIEW {name} AS")),
                    "{}: {name} is not a view",
                    check.file
                );
            }
        }
    }

    #[test]
    fn judging() {
        use CheckStatus::*;
        assert_eq!(CheckStatus::judge(0, 0, 0.0, 0.01), NotApplicable);
        assert_eq!(CheckStatus::judge(100, 0, 0.0, 0.01), Pass);
        assert_eq!(CheckStatus::judge(100, 1, 0.0, 0.01), Warn);
        assert_eq!(CheckStatus::judge(100, 2, 0.0, 0.01), Fail);
        assert_eq!(CheckStatus::judge(100, 4, 0.05, 0.2), Pass);
        assert_eq!(CheckStatus::judge(100, 6, 0.05, 0.2), Warn);
        assert_eq!(CheckStatus::judge(0, 3, 0.0, 0.0), Fail);
    }
}
