//! `vbrief explain INDICATOR --community NAME`: how a figure was obtained.

use std::path::Path;

use crate::cli::ExplainArgs;
use crate::exit;
use workdir::resolve_period;
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ExplainArgs) -> anyhow::Result<u8> {
    if args.indicator == "screening" {
        return explain_screening(workdir, args);
    }
    let Some((files, definition)) = transforms::explain::definition(&args.indicator) else {
        anyhow::bail!(
            "未知指标 '{}' (unknown indicator); e.g. registered, registration_rate, hours, per_capita_hours, \
             active_volunteers, participation_rate, activities, category_coverage, organizations, has_station, \
             needs_resolved, trainings, star1 … star5, score, rank_in_district; for a period inside a year: projected_per_capita_hours, \
             hours_needed_per_month, projected_registration_rate, registrations_needed_per_month",
            args.indicator
        );
    };
    let ws = Workspace::open(workdir)?;
    let period = resolve_period(ws.warehouse()?, args.period.as_deref())?;
    if transforms::explain::is_progress(&args.indicator) {
        return explain_progress(&ws, &period, args, files, definition);
    }
    let indicators = transforms::compute(ws.warehouse()?, &period, ws.config())?;
    let row = find_community(indicators.level("community"), args, |r| {
        (&r.district, &r.street, &r.community)
    })?;
    // `rank` is the short name of `rank_in_district`.
    let indicator = if args.indicator == "rank" {
        "rank_in_district"
    } else {
        args.indicator.as_str()
    };
    let value = transforms::explain::value_of(row, indicator).unwrap_or_else(|| "—".into());
    println!("{indicator} = {value}");
    println!(
        "  社区 community: {}/{}/{}",
        row.district, row.street, row.community
    );
    println!(
        "  期间 period: {} ({} .. {}, {} 天 days)",
        indicators.period_label,
        period.start,
        period.end,
        period.days()
    );
    print_definition(definition, files);
    match indicator {
        "score" => return explain_score(&ws, row),
        "rank_in_district" => return explain_rank(&indicators, row),
        _ => {}
    }
    let b =
        transforms::explain::breakdown(ws.warehouse()?, &period, ws.config(), row.community_id)?;
    println!("  输入 inputs:");
    println!(
        "    本社区志愿者（去重后）volunteers of the community: {}",
        b.volunteers_in_community
    );
    println!(
        "      其中计入 counted (registered persons at the end): {}",
        row.registered
    );
    let status = &ws.config().status;
    println!(
        "      排除：已注销 excluded, cancelled ({}): {}",
        status.volunteer_excluded.join("/"),
        b.excluded_cancelled
    );
    println!(
        "      排除：未通过实名认证 excluded, not verified (认证状态 {}): {}",
        status.verification_excluded.join("/"),
        b.excluded_unverified
    );
    println!(
        "      排除：期末后注册 excluded, registered after the end: {}",
        b.excluded_registered_after_end
    );
    println!(
        "    期内服务记录 records in the period of these volunteers: {}",
        b.records_in_period_of_community_people
    );
    println!(
        "      计入 counted (effective): {} → 时长 hours {:.2}",
        b.records_counted, row.hours
    );
    println!(
        "      排除：未生效/待审核 excluded, not effective: {}",
        b.excluded_records_not_effective
    );
    println!(
        "      排除：注销或期末后注册者的记录 excluded, of cancelled or later-registered volunteers: {}",
        b.excluded_records_of_cancelled_or_later_registered
    );
    println!(
        "    期外记录（不计入期内时长）records outside the period: {}",
        b.records_outside_period_of_counted_people
    );
    println!(
        "    全市期内无法对应志愿者的记录 city-wide records in the period of unknown persons: {}",
        b.records_in_period_of_unknown_persons
    );
    if let Some(pop) = row.population {
        println!(
            "    常住人口 population: {pop}{}",
            if row.population_flagged {
                "（晚于期末的数字 dated after the end: flagged）"
            } else {
                ""
            }
        );
    } else {
        println!(
            "    常住人口 population: 缺失 missing → 注册率未定义 registration rate not defined"
        );
    }
    Ok(exit::OK)
}

