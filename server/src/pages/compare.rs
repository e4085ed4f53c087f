//! 对比: every community of a district (or of the city) side by side for a period, each
//! figure marked against its target, sortable by any column (in the query string: it works
//! without JavaScript), a bar chart of one indicator with its target line, and the table as
//! xlsx. The model is `reports::compare`, over the indicators of `transforms::compute`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/compare", get(compare))
        .route("/compare.xlsx", get(compare_xlsx))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CompareQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    chart: String,
}

impl CompareQuery {
    fn descending(&self) -> bool {
        self.dir != "asc"
    }

    /// The query string of this view sorted by `column` (the other direction when it is the
    /// column sorted on now).
    fn sorted_by(&self, column: &str, current: &str) -> String {
        let dir = if column == current && self.descending() {
            "asc"
        } else {
            "desc"
        };
        let q = CompareQuery {
            sort: column.to_string(),
            dir: dir.to_string(),
            ..self.clone()
        };
        q.encoded()
    }

    fn encoded(&self) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        format!(
            "period={}&district={}&sort={}&dir={}&chart={}",
            enc(&self.period),
            enc(&self.district),
            enc(&self.sort),
            enc(&self.dir),
            enc(&self.chart)
        )
    }
}

/// The comparison asked for, or a page saying why there is none.
async fn comparison(
    app: &AppState,
    q: &CompareQuery,
) -> Result<(reports::compare::Comparison, std::sync::Arc<transforms::Indicators>), (StatusCode, String)> {
    let period = q.period.trim();
    if !period.is_empty()
        && transforms::Period::ytd_year(period).is_none()
        && transforms::Period::parse(period).is_err()
    {
        return Err((
            StatusCode::BAD_REQUEST,
            "期间无法识别：请写成 2025、2025-Q3、2025-07、2025-ytd 或 2025-01-01..2025-06-30。".into(),
        ));
    }
    let indicators = match app.jobs.figures(period).await {
        None => {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "导入或报告正在进行，完成后再打开本页即可看到这一期间的数字。".into(),
            ))
        }
        Some(Err(e)) => return Err((StatusCode::UNPROCESSABLE_ENTITY, e)),
        Some(Ok(ind)) => ind,
    };
    let district = q.district.trim();
    let district = if district.is_empty() {
        None
    } else {
        match indicators
            .level("district")
            .find(|r| domain::community::area_stem(&r.district) == domain::community::area_stem(district))
        {
            Some(r) => Some(r.district.clone()),
            None => {
                return Err((
                    StatusCode::NOT_FOUND,
                    format!("没有区县“{district}”。"),
                ))
            }
        }
    };
    let config = workdir::Workspace::open(app.jobs.workdir())
        .map(|ws| ws.config().clone())
        .unwrap_or_default();
    let c = reports::compare::build(
        &indicators,
        &config,
        district.as_deref(),
        &q.sort,
        q.descending(),
    );
    Ok((c, indicators))
}

async fn compare(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<CompareQuery>,
) -> Response {
    let mut c = super::page(&app, &session, "compare");
    c.insert("q", &q);
    c.insert("charts", &reports::compare::CHARTS);
    match comparison(&app, &q).await {
        Ok((table, indicators)) => {
            let chart = if q.chart.is_empty() {
                table.sort.clone()
            } else {
                q.chart.clone()
            };
            let chart = if reports::compare::CHARTS.iter().any(|(k, _, _)| *k == chart) {
                chart
            } else {
                "per_capita_hours".to_string()
            };
            let sort_links: Vec<String> = table
                .columns
                .iter()
                .map(|col| q.sorted_by(col.key, &table.sort))
                .collect();
            c.insert("svg", &reports::compare::chart_svg(&table, &indicators, &chart));
            c.insert("chart", &chart);
            c.insert("sort_links", &sort_links);
            c.insert("xlsx", &q.encoded());
            c.insert("table", &table);
            c.insert("error", "");
        }
        Err((status, message)) => {
            c.insert("error", &message);
            let mut page = app.pages.render("compare.html", &c);
            *page.status_mut() = status;
            return page;
        }
    }
    app.pages.render("compare.html", &c)
}

async fn compare_xlsx(State(app): State<AppState>, Query(q): Query<CompareQuery>) -> Response {
    match comparison(&app, &q).await {
        Ok((table, _)) => match reports::compare::xlsx(&table) {
            Ok(bytes) => super::download(
                bytes,
                super::content_type("x.xlsx"),
                &format!("社区对比_{}_{}.xlsx", table.period, table.scope),
            ),
            Err(e) => app.pages.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "表格无法生成",
                &e.to_string(),
            ),
        },
        Err((status, message)) => app.pages.message(status, "没有对比表", &message),
    }
}
