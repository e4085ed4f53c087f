//! The screening of padded hours (`vbrief screen`): the effective records of a period that an
//! inspector of the civilization-city evaluation would question — long days, streaks of full
//! days, service before registration, overlapping records, identical bulk entries, late entry,
//! spikes before a deadline, round repeats — community by community, each record with why.
//! Every rule is a SQL file in `transforms/sql/screening/`, run on either engine like every
//! figure; thresholds come from vbrief.toml `[screening]`. The screening is for an office's
//! own use: the briefing does not show it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::indicators::{date_literal, double_literal, set_period_and_settings, IndicatorError};
use crate::period::Period;
use domain::Config;

/// One rule: its id (as in the SQL and the listing), its name and what its measure means.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub name_zh: &'static str,
    /// Why an inspector questions such records.
    pub why_zh: &'static str,
    /// What the listing's measure column holds (empty when the rule has none).
    pub measure_zh: &'static str,
    pub file: &'static str,
}

/// The rules, in the order they are reported.
pub const RULES: [Rule; 8] = [
    Rule {
        id: "long_days",
        name_zh: "一天时长过长",
        why_zh: "一人一天的有效时长合计超过上限",
        measure_zh: "当天合计（小时）",
        file: "screening/01_long_days.sql",
    },
    Rule {
        id: "streaks",
        name_zh: "连续多日长时服务",
        why_zh: "连续多天每天都服务很长时间，像全职上班",
        measure_zh: "连续天数",
        file: "screening/02_streaks.sql",
    },
    Rule {
        id: "before_registration",
        name_zh: "注册前的服务",
        why_zh: "服务日期早于志愿者的注册日期",
        measure_zh: "",
        file: "screening/03_before_registration.sql",
    },
    Rule {
        id: "overlaps",
        name_zh: "时间重叠",
        why_zh: "同一人同一时间在不同项目或队伍服务",
        measure_zh: "与之重叠的记录数",
        file: "screening/04_overlaps.sql",
    },
    Rule {
        id: "identical_batches",
        name_zh: "整批相同的记录",
        why_zh: "很多人同一项目、同一天、起止时间和时长完全相同，像批量补录",
        measure_zh: "同批记录数",
        file: "screening/05_identical_batches.sql",
    },
    Rule {
        id: "late_entry",
        name_zh: "事后补录",
        why_zh: "录入日期比服务日期晚很多天，难以核实（按社区统计时长占比）",
        measure_zh: "",
        file: "screening/06_late_entry.sql",
    },
    Rule {
        id: "spikes",
        name_zh: "期限前突击",
        why_zh: "月末或检查日前几天的时长占比远高于本社区平时",
        measure_zh: "占比是平时的倍数",
        file: "screening/07_spikes.sql",
    },
    Rule {
        id: "round_repeats",
        name_zh: "时长千篇一律",
        why_zh: "一人期内所有记录的时长都相同",
        measure_zh: "记录条数",
        file: "screening/08_round_repeats.sql",
    },
];

/// The screening's SQL, in the order it runs (after 01_scope.sql).
pub const SQL_FILES: [(&str, &str); 10] = [
    (
        "screening/00_records.sql",
        include_str!("../sql/screening/00_records.sql"),
    ),
    (
        "screening/01_long_days.sql",
        include_str!("../sql/screening/01_long_days.sql"),
    ),
    (
        "screening/02_streaks.sql",
        include_str!("../sql/screening/02_streaks.sql"),
    ),
    (
        "screening/03_before_registration.sql",
        include_str!("../sql/screening/03_before_registration.sql"),
    ),
    (
        "screening/04_overlaps.sql",
        include_str!("../sql/screening/04_overlaps.sql"),
    ),
    (
        "screening/05_identical_batches.sql",
        include_str!("../sql/screening/05_identical_batches.sql"),
    ),
    (
        "screening/06_late_entry.sql",
        include_str!("../sql/screening/06_late_entry.sql"),
    ),
    (
        "screening/07_spikes.sql",
        include_str!("../sql/screening/07_spikes.sql"),
    ),
    (
        "screening/08_round_repeats.sql",
        include_str!("../sql/screening/08_round_repeats.sql"),
    ),
    (
        "screening/90_summary.sql",
        include_str!("../sql/screening/90_summary.sql"),
    ),
];

