//! `vbrief explain`: how one community's figure was obtained — the inputs counted, the SQL
//! files, and the rows left out and why — so that an analyst can defend it in an inspection.

use duckdb::{params, Connection};

use domain::config::Config;

use crate::indicators::IndicatorError;
use crate::period::Period;

/// Which SQL files define an indicator, and its definition in words.
pub fn definition(indicator: &str) -> Option<(&'static [&'static str], &'static str)> {
    let base = indicator.trim_end_matches("_prev").trim_end_matches("_yoy");
    Some(match base {
        "population" | "population_flagged" => (&["02_population.sql"], "最近一期（统计日期不晚于期末）的常住人口 latest 常住人口 dated on or before the period's end"),
        "registered" => (&["01_scope.sql", "03_volunteers.sql"], "期末在册志愿者：去重后属于本社区、注册日期不晚于期末、未注销或停用、实名认证未被排除（设置中的“状态词”，vbrief.toml [status]）registered persons of the community at the period's end"),
        "registration_rate" | "registration_gap" | "meets_registration" => (&["02_population.sql", "03_volunteers.sql", "08_indicators.sql"], "注册率 = 在册志愿者 / 常住人口；缺口 = max(0, ⌈目标×人口⌉ − 在册) registered / population; gap = volunteers still needed"),
        "hours" => (&["01_scope.sql", "03_volunteers.sql"], "期内本社区在册志愿者的有效（已生效）服务时长之和 effective hours served in the period by the community's persons"),
        "per_capita_hours" | "annualized_per_capita_hours" | "hours_gap" | "meets_per_capita_hours" | "per_capita_target" => (&["03_volunteers.sql", "08_indicators.sql"], "人均时长 = 时长 / 在册志愿者；年化 = 人均 × 365 / 天数；目标按期长折算 hours / registered; annualized × 365 / days; target pro-rated"),
        "active_volunteers" | "participation_rate" => (&["01_scope.sql", "03_volunteers.sql", "08_indicators.sql"], "期内至少有一条有效记录的在册志愿者；参与率 = 活跃 / 在册 persons with an effective record in the period; / registered"),
        "activities" | "category_coverage" | "active_months" => (&["05_activities.sql", "08_indicators.sql"], "期内活动数；覆盖的标准服务类别占比；有活动或有效记录的月份数 activities in the period; share of standard categories; months with activity"),
        "organizations" | "meets_organizations_min" | "meets_organizations_aim" => (&["06_organizations_stations.sql"], "期末前成立且未解散/注销的志愿服务组织 organizations founded by the end and not ended"),
        "has_station" => (&["06_organizations_stations.sql"], "期末前建成的志愿服务站 a station established by the end"),
        "needs_collected" | "needs_resolved" | "need_resolution_rate" => (&["07_needs_trainings.sql"], "期末前登记的需求及其中期末前已解决的 needs collected by the end, and of them resolved by the end"),
        "trainings" | "training_participants" => (&["07_needs_trainings.sql"], "期内培训场次与参训人数 trainings held in the period and their participants"),
        "star1" | "star2" | "star3" | "star4" | "star5" => (&["04_stars.sql"], "按截至期末的累计有效时长达到的最高星级（具备资格人数）persons by the highest star level their cumulative effective hours reach"),
        "per_capita_hours_ytd" | "projected_per_capita_hours" | "hours_needed_per_month" | "misses_per_capita_hours" => (&["progress.sql", "03_volunteers.sql", "08_indicators.sql"], "进度推算：年初至期末的人均时长 ÷ 全年已过比例（按月计：6月30日为 6/12）= 年末预计；每月还需 = max(0, 全年目标 − 至今人均) ÷ 剩余月数 year-to-date per-capita hours ÷ share of the year passed = projected; needed per month = (year target − so far) ÷ remaining months"),
        "registered_at_start" | "projected_registration_rate" | "registrations_needed" | "registrations_needed_per_month" | "misses_registration" => (&["progress.sql", "01_scope.sql", "08_indicators.sql"], "进度推算：年末预计注册率 = （年初在册 + 今年新增 ÷ 全年已过比例）÷ 常住人口；每月还需注册 = 缺口 ÷ 剩余月数 projected rate = (registered before 1 Jan + new this year ÷ share of the year passed) / population; needed per month = gap ÷ remaining months"),
        "registration_target" => (&["08_indicators.sql"], "注册率目标（设置中的“目标与出处”，默认 15%）the registration target, from vbrief.toml"),
        "organizations_per_community" => (&["06_organizations_stations.sql", "08_indicators.sql"], "每个社区的志愿服务组织数 = 组织数 ÷ 社区数 organizations per community"),
        "station_coverage" => (&["06_organizations_stations.sql", "08_indicators.sql"], "建有志愿服务站的社区占比 = 有站点的社区数 ÷ 社区数 share of communities with a station"),
        "communities_meeting_registration" | "communities_meeting_per_capita_hours" | "communities_meeting_organizations_min" | "communities_meeting_organizations_aim" | "communities_meeting_station" | "share_meeting_registration" | "share_meeting_per_capita_hours" | "share_meeting_station" => (&["08_indicators.sql"], "街道、区县、全市中达到该项目标的社区数及其占比（每个社区按自己的数字判断，与社区行的“达标”相同）communities of the unit meeting the target, each judged on its own figures, and their share"),
        "score" => (&["10_score.sql", "08_indicators.sql"], "综合得分（本地惯例，非官方指数）= Σ 权重 × 完成度 ÷ Σ 权重 × 100，保留一位小数；完成度 = 指标 ÷ 目标，限于 0–1（注册率 ÷ 目标注册率，年化人均时长 ÷ 25 小时，参与率，服务类别覆盖率，需求解决率，每社区组织数 ÷ 2），权重见设置中的“综合得分权重”（vbrief.toml [score.weights]） composite score (a local convention, not an official index): weighted mean of each component's attainment of its target, capped at 1, × 100"),
        "rank_in_district" | "rank" => (&["10_score.sql"], "区内排名：同一区县的社区按综合得分（一位小数）从高到低排列，得分相同者名次相同（1、1、3）rank by score among the communities of the same district; equal scores share a rank"),
        _ => return None,
    })
}

