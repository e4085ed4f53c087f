//! Runs the indicator SQL (`transforms/sql/*.sql`, in file order) for a period and returns one
//! typed row per community, street, district and the city (and, for a combination of
//! several cities, per province and for the nation).

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use duckdb::Connection;

use crate::engine::{Engine, EngineError};
use crate::period::Period;
pub use crate::results::{round_to, IndicatorRow, Indicators, MonthPoint};
use crate::star_list::StarListRow;
use domain::Config;

/// The indicator SQL, in the order it runs. Each file starts with what it counts, in words.
pub const SQL_FILES: [(&str, &str); 10] = [
    ("01_scope.sql", include_str!("../sql/01_scope.sql")),
    (
        "02_population.sql",
        include_str!("../sql/02_population.sql"),
    ),
    (
        "03_volunteers.sql",
        include_str!("../sql/03_volunteers.sql"),
    ),
    ("04_stars.sql", include_str!("../sql/04_stars.sql")),
    (
        "05_activities.sql",
        include_str!("../sql/05_activities.sql"),
    ),
    (
        "06_organizations_stations.sql",
        include_str!("../sql/06_organizations_stations.sql"),
    ),
    (
        "07_needs_trainings.sql",
        include_str!("../sql/07_needs_trainings.sql"),
    ),
    (
        "08_indicators.sql",
        include_str!("../sql/08_indicators.sql"),
    ),
    ("09_monthly.sql", include_str!("../sql/09_monthly.sql")),
    ("10_score.sql", include_str!("../sql/10_score.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    #[error("indicator query failed in {0}")]
    Sql(EngineError),
    #[error("warehouse query failed: {0}")]
    Db(#[from] duckdb::Error),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0} 年没有服务记录，无法确定“年初至今”的截止日期 (no service records in {0}: the year to date has no end)")]
    NoRecordsInYear(i32),
}

fn rate(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite()).map(|v| round_to(v, 4))
}

fn hours(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite()).map(|v| round_to(v, 2))
}

/// The previous period of the same length: the previous year, quarter or month for calendar
/// periods, the same months a year earlier for the year to date (1—6月 against last year's
/// 1—6月), else the same number of days just before.
pub fn previous_period(p: &Period) -> Period {
    if p.is_year_to_date() {
        return year_earlier(p);
    }
    let label = p.label();
    let months = if label.len() == 4 {
        Some(12)
    } else if label.contains("-Q") {
        Some(3)
    } else if label.len() == 7 {
        Some(1)
    } else {
        None
    };
    match months {
        Some(m) => {
            let start = p
                .start
                .checked_sub_months(Months::new(m))
                .expect("date in range");
            Period {
                start,
                end: p.start.pred_opt().expect("date in range"),
            }
        }
        None => {
            let days = chrono::Days::new(p.days() as u64);
            Period {
                start: p.start - days,
                end: p.start.pred_opt().expect("date in range"),
            }
        }
    }
}

/// The same period one year earlier (29 February becomes the 28th).
pub fn year_earlier(p: &Period) -> Period {
    let back = |d: NaiveDate| {
        d.checked_sub_months(Months::new(12))
            .expect("date in range")
    };
    let mut end = back(p.end);
    // The end of February stays the end of February.
    if p.end.month() == 2 && p.end.succ_opt().is_some_and(|n| n.month() == 3) {
        end = NaiveDate::from_ymd_opt(end.year(), 3, 1)
            .and_then(|d| d.pred_opt())
            .expect("valid");
    }
    Period {
        start: back(p.start),
        end,
    }
}

/// `2025-ytd`: 1 January to the end of the last complete month the service records reach
/// (the records' last date when that is a month's last day), not past `today`. Within January,
/// to the last record's date. 31 December makes it the whole year.
pub fn year_to_date_period(
    engine: &dyn Engine,
    year: i32,
    today: NaiveDate,
) -> Result<Period, IndicatorError> {
    let last: Option<String> = last_record_date(
        engine,
        &format!("year(served_on) = {year} AND served_on <= CAST('{today}' AS DATE)"),
    )?;
    let last = last
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .ok_or(IndicatorError::NoRecordsInYear(year))?;
    let month_end = last.succ_opt().is_some_and(|n| n.day() == 1);
    let end = if month_end || last.month() == 1 {
        last
    } else {
        last.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(last)
    };
    let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    Ok(Period { start, end })
}

/// What a run of the indicator SQL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// The report's period: every indicator.
    Report,
    /// A comparison period (previous, year earlier, the year to date of progress): only
    /// registered, hours, per-capita hours and active volunteers are read from it (and, for
    /// the year earlier, the monthly trend), so the star levels (a sum over every record up to
    /// the period's end) read as zero, activities and active months as none, and the monthly
    /// trend is left empty unless `monthly`.
    Comparison { monthly: bool },
}

