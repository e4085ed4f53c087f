//! The pages. Each renders from the last snapshot of the worker (see `jobs.rs`) with a tera
//! template in `server/templates/` (embedded in the binary; tera escapes every value), so a
//! page never waits for a running job. Forms work without JavaScript; `assets/app.js` only
//! adds drag-and-drop and live progress.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use futures_util::stream::Stream;
use serde::Deserialize;
use tera::{Context, Tera};

use crate::auth::Session;
use crate::guard::csrf_refusal;
use crate::jobs::JobStatus;
use crate::AppState;

pub struct Templates {
    tera: Tera,
}

const TEMPLATES: [(&str, &str); 10] = [
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    ("upload.html", include_str!("../templates/upload.html")),
    ("job.html", include_str!("../templates/job.html")),
    ("quality.html", include_str!("../templates/quality.html")),
    (
        "quality_community.html",
        include_str!("../templates/quality_community.html"),
    ),
    ("briefing.html", include_str!("../templates/briefing.html")),
    (
        "community.html",
        include_str!("../templates/community.html"),
    ),
];
const SETTINGS: (&str, &str) = ("settings.html", include_str!("../templates/settings.html"));

impl Templates {
    pub fn new() -> Templates {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_templates(TEMPLATES.into_iter().chain([SETTINGS]))
            .expect("the embedded templates parse (a unit test renders each)");
        Templates { tera }
    }

    fn render(&self, name: &str, context: &Context) -> Response {
        match self.tera.render(name, context) {
            Ok(html) => Html(html).into_response(),
            Err(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("page {name} failed: {}", reports::error_chain(&e)),
            )
                .into_response(),
        }
    }

    pub fn login(&self, with_password: bool, error: &str) -> Response {
        let mut c = bare();
        c.insert("with_password", &with_password);
        c.insert("error", error);
        self.render("login.html", &c)
    }

    pub fn message(&self, status: StatusCode, title: &str, detail: &str) -> Response {
        let mut c = bare();
        c.insert("title", title);
        c.insert("detail", detail);
        let mut response = self.render("message.html", &c);
        *response.status_mut() = status;
        response
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

/// The context of a page shown without a session (sign-in, refusals).
fn bare() -> Context {
    let mut c = Context::new();
    c.insert("section", "");
    c.insert("csrf", "");
    c.insert("running", &false);
    c
}

/// The context every page shares: the section, the CSRF token, the snapshot.
fn page(app: &AppState, session: &Session, section: &str) -> Context {
    let mut c = Context::new();
    c.insert("section", section);
    c.insert("csrf", &session.csrf);
    c.insert("snapshot", &*app.jobs.snapshot());
    c.insert(
        "running",
        &app.jobs
            .recent(20)
            .iter()
            .any(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running)),
    );
    c
}

pub async fn overview(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
) -> Response {
    let mut c = page(&app, &session, "overview");
    c.insert("jobs", &app.jobs.recent(5));
    app.pages.render("overview.html", &c)
}

pub async fn upload_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
) -> Response {
    let mut c = page(&app, &session, "upload");
    c.insert("max_mb", &(app.options.max_upload >> 20));
    c.insert("jobs", &app.jobs.recent(10));
    app.pages.render("upload.html", &c)
}

pub async fn job_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(id): UrlPath<usize>,
) -> Response {
    let Some(job) = app.jobs.job(id) else {
        return app.pages.message(StatusCode::NOT_FOUND, "没有这个任务", "");
    };
    let mut c = page(
        &app,
        &session,
        if job.kind == "报告" {
            "briefing"
        } else {
            "upload"
        },
    );
    c.insert("job", &job);
    c.insert(
        "finished",
        &matches!(job.status, JobStatus::Done | JobStatus::Failed),
    );
    app.pages.render("job.html", &c)
}