/// The score's components: each one's attainment, weight and share of the score.
fn explain_score(ws: &Workspace, row: &transforms::IndicatorRow) -> anyhow::Result<u8> {
    let components =
        transforms::explain::score_components(ws.warehouse()?, ws.config(), row.community_id)?;
    let total: f64 = components.iter().map(|c| c.weight).sum();
    println!("  各项完成度 components (attainment 0–1 × weight):");
    for c in &components {
        println!(
            "    {:<22} {:<12} 完成度 {:.4} × 权重 {} = {:.4}",
            c.component,
            c.name_zh,
            c.attainment,
            c.weight,
            c.attainment * c.weight
        );
    }
    let weighted: f64 = components.iter().map(|c| c.attainment * c.weight).sum();
    println!(
        "  得分 score = {weighted:.4} ÷ 权重合计 {total} × 100 = {}",
        row.score.map_or("—".to_string(), |s| format!("{s:.1}"))
    );
    Ok(exit::OK)
}

/// The community's place among the communities of its district, with their scores.
fn explain_rank(
    indicators: &transforms::Indicators,
    row: &transforms::IndicatorRow,
) -> anyhow::Result<u8> {
    let mut district: Vec<&transforms::IndicatorRow> = indicators
        .level("community")
        .filter(|r| r.district == row.district)
        .collect();
    district.sort_by_key(|r| (r.rank_in_district, r.community.clone()));
    println!(
        "  {} 的社区按综合得分 communities of the district by score:",
        row.district
    );
    for r in district {
        println!(
            "    {}{:>3}  {:>5}  {}/{}",
            if r.community_id == row.community_id {
                "→"
            } else {
                " "
            },
            r.rank_in_district
                .map_or("—".to_string(), |n| n.to_string()),
            r.score.map_or("—".to_string(), |s| format!("{s:.1}")),
            r.street,
            r.community
        );
    }
    Ok(exit::OK)
}

/// A progress figure (progress.sql): the value, the rule and the year-to-date inputs.
fn explain_progress(
    ws: &Workspace,
    period: &transforms::Period,
    args: &ExplainArgs,
    files: &[&str],
    definition: &str,
) -> anyhow::Result<u8> {
    let Some(progress) = transforms::progress::compute(ws.warehouse()?, period, ws.config())?
    else {
        anyhow::bail!(
            "期间 {} 不是一年中的一段，没有进度推算 (the period is a whole year or crosses years: \
             no projection); use a month, a quarter or 2025-ytd",
            period.label()
        );
    };
    let row = find_community(progress.level("community"), args, |r| {
        (&r.district, &r.street, &r.community)
    })?;
    let value = transforms::explain::value_of(row, &args.indicator)
        .unwrap_or_else(|| "（未定义 not defined）".into());
    let ytd = progress.year_to_date;
    println!("{} = {value}", args.indicator);
    println!(
        "  社区 community: {}/{}/{}",
        row.district, row.street, row.community
    );
    println!(
        "  年初至今 year to date: {} .. {}；全年已过 share of the year passed {:.4}，剩余 remaining {:.2} 个月 months",
        ytd.start, ytd.end, progress.elapsed, progress.remaining_months
    );
    print_definition(definition, files);
    let show = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v}"));
    println!("  输入 inputs:");
    println!("    年初至今有效服务时长 hours so far: {:.2}", row.hours);
    println!(
        "    期末在册 registered at the end: {}；其中年初前注册 of them registered before 1 January: {}",
        row.registered, row.registered_at_start
    );
    println!(
        "    常住人口 population: {}",
        row.population
            .map_or("缺失 missing".to_string(), |p| p.to_string())
    );
    println!(
        "    至今人均 per capita so far: {} → 年末预计 projected: {}（全年目标 year target {}）",
        show(row.per_capita_hours_ytd),
        show(row.projected_per_capita_hours),
        row.per_capita_target_year
    );
    println!(
        "    注册率 registration rate: {} → 年末预计 projected: {}（目标 target {}）",
        show(row.registration_rate),
        show(row.projected_registration_rate),
        row.registration_target
    );
    Ok(exit::OK)
}