/// What a comparison pass runs instead of `file` (see [`Pass::Comparison`]): the same tables
/// and views, empty or zero, so that nothing of another pass is read by mistake.
fn comparison_sql(file: &str, monthly: bool) -> Option<&'static str> {
    match file {
        "04_stars.sql" => Some(NO_STARS_SQL),
        "05_activities.sql" => Some(NO_ACTIVITIES_SQL),
        "09_monthly.sql" if !monthly => Some(NO_MONTHLY_SQL),
        _ => None,
    }
}

const NO_STARS_SQL: &str = "CREATE OR REPLACE TEMP VIEW m_stars AS
    SELECT community_id, CAST(0 AS BIGINT) AS star1, CAST(0 AS BIGINT) AS star2,
           CAST(0 AS BIGINT) AS star3, CAST(0 AS BIGINT) AS star4, CAST(0 AS BIGINT) AS star5
    FROM hierarchy;";

/// 05_activities.sql's tables, with their columns and no rows.
const NO_ACTIVITIES_SQL: &str = "CREATE OR REPLACE TEMP TABLE activity_facts AS
    SELECT a.community_id, a.category, make_date(year(a.held_on), month(a.held_on), 1) AS month
    FROM activities a WHERE false;
    CREATE OR REPLACE TEMP TABLE month_facts AS
    SELECT community_id, month FROM activity_facts;";

/// 09_monthly.sql's table, with its columns and no rows.
const NO_MONTHLY_SQL: &str = "CREATE OR REPLACE TEMP TABLE monthly AS
    SELECT h.district, CAST(NULL AS DATE) AS month, CAST(0 AS DOUBLE) AS hours,
           CAST(0 AS BIGINT) AS active_volunteers
    FROM hierarchy h WHERE false;";

/// The last service date (as `YYYY-MM-DD`) among the records matching `condition`, computed
/// on the engine.
fn last_record_date(
    engine: &dyn Engine,
    condition: &str,
) -> Result<Option<String>, IndicatorError> {
    engine.run(
        "vbrief (last service date)",
        &format!(
            "CREATE OR REPLACE TEMP TABLE vbrief_last_record AS
             SELECT max(served_on) AS last FROM service_records WHERE {condition}"
        ),
    )?;
    let conn = engine.fetch(&["vbrief_last_record"])?;
    Ok(conn.query_row(
        "SELECT CAST(last AS VARCHAR) FROM vbrief_last_record",
        [],
        |r| r.get(0),
    )?)
}

/// A date or number written into SQL as a typed literal that both engines read exactly.
pub(crate) fn date_literal(d: NaiveDate) -> String {
    format!("CAST('{d}' AS DATE)")
}

pub(crate) fn double_literal(x: f64) -> String {
    // `{:?}` is the shortest text that reads back as the same f64.
    format!("CAST('{x:?}' AS DOUBLE)")
}

/// The `period` and `settings` tables every indicator SQL file reads.
pub(crate) fn set_period_and_settings(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
) -> Result<(), IndicatorError> {
    let months = {
        let (s, e) = (period.start, period.end);
        (e.year() - s.year()) as i64 * 12 + e.month() as i64 - s.month() as i64 + 1
    };
    let t = &config.targets;
    let stars = &config.stars.thresholds;
    let d = double_literal;
    let sql = format!(
        "CREATE OR REPLACE TEMP TABLE period AS
         SELECT {start} AS start_date, {end} AS end_date, CAST({days} AS INTEGER) AS days,
                CAST({months} AS INTEGER) AS months;
         CREATE OR REPLACE TEMP TABLE settings AS
         SELECT {registration} AS registration_target, {per_capita} AS per_capita_target_year,
                {organizations_min} AS organizations_min, {organizations_aim} AS organizations_aim,
                {categories} AS standard_categories,
                {s1} AS star1, {s2} AS star2, {s3} AS star3, {s4} AS star4, {s5} AS star5,
                {weights};",
        start = date_literal(period.start),
        end = date_literal(period.end),
        days = period.days(),
        registration = d(t.registration_rate.value),
        per_capita = d(t.per_capita_hours.value),
        organizations_min = d(t.organizations_min.value),
        organizations_aim = d(t.organizations_aim.value),
        categories = d(config.categories.standard.len() as f64),
        s1 = d(stars[0]),
        s2 = d(stars[1]),
        s3 = d(stars[2]),
        s4 = d(stars[3]),
        s5 = d(stars[4]),
        weights = score_weights(config),
    );
    engine.run("vbrief (period and settings)", &sql)?;
    Ok(())
}

