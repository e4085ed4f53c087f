//! The briefing's text: 总体情况, 存在问题 and 数据说明, written from the figures by rules, in
//! the register of an office's 简报. Every sentence comes from a template filled with numbers
//! of the model; its words follow the data (提高/下降/持平, 全部达标/N 个未达标), and a change
//! is stated only when the data can support it: a comparison figure of zero means the exports
//! do not reach back that far, so no comparison is written for it.

use serde::Serialize;

use domain::config::Targets;
use domain::quality::QualitySummary;
use transforms::{IndicatorRow, Indicators};

use crate::format::{grouped, hours};

/// The three text sections, each a list of paragraphs.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Narrative {
    pub overview: Vec<String>,
    pub problems: Vec<String>,
    pub data_notes: Vec<String>,
}

/// What the text is about: the city, or one district with the city as reference.
pub struct Scope<'a> {
    /// 全市, or the district's name.
    pub name: &'a str,
    pub top: &'a IndicatorRow,
    /// The city's row, for a district's briefing.
    pub reference: Option<&'a IndicatorRow>,
}

fn percent(x: f64) -> String {
    crate::format::percent(Some(x))
}

/// How the previous periods are named: a year is compared with the year before only; a
/// quarter or a month with the one before and with the same one a year earlier.
fn comparison_labels(indicators: &Indicators) -> (&'static str, Option<&'static str>) {
    let label = &indicators.period_label;
    if label.len() == 4 {
        ("上年", None)
    } else if indicators.period.is_year_to_date() {
        // 1—6月 is compared with last year's 1—6月 only (its previous period is that).
        ("上年同期", None)
    } else if label.contains("-Q") {
        ("上季度", Some("上年同期"))
    } else if label.len() == 7 {
        ("上月", Some("上年同期"))
    } else {
        ("上期", Some("上年同期"))
    }
}

/// `较上年增加 3,215 人`, `较上年减少 12 人`, `与上年持平`.
fn count_change(label: &str, now: i64, before: i64, unit: &str) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("较{label}增加{}{unit}", grouped(now - before)),
        std::cmp::Ordering::Less => format!("较{label}减少{}{unit}", grouped(before - now)),
        std::cmp::Ordering::Equal => format!("与{label}持平"),
    }
}

/// `较上年提高 1.20 个百分点` for two shares, compared at the precision they are printed with.
fn points_change(label: &str, now: f64, before: f64) -> String {
    let diff = ((now - before) * 10_000.0).round() / 100.0;
    if diff > 0.0 {
        format!("较{label}提高{diff:.2}个百分点")
    } else if diff < 0.0 {
        format!("较{label}下降{:.2}个百分点", -diff)
    } else {
        format!("与{label}持平")
    }
}

/// `较上年提高 0.50 小时` for hours per person.
fn hours_change(label: &str, now: f64, before: f64) -> String {
    let diff = ((now - before) * 100.0).round() / 100.0;
    if diff > 0.0 {
        format!("较{label}提高{diff:.2}小时")
    } else if diff < 0.0 {
        format!("较{label}下降{:.2}小时", -diff)
    } else {
        format!("与{label}持平")
    }
}

/// Builds the three sections for the scope.
pub fn build(
    indicators: &Indicators,
    scope: &Scope<'_>,
    targets: &Targets,
    quality: &QualitySummary,
) -> Narrative {
    let mut omitted = Vec::new();
    let overview = overview(indicators, scope, targets, &mut omitted);
    let communities: Vec<&IndicatorRow> = indicators
        .level("community")
        .filter(|r| scope.reference.is_none() || r.district == scope.name)
        .collect();
    let problems = problems(&communities, scope, targets);
    let data_notes = data_notes(&communities, quality, &omitted);
    Narrative {
        overview,
        problems,
        data_notes,
    }
}