/// One community: what was screened and what was flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunityScreening {
    pub community_id: i32,
    pub district: String,
    pub street: String,
    pub community: String,
    pub registered: i64,
    pub records: i64,
    pub hours: f64,
    /// Records flagged by any rule but late entry (each once).
    pub flagged_records: i64,
    pub flagged_hours: f64,
    pub flagged_share: Option<f64>,
    /// Hours entered late, and their share of the community's hours.
    pub late_hours: f64,
    pub late_share: Option<f64>,
    pub per_capita_hours: Option<f64>,
    pub per_capita_hours_unflagged: Option<f64>,
    /// (rule id, records, hours) for each rule that listed records here.
    pub by_rule: Vec<(String, i64, f64)>,
}

/// One record a rule listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedRecord {
    pub rule: String,
    pub community_id: i32,
    /// The rule's measure (see [`Rule::measure_zh`]).
    pub measure: Option<f64>,
    pub file: String,
    pub sheet: String,
    pub row: i64,
    /// 记录编号/时长编号 as exported (empty when the export has none).
    pub record_no: String,
    pub masked_name: String,
    pub volunteer_no: String,
    pub served_on: NaiveDate,
    pub registered_on: Option<NaiveDate>,
    pub entered_on: Option<NaiveDate>,
    /// `HH:MM` (the day is `served_on`, or the start's own when it differs).
    pub start: String,
    pub end: String,
    pub project: String,
    pub team: String,
    pub hours: f64,
}

/// The screening of a period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Screening {
    pub period: Period,
    /// Every community, in ledger order (district, street, community).
    pub communities: Vec<CommunityScreening>,
    /// Every listed record, by community (in the communities' order), rule and place.
    pub records: Vec<ListedRecord>,
}

impl Screening {
    pub fn community(&self, id: i32) -> Option<&CommunityScreening> {
        self.communities.iter().find(|c| c.community_id == id)
    }

    /// The records of one community (and, when given, one rule).
    pub fn records_of<'a>(
        &'a self,
        community_id: Option<i32>,
        rule: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ListedRecord> + 'a {
        self.records.iter().filter(move |r| {
            community_id.is_none_or(|c| r.community_id == c) && rule.is_none_or(|x| r.rule == x)
        })
    }
}

/// The `scr_settings` table the rules read: vbrief.toml [screening] as typed literals, and the
/// days between the period's start and the inspection window.
fn settings_sql(period: &Period, config: &Config) -> String {
    let s = &config.screening;
    let d = double_literal;
    let int = |n: u32| format!("CAST({n} AS INTEGER)");
    let inspection = s.inspection();
    let days_before = inspection
        .map(|date| {
            let window = date - chrono::Days::new(u64::from(s.inspection_days));
            (window - period.start).num_days().max(0)
        })
        .unwrap_or(0);
    format!(
        "CREATE OR REPLACE TEMP TABLE scr_settings AS
         SELECT {long_day} AS long_day_hours, {streak_hours} AS streak_daily_hours,
                {streak_days} AS streak_days, {batch_records} AS batch_records,
                {batch_hours} AS batch_hours, {late} AS late_entry_days,
                {month_end} AS month_end_days, {inspection} AS inspection_date,
                {inspection_days} AS inspection_days,
                CAST({days_before} AS INTEGER) AS days_before_window,
                {ratio} AS spike_ratio, {min_hours} AS spike_min_hours,
                {repeats} AS round_repeat_records",
        long_day = d(s.long_day_hours),
        streak_hours = d(s.streak_daily_hours),
        streak_days = int(s.streak_days),
        batch_records = int(s.batch_records),
        batch_hours = d(s.batch_hours),
        late = int(s.late_entry_days),
        month_end = int(s.month_end_days),
        inspection = inspection.map_or("CAST(NULL AS DATE)".to_string(), date_literal),
        inspection_days = int(s.inspection_days),
        ratio = d(s.spike_ratio),
        min_hours = d(s.spike_min_hours),
        repeats = int(s.round_repeat_records),
    )
}

