//! The briefing's 进度预警 section: for a period that is part of a year, where the scope stands
//! against the year's targets at the present pace, and the communities that will miss one,
//! each with what it needs in every remaining month. The figures come from
//! `transforms/sql/progress.sql`; this file only words and formats them.

use serde::Serialize;

use transforms::progress::{Progress, ProgressRow};

use crate::format::{grouped, hours, percent};

/// Communities listed per target in the briefing; all of them are in progress.csv.
pub const LISTED: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct ProgressSection {
    /// Where the scope stands at the present pace, as sentences.
    pub lead: Vec<String>,
    pub groups: Vec<ProgressGroup>,
    /// The rule, in a sentence.
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressGroup {
    pub target: String,
    pub now_header: String,
    pub items: Vec<ProgressItem>,
    /// "另有 N 个社区……" when more miss than are listed; empty otherwise.
    pub more: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressItem {
    pub name: String,
    pub now: String,
    pub projected: String,
    pub need: String,
}

/// `6`, `5.5`: months as an office counts them.
fn months(m: f64) -> String {
    let tenths = (m * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

fn path(r: &ProgressRow) -> String {
    format!("{}/{}/{}", r.district, r.street, r.community)
}

/// The section for `scope_name` (全市 or a district), whose own row is `top`; `progress` holds
/// only the scope's units.
pub fn build(progress: &Progress, scope_name: &str, top: &ProgressRow) -> ProgressSection {
    let end = progress.year_to_date.end;
    let remaining = months(progress.remaining_months);
    let communities: Vec<&ProgressRow> = progress.level("community").collect();
    let missing_hours: Vec<&ProgressRow> = {
        let mut v: Vec<&ProgressRow> = communities
            .iter()
            .copied()
            .filter(|r| r.misses_per_capita_hours == Some(true))
            .collect();
        v.sort_by(|a, b| {
            let p = |r: &ProgressRow| r.projected_per_capita_hours.unwrap_or(0.0);
            p(a).total_cmp(&p(b)).then(path(a).cmp(&path(b)))
        });
        v
    };
    let missing_registration: Vec<&ProgressRow> = {
        let mut v: Vec<&ProgressRow> = communities
            .iter()
            .copied()
            .filter(|r| r.misses_registration == Some(true))
            .collect();
        v.sort_by(|a, b| {
            b.registrations_needed
                .cmp(&a.registrations_needed)
                .then(path(a).cmp(&path(b)))
        });
        v
    };

    let mut lead = Vec::new();
    let target_hours = top.per_capita_target_year;
    let as_of = format!(
        "截至{}，全年已过{:.0}%，还剩{remaining}个月。",
        end.format("%Y年%-m月%-d日"),
        progress.elapsed * 100.0
    );
    lead.push(as_of);
    if let (Some(now), Some(projected), Some(need)) = (
        top.per_capita_hours_ytd,
        top.projected_per_capita_hours,
        top.hours_needed_per_month,
    ) {
        let verdict = if top.misses_per_capita_hours == Some(true) {
            format!(
                "低于{}小时的年度目标；要达到目标，其余{remaining}个月注册志愿者每人每月需服务{}小时",
                target_hours,
                hours(need)
            )
        } else {
            format!("可以达到{target_hours}小时的年度目标")
        };
        lead.push(format!(
            "{scope_name}注册志愿者人均服务时长至今{}小时，按目前进度全年预计{}小时，{verdict}。",
            hours(now),
            hours(projected)
        ));
    }
    if let Some(projected) = top.projected_registration_rate {
        let target = format!("{:.0}%", top.registration_target * 100.0);
        let verdict = if top.misses_registration == Some(true) {
            let needed = top.registrations_needed.unwrap_or(0);
            format!(
                "低于{target}的目标；还需注册{}人，其余{remaining}个月每月至少{}人",
                grouped(needed),
                grouped(
                    top.registrations_needed_per_month
                        .map_or(0, |m| m.ceil() as i64)
                )
            )
        } else {
            format!("可以达到{target}的目标")
        };
        lead.push(format!(
            "注册率目前{}，按今年新增注册的速度，年末预计{}，{verdict}。",
            percent(top.registration_rate),
            percent(Some(projected))
        ));
    }
    lead.push(match (missing_hours.len(), missing_registration.len()) {
        (0, 0) => format!(
            "按目前进度，{}个社区全年都能达到人均服务时长和注册率目标。",
            communities.len()
        ),
        (h, r) => format!(
            "按目前进度，{}个社区中，人均服务时长将有{h}个社区达不到目标，注册率将有{r}个社区达不到目标。",
            communities.len()
        ),
    });

    let more = |n: usize| {
        if n > LISTED {
            format!(
                "另有{}个社区，完整名单见 indicators/progress.csv。",
                n - LISTED
            )
        } else {
            String::new()
        }
    };
    let groups = vec![
        ProgressGroup {
            target: format!("人均服务时长（全年目标 {target_hours} 小时）"),
            now_header: "至今人均".into(),
            items: missing_hours
                .iter()
                .take(LISTED)
                .map(|r| ProgressItem {
                    name: path(r),
                    now: format!("{} 小时", hours(r.per_capita_hours_ytd.unwrap_or(0.0))),
                    projected: format!(
                        "{} 小时",
                        hours(r.projected_per_capita_hours.unwrap_or(0.0))
                    ),
                    need: format!(
                        "每人每月 {} 小时，全社区 {} 小时",
                        hours(r.hours_needed_per_month.unwrap_or(0.0)),
                        hours(r.hours_needed_per_month.unwrap_or(0.0) * r.registered as f64)
                    ),
                })
                .collect(),
            more: more(missing_hours.len()),
        },
        ProgressGroup {
            target: format!("注册率（目标 {:.0}%）", top.registration_target * 100.0),
            now_header: "目前注册率".into(),
            items: missing_registration
                .iter()
                .take(LISTED)
                .map(|r| ProgressItem {
                    name: path(r),
                    now: percent(r.registration_rate),
                    projected: percent(r.projected_registration_rate),
                    need: format!(
                        "还需注册 {} 人，每月至少 {} 人",
                        grouped(r.registrations_needed.unwrap_or(0)),
                        grouped(
                            r.registrations_needed_per_month
                                .map_or(0, |m| m.ceil() as i64)
                        )
                    ),
                })
                .collect(),
            more: more(missing_registration.len()),
        },
    ];
    ProgressSection {
        lead,
        groups,
        note: "预计值按年初至期末的进度推算到年末：人均服务时长 = 至今人均 ÷ 全年已过比例；注册率 = （年初在册 + 今年新增 ÷ 全年已过比例）÷ 常住人口。每月还需 = 距全年目标的差额 ÷ 剩余月数。定义见 transforms/sql/progress.sql。".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_whole_or_one_decimal() {
        assert_eq!(months(6.0), "6");
        assert_eq!(months(5.516), "5.5");
        assert_eq!(months(0.0), "0");
    }
}