/// One component of a unit's composite score: how far it has come toward its target (0..1)
/// and its weight (10_score.sql's `score` table).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreComponent {
    pub component: &'static str,
    pub name_zh: &'static str,
    pub attainment: f64,
    pub weight: f64,
}

/// The components of a community's score, from the `score` table the last indicator run left
/// (the period's own run: see `indicators::compute`).
pub fn score_components(
    engine: &dyn crate::Engine,
    config: &Config,
    community_id: i32,
) -> Result<Vec<ScoreComponent>, IndicatorError> {
    const NAMES: [(&str, &str); 6] = [
        ("registration_rate", "注册率 ÷ 目标"),
        ("per_capita_hours", "年化人均时长 ÷ 目标"),
        ("participation_rate", "参与率"),
        ("category_coverage", "服务类别覆盖率"),
        ("need_resolution_rate", "需求解决率"),
        ("organizations", "每社区组织数 ÷ 目标"),
    ];
    let conn = engine.fetch(&["score"])?;
    let columns: Vec<String> = NAMES.iter().map(|(c, _)| format!("c_{c}")).collect();
    let values: Vec<f64> = conn.query_row(
        &format!(
            "SELECT {} FROM score WHERE level = 'community' AND community_id = ?1",
            columns.join(", ")
        ),
        [community_id],
        |r| (0..NAMES.len()).map(|i| r.get(i)).collect(),
    )?;
    Ok(NAMES
        .iter()
        .zip(values)
        .map(|((component, name_zh), attainment)| ScoreComponent {
            component,
            name_zh,
            attainment,
            weight: config.score.weights.get(*component).copied().unwrap_or(0.0),
        })
        .collect())
}

/// Whether `indicator` is one of the year's progress figures (progress.sql), which exist only
/// for a period that is part of a year.
pub fn is_progress(indicator: &str) -> bool {
    definition(indicator).is_some_and(|(files, _)| files.first() == Some(&"progress.sql"))
}

/// The query behind [`breakdown`]: one row of counts, on the folder's warehouse only.
pub const BREAKDOWN_SQL: (&str, &str) = (
    "explain_breakdown.sql",
    include_str!("../sql/explain_breakdown.sql"),
);

/// Counts behind a community's volunteer figures, including what was left out and why.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Breakdown {
    pub volunteers_in_community: i64,
    pub excluded_cancelled: i64,
    pub excluded_registered_after_end: i64,
    pub records_in_period_of_community_people: i64,
    pub records_counted: i64,
    pub excluded_records_not_effective: i64,
    pub excluded_records_of_cancelled_or_later_registered: i64,
    pub records_outside_period_of_counted_people: i64,
    /// City-wide: records in the period whose person is not in the registry at all.
    pub records_in_period_of_unknown_persons: i64,
    /// Not excluded by status, but their 认证状态 is an excluded one (审核中, 认证未通过).
    pub excluded_unverified: i64,
}

/// The counts behind a community's volunteer figures for `period`
/// (transforms/sql/explain_breakdown.sql).
pub fn breakdown(
    conn: &Connection,
    period: &Period,
    config: &Config,
    community_id: i32,
) -> Result<Breakdown, IndicatorError> {
    let (s, e) = (period.start.to_string(), period.end.to_string());
    let sql = crate::status::render(BREAKDOWN_SQL.1, config);
    let row = conn.query_row(&sql, params![community_id, s, e], |r| {
        Ok(Breakdown {
            volunteers_in_community: r.get(0)?,
            excluded_cancelled: r.get(1)?,
            excluded_registered_after_end: r.get(2)?,
            records_in_period_of_community_people: r.get(3)?,
            records_counted: r.get(4)?,
            excluded_records_not_effective: r.get(5)?,
            excluded_records_of_cancelled_or_later_registered: r.get(6)?,
            records_outside_period_of_counted_people: r.get(7)?,
            records_in_period_of_unknown_persons: r.get(8)?,
            excluded_unverified: r.get(9)?,
        })
    })?;
    Ok(row)
}

/// The value of `indicator` in a row (an indicator or progress row), as text (None when the
/// name is unknown).
pub fn value_of<T: serde::Serialize>(row: &T, indicator: &str) -> Option<String> {
    let value = serde_json::to_value(row).ok()?;
    let v = value.get(indicator)?;
    Some(match v {
        serde_json::Value::Null => "（未定义 not defined）".to_string(),
        other => other.to_string(),
    })
}
