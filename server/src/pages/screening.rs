//! 核查: the screening of padded hours for a period — the rules with their standards, each
//! community's flagged records and hours with its per-capita hours with and without them, and
//! the records, filtered by community and rule; a community's records (or all) as xlsx. The
//! model is `reports::screening`, over `transforms::screening`. For the office's own use: the
//! briefing does not show it.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/screening", get(screening_page))
        .route("/screening.xlsx", get(screening_xlsx))
        .route("/screening/community/{id}", get(community_xlsx))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ScreeningQuery {
    #[serde(default)]
    period: String,
    /// A community's id, to show its records only.
    community: Option<i32>,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    district: String,
}

/// The screening of the period asked, or why there is none.
async fn screening(
    app: &AppState,
    period: &str,
) -> Result<std::sync::Arc<transforms::screening::Screening>, (StatusCode, String)> {
    let period = period.trim();
    if !period.is_empty()
        && transforms::Period::ytd_year(period).is_none()
        && transforms::Period::parse(period).is_err()
    {
        return Err((
            StatusCode::BAD_REQUEST,
            "期间无法识别：请写成 2025、2025-Q3、2025-07、2025-ytd 或 2025-01-01..2025-06-30。".into(),
        ));
    }
    match app.jobs.screening(period).await {
        Some(Ok(s)) => Ok(s),
        Some(Err(e)) => Err((StatusCode::UNPROCESSABLE_ENTITY, e)),
        None => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "导入或报告正在进行，完成后再打开本页即可看到核查结果。".into(),
        )),
    }
}

fn config(app: &AppState) -> domain::Config {
    workdir::Workspace::open(app.jobs.workdir())
        .map(|ws| ws.config().clone())
        .unwrap_or_default()
}

/// The district asked for, as the ledger writes it (None: the whole city).
fn district(s: &transforms::screening::Screening, asked: &str) -> Option<String> {
    let asked = asked.trim();
    (!asked.is_empty())
        .then(|| workdir::screen::district_named(s, asked).ok())
        .flatten()
}

async fn screening_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<ScreeningQuery>,
) -> Response {
    let mut c = super::page(&app, &session, "screening");
    c.insert("q", &q);
    let s = match screening(&app, &q.period).await {
        Ok(s) => s,
        Err((status, message)) => {
            c.insert("error", &message);
            let mut page = app.pages.render("screening.html", &c);
            *page.status_mut() = status;
            return page;
        }
    };
    let config = config(&app);
    let model = reports::screening::build(&s, &config, district(&s, &q.district).as_deref());
    // The sections, narrowed to the community and rule asked for.
    let names: std::collections::HashMap<i32, String> = model
        .communities
        .iter()
        .map(|c| (c.community_id, format!("{}/{}/{}", c.district, c.street, c.community)))
        .collect();
    let community = q.community.filter(|id| names.contains_key(id));
    let rule = transforms::screening::RULES
        .iter()
        .find(|r| r.id == q.rule)
        .map(|r| r.id);
    let records: Vec<reports::screening::RecordLine> = s
        .records_of(community, rule)
        .filter(|r| names.contains_key(&r.community_id))
        // The whole city's list is for the workbook; a page shows a sample of it, and all of
        // one community's (up to a long page).
        .take(if community.is_some() { 2000 } else { 200 })
        .map(|r| reports::screening::record_line(r, names.get(&r.community_id).map_or("", |n| n)))
        .collect();
    let shown = s
        .records_of(community, rule)
        .filter(|r| names.contains_key(&r.community_id))
        .count();
    c.insert("model", &model);
    c.insert("records", &records);
    c.insert("records_total", &shown);
    c.insert("community_name", &community.and_then(|id| names.get(&id)).cloned().unwrap_or_default());
    c.insert("rules", &transforms::screening::RULES);
    c.insert("error", "");
    app.pages.render("screening.html", &c)
}

async fn screening_xlsx(State(app): State<AppState>, Query(q): Query<ScreeningQuery>) -> Response {
    let s = match screening(&app, &q.period).await {
        Ok(s) => s,
        Err((status, message)) => return app.pages.message(status, "没有核查结果", &message),
    };
    let model = reports::screening::build(&s, &config(&app), district(&s, &q.district).as_deref());
    match reports::screening::xlsx(&s, &model) {
        Ok(bytes) => super::download(
            bytes,
            super::content_type("x.xlsx"),
            &format!("时长核查_{}_{}.xlsx", model.period, model.scope),
        ),
        Err(e) => app.pages.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "表格无法生成",
            &e.to_string(),
        ),
    }
}

async fn community_xlsx(
    State(app): State<AppState>,
    UrlPath(id): UrlPath<i32>,
    Query(q): Query<ScreeningQuery>,
) -> Response {
    let s = match screening(&app, &q.period).await {
        Ok(s) => s,
        Err((status, message)) => return app.pages.message(status, "没有核查结果", &message),
    };
    let Some(community) = s.community(id) else {
        return app.pages.message(StatusCode::NOT_FOUND, "没有这个社区", "");
    };
    let model = reports::screening::build(&s, &config(&app), None);
    match reports::screening::community_xlsx(&s, &model, id) {
        Ok(bytes) => super::download(
            bytes,
            super::content_type("x.xlsx"),
            &format!(
                "时长核查_{}_{}_{}_{}.xlsx",
                model.period, community.district, community.street, community.community
            ),
        ),
        Err(e) => app.pages.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "表格无法生成",
            &e.to_string(),
        ),
    }
}
