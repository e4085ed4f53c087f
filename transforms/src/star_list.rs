//! 星级认定名单: the persons behind the star counts, for each community to certify, from
//! `transforms/sql/star_list.sql` over the same scope and star tables the indicators use.

use serde::{Deserialize, Serialize};

use domain::config::Config;

use crate::engine::Engine;
use crate::indicators::{set_period_and_settings, IndicatorError, SQL_FILES};
use crate::period::Period;

pub const STAR_LIST_SQL: (&str, &str) = ("star_list.sql", include_str!("../sql/star_list.sql"));

/// One eligible person.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StarListRow {
    pub district: String,
    pub street: String,
    pub community: String,
    /// 志愿者编号, when the registration export carried one.
    pub volunteer_no: Option<String>,
    /// The name as stored: masked (张*明).
    pub name_masked: Option<String>,
    /// 1 to 5.
    pub level: i32,
    /// Cumulative effective hours up to the period's end.
    pub hours: f64,
    /// The level was reached inside the period.
    pub new_in_period: bool,
}

/// Every person eligible for a star level at the end of `period`, sorted for handing to each
/// community: by district, street and community, then level and hours (highest first).
/// Runs the scope and star SQL for the period first; after the report's own pass of the
/// indicator SQL, [`from_report_pass`] reads the same tables without running them again.
pub fn star_list(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
) -> Result<Vec<StarListRow>, IndicatorError> {
    set_period_and_settings(engine, period, config)?;
    let needed = ["01_scope.sql", "04_stars.sql"];
    for &(file, sql) in SQL_FILES.iter().filter(|(f, _)| needed.contains(f)) {
        engine
            .run(file, &crate::status::render(sql, config))
            .map_err(IndicatorError::Sql)?;
    }
    from_report_pass(engine, config)
}

/// The star list from the tables the period's own pass of the indicator SQL left on
/// `engine`: called right after that pass (a comparison pass makes no per-person hours, so
/// after one, `person_cumulative_hours` would still be an earlier pass's).
pub(crate) fn from_report_pass(
    engine: &dyn Engine,
    config: &Config,
) -> Result<Vec<StarListRow>, IndicatorError> {
    let (file, sql) = STAR_LIST_SQL;
    engine
        .run(file, &crate::status::render(sql, config))
        .map_err(IndicatorError::Sql)?;
    let conn = engine.fetch(&["star_list"])?;
    let mut stmt = conn.prepare(
        "SELECT district, street, community, volunteer_no, name_masked, level, hours,
                new_in_period
         FROM star_list
         ORDER BY district, street, community, level DESC, hours DESC, volunteer_no NULLS LAST,
                  name_masked",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(StarListRow {
                district: r.get(0)?,
                street: r.get(1)?,
                community: r.get(2)?,
                volunteer_no: r.get(3)?,
                name_masked: r.get(4)?,
                level: r.get(5)?,
                hours: r.get(6)?,
                new_in_period: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    engine.run("vbrief (clean-up)", "DROP TABLE IF EXISTS star_list;")?;
    Ok(rows)
}
