//! `vbrief explain INDICATOR --community NAME`: how a figure was obtained.

use std::path::Path;

use crate::cli::ExplainArgs;
use crate::exit;
use crate::steps::resolve_period;
use crate::workspace::Workspace;

pub fn run(workdir: &Path, args: &ExplainArgs) -> anyhow::Result<u8> {
    let Some((files, definition)) = transforms::explain::definition(&args.indicator) else {
        anyhow::bail!(
            "未知指标 '{}' (unknown indicator); e.g. registered, registration_rate, hours, per_capita_hours, \
             active_volunteers, participation_rate, activities, category_coverage, organizations, has_station, \
             needs_resolved, trainings, star1 … star5",
            args.indicator
        );
    };
    let ws = Workspace::open(workdir)?;
    let period = resolve_period(ws.warehouse()?, args.period.as_deref())?;
    let indicators = transforms::compute(ws.warehouse()?, &period, ws.config())?;
    let wanted = domain::community::normalize_community(&args.community);
    let district = args.district.as_deref().map(domain::community::area_stem);
    let matches: Vec<_> = indicators
        .level("community")
        .filter(|r| domain::community::normalize_community(&r.community) == wanted)
        .filter(|r| {
            district
                .as_ref()
                .is_none_or(|d| domain::community::area_stem(&r.district) == *d)
        })
        .collect();
    let row = match matches.as_slice() {
        [one] => *one,
        [] => anyhow::bail!("没有社区 '{}' (no such community in the ledger)", args.community),
        many => anyhow::bail!(
            "社区 '{}' 在多个区县都有，请加 --district (several communities have this name; add --district): {}",
            args.community,
            many.iter().map(|r| format!("{}/{}/{}", r.district, r.street, r.community)).collect::<Vec<_>>().join("; ")
        ),
    };
    let value = transforms::explain::value_of(row, &args.indicator).unwrap_or_else(|| "—".into());
    println!("{} = {value}", args.indicator);
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
    println!("  定义 definition: {definition}");
    println!(
        "  SQL: {}",
        files
            .iter()
            .map(|f| format!("transforms/sql/{f}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
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