/// Server-sent events: the job as JSON on every change, until it ends.
pub async fn job_events(
    State(app): State<AppState>,
    UrlPath(id): UrlPath<usize>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let watch = app.jobs.watch();
    let stream = futures_util::stream::unfold(
        (app, watch, true, false),
        move |(app, mut watch, first, done)| async move {
            if done {
                return None;
            }
            if !first {
                // The next change, or a beat every few seconds; then the job as it is now.
                let _ = tokio::time::timeout(Duration::from_secs(5), watch.changed()).await;
            }
            let job = app.jobs.job(id)?;
            let finished = matches!(job.status, JobStatus::Done | JobStatus::Failed);
            let event = Event::default()
                .event("job")
                .data(serde_json::to_string(&job).unwrap_or_default());
            Some((Ok(event), (app, watch, false, finished)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

pub async fn quality(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
) -> Response {
    let c = page(&app, &session, "quality");
    app.pages.render("quality.html", &c)
}

/// One community's failing rows (masked names only), read from its CSV under out/quality/.
pub async fn quality_community(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let snapshot = app.jobs.snapshot();
    let Some(community) = snapshot.communities.iter().find(|c| c.file_name == name) else {
        return app.pages.message(StatusCode::NOT_FOUND, "没有这个社区", "");
    };
    let uploads = crate::upload::known_names(
        &app.jobs
            .workdir()
            .join(workdir::INBOX)
            .join(crate::upload::UPLOAD_DIR),
    );
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
                                crate::jobs::display_name(&uploads, &v)
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
    let mut c = page(&app, &session, "quality");
    c.insert("name", &name);
    c.insert("community", &community);
    c.insert("header", &header);
    c.insert("rows", &rows);
    app.pages.render("quality_community.html", &c)
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

pub async fn quality_community_csv(
    State(app): State<AppState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let snapshot = app.jobs.snapshot();
    let Some(file) = snapshot
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
        Ok(bytes) => download(bytes, "text/csv; charset=utf-8", &name),
        Err(e) => app
            .pages
            .message(StatusCode::NOT_FOUND, "清单无法读取", &e.to_string()),
    }
}

/// A file as a download, its name given both plainly (ASCII) and as UTF-8 (RFC 6266).
fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

pub async fn briefing_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
) -> Response {
    let mut c = page(&app, &session, "briefing");
    let reports: Vec<_> = app
        .jobs
        .recent(50)
        .into_iter()
        .filter(|j| j.kind == "报告" && j.status == JobStatus::Done)
        .take(5)
        .collect();
    c.insert("reports", &reports);
    app.pages.render("briefing.html", &c)
}

#[derive(Deserialize)]
pub struct BriefingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    custom: String,
    #[serde(default)]
    district: String,
}

pub async fn briefing_post(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Form(form): Form<BriefingForm>,
) -> Response {
    if let Some(refusal) = csrf_refusal(&session, &form.csrf) {
        return refusal;
    }
    let period = if form.custom.trim().is_empty() {
        form.period.trim().to_string()
    } else {
        form.custom.trim().to_string()
    };
    if !period.is_empty()
        && transforms::Period::ytd_year(&period).is_none()
        && transforms::Period::parse(&period).is_err()
    {
        return app.pages.message(
            StatusCode::BAD_REQUEST,
            "期间无法识别",
            "请写成 2025、2025-Q3、2025-07、2025-ytd 或 2025-01-01..2025-06-30。",
        );
    }
    let request = workdir::ReportRequest {
        period: (!period.is_empty()).then_some(period),
        district: (!form.district.trim().is_empty()).then(|| form.district.trim().to_string()),
        ..Default::default()
    };
    let id = app.jobs.report(request);
    Redirect::to(&format!("/jobs/{id}")).into_response()
}

/// A file a report job wrote: only the names that job lists, from its own folder.
pub async fn briefing_file(
    State(app): State<AppState>,
    UrlPath((id, name)): UrlPath<(usize, String)>,
    Query(q): Query<FileQuery>,
) -> Response {
    let Some(job) = app
        .jobs
        .job(id)
        .filter(|j| j.kind == "报告" && j.status == JobStatus::Done)
    else {
        return app.pages.message(StatusCode::NOT_FOUND, "没有这个报告", "");
    };
    let Some(output) = job.outputs.iter().find(|o| o.replace('\\', "/") == name) else {
        return app
            .pages
            .message(StatusCode::NOT_FOUND, "报告中没有这个文件", "");
    };
    let path = app.jobs.workdir().join("out").join(&job.out).join(output);
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => {
            return app
                .pages
                .message(StatusCode::NOT_FOUND, "文件无法读取", &e.to_string())
        }
    };
    let content_type = match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    if name == "briefing.html" && q.preview.is_some() {
        // The preview in the page's frame: its inline style and sorting script may run, in a
        // sandbox with nothing else allowed.
        let mut response = bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-scripts",
            ),
        );
        return response;
    }
    let file_name = std::path::Path::new(output)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| name.clone());
    download(bytes, content_type, &file_name)
}

#[derive(Deserialize)]
pub struct FileQuery {
    preview: Option<String>,
}

#[derive(Deserialize)]
pub struct CommunityQuery {
    #[serde(default)]
    q: String,
}

/// Search a community by name; its figures for the default period, each with its definition
/// and SQL file (what `vbrief explain` starts with).
pub async fn community(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<CommunityQuery>,
) -> Response {
    let snapshot = app.jobs.snapshot();
    let wanted = q.q.trim().to_string();
    let mut c = page(&app, &session, "community");
    c.insert("q", &wanted);
    let mut found = Vec::new();
    if let (Some(ind), false) = (&snapshot.indicators, wanted.is_empty()) {
        let rows: Vec<_> = ind
            .level("community")
            .filter(|r| r.community.contains(&wanted))
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
const FIGURES: [(&str, &str); 10] = [
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
];

fn shown(key: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if key.ends_with("_rate") => format!("{:.2}%", f * 100.0),
            Some(f) if n.is_f64() => format!("{f:.2}"),
            _ => n.to_string(),
        },
        serde_json::Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The configuration in force (read-only): targets with their sources, thresholds, aliases.
pub async fn settings(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
) -> Response {
    let mut c = page(&app, &session, "settings");
    match workdir::Workspace::open(app.jobs.workdir()) {
        Ok(ws) => {
            c.insert("config", ws.config());
            let toml = std::fs::read_to_string(app.jobs.workdir().join(workdir::CONFIG_FILE))
                .unwrap_or_else(|_| "（没有 vbrief.toml，使用默认设置）".into());
            c.insert("toml", &toml);
            c.insert("error", "");
        }
        Err(e) => {
            c.insert("error", &e.to_string());
        }
    }
    app.pages.render("settings.html", &c)
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    #[test]
    fn pages_without_a_session_render() {
        let t = super::Templates::new();
        assert_eq!(t.login(false, "").status(), StatusCode::OK);
        assert_eq!(t.login(true, "密码不对").status(), StatusCode::OK);
        let r = t.message(StatusCode::BAD_REQUEST, "没有可导入的文件", "a.txt");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}