fn overview(
    indicators: &Indicators,
    scope: &Scope<'_>,
    targets: &Targets,
    omitted: &mut Vec<String>,
) -> Vec<String> {
    let top = scope.top;
    let (previous, year_earlier) = comparison_labels(indicators);
    let end = indicators.period.end.format("%Y年%-m月%-d日");
    let reference = |value: Option<f64>| match (scope.reference, value) {
        (Some(_), Some(v)) => format!("（全市为{}）", percent(v)),
        _ => String::new(),
    };
    let mut paragraphs = Vec::new();

    // Registration.
    let target = targets.registration_rate.value;
    let mut s = format!(
        "截至{end}，{}实名注册志愿者{}人",
        scope.name,
        grouped(top.registered)
    );
    match top.registration_rate {
        Some(rate) => {
            s.push_str(&format!(
                "，占常住人口的{}{}",
                percent(rate),
                reference(scope.reference.and_then(|c| c.registration_rate))
            ));
            if rate >= target - 1e-9 {
                s.push_str(&format!("，达到{:.0}%的目标", target * 100.0));
            } else {
                s.push_str(&format!("，低于{:.0}%的目标", target * 100.0));
                if let Some(gap) = top.registration_gap.filter(|g| *g > 0) {
                    s.push_str(&format!("，还需注册{}人", grouped(gap)));
                }
            }
        }
        None => s.push_str("，因缺少常住人口数据未计算注册率"),
    }
    let mut changes = Vec::new();
    for (label, registered, rate) in [
        (
            Some(previous),
            top.registered_prev,
            top.registration_rate_prev,
        ),
        (year_earlier, top.registered_yoy, top.registration_rate_yoy),
    ] {
        let (Some(label), Some(before)) = (label, registered) else {
            continue;
        };
        if before == 0 {
            omitted.push(format!("{label}没有注册志愿者数据，未作注册人数比较。"));
            continue;
        }
        let mut change = count_change(label, top.registered, before, "人");
        if let (Some(now), Some(then)) = (top.registration_rate, rate) {
            // The label is said once per clause: 较上年增加 9,231 人，注册率提高 4.19 个百分点.
            let points = points_change(label, now, then);
            let points = points
                .strip_prefix(&format!("较{label}"))
                .map(str::to_string)
                .unwrap_or(points);
            change.push_str(&format!("，注册率{points}"));
        }
        changes.push(change);
    }
    if !changes.is_empty() {
        s.push_str(&format!("；{}", changes.join("；")));
    }
    s.push('。');
    paragraphs.push(s);

    // Hours.
    let year = indicators.period_label.len() == 4;
    let mut s = format!(
        "{}，{}有效服务时长{}小时，注册志愿者人均{}小时",
        crate::format::period_zh(&indicators.period),
        scope.name,
        hours(top.hours),
        top.per_capita_hours
            .map_or("—".into(), |h| format!("{h:.2}"))
    );
    if let Some(per_capita) = top.per_capita_hours {
        let target_words = if year {
            format!("年度目标{:.2}小时", top.per_capita_target)
        } else {
            format!("按期折算的目标{:.2}小时", top.per_capita_target)
        };
        if per_capita >= top.per_capita_target - 1e-9 {
            s.push_str(&format!("，达到{target_words}"));
        } else {
            s.push_str(&format!(
                "，低于{target_words}，人均差{:.2}小时",
                top.per_capita_target - per_capita
            ));
        }
    }
    let mut changes = Vec::new();
    for (label, total, per_capita) in [
        (Some(previous), top.hours_prev, top.per_capita_hours_prev),
        (year_earlier, top.hours_yoy, top.per_capita_hours_yoy),
    ] {
        let (Some(label), Some(before)) = (label, total) else {
            continue;
        };
        if before <= 0.0 {
            omitted.push(format!("{label}没有服务时长记录，未作时长比较。"));
            continue;
        }
        if let (Some(now), Some(then)) = (top.per_capita_hours, per_capita) {
            changes.push(format!("人均{}", hours_change(label, now, then)));
        }
    }
    if !changes.is_empty() {
        s.push_str(&format!("；{}", changes.join("，")));
    }
    s.push('。');
    paragraphs.push(s);

    // Participation.
    if let Some(rate) = top.participation_rate {
        let mut s = format!(
            "期内参加服务的志愿者{}人，占注册人数的{}",
            grouped(top.active_volunteers),
            percent(rate)
        );
        let mut changes = Vec::new();
        for (label, active) in [
            (Some(previous), top.active_volunteers_prev),
            (year_earlier, top.active_volunteers_yoy),
        ] {
            let (Some(label), Some(before)) = (label, active) else {
                continue;
            };
            if before > 0 {
                changes.push(count_change(label, top.active_volunteers, before, "人"));
            }
        }
        if !changes.is_empty() {
            s.push_str(&format!("，{}", changes.join("，")));
        }
        s.push('。');
        paragraphs.push(s);
    }

    // Organizations and stations.
    let n = top.communities;
    let with_org = top.communities_meeting_organizations_min;
    let orgs = if with_org == n {
        format!("全部{n}个社区都有志愿服务组织")
    } else {
        format!("{n}个社区中{with_org}个有志愿服务组织")
    };
    let stations = if top.has_station == n {
        "全部社区建有志愿服务站".to_string()
    } else {
        format!(
            "{}个社区建有志愿服务站，覆盖率{}",
            top.has_station,
            percent(top.station_coverage)
        )
    };
    paragraphs.push(format!(
        "现有志愿服务组织{}个，{orgs}；{stations}。",
        grouped(top.organizations)
    ));

    // Needs.
    if top.needs_collected > 0 {
        paragraphs.push(format!(
            "累计登记群众需求{}项，已解决{}项，解决率{}。",
            grouped(top.needs_collected),
            grouped(top.needs_resolved),
            percent(top.need_resolution_rate.unwrap_or(0.0))
        ));
    }
    paragraphs
}

