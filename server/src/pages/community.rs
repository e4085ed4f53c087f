//! 社区: find a community; its figures for the default period with their definitions and SQL
//! files, and what `vbrief explain` counts (inputs and exclusions), computed by the worker.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/community", get(community))
}

#[derive(Deserialize)]
struct CommunityQuery {
    #[serde(default)]
    q: String,
    /// One community, by its id (the comparison page links here).
    id: Option<i32>,
    /// Any period the CLI accepts; empty: the default period.
    #[serde(default)]
    period: String,
}

/// Search a community by name (or open one by id); its figures for a period, each with its
/// definition and SQL file (what `vbrief explain` starts with).
async fn community(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<CommunityQuery>,
) -> Response {
    let wanted = q.q.trim().to_string();
    let period = q.period.trim().to_string();
    let mut c = super::page(&app, &session, "community");
    c.insert("q", &wanted);
    c.insert("id", &q.id);
    c.insert("period", &period);
    let mut found = Vec::new();
    let searching = !wanted.is_empty() || q.id.is_some();
    let indicators = if !searching {
        None
    } else if !period.is_empty()
        && transforms::Period::ytd_year(&period).is_none()
        && transforms::Period::parse(&period).is_err()
    {
        c.insert("error", "期间无法识别：请写成 2025、2025-Q3、2025-07、2025-ytd 或 2025-01-01..2025-06-30。");
        None
    } else {
        match app.jobs.figures(&period).await {
            Some(Ok(ind)) => Some(ind),
            Some(Err(e)) => {
                c.insert("error", &e);
                None
            }
            None => {
                c.insert("error", "导入或报告正在进行，完成后刷新本页即可看到这一期间的数字。");
                None
            }
        }
    };
    if !c.contains_key("error") {
        c.insert("error", "");
    }
    if let Some(ind) = &indicators {
        c.insert("period_zh", &reports::format::period_zh(&ind.period));
        let rows: Vec<_> = ind
            .level("community")
            .filter(|r| match q.id {
                Some(id) => r.community_id == id,
                None => r.community.contains(&wanted),
            })
            .take(20)
            .collect();
        // What `vbrief explain` counts (inputs, exclusions), for the first few matches.
        let mut inputs = Vec::new();
        for row in rows.iter().take(3) {
            let counted = match app.jobs.explain(row.community_id, ind.period) {
                None => Err("导入或报告进行中，完成后刷新本页可看到计入与排除的明细。".to_string()),
                Some(answer) => match tokio::time::timeout(Duration::from_secs(20), answer).await {
                    Ok(Ok(result)) => result,
                    _ => Err("明细暂时无法计算，请稍后刷新。".to_string()),
                },
            };
            inputs.push(counted);
        }
        for (i, row) in rows.iter().enumerate() {
            let values = serde_json::to_value(row).unwrap_or_default();
            let figures: Vec<serde_json::Value> = FIGURES
                .iter()
                .map(|(key, label)| {
                    let (files, text) = transforms::explain::definition(key).unwrap_or((&[], ""));
                    serde_json::json!({
                        "key": key,
                        "label": label,
                        "value": shown(key, &values[*key]),
                        "previous": shown(key, &values[format!("{key}_prev").as_str()]),
                        "definition": text,
                        "sql": files.iter().map(|f| format!("transforms/sql/{f}")).collect::<Vec<_>>().join("、"),
                    })
                })
                .collect();
            let counted = match inputs.get(i) {
                Some(Ok(b)) => serde_json::json!([
                    ["本社区志愿者（去重后）", b.volunteers_in_community],
                    ["其中计入（期末在册）", row.registered],
                    ["排除：已注销或停用", b.excluded_cancelled],
                    ["排除：未通过实名认证", b.excluded_unverified],
                    ["排除：期末后注册", b.excluded_registered_after_end],
                    ["期内服务记录", b.records_in_period_of_community_people],
                    ["其中计入（已生效）", b.records_counted],
                    ["排除：未生效、待审核", b.excluded_records_not_effective],
                    [
                        "排除：注销或期末后注册者的记录",
                        b.excluded_records_of_cancelled_or_later_registered
                    ],
                    [
                        "期外记录（不计入期内时长）",
                        b.records_outside_period_of_counted_people
                    ],
                    [
                        "全市期内无法对应志愿者的记录",
                        b.records_in_period_of_unknown_persons
                    ],
                ]),
                _ => serde_json::Value::Null,
            };
            let note = match inputs.get(i) {
                Some(Err(e)) => e.clone(),
                None => "（只为前 3 个结果计算明细）".to_string(),
                Some(Ok(_)) => String::new(),
            };
            found.push(serde_json::json!({
                "path": format!("{}/{}/{}", row.district, row.street, row.community),
                "figures": figures,
                "inputs": counted,
                "inputs_note": note,
            }));
        }
    }
    c.insert("found", &found);
    app.pages.render("community.html", &c)
}

/// The figures the community page shows, with their names.
const FIGURES: [(&str, &str); 12] = [
    ("population", "常住人口"),
    ("registered", "注册志愿者"),
    ("registration_rate", "注册率"),
    ("hours", "有效服务时长（小时）"),
    ("per_capita_hours", "人均服务时长（小时）"),
    ("participation_rate", "参与率"),
    ("organizations", "志愿服务组织"),
    ("has_station", "志愿服务站"),
    ("needs_resolved", "已解决需求"),
    ("star1", "一星志愿者"),
    ("score", "综合得分（本地惯例）"),
    ("rank_in_district", "区内排名"),
];

fn shown(key: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if key.ends_with("_rate") => reports::format::percent(Some(f)),
            Some(f) if n.is_f64() => format!("{f:.2}"),
            _ => n.to_string(),
        },
        serde_json::Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