/// Screens the records of `period`.
pub fn screen(
    engine: &dyn Engine,
    period: &Period,
    config: &Config,
) -> Result<Screening, IndicatorError> {
    set_period_and_settings(engine, period, config)?;
    let (scope_file, scope_sql) = crate::indicators::SQL_FILES[0];
    engine
        .run(scope_file, &crate::status::render(scope_sql, config))
        .map_err(IndicatorError::Sql)?;
    engine.run("vbrief (screening settings)", &settings_sql(period, config))?;
    for (file, sql) in SQL_FILES {
        let _t = tracing::info_span!("screening", part = %file).entered();
        engine
            .run(file, &crate::status::render(sql, config))
            .map_err(IndicatorError::Sql)?;
    }
    let conn = engine.fetch(&["scr_summary", "scr_rule_counts", "scr_listing"])?;
    let mut counts: std::collections::HashMap<i32, Vec<(String, i64, f64)>> = Default::default();
    {
        let order: String = RULES
            .iter()
            .enumerate()
            .map(|(i, r)| format!("WHEN '{}' THEN {i} ", r.id))
            .collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT community_id, rule, records, hours FROM scr_rule_counts
              ORDER BY community_id, CASE rule {order} END"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, f64>(3)?,
            ))
        })?;
        for row in rows {
            let (community, rule, records, hours) = row?;
            counts.entry(community).or_default().push((
                rule,
                records,
                crate::results::round_to(hours, 2),
            ));
        }
    }
    let hours = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map(|v| crate::results::round_to(v, 2))
    };
    let share = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map(|v| crate::results::round_to(v, 4))
    };
    let mut stmt = conn.prepare(
        "SELECT community_id, district, street, community, registered, records, hours,
                flagged_records, flagged_hours, flagged_share, late_hours, late_share,
                per_capita_hours, per_capita_hours_unflagged
           FROM scr_summary ORDER BY district, street, community, community_id",
    )?;
    let communities = stmt
        .query_map([], |r| {
            let community_id: i32 = r.get(0)?;
            Ok(CommunityScreening {
                community_id,
                district: r.get(1)?,
                street: r.get(2)?,
                community: r.get(3)?,
                registered: r.get(4)?,
                records: r.get(5)?,
                hours: crate::results::round_to(r.get(6)?, 2),
                flagged_records: r.get(7)?,
                flagged_hours: crate::results::round_to(r.get(8)?, 2),
                flagged_share: share(r.get(9)?),
                late_hours: crate::results::round_to(r.get(10)?, 2),
                late_share: share(r.get(11)?),
                per_capita_hours: hours(r.get(12)?),
                per_capita_hours_unflagged: hours(r.get(13)?),
                by_rule: Vec::new(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let communities: Vec<CommunityScreening> = communities
        .into_iter()
        .map(|mut c| {
            c.by_rule = counts.remove(&c.community_id).unwrap_or_default();
            c
        })
        .collect();
    let place: std::collections::HashMap<i32, usize> = communities
        .iter()
        .enumerate()
        .map(|(i, c)| (c.community_id, i))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT rule, community_id, measure, file, sheet, source_row, masked_name, volunteer_no,
                CAST(served_on AS VARCHAR), CAST(registered_on AS VARCHAR),
                CAST(entered_on AS VARCHAR), strftime(start_at, '%H:%M'), strftime(end_at, '%H:%M'),
                CAST(CAST(start_at AS DATE) AS VARCHAR), project, organization, hours, record_no
           FROM scr_listing",
    )?;
    let day = |s: Option<String>| s.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let mut records = stmt
        .query_map([], |r| {
            let served_on = day(r.get(8)?).unwrap_or_default();
            let start_day = day(r.get(13)?);
            let start: Option<String> = r.get(11)?;
            Ok(ListedRecord {
                rule: r.get(0)?,
                community_id: r.get(1)?,
                measure: r
                    .get::<_, Option<f64>>(2)?
                    .map(|m| crate::results::round_to(m, 2)),
                file: r.get(3)?,
                sheet: r.get(4)?,
                row: r.get(5)?,
                record_no: r.get(17)?,
                masked_name: r.get(6)?,
                volunteer_no: r.get(7)?,
                served_on,
                registered_on: day(r.get(9)?),
                entered_on: day(r.get(10)?),
                start: match (start, start_day) {
                    (Some(t), Some(d)) if d != served_on => format!("{d} {t}"),
                    (Some(t), _) => t,
                    (None, _) => String::new(),
                },
                end: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
                project: r.get(14)?,
                team: r.get(15)?,
                hours: crate::results::round_to(r.get(16)?, 2),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let rule_at = |id: &str| RULES.iter().position(|r| r.id == id).unwrap_or(RULES.len());
    records.sort_by(|a, b| {
        (
            place.get(&a.community_id),
            rule_at(&a.rule),
            &a.file,
            &a.sheet,
            a.row,
        )
            .cmp(&(
                place.get(&b.community_id),
                rule_at(&b.rule),
                &b.file,
                &b.sheet,
                b.row,
            ))
    });
    Ok(Screening {
        period: *period,
        communities,
        records,
    })
}