/// Missed targets: how many communities, and where they concentrate (the district with the
/// most of them for the city; the street for a district).
fn problems(communities: &[&IndicatorRow], scope: &Scope<'_>, targets: &Targets) -> Vec<String> {
    let group_of = |r: &IndicatorRow| {
        if scope.reference.is_some() {
            r.street.clone()
        } else {
            r.district.clone()
        }
    };
    let missed = |test: &dyn Fn(&IndicatorRow) -> bool| -> Vec<&IndicatorRow> {
        communities.iter().copied().filter(|r| test(r)).collect()
    };
    let mut out = Vec::new();
    let per_capita_words = if scope.top.per_capita_target < targets.per_capita_hours.value - 1e-9 {
        format!("按期折算的{:.2}小时", scope.top.per_capita_target)
    } else {
        format!("{:.0}小时", targets.per_capita_hours.value)
    };
    for (what, rows) in [
        (
            format!(
                "注册率未达{:.0}%的社区",
                targets.registration_rate.value * 100.0
            ),
            missed(&|r| r.meets_registration == Some(false)),
        ),
        (
            format!("人均服务时长未达{per_capita_words}的社区"),
            missed(&|r| r.meets_per_capita_hours == Some(false)),
        ),
        (
            "没有志愿服务组织的社区".to_string(),
            missed(&|r| r.organizations == 0),
        ),
        (
            "尚未建立志愿服务站的社区".to_string(),
            missed(&|r| r.has_station == 0),
        ),
    ] {
        if rows.is_empty() {
            continue;
        }
        let mut counts: Vec<(String, usize)> = Vec::new();
        for r in &rows {
            let g = group_of(r);
            match counts.iter_mut().find(|(name, _)| *name == g) {
                Some((_, n)) => *n += 1,
                None => counts.push((g, 1)),
            }
        }
        // The most first (ties by name, so the text is stable).
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut s = format!("{what}{}个", rows.len());
        // Named only where they do concentrate: one place has more than any other.
        let concentrated = counts.len() > 1 && counts[0].1 > counts[1].1;
        if concentrated && !counts[0].0.is_empty() {
            s.push_str(&format!("，其中{}{}个", counts[0].0, counts[0].1));
        }
        s.push('。');
        out.push(s);
    }
    if out.is_empty() {
        out.push("注册率、人均服务时长、志愿服务组织和站点四项目标，各社区全部达标。".into());
    }
    out
}

