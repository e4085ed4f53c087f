//! 数据质量: every check's result, each community's failing rows per check, and a community's
//! rows to fix (masked names only), shown and downloadable.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality", get(quality))
        .route("/quality/community/{name}", get(quality_community))
        .route(
            "/quality/community/{name}/rows.csv",
            get(quality_community_csv),
        )
        .route(
            "/quality/community/{name}/rows.xlsx",
            get(quality_community_xlsx),
        )
}

async fn quality(State(app): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let c = super::page(&app, &session, "quality");
    app.pages.render("quality.html", &c)
}

/// The columns of a community's failing rows shown on its page, with their Chinese names
/// (the CSV it downloads has them all).
const ROW_COLUMNS: [(&str, &str); 7] = [
    ("check_name", "问题"),
    ("file", "文件"),
    ("sheet", "工作表"),
    ("row", "行"),
    ("column", "列"),
    ("detail", "说明"),
    ("masked_name", "姓名"),
];

/// One community's failing rows (masked names only), read from its CSV under out/quality/.
async fn quality_community(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let view = app.jobs.view();
    let Some(community) = view.communities.iter().find(|c| c.file_name == name) else {
        return app.pages.message(StatusCode::NOT_FOUND, "没有这个社区", "");
    };
    let uploads = crate::upload::known_names(&crate::upload::upload_dir(app.jobs.workdir()));
    let rows: Vec<Vec<String>> = community
        .file
        .as_ref()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|text| {
            let text = text.trim_start_matches('\u{FEFF}').to_string();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = reader
                .headers()
                .map(|h| h.iter().map(String::from).collect())
                .unwrap_or_default();
            let at = |name: &str| header.iter().position(|h| h == name);
            let columns: Vec<Option<usize>> = ROW_COLUMNS.iter().map(|(c, _)| at(c)).collect();
            reader
                .records()
                .take(2000)
                .filter_map(|r| r.ok())
                .map(|r| {
                    columns
                        .iter()
                        .zip(ROW_COLUMNS)
                        .map(|(i, (name, _))| {
                            let v = i.and_then(|i| r.get(i)).unwrap_or("").to_string();
                            if name == "file" || name == "detail" {
                                crate::view::display_name(&uploads, &v)
                            } else {
                                v
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let header: Vec<&str> = ROW_COLUMNS.iter().map(|(_, zh)| *zh).collect();
    let mut c = super::page(&app, &session, "quality");
    c.insert("name", &name);
    c.insert("community", &community);
    c.insert("header", &header);
    c.insert("rows", &rows);
    app.pages.render("quality_community.html", &c)
}

async fn quality_community_csv(
    State(app): State<AppState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let view = app.jobs.view();
    let Some(file) = view
        .communities
        .iter()
        .find(|c| c.file_name == name)
        .and_then(|c| c.file.clone())
    else {
        return app
            .pages
            .message(StatusCode::NOT_FOUND, "没有这个社区的清单", "");
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "quality.csv".into());
    match tokio::fs::read(&file).await {
        Ok(bytes) => super::download(bytes, "text/csv; charset=utf-8", &name),
        Err(e) => app
            .pages
            .message(StatusCode::NOT_FOUND, "清单无法读取", &e.to_string()),
    }
}

/// The same list as xlsx (Chinese headers), for offices that send spreadsheets.
async fn quality_community_xlsx(
    State(app): State<AppState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let view = app.jobs.view();
    let Some(file) = view
        .communities
        .iter()
        .find(|c| c.file_name == name)
        .and_then(|c| c.file.clone())
    else {
        return app
            .pages
            .message(StatusCode::NOT_FOUND, "没有这个社区的清单", "");
    };
    let text = match tokio::fs::read_to_string(&file).await {
        Ok(t) => t,
        Err(e) => {
            return app
                .pages
                .message(StatusCode::NOT_FOUND, "清单无法读取", &e.to_string())
        }
    };
    let stem = name.trim_end_matches(".csv").to_string();
    match tokio::task::spawn_blocking(move || reports::quality::rows_xlsx(&text)).await {
        Ok(Ok(bytes)) => super::download(
            bytes,
            super::content_type("x.xlsx"),
            &format!("{stem}.xlsx"),
        ),
        _ => app.pages.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "清单无法生成",
            "",
        ),
    }
}