/// The score's weights as columns of `settings` (`weight_<component>`, 0 for a component
/// without a weight), read by 10_score.sql.
fn score_weights(config: &Config) -> String {
    domain::config::SCORE_COMPONENTS
        .iter()
        .map(|c| {
            let w = config.score.weights.get(*c).copied().unwrap_or(0.0);
            format!("{} AS weight_{c}", double_literal(w))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sets the period and targets the SQL reads, then runs every file.
pub(crate) fn run_sql(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
    pass: Pass,
) -> Result<Vec<IndicatorRow>, IndicatorError> {
    set_period_and_settings(engine, period, config)?;
    for (file, sql) in SQL_FILES {
        let _t = tracing::info_span!("indicators", part = %file).entered();
        let sql = match pass {
            Pass::Comparison { monthly } => comparison_sql(file, monthly).unwrap_or(sql),
            Pass::Report => sql,
        };
        engine
            .run(file, &crate::status::render(sql, config))
            .map_err(IndicatorError::Sql)?;
    }
    read_indicator_rows(engine.fetch(&["indicators", "score"])?)
}

/// The `indicators` and `score` tables the SQL files left, as typed rows (rounded as the data
/// contract says: rates to 4 decimals, hours to 2; the score comes rounded to 1).
fn read_indicator_rows(conn: &Connection) -> Result<Vec<IndicatorRow>, IndicatorError> {
    let mut stmt = conn.prepare(
        "SELECT level, district, street, community_id, community, communities, population,
                population_flagged, registered, registration_rate, registration_target,
                registration_gap, hours, per_capita_hours, per_capita_target,
                annualized_per_capita_hours, hours_gap, active_volunteers, participation_rate,
                activities, category_coverage, active_months, months_in_period, organizations,
                organizations_per_community, stations, station_coverage, needs_collected,
                needs_resolved, need_resolution_rate, trainings, training_participants,
                star1, star2, star3, star4, star5,
                communities_meeting_registration, communities_meeting_per_capita_hours,
                communities_meeting_organizations_min, communities_meeting_organizations_aim,
                communities_meeting_station, meets_registration, meets_per_capita_hours,
                meets_organizations_min, meets_organizations_aim, score, rank_in_district
                , province, city
           FROM indicators
           JOIN score USING (level, province, city, district, street, community_id)
          ORDER BY CASE level WHEN 'community' THEN 0 WHEN 'street' THEN 1 WHEN 'district' THEN 2
                              WHEN 'city' THEN 3 WHEN 'province' THEN 4 ELSE 5 END,
                   province, city, district, street, community, community_id",
    )?;
    let rows = stmt.query_map([], |r| {
        let level: String = r.get(0)?;
        let communities: i64 = r.get(5)?;
        let population: Option<i64> = r.get::<_, Option<f64>>(6)?.map(|p| p as i64);
        let registered: i64 = r.get(8)?;
        let registration_gap: Option<i64> = r.get::<_, Option<f64>>(11)?.map(|g| g as i64);
        let raw_hours: f64 = r.get(12)?;
        let raw_per_capita: Option<f64> = r.get(13)?;
        let raw_target: f64 = r.get(14)?;
        let organizations: i64 = r.get::<_, f64>(23)? as i64;
        let meeting = |i: usize| -> duckdb::Result<i64> { r.get(i) };
        let share = |n: i64| round_to(n as f64 / communities.max(1) as f64, 4);
        let mut row = IndicatorRow {
            province: r.get(48)?,
            city: r.get(49)?,
            district: r.get(1)?,
            street: r.get(2)?,
            community_id: r.get(3)?,
            community: r.get(4)?,
            communities,
            population,
            population_flagged: r.get::<_, Option<bool>>(7)?.unwrap_or(false),
            registered,
            registration_rate: rate(r.get(9)?),
            registration_target: r.get(10)?,
            registration_gap,
            meets_registration: r.get(42)?,
            hours: round_to(raw_hours, 2),
            per_capita_hours: hours(raw_per_capita),
            per_capita_target: round_to(raw_target, 2),
            annualized_per_capita_hours: hours(r.get(15)?),
            hours_gap: round_to(r.get(16)?, 2),
            meets_per_capita_hours: r.get(43)?,
            active_volunteers: r.get(17)?,
            participation_rate: rate(r.get(18)?),
            activities: r.get(19)?,
            category_coverage: round_to(r.get(20)?, 4),
            active_months: r.get(21)?,
            months_in_period: r.get(22)?,
            organizations,
            organizations_per_community: round_to(r.get(24)?, 2),
            meets_organizations_min: r.get(44)?,
            meets_organizations_aim: r.get(45)?,
            has_station: r.get(25)?,
            station_coverage: round_to(r.get(26)?, 4),
            needs_collected: r.get(27)?,
            needs_resolved: r.get(28)?,
            need_resolution_rate: rate(r.get(29)?),
            trainings: r.get(30)?,
            training_participants: r.get::<_, f64>(31)? as i64,
            star1: r.get(32)?,
            star2: r.get(33)?,
            star3: r.get(34)?,
            star4: r.get(35)?,
            star5: r.get(36)?,
            communities_meeting_registration: meeting(37)?,
            communities_meeting_per_capita_hours: meeting(38)?,
            communities_meeting_organizations_min: meeting(39)?,
            communities_meeting_organizations_aim: meeting(40)?,
            communities_meeting_station: meeting(41)?,
            share_meeting_registration: share(meeting(37)?),
            share_meeting_per_capita_hours: share(meeting(38)?),
            share_meeting_station: share(meeting(41)?),
            score: r.get::<_, Option<f64>>(46)?.map(|s| round_to(s, 1)),
            rank_in_district: r.get(47)?,
            // The comparison columns are filled in by `compute`.
            ..IndicatorRow::empty()
        };
        row.level = level;
        Ok(row)
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl IndicatorRow {
    /// An all-zero row (lists the columns; a base for tests).
    pub fn empty() -> IndicatorRow {
        IndicatorRow {
            level: String::new(),
            province: String::new(),
            city: String::new(),
            district: String::new(),
            street: String::new(),
            community: String::new(),
            community_id: 0,
            communities: 0,
            population: None,
            population_flagged: false,
            registered: 0,
            registration_rate: None,
            registration_target: 0.0,
            registration_gap: None,
            meets_registration: None,
            hours: 0.0,
            per_capita_hours: None,
            per_capita_target: 0.0,
            annualized_per_capita_hours: None,
            hours_gap: 0.0,
            meets_per_capita_hours: None,
            active_volunteers: 0,
            participation_rate: None,
            activities: 0,
            category_coverage: 0.0,
            active_months: 0,
            months_in_period: 0,
            organizations: 0,
            organizations_per_community: 0.0,
            meets_organizations_min: None,
            meets_organizations_aim: None,
            has_station: 0,
            station_coverage: 0.0,
            needs_collected: 0,
            needs_resolved: 0,
            need_resolution_rate: None,
            trainings: 0,
            training_participants: 0,
            star1: 0,
            star2: 0,
            star3: 0,
            star4: 0,
            star5: 0,
            communities_meeting_registration: 0,
            communities_meeting_per_capita_hours: 0,
            communities_meeting_organizations_min: 0,
            communities_meeting_organizations_aim: 0,
            communities_meeting_station: 0,
            share_meeting_registration: 0.0,
            share_meeting_per_capita_hours: 0.0,
            share_meeting_station: 0.0,
            score: None,
            rank_in_district: None,
            registered_prev: None,
            registration_rate_prev: None,
            hours_prev: None,
            per_capita_hours_prev: None,
            active_volunteers_prev: None,
            registered_yoy: None,
            registration_rate_yoy: None,
            hours_yoy: None,
            per_capita_hours_yoy: None,
            active_volunteers_yoy: None,
        }
    }
}

/// Reads the monthly table the last `run_sql` left behind.
fn read_monthly(conn: &Connection) -> Result<Vec<MonthPoint>, IndicatorError> {
    let mut stmt = conn.prepare(
        "SELECT district, CAST(month AS DATE)::VARCHAR, hours, active_volunteers FROM monthly ORDER BY district, month",
    )?;
    let rows = stmt.query_map([], |r| {
        let month: String = r.get(1)?;
        Ok(MonthPoint {
            district: r.get(0)?,
            month: NaiveDate::parse_from_str(&month, "%Y-%m-%d").unwrap_or_default(),
            hours: round_to(r.get(2)?, 2),
            active_volunteers: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

type UnitKey = (String, String, String, String, String, i32);

fn key(r: &IndicatorRow) -> UnitKey {
    (
        r.level.clone(),
        r.province.clone(),
        r.city.clone(),
        r.district.clone(),
        r.street.clone(),
        r.community_id,
    )
}

/// Computes every indicator for `period`, with its comparison columns.
pub fn compute(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
) -> Result<Indicators, IndicatorError> {
    compute_reusing(engine, period, config, &|_| None)
}

/// Figures already computed for other periods of the same warehouse and settings (a working
/// folder's result cache): a comparison period found here is read from them instead of being
/// computed again. A report's figures hold everything a comparison pass computes (registered,
/// hours, per-capita hours, active volunteers, the monthly trend), from the same SQL.
pub type KnownFigures<'a> = &'a dyn Fn(&Period) -> Option<Indicators>;

/// [`compute`], taking the comparison periods from `known` where it has them.
pub fn compute_reusing(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
    known: KnownFigures,
) -> Result<Indicators, IndicatorError> {
    Ok(compute_passes(engine, period, config, known, false)?.0)
}

/// [`compute_reusing`], and the star list (星级认定名单) for the same period from the tables
/// the period's own pass leaves: the persons' cumulative hours are summed once for both.
pub fn compute_with_star_list(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
    known: KnownFigures,
) -> Result<(Indicators, Vec<StarListRow>), IndicatorError> {
    let (indicators, star_list) = compute_passes(engine, period, config, known, true)?;
    Ok((indicators, star_list.unwrap_or_default()))
}

fn compute_passes(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
    known: KnownFigures,
    with_star_list: bool,
) -> Result<(Indicators, Option<Vec<StarListRow>>), IndicatorError> {
    let previous = previous_period(period);
    let earlier = year_earlier(period);
    // The comparison periods first: the period itself runs last, so the temp tables left
    // behind (and read by `explain` and the monthly trend) are its own.
    let by_unit = |rows: Vec<IndicatorRow>| -> HashMap<UnitKey, IndicatorRow> {
        rows.into_iter().map(|r| (key(&r), r)).collect()
    };
    // For a year the previous period is the year before: computed once.
    let prev = if previous == earlier {
        None
    } else {
        Some(by_unit(match known(&previous) {
            Some(figures) => figures.rows,
            None => run_sql(
                engine,
                &previous,
                config,
                Pass::Comparison { monthly: false },
            )?,
        }))
    };
    // The year earlier's monthly trend is drawn beside the period's.
    let (yoy, monthly_year_earlier) = match known(&earlier) {
        Some(figures) => (by_unit(figures.rows), figures.monthly),
        None => {
            let rows = run_sql(engine, &earlier, config, Pass::Comparison { monthly: true })?;
            (by_unit(rows), read_monthly(engine.fetch(&["monthly"])?)?)
        }
    };
    let prev = prev.unwrap_or_else(|| yoy.clone());
    let mut rows = run_sql(engine, period, config, Pass::Report)?;
    let monthly = read_monthly(engine.fetch(&["monthly"])?)?;
    let star_list = if with_star_list {
        let _t = tracing::info_span!("indicators", part = "star_list.sql").entered();
        Some(crate::star_list::from_report_pass(engine, config)?)
    } else {
        None
    };
    for row in &mut rows {
        if let Some(p) = prev.get(&key(row)) {
            row.registered_prev = Some(p.registered);
            row.registration_rate_prev = p.registration_rate;
            row.hours_prev = Some(p.hours);
            row.per_capita_hours_prev = p.per_capita_hours;
            row.active_volunteers_prev = Some(p.active_volunteers);
        }
        if let Some(y) = yoy.get(&key(row)) {
            row.registered_yoy = Some(y.registered);
            row.registration_rate_yoy = y.registration_rate;
            row.hours_yoy = Some(y.hours);
            row.per_capita_hours_yoy = y.per_capita_hours;
            row.active_volunteers_yoy = Some(y.active_volunteers);
        }
    }
    let last_record = last_record_date(engine, "true")?;
    let extends_past_data = last_record
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .is_none_or(|last| period.end > last);
    let indicators = Indicators {
        period: *period,
        period_label: period.label(),
        previous_period: previous,
        year_earlier_period: earlier,
        days: period.days(),
        extends_past_data,
        rows,
        monthly,
        monthly_year_earlier,
    };
    Ok((indicators, star_list))
}

/// transforms/sql/years.sql: the years with service records.
pub const YEARS_SQL: (&str, &str) = ("years.sql", include_str!("../sql/years.sql"));

/// The calendar years with service records, newest first (`YEARS_SQL`).
pub fn years_with_records(engine: &dyn Engine) -> Result<Vec<i32>, IndicatorError> {
    let (file, sql) = YEARS_SQL;
    engine.run(file, sql).map_err(IndicatorError::Sql)?;
    let conn = engine.fetch(&["record_years"])?;
    let mut stmt = conn.prepare("SELECT year FROM record_years ORDER BY year DESC")?;
    let years = stmt.query_map([], |r| r.get(0))?;
    Ok(years.collect::<Result<Vec<i32>, _>>()?)
}

/// The default period: the last calendar year that has ended (before `today`) and has
/// service records; the year before `today`'s when there are none.
pub fn default_period(engine: &dyn Engine, today: NaiveDate) -> Result<Period, IndicatorError> {
    let last: Option<i32> = last_record_date(engine, "true")?
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .map(|d| d.year());
    let year = last.map_or(today.year() - 1, |y| y.min(today.year() - 1));
    Ok(Period::parse(&year.to_string()).expect("a year is a period"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn comparison_periods() {
        assert_eq!(previous_period(&p("2025")), p("2024"));
        assert_eq!(previous_period(&p("2025-Q1")), p("2024-Q4"));
        assert_eq!(previous_period(&p("2025-03")), p("2025-02"));
        assert_eq!(
            previous_period(&p("2025-01-01..2025-06-30")),
            p("2024-01-01..2024-06-30")
        );
        assert_eq!(
            previous_period(&p("2025-01-11..2025-01-20")),
            p("2025-01-01..2025-01-10")
        );
        assert_eq!(year_earlier(&p("2025-Q3")), p("2024-Q3"));
        assert_eq!(year_earlier(&p("2025-02")), p("2024-02"));
        assert_eq!(year_earlier(&p("2024-02")), p("2023-02"));
    }

    /// A comparison pass's stand-ins (no stars, no activities, no monthly trend) make the
    /// tables and views of the files they replace with the same columns and types, so that
    /// what reads them (08, 10, progress.sql, explain) reads a comparison pass as it reads
    /// the period's own. Run on the warehouse's own schema, empty.
    #[test]
    fn stand_ins_have_the_shape_of_the_files_they_replace() {
        let config = Config::default();
        let replaced = ["m_stars", "activity_facts", "month_facts", "monthly"];
        // Each pass on a connection of its own, so that a relation a stand-in failed to make
        // is missing rather than left over from another pass.
        let shapes = |pass: Pass| -> Vec<Vec<(String, String)>> {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(include_str!("../../ingest/sql/schema.sql"))
                .unwrap();
            run_sql(&conn, &p("2025"), &config, pass).unwrap();
            replaced
                .iter()
                .map(|relation| {
                    let mut stmt = conn.prepare(&format!("DESCRIBE {relation}")).unwrap();
                    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap()
                })
                .collect()
        };
        let own = shapes(Pass::Report);
        assert!(own.iter().all(|columns| !columns.is_empty()));
        assert_eq!(shapes(Pass::Comparison { monthly: false }), own);
        // (with `monthly`, 09_monthly.sql itself runs)
        assert_eq!(shapes(Pass::Comparison { monthly: true }), own);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_to(0.153_249, 4), 0.1532);
        assert_eq!(round_to(12.345_1, 2), 12.35);
        assert_eq!(round_to(-0.000_01, 2), 0.0);
    }
}