fn data_notes(
    communities: &[&IndicatorRow],
    quality: &QualitySummary,
    omitted: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let read: i64 = quality.files.iter().map(|f| f.rows_read).sum();
    if read > 0 {
        let mut s = format!(
            "本期数据来自{}个文件（工作表），共读取{}行",
            quality.files.len(),
            grouped(read)
        );
        if quality.quarantined > 0 {
            let reasons: Vec<String> = quality
                .quarantine_by_reason
                .iter()
                .take(3)
                .map(|(code, n)| format!("{}{}行", crate::format::reason_zh(code), grouped(*n)))
                .collect();
            s.push_str(&format!(
                "，其中{}行因数据问题未计入（{}等，明细见 quarantine.csv）",
                grouped(quality.quarantined),
                reasons.join("、")
            ));
        }
        s.push('。');
        out.push(s);
    }
    let without_population = communities
        .iter()
        .filter(|r| r.population.is_none())
        .count();
    if without_population > 0 {
        out.push(format!(
            "{without_population}个社区缺少常住人口数据，未计算注册率，也未计入注册率达标情况。"
        ));
    }
    let mut seen = Vec::new();
    for note in omitted {
        if !seen.contains(note) {
            seen.push(note.clone());
            out.push(note.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::quality::FileSummary;
    use transforms::Period;

    fn period(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    /// The hand-made city of the golden tests (2025): three communities.
    /// - 春园 (青湖区/枫林街道): population 1,000, registered 160 (16%, met), hours 4,200
    ///   (26.25 per person, met), 2 organizations, a station.
    /// - 秋实 (青湖区/青湖街道): population 2,000, registered 200 (10%, gap 300 − 200 = 100),
    ///   hours 3,000 (15 per person), no organization, no station.
    /// - 花园 (白河区/河西街道): population 1,000, registered 100 (10%, gap 50), hours 2,000
    ///   (20 per person), 1 organization, a station.
    ///
    /// City: population 4,000, registered 460 (11.50%, gap 600 − 460 = 140), hours 9,200
    /// (20.00 per person), active 230 (50%), 3 organizations in 2 of 3 communities, stations
    /// 2 of 3 (66.67%), needs 10 of which 4 resolved (40%). The year before: registered 400
    /// (10.00%), hours 8,000 (20.00 per person), active 200.
    fn city(label: &str) -> Indicators {
        let community = |d: &str, s: &str, c: &str, pop, reg, hours: f64, orgs, station| {
            let mut r = IndicatorRow::empty();
            r.level = "community".into();
            (r.district, r.street, r.community) = (d.into(), s.into(), c.into());
            r.communities = 1;
            r.population = Some(pop);
            r.registered = reg;
            r.registration_rate = Some(reg as f64 / pop as f64);
            r.meets_registration = Some(reg as f64 / pop as f64 >= 0.15);
            r.hours = hours;
            r.per_capita_hours = Some(hours / reg as f64);
            r.per_capita_target = 25.0;
            r.meets_per_capita_hours = Some(hours / reg as f64 >= 25.0);
            r.organizations = orgs;
            r.has_station = station;
            r
        };
        let mut c = IndicatorRow::empty();
        c.level = "city".into();
        c.communities = 3;
        c.population = Some(4000);
        c.registered = 460;
        c.registration_rate = Some(0.115);
        c.registration_gap = Some(140);
        c.hours = 9200.0;
        c.per_capita_hours = Some(20.0);
        c.per_capita_target = 25.0;
        c.active_volunteers = 230;
        c.participation_rate = Some(0.5);
        c.organizations = 3;
        c.communities_meeting_organizations_min = 2;
        c.has_station = 2;
        c.station_coverage = 2.0 / 3.0;
        c.needs_collected = 10;
        c.needs_resolved = 4;
        c.need_resolution_rate = Some(0.4);
        c.registered_prev = Some(400);
        c.registration_rate_prev = Some(0.10);
        c.hours_prev = Some(8000.0);
        c.per_capita_hours_prev = Some(20.0);
        c.active_volunteers_prev = Some(200);
        let p = period(label);
        Indicators {
            period: p,
            period_label: label.into(),
            previous_period: p,
            year_earlier_period: p,
            days: 365,
            extends_past_data: false,
            rows: vec![
                community("青湖区", "枫林街道", "春园社区", 1000, 160, 4200.0, 2, 1),
                community("青湖区", "青湖街道", "秋实社区", 2000, 200, 3000.0, 0, 0),
                community("白河区", "河西街道", "花园社区", 1000, 100, 2000.0, 1, 1),
                c,
            ],
            monthly: vec![],
            monthly_year_earlier: vec![],
        }
    }

    fn quality() -> QualitySummary {
        QualitySummary {
            files: vec![FileSummary {
                path: "inbox/志愿者.csv".into(),
                sheet: String::new(),
                kind: "volunteers".into(),
                rows_read: 100,
                accepted: 94,
                quarantined: 5,
                skipped: 1,
            }],
            quarantine_by_reason: vec![("invalid_id".into(), 5)],
            quarantined: 5,
        }
    }

    fn narrate(indicators: &Indicators, district: Option<&str>) -> Narrative {
        let city = indicators.city().unwrap().clone();
        let top = match district {
            Some(d) => indicators
                .level("district")
                .find(|r| r.district == d)
                .cloned()
                .unwrap(),
            None => city.clone(),
        };
        let scope = Scope {
            name: district.unwrap_or("全市"),
            top: &top,
            reference: district.map(|_| &city),
        };
        build(indicators, &scope, &Targets::default(), &quality())
    }

    #[test]
    fn a_year_with_the_year_before_and_several_targets_missed() {
        let n = narrate(&city("2025"), None);
        assert_eq!(
            n.overview,
            vec![
                // 460 − 400 = 60; 11.50% − 10.00% = 1.50 points; the gap is the model's 140.
                "截至2025年12月31日，全市实名注册志愿者460人，占常住人口的11.50%，低于15%的目标，还需注册140人；较上年增加60人，注册率提高1.50个百分点。",
                // 25 − 20 = 5 per person; 20.00 both years.
                "2025年，全市有效服务时长9,200.00小时，注册志愿者人均20.00小时，低于年度目标25.00小时，人均差5.00小时；人均与上年持平。",
                "期内参加服务的志愿者230人，占注册人数的50.00%，较上年增加30人。",
                "现有志愿服务组织3个，3个社区中2个有志愿服务组织；2个社区建有志愿服务站，覆盖率66.67%。",
                "累计登记群众需求10项，已解决4项，解决率40.00%。",
            ]
        );
        assert_eq!(
            n.problems,
            vec![
                // 秋实 and 花园, one in each district: no place to name.
                "注册率未达15%的社区2个。",
                "人均服务时长未达25小时的社区2个。",
                "没有志愿服务组织的社区1个。",
                "尚未建立志愿服务站的社区1个。",
            ]
        );
        assert_eq!(
            n.data_notes,
            vec!["本期数据来自1个文件（工作表），共读取100行，其中5行因数据问题未计入（证件号码无效5行等，明细见 quarantine.csv）。"]
        );
    }

    #[test]
    fn a_year_without_data_before_it_states_no_change() {
        let mut indicators = city("2025");
        let c = indicators
            .rows
            .iter_mut()
            .find(|r| r.level == "city")
            .unwrap();
        c.registered_prev = Some(0);
        c.registration_rate_prev = Some(0.0);
        c.hours_prev = Some(0.0);
        c.per_capita_hours_prev = None;
        c.active_volunteers_prev = Some(0);
        let n = narrate(&indicators, None);
        assert_eq!(
            n.overview[..3],
            [
                "截至2025年12月31日，全市实名注册志愿者460人，占常住人口的11.50%，低于15%的目标，还需注册140人。",
                "2025年，全市有效服务时长9,200.00小时，注册志愿者人均20.00小时，低于年度目标25.00小时，人均差5.00小时。",
                "期内参加服务的志愿者230人，占注册人数的50.00%。",
            ]
        );
        assert_eq!(
            n.data_notes[1..],
            [
                "上年没有注册志愿者数据，未作注册人数比较。",
                "上年没有服务时长记录，未作时长比较。",
            ]
        );
    }

    #[test]
    fn all_targets_met_says_so() {
        let mut indicators = city("2025");
        for r in indicators
            .rows
            .iter_mut()
            .filter(|r| r.level == "community")
        {
            r.meets_registration = Some(true);
            r.meets_per_capita_hours = Some(true);
            r.organizations = 1;
            r.has_station = 1;
        }
        let n = narrate(&indicators, None);
        assert_eq!(
            n.problems,
            vec!["注册率、人均服务时长、志愿服务组织和站点四项目标，各社区全部达标。"]
        );
    }

    #[test]
    fn a_quarter_compares_with_the_quarter_before_and_the_year_before() {
        let mut indicators = city("2025-Q2");
        let c = indicators
            .rows
            .iter_mut()
            .find(|r| r.level == "city")
            .unwrap();
        // The quarter before: 500 registered (12.50%); a year earlier: 380 (9.50%).
        c.registered_prev = Some(500);
        c.registration_rate_prev = Some(0.125);
        c.registered_yoy = Some(380);
        c.registration_rate_yoy = Some(0.095);
        let n = narrate(&indicators, None);
        assert_eq!(
            n.overview[0],
            "截至2025年6月30日，全市实名注册志愿者460人，占常住人口的11.50%，低于15%的目标，还需注册140人；较上季度减少40人，注册率下降1.00个百分点；较上年同期增加80人，注册率提高2.00个百分点。"
        );
    }

    #[test]
    fn a_district_speaks_of_itself_with_the_city_as_reference() {
        let mut indicators = city("2025");
        // 青湖区 = 春园 + 秋实: population 3,000, registered 360 (12.00%, gap 450 − 360 = 90).
        let mut d = IndicatorRow::empty();
        d.level = "district".into();
        d.district = "青湖区".into();
        d.communities = 2;
        d.population = Some(3000);
        d.registered = 360;
        d.registration_rate = Some(0.12);
        d.registration_gap = Some(90);
        d.per_capita_target = 25.0;
        indicators.rows.push(d);
        let n = narrate(&indicators, Some("青湖区"));
        assert_eq!(
            n.overview[0],
            "截至2025年12月31日，青湖区实名注册志愿者360人，占常住人口的12.00%（全市为11.50%），低于15%的目标，还需注册90人。"
        );
        // Only 青湖区's communities: 秋实 misses registration and hours.
        assert_eq!(n.problems[0], "注册率未达15%的社区1个。");
        assert_eq!(n.problems[2], "没有志愿服务组织的社区1个。");
    }

    #[test]
    fn numbers_are_grouped_as_printed() {
        assert_eq!(grouped(76367), "76,367");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(hours(12345.5), "12,345.50");
        assert_eq!(hours(0.0), "0.00");
    }

    #[test]
    fn changes_choose_their_words() {
        assert_eq!(count_change("上年", 10, 7, "人"), "较上年增加3人");
        assert_eq!(count_change("上年", 7, 10, "人"), "较上年减少3人");
        assert_eq!(count_change("上月", 7, 7, "人"), "与上月持平");
        assert_eq!(
            points_change("上年同期", 0.1545, 0.1425),
            "较上年同期提高1.20个百分点"
        );
        assert_eq!(points_change("上年", 0.14, 0.15), "较上年下降1.00个百分点");
        assert_eq!(points_change("上年", 0.15, 0.15), "与上年持平");
        assert_eq!(hours_change("上年", 20.5, 20.0), "较上年提高0.50小时");
    }
}