/// What the screening found in one community: each rule's standard, its count and hours, and
/// the community's per-capita hours with and without the flagged records.
fn explain_screening(workdir: &Path, args: &ExplainArgs) -> anyhow::Result<u8> {
    let ws = Workspace::open(workdir)?;
    let period = resolve_period(ws.warehouse()?, args.period.as_deref())?;
    let screening = workdir::screen::cached_screening(&ws, &period)?;
    let c = find_community(screening.communities.iter(), args, |c| {
        (&c.district, &c.street, &c.community)
    })?;
    println!(
        "screening — 社区 community: {}/{}/{}",
        c.district, c.street, c.community
    );
    println!(
        "  期间 period: {} ({} .. {})",
        period.label(),
        period.start,
        period.end
    );
    println!(
        "  规则 rules: transforms/sql/screening/*.sql；标准 thresholds: vbrief.toml [screening]"
    );
    println!(
        "  核查的记录 records screened: {} 条，{:.2} 小时（期内本社区在册志愿者的有效记录，与各项指标相同 the records the figures count）",
        c.records, c.hours
    );
    for rule in transforms::screening::RULES {
        let (records, hours) = c
            .by_rule
            .iter()
            .find(|(id, _, _)| id == rule.id)
            .map_or((0, 0.0), |(_, n, h)| (*n, *h));
        println!(
            "  {:<20} {:>6} 条 records, {:>9.2} 小时 — {}：{}（{}）",
            rule.id,
            records,
            hours,
            rule.name_zh,
            reports::screening::threshold(rule.id, ws.config()),
            rule.file
        );
    }
    println!(
        "  被列 flagged (every rule but late_entry, each record once): {} 条，{:.2} 小时，占 {}",
        c.flagged_records,
        c.flagged_hours,
        reports::format::percent(c.flagged_share)
    );
    println!(
        "  事后补录 late entry: {:.2} 小时，占 {}",
        c.late_hours,
        reports::format::percent(c.late_share)
    );
    println!(
        "  人均时长 per capita: {} → 去掉被列时长后 without the flagged hours: {}（在册 {} 人 registered）",
        reports::format::two(c.per_capita_hours),
        reports::format::two(c.per_capita_hours_unflagged),
        c.registered
    );
    println!(
        "  逐条记录 the records: vbrief screen --period {} （screening.xlsx）",
        period.label()
    );
    Ok(exit::OK)
}

/// The one community row named by `--community` (and `--district`), or an error that says
/// what to add.
fn find_community<'a, R>(
    rows: impl Iterator<Item = &'a R>,
    args: &ExplainArgs,
    path: impl Fn(&R) -> (&str, &str, &str),
) -> anyhow::Result<&'a R> {
    let wanted = domain::community::normalize_community(&args.community);
    let district = args.district.as_deref().map(domain::community::area_stem);
    let matches: Vec<&R> = rows
        .filter(|r| {
            let (d, _, c) = path(r);
            domain::community::normalize_community(c) == wanted
                && district
                    .as_ref()
                    .is_none_or(|want| domain::community::area_stem(d) == *want)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => anyhow::bail!("没有社区 '{}' (no such community in the ledger)", args.community),
        many => anyhow::bail!(
            "社区 '{}' 在多个区县都有，请加 --district (several communities have this name; add --district): {}",
            args.community,
            many.iter()
                .map(|r| {
                    let (d, s, c) = path(r);
                    format!("{d}/{s}/{c}")
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// The definition in words and the SQL files that compute it.
fn print_definition(definition: &str, files: &[&str]) {
    println!("  定义 definition: {definition}");
    println!(
        "  SQL: {}",
        files
            .iter()
            .map(|f| format!("transforms/sql/{f}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
