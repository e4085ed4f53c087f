//! Progress toward the year's targets (进度预警): for a period that is part of a calendar year,
//! each unit's pace so far, projected to the year's end, from `transforms/sql/progress.sql`
//! over the indicator SQL run for the year to date.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use domain::config::Config;

use crate::engine::Engine;
use crate::indicators::{round_to, run_sql, IndicatorError, Pass};
use crate::period::Period;

pub const PROGRESS_SQL: (&str, &str) = ("progress.sql", include_str!("../sql/progress.sql"));

/// The year to date a period reaches — 1 January to its end — when the period lies inside one
/// calendar year and ends before 31 December (a month, a quarter, `2025-ytd`, a range);
/// None for a whole year or a period ending on 31 December, whose year is already complete.
pub fn year_to_date(period: &Period) -> Option<Period> {
    let (s, e) = (period.start, period.end);
    let last_day = NaiveDate::from_ymd_opt(e.year(), 12, 31)?;
    if s.year() != e.year() || e == last_day {
        return None;
    }
    Some(Period {
        start: NaiveDate::from_ymd_opt(e.year(), 1, 1)?,
        end: e,
    })
}

/// One unit's pace (see progress.sql for each definition).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProgressRow {
    pub level: String,
    /// As in `IndicatorRow`: only in a combination of several cities.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub province: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub city: String,
    pub district: String,
    pub street: String,
    pub community: String,
    pub population: Option<i64>,
    pub registered: i64,
    pub registered_at_start: i64,
    pub registration_rate: Option<f64>,
    pub projected_registration_rate: Option<f64>,
    pub registration_target: f64,
    pub registrations_needed: Option<i64>,
    pub registrations_needed_per_month: Option<f64>,
    pub hours: f64,
    pub per_capita_hours_ytd: Option<f64>,
    pub projected_per_capita_hours: Option<f64>,
    pub per_capita_target_year: f64,
    pub hours_needed_per_month: Option<f64>,
    pub misses_registration: Option<bool>,
    pub misses_per_capita_hours: Option<bool>,
}

/// Progress at a period's end.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    /// 1 January .. the period's end.
    pub year_to_date: Period,
    /// Share of the year passed (0.5 at 30 June).
    pub elapsed: f64,
    pub remaining_months: f64,
    /// Every unit, communities first (in the order of the indicator rows).
    pub rows: Vec<ProgressRow>,
}

impl Progress {
    pub fn level<'a>(&'a self, level: &'a str) -> impl Iterator<Item = &'a ProgressRow> + 'a {
        self.rows.iter().filter(move |r| r.level == level)
    }
}

/// Progress at the end of `period`, or None when the period is not part of a year (see
/// [`year_to_date`]). Runs the indicator SQL for the year to date (without star levels), then
/// progress.sql; leaves the temp tables of that run behind.
pub fn compute(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
) -> Result<Option<Progress>, IndicatorError> {
    let Some(ytd) = year_to_date(period) else {
        return Ok(None);
    };
    run_sql(engine, &ytd, config, Pass::Comparison { monthly: false })?;
    let (file, sql) = PROGRESS_SQL;
    engine.run(file, sql).map_err(IndicatorError::Sql)?;
    let conn = engine.fetch(&["progress"])?;
    let (elapsed, remaining_months): (f64, f64) = conn.query_row(
        "SELECT any_value(elapsed), any_value(remaining_months) FROM progress",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT level, district, street, coalesce(community, ''), population, registered,
                registered_at_start, registration_rate, projected_registration_rate,
                registration_target, registrations_needed, registrations_needed_per_month,
                hours, per_capita_hours_ytd, projected_per_capita_hours,
                per_capita_target_year, hours_needed_per_month, misses_registration,
                misses_per_capita_hours, province, city
           FROM progress
          ORDER BY CASE level WHEN 'community' THEN 0 WHEN 'street' THEN 1 WHEN 'district' THEN 2
                              WHEN 'city' THEN 3 WHEN 'province' THEN 4 ELSE 5 END,
                   province, city, district, street, community, community_id",
    )?;
    let rate = |x: Option<f64>| x.filter(|v| v.is_finite()).map(|v| round_to(v, 4));
    let two = |x: Option<f64>| x.filter(|v| v.is_finite()).map(|v| round_to(v, 2));
    let rows = stmt
        .query_map([], |r| {
            Ok(ProgressRow {
                level: r.get(0)?,
                province: r.get(19)?,
                city: r.get(20)?,
                district: r.get(1)?,
                street: r.get(2)?,
                community: r.get(3)?,
                population: r.get::<_, Option<f64>>(4)?.map(|p| p as i64),
                registered: r.get(5)?,
                registered_at_start: r.get(6)?,
                registration_rate: rate(r.get(7)?),
                projected_registration_rate: rate(r.get(8)?),
                registration_target: r.get(9)?,
                registrations_needed: r.get::<_, Option<f64>>(10)?.map(|g| g as i64),
                registrations_needed_per_month: two(r.get(11)?),
                hours: round_to(r.get(12)?, 2),
                per_capita_hours_ytd: two(r.get(13)?),
                projected_per_capita_hours: two(r.get(14)?),
                per_capita_target_year: r.get(15)?,
                hours_needed_per_month: two(r.get(16)?),
                misses_registration: r.get(17)?,
                misses_per_capita_hours: r.get(18)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    engine.run(
        "vbrief (clean-up)",
        "DROP TABLE IF EXISTS progress; DROP TABLE IF EXISTS progress_start;",
    )?;
    Ok(Some(Progress {
        year_to_date: ytd,
        elapsed,
        remaining_months,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn a_period_inside_a_year_reaches_back_to_the_first_of_january() {
        assert_eq!(
            year_to_date(&p("2025-Q2")),
            Some(p("2025-01-01..2025-06-30"))
        );
        assert_eq!(
            year_to_date(&p("2025-03")),
            Some(p("2025-01-01..2025-03-31"))
        );
        assert_eq!(
            year_to_date(&p("2025-03-01..2025-05-15")),
            Some(p("2025-01-01..2025-05-15"))
        );
        // The year is complete: nothing to project.
        assert_eq!(year_to_date(&p("2025")), None);
        assert_eq!(year_to_date(&p("2025-Q4")), None);
        assert_eq!(year_to_date(&p("2025-12")), None);
        // Across years: not part of one year.
        assert_eq!(year_to_date(&p("2024-07-01..2025-06-30")), None);
    }
}
