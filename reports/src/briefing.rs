//! The briefing model: one serializable struct built from the indicator results. The HTML, the
//! PDF and the xlsx are all rendered from it, and every number shown is formatted here once,
//! so the three cannot disagree with each other or with indicators.json.

use chrono::Datelike as _;
use serde::Serialize;

use domain::config::Targets;
use domain::quality::QualitySummary;
use domain::Config;
use transforms::quality::CheckResult;
use transforms::{IndicatorRow, Indicators};

use crate::format::{int, percent, period_zh, reason_zh, two};

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct BriefingOptions {
    /// 期号, e.g. "第3期".
    pub issue: Option<String>,
    /// 印发日期 (defaults to today).
    pub date: Option<chrono::NaiveDate>,
    /// A district lead's briefing for this district (already filtered in `Indicators`).
    pub district: Option<String>,
    /// Persons newly reaching each star level in the period (from the certification list,
    /// which is read at report time: it is not in the cached indicators).
    pub stars_new: Option<[i64; 5]>,
    /// Progress toward the year's targets, for a period that is part of a year (already
    /// limited to the district for a district's briefing).
    pub progress: Option<transforms::progress::Progress>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Briefing {
    pub title: String,
    pub office: String,
    pub issue: String,
    pub date: String,
    pub period_label: String,
    pub period_range: String,
    /// 全市, or the district's name.
    pub scope: String,
    /// 总体情况, 存在问题, 数据说明: the text, written from the figures (`narrative.rs`).
    pub narrative: crate::narrative::Narrative,
    pub headline: Vec<Headline>,
    pub units_title: String,
    pub unit_kind: String,
    pub units: Vec<UnitLine>,
    /// The city, shown as reference in a district briefing.
    pub reference: Option<UnitLine>,
    pub laggards: Vec<LaggardGroup>,
    /// 进度预警, for a period that is part of a year.
    pub progress: Option<crate::progress::ProgressSection>,
    /// The sections' numbers (一、二、…): 进度预警, when present, shifts those after it.
    pub sections: Sections,
    pub trend: Vec<TrendLine>,
    pub trend_note: String,
    pub stars: Vec<StarLine>,
    pub stars_note: String,
    pub coverage: Vec<Fact>,
    pub needs: Vec<Fact>,
    pub quality: Quality,
    pub targets: Vec<TargetNote>,
    pub definitions: Vec<Definition>,
    pub notes: Vec<String>,
}

/// One headline figure against its target.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub key: String,
    pub name: String,
    pub value: String,
    pub target: String,
    /// "达标" / "未达标" / "—".
    pub status: String,
    pub met: Option<bool>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitLine {
    pub name: String,
    pub population: String,
    pub registered: String,
    pub registration_rate: String,
    pub per_capita_hours: String,
    pub annualized_per_capita_hours: String,
    pub participation_rate: String,
    pub hours: String,
    pub organizations: String,
    pub stations: String,
    pub meeting_registration: String,
    pub score: String,
    pub rank: String,
    /// For charts: the raw rate and annualized hours.
    pub registration_rate_value: f64,
    pub annualized_hours_value: f64,
}

/// The numbers of the sections after 距目标较远的社区 (四).
#[derive(Debug, Clone, Serialize)]
pub struct Sections {
    pub progress: String,
    pub trend: String,
    pub stars: String,
    pub coverage: String,
    pub needs: String,
}

impl Sections {
    fn new(with_progress: bool) -> Sections {
        const NUMERALS: [&str; 6] = ["五", "六", "七", "八", "九", "十"];
        let skip = usize::from(with_progress);
        let n = |i: usize| NUMERALS[i + skip].to_string();
        Sections {
            progress: if with_progress {
                "五".into()
            } else {
                String::new()
            },
            trend: n(0),
            stars: n(1),
            coverage: n(2),
            needs: n(3),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LaggardGroup {
    pub target: String,
    pub items: Vec<Laggard>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Laggard {
    pub name: String,
    pub value: String,
    pub need: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendLine {
    pub month: String,
    pub hours: String,
    pub active_volunteers: String,
    pub hours_year_earlier: String,
    pub active_volunteers_year_earlier: String,
    pub hours_value: f64,
    pub hours_year_earlier_value: f64,
    pub active_value: f64,
    pub active_year_earlier_value: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StarLine {
    pub level: String,
    pub threshold: String,
    pub persons: String,
    pub persons_value: f64,
    /// Newly reached in the period ("—" when not known).
    pub new_persons: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    /// The data-quality checks (the same as `vbrief check`), one line each.
    pub checks: Vec<crate::quality::CheckLine>,
    pub files: Vec<QualityFile>,
    pub reasons: Vec<Fact>,
    pub quarantined: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityFile {
    pub name: String,
    pub kind: String,
    pub read: String,
    pub accepted: String,
    pub quarantined: String,
    pub skipped: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetNote {
    pub name: String,
    pub value: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    pub name: String,
    pub text: String,
}

/// The star levels' names, in order (一星 … 五星).
pub const STAR_LEVELS: [&str; 5] = ["一星", "二星", "三星", "四星", "五星"];

fn kind_zh(kind: &str) -> &'static str {
    domain::SourceKind::from_name(kind).map_or("其他", |k| k.label_zh())
}

fn unit_line(row: &IndicatorRow, name: String) -> UnitLine {
    UnitLine {
        name,
        population: row.population.map_or("—".into(), int),
        registered: int(row.registered),
        registration_rate: percent(row.registration_rate),
        per_capita_hours: two(row.per_capita_hours),
        annualized_per_capita_hours: two(row.annualized_per_capita_hours),
        participation_rate: percent(row.participation_rate),
        hours: two(Some(row.hours)),
        organizations: int(row.organizations),
        stations: format!("{}/{}", row.has_station, row.communities),
        meeting_registration: format!(
            "{}/{}",
            row.communities_meeting_registration, row.communities
        ),
        score: row.score.map_or("—".into(), |s| format!("{s:.1}")),
        rank: row.rank_in_district.map_or("—".into(), |r| r.to_string()),
        registration_rate_value: row.registration_rate.unwrap_or(0.0),
        annualized_hours_value: row.annualized_per_capita_hours.unwrap_or(0.0),
    }
}

fn status(met: Option<bool>) -> String {
    match met {
        Some(true) => "达标".into(),
        Some(false) => "未达标".into(),
        None => "—".into(),
    }
}

/// Builds the briefing for the city (or, with `options.district`, one district).
pub fn build(
    indicators: &Indicators,
    config: &Config,
    quality: &QualitySummary,
    checks: &[CheckResult],
    options: &BriefingOptions,
) -> Briefing {
    // The whole scope: the city, or the province or nation of a combination of exports.
    let city = indicators
        .top()
        .cloned()
        .unwrap_or_else(IndicatorRow::empty);
    let top_level = indicators.top_level();
    let t = &config.targets;
    let top = match &options.district {
        Some(d) => indicators
            .level("district")
            .find(|r| &r.district == d)
            .cloned()
            .unwrap_or_else(|| city.clone()),
        None => city.clone(),
    };
    let scope = options
        .district
        .clone()
        .unwrap_or_else(|| scope_name(top_level, &city).into());
    let narrative = crate::narrative::build(
        indicators,
        &crate::narrative::Scope {
            name: &scope,
            top: &top,
            reference: options.district.as_ref().map(|_| &city),
        },
        t,
        quality,
    );
    let headline = headlines(&top, t);
    let (units_title, unit_kind, units, reference) =
        compared_units(indicators, &city, options.district.as_ref());
    let laggards = laggards(indicators, t, &city);
    let progress = options.progress.as_ref().and_then(|p| {
        let top = match &options.district {
            Some(d) => p.level("district").find(|r| &r.district == d),
            None => p.level(top_level).next(),
        }?;
        Some(crate::progress::build(p, &scope, top))
    });
    let sections = Sections::new(progress.is_some());
    let trend = monthly_trend(indicators, options.district.as_ref());
    let stars = star_lines(&top, config, options.stars_new);
    let coverage = coverage_facts(&top);
    let needs = need_facts(&top);
    let quality_block = quality_annex(quality, checks);
    let targets = target_notes(config);
    let mut definitions = definitions();
    if options.progress.is_some() {
        definitions.push(Definition {
            name: "进度推算".into(),
            text: "按年初至期末的进度推算到年末。全年已过比例按月计（6月30日为 6/12）；年末预计人均时长 = 至今人均时长 ÷ 全年已过比例；年末预计注册率 = （年初前注册的在册人数 + 今年新增 ÷ 全年已过比例）÷ 常住人口；每月还需 = 距全年目标的差额 ÷ 剩余月数。预计低于目标的社区列入“进度预警”（transforms/sql/progress.sql）。".into(),
        });
    }
    let notes = notes(indicators);
    let date = options
        .date
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    Briefing {
        title: format!(
            "{}社区志愿服务评估简报",
            match top_level {
                // A city of a combination (a province with one city) is named by its data.
                "city" if !city.city.is_empty() => city.city.as_str(),
                "city" => config.city.name.as_str(),
                _ => scope_name(top_level, &city),
            }
        ),
        office: config.city.office.clone(),
        issue: options
            .issue
            .clone()
            .unwrap_or_else(|| format!("{}年第1期", date.format("%Y"))),
        date: date.format("%Y年%-m月%-d日").to_string(),
        period_label: period_zh(&indicators.period),
        period_range: format!(
            "{} 至 {}（{} 天）",
            indicators.period.start, indicators.period.end, indicators.days
        ),
        scope,
        narrative,
        headline,
        units_title,
        unit_kind,
        units,
        reference,
        laggards,
        progress,
        sections,
        trend,
        trend_note: "有效服务时长按月统计，与上年同期对比。".into(),
        stars,
        stars_note: match options.stars_new {
            Some(n) => format!(
                "按截至期末的累计有效服务时长统计具备资格的人数；本期新达到一星{}人、二星{}人、三星{}人、四星{}人、五星{}人，名单见 星级认定名单.xlsx。",
                n[0], n[1], n[2], n[3], n[4]
            ),
            None => "按截至期末的累计有效服务时长统计具备资格的人数。".into(),
        },
        coverage,
        needs,
        quality: quality_block,
        targets,
        definitions,
        notes,
    }
}

/// The headline figures of the scope against each target.
fn headlines(top: &IndicatorRow, t: &Targets) -> Vec<Headline> {
    let per_capita_met = top
        .per_capita_hours
        .map(|h| h >= top.per_capita_target - 1e-9);
    let registration_met = top
        .registration_rate
        .map(|r| r >= t.registration_rate.value - 1e-9);
    // The target is 1–2 organizations in every community, not on average.
    let orgs_met = Some(top.communities_meeting_organizations_min == top.communities);
    let station_met = Some(top.station_coverage >= t.station_coverage.value - 1e-9);
    vec![
        Headline {
            key: "registration_rate".into(),
            name: "注册志愿者占常住人口比例".into(),
            value: percent(top.registration_rate),
            target: format!("≥ {:.0}%", t.registration_rate.value * 100.0),
            status: status(registration_met),
            met: registration_met,
            detail: format!(
                "注册志愿者 {} 人，常住人口 {} 人；达标社区 {}/{} 个{}",
                top.registered,
                top.population.map_or("—".into(), int),
                top.communities_meeting_registration,
                top.communities,
                top.registration_gap
                    .filter(|g| *g > 0)
                    .map_or(String::new(), |g| format!("；还需注册 {g} 人"))
            ),
        },
        Headline {
            key: "per_capita_hours".into(),
            name: "注册志愿者人均服务时长".into(),
            value: format!("{} 小时", two(top.per_capita_hours)),
            target: format!(
                "≥ {:.2} 小时（年 {} 小时按期折算）",
                top.per_capita_target, t.per_capita_hours.value
            ),
            status: status(per_capita_met),
            met: per_capita_met,
            detail: format!(
                "有效服务时长 {} 小时；年化人均 {} 小时；达标社区 {}/{} 个",
                two(Some(top.hours)),
                two(top.annualized_per_capita_hours),
                top.communities_meeting_per_capita_hours,
                top.communities
            ),
        },
        Headline {
            key: "participation_rate".into(),
            name: "志愿者参与率".into(),
            value: percent(top.participation_rate),
            target: "—".into(),
            status: "—".into(),
            met: None,
            detail: format!(
                "期内参加服务 {} 人 / 注册 {} 人",
                top.active_volunteers, top.registered
            ),
        },
        Headline {
            key: "organizations".into(),
            name: "每社区志愿服务组织".into(),
            value: format!("{:.2} 个", top.organizations_per_community),
            target: format!(
                "{}–{} 个",
                t.organizations_min.value, t.organizations_aim.value
            ),
            status: status(orgs_met),
            met: orgs_met,
            detail: format!(
                "组织 {} 个；至少 1 个的社区 {}/{}，达到 2 个的社区 {}/{}",
                top.organizations,
                top.communities_meeting_organizations_min,
                top.communities,
                top.communities_meeting_organizations_aim,
                top.communities
            ),
        },
        Headline {
            key: "station_coverage".into(),
            name: "志愿服务站覆盖率".into(),
            value: percent(Some(top.station_coverage)),
            target: format!("{:.0}%", t.station_coverage.value * 100.0),
            status: status(station_met),
            met: station_met,
            detail: format!("建站社区 {}/{} 个", top.has_station, top.communities),
        },
    ]
}

/// What the briefing calls its whole scope: 全市; a province's name; 全国.
fn scope_name<'a>(top_level: &str, top: &'a IndicatorRow) -> &'a str {
    match top_level {
        "nation" => "全国",
        "province" if !top.province.is_empty() => &top.province,
        "province" => "全省",
        _ => "全市",
    }
}

/// A community's path as the briefing lists it: with its city for a province, and its
/// province too for the nation (`top_level`); district/street/community within a city.
fn community_path(r: &IndicatorRow, top_level: &str) -> String {
    let above: &[&str] = match top_level {
        "nation" => &[&r.province, &r.city],
        "province" => &[&r.city],
        _ => &[],
    };
    above
        .iter()
        .copied()
        .chain([r.district.as_str(), &r.street, &r.community])
        .collect::<Vec<_>>()
        .join("/")
}

/// Units compared: districts for the city, cities for a province, provinces for the nation,
/// communities for a district lead (with the city as reference). Returns (title, kind of
/// unit, lines, reference line).
fn compared_units(
    indicators: &Indicators,
    city: &IndicatorRow,
    district: Option<&String>,
) -> (String, String, Vec<UnitLine>, Option<UnitLine>) {
    match district {
        None => {
            let top_level = indicators.top_level();
            let (level, kind): (&str, &str) = match top_level {
                "nation" => ("province", "省份"),
                "province" => ("city", "地市"),
                _ => ("district", "区县"),
            };
            let units = indicators
                .level(level)
                .map(|r| {
                    let name = match level {
                        "province" => r.province.clone(),
                        "city" => r.city.clone(),
                        _ if top_level != "city" => {
                            format!("{}{}", r.city, r.district)
                        }
                        _ => r.district.clone(),
                    };
                    unit_line(r, name)
                })
                .collect::<Vec<_>>();
            (format!("各{kind}对比"), kind.to_string(), units, None)
        }
        Some(d) => {
            let mut communities: Vec<&IndicatorRow> = indicators.level("community").collect();
            communities
                .sort_by_key(|r| (r.rank_in_district.unwrap_or(i64::MAX), r.community.clone()));
            (
                format!("{d}各社区对比（按综合得分排名）"),
                "社区".to_string(),
                communities
                    .iter()
                    .map(|r| unit_line(r, format!("{}/{}", r.street, r.community)))
                    .collect(),
                Some(unit_line(city, "全市（参照）".into())),
            )
        }
    }
}

/// The communities furthest from each target, and what each still needs (ten per target).
fn laggards(indicators: &Indicators, t: &Targets, city: &IndicatorRow) -> Vec<LaggardGroup> {
    let communities: Vec<&IndicatorRow> = indicators.level("community").collect();
    let top_level = indicators.top_level();
    let path = |r: &IndicatorRow| community_path(r, top_level);
    let mut by_registration: Vec<&&IndicatorRow> = communities
        .iter()
        .filter(|r| r.registration_gap.unwrap_or(0) > 0)
        .collect();
    by_registration.sort_by(|a, b| {
        b.registration_gap
            .cmp(&a.registration_gap)
            .then(a.community.cmp(&b.community))
    });
    let mut by_hours: Vec<&&IndicatorRow> = communities
        .iter()
        .filter(|r| r.meets_per_capita_hours == Some(false) && r.registered > 0)
        .collect();
    by_hours.sort_by(|a, b| {
        let gap = |r: &IndicatorRow| r.per_capita_target - r.per_capita_hours.unwrap_or(0.0);
        gap(b)
            .total_cmp(&gap(a))
            .then(a.community.cmp(&b.community))
    });
    let no_station: Vec<&&IndicatorRow> =
        communities.iter().filter(|r| r.has_station == 0).collect();
    let no_org: Vec<&&IndicatorRow> = communities
        .iter()
        .filter(|r| r.organizations == 0)
        .collect();
    vec![
        LaggardGroup {
            target: format!("注册率（目标 {:.0}%）", t.registration_rate.value * 100.0),
            items: by_registration
                .iter()
                .take(10)
                .map(|r| Laggard {
                    name: path(r),
                    value: percent(r.registration_rate),
                    need: format!("还需注册 {} 人", r.registration_gap.unwrap_or(0)),
                })
                .collect(),
        },
        LaggardGroup {
            target: format!("人均服务时长（目标 {:.2} 小时）", city.per_capita_target),
            items: by_hours
                .iter()
                .take(10)
                .map(|r| Laggard {
                    name: path(r),
                    value: format!("{} 小时", two(r.per_capita_hours)),
                    need: format!(
                        "人均还差 {:.2} 小时（共 {:.2} 小时）",
                        r.per_capita_target - r.per_capita_hours.unwrap_or(0.0),
                        r.hours_gap
                    ),
                })
                .collect(),
        },
        LaggardGroup {
            target: "志愿服务站（每个社区都应建站）".into(),
            items: no_station
                .iter()
                .take(10)
                .map(|r| Laggard {
                    name: path(r),
                    value: "未建站".into(),
                    need: "还需建站 1 个".into(),
                })
                .collect(),
        },
        LaggardGroup {
            target: format!(
                "志愿服务组织（每社区至少 {} 个）",
                t.organizations_min.value
            ),
            items: no_org
                .iter()
                .take(10)
                .map(|r| Laggard {
                    name: path(r),
                    value: "0 个".into(),
                    need: format!("还需组建 {} 个", t.organizations_min.value),
                })
                .collect(),
        },
    ]
}

/// The monthly trend of the scope, against the same months a year earlier.
fn monthly_trend(indicators: &Indicators, district: Option<&String>) -> Vec<TrendLine> {
    let district_key = district.cloned().unwrap_or_default();
    let mut trend = Vec::new();
    let mut month = indicators
        .period
        .start
        .with_day(1)
        .unwrap_or(indicators.period.start);
    while month <= indicators.period.end {
        let this = indicators
            .monthly
            .iter()
            .find(|m| m.district == district_key && m.month == month);
        let earlier_month = month
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(month);
        let before = indicators
            .monthly_year_earlier
            .iter()
            .find(|m| m.district == district_key && m.month == earlier_month);
        trend.push(TrendLine {
            month: month.format("%Y-%m").to_string(),
            hours: two(Some(this.map_or(0.0, |m| m.hours))),
            active_volunteers: this.map_or(0, |m| m.active_volunteers).to_string(),
            hours_year_earlier: two(Some(before.map_or(0.0, |m| m.hours))),
            active_volunteers_year_earlier: before.map_or(0, |m| m.active_volunteers).to_string(),
            hours_value: this.map_or(0.0, |m| m.hours),
            hours_year_earlier_value: before.map_or(0.0, |m| m.hours),
            active_value: this.map_or(0, |m| m.active_volunteers) as f64,
            active_year_earlier_value: before.map_or(0, |m| m.active_volunteers) as f64,
        });
        month = month
            .checked_add_months(chrono::Months::new(1))
            .expect("date in range");
    }
    trend
}

/// Persons qualifying for each star level.
fn star_lines(top: &IndicatorRow, config: &Config, new: Option<[i64; 5]>) -> Vec<StarLine> {
    let thresholds = &config.stars.thresholds;
    let star_counts = [top.star1, top.star2, top.star3, top.star4, top.star5];
    STAR_LEVELS
        .iter()
        .enumerate()
        .map(|(i, level)| StarLine {
            level: level.to_string(),
            threshold: format!("≥ {} 小时", thresholds[i]),
            persons: star_counts[i].to_string(),
            persons_value: star_counts[i] as f64,
            new_persons: new.map_or("—".into(), |n| n[i].to_string()),
        })
        .collect()
}

/// Organizations, stations, activities and trainings of the scope.
fn coverage_facts(top: &IndicatorRow) -> Vec<Fact> {
    vec![
        Fact {
            name: "志愿服务组织".into(),
            value: format!(
                "{} 个（每社区 {:.2} 个）",
                top.organizations, top.organizations_per_community
            ),
        },
        Fact {
            name: "至少有 1 个组织的社区".into(),
            value: format!(
                "{}/{} 个",
                top.communities_meeting_organizations_min, top.communities
            ),
        },
        Fact {
            name: "有 2 个及以上组织的社区".into(),
            value: format!(
                "{}/{} 个",
                top.communities_meeting_organizations_aim, top.communities
            ),
        },
        Fact {
            name: "建有志愿服务站的社区".into(),
            value: format!(
                "{}/{} 个（{}）",
                top.has_station,
                top.communities,
                percent(Some(top.station_coverage))
            ),
        },
        Fact {
            name: "期内开展活动".into(),
            value: format!(
                "{} 场；标准服务类别覆盖 {}",
                top.activities,
                percent(Some(top.category_coverage))
            ),
        },
        Fact {
            name: "期内培训".into(),
            value: format!(
                "{} 场，参训 {} 人次",
                top.trainings, top.training_participants
            ),
        },
    ]
}

/// Needs collected and resolved.
fn need_facts(top: &IndicatorRow) -> Vec<Fact> {
    vec![
        Fact {
            name: "累计登记需求".into(),
            value: format!("{} 件", top.needs_collected),
        },
        Fact {
            name: "其中已解决".into(),
            value: format!("{} 件", top.needs_resolved),
        },
        Fact {
            name: "需求解决率".into(),
            value: percent(top.need_resolution_rate),
        },
    ]
}

/// The data-quality annex: each check, each ingested sheet, quarantine by reason.
fn quality_annex(quality: &QualitySummary, checks: &[CheckResult]) -> Quality {
    Quality {
        checks: checks.iter().map(crate::quality::CheckLine::of).collect(),
        files: quality
            .files
            .iter()
            .map(|f| QualityFile {
                name: domain::sheet_label(&f.path, &f.sheet),
                kind: kind_zh(&f.kind).into(),
                read: f.rows_read.to_string(),
                accepted: f.accepted.to_string(),
                quarantined: f.quarantined.to_string(),
                skipped: f.skipped.to_string(),
            })
            .collect(),
        reasons: quality
            .quarantine_by_reason
            .iter()
            .map(|(code, n)| Fact {
                name: format!("{}（{code}）", reason_zh(code)),
                value: n.to_string(),
            })
            .collect(),
        quarantined: quality.quarantined.to_string(),
    }
}

/// Each target with its unit and the document it comes from.
fn target_notes(config: &Config) -> Vec<TargetNote> {
    let t = &config.targets;
    let thresholds = &config.stars.thresholds;
    vec![
        TargetNote {
            name: "注册率".into(),
            value: format!(
                "{}（{}）",
                t.registration_rate.value, t.registration_rate.unit
            ),
            source: t.registration_rate.source.clone(),
        },
        TargetNote {
            name: "人均服务时长".into(),
            value: format!(
                "{}（{}）",
                t.per_capita_hours.value, t.per_capita_hours.unit
            ),
            source: t.per_capita_hours.source.clone(),
        },
        TargetNote {
            name: "每社区组织数".into(),
            value: format!(
                "{}–{}（{}）",
                t.organizations_min.value, t.organizations_aim.value, t.organizations_aim.unit
            ),
            source: t.organizations_aim.source.clone(),
        },
        TargetNote {
            name: "站点覆盖".into(),
            value: format!(
                "{}（{}）",
                t.station_coverage.value, t.station_coverage.unit
            ),
            source: t.station_coverage.source.clone(),
        },
        TargetNote {
            name: "星级志愿者".into(),
            value: thresholds
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
                .join("/")
                + " 小时",
            source: config.stars.source.clone(),
        },
    ]
}

/// How each figure is defined, in the words the briefing's readers use.
fn definitions() -> Vec<Definition> {
    [
        ("注册志愿者", "去重后归属本社区、注册日期不晚于期末、未注销的志愿者（同一证件号只计一次，保留最早注册）。"),
        ("注册率", "注册志愿者 ÷ 常住人口（期末前最近一期台账）；街道、区县、全市为合计之比。"),
        ("服务时长", "期内状态为“已生效”的服务记录时长之和，只计本社区注册志愿者；未生效、待审核及无法对应的记录不计。"),
        ("人均服务时长", "服务时长 ÷ 注册志愿者；目标按期长折算（年 25 小时 × 天数 ÷ 365），年化值 = 人均 × 365 ÷ 天数。"),
        ("参与率", "期内至少有一条有效记录的注册志愿者 ÷ 注册志愿者。"),
        ("星级", "截至期末累计有效服务时长达到的最高星级（具备资格人数，评定另行办理）。"),
        ("综合得分", "注册率、人均时长（各按目标折算，封顶 1）与参与率的加权平均 × 100；权重见配置。本地惯例，非官方指数。"),
    ]
    .iter()
    .map(|(n, d)| Definition { name: n.to_string(), text: d.to_string() })
    .collect()
}

/// Where the data comes from, and a warning when the period runs past the data.
fn notes(indicators: &Indicators) -> Vec<String> {
    let mut notes = vec![format!(
        "本简报数据来自全国志愿服务信息系统导出及社区台账，经 vbrief 去重、校验后计算；计算定义见 transforms/sql/，与 indicators.json 一致。"
    )];
    if indicators.extends_past_data {
        notes.push("统计期间晚于最后一条服务记录，数据可能不完整。".into());
    }
    notes
}
