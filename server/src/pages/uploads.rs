//! A refused upload kept for another try (see `crate::pending`): its column mapping, saved
//! into `[headers.<kind>]` and followed by an import of the same stored file (no second
//! upload), or its removal.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Serialize;
use workdir::settings::{Change, SettingsError};

use crate::auth::Session;
use crate::guard::csrf_refusal;
use crate::pending::Pending;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/uploads/{stored}/mapping",
            get(mapping_page).post(mapping_post),
        )
        .route("/uploads/{stored}/discard", post(discard))
}

/// One header of the form: the field chosen for it now.
#[derive(Serialize)]
struct HeaderRow {
    index: usize,
    header: String,
    chosen: String,
    /// Why it is chosen: 已识别 (vbrief knows it), 建议 (suggested), or empty.
    why: &'static str,
}

fn rows(p: &Pending, sent: Option<&HashMap<String, String>>) -> Vec<HeaderRow> {
    let Some(m) = &p.mapping else {
        return Vec::new();
    };
    m.headers
        .iter()
        .enumerate()
        .map(|(i, (header, mapped, suggested))| {
            let (chosen, why) = match (sent, mapped, suggested) {
                (Some(f), _, _) => (f.get(&format!("h{i}")).cloned().unwrap_or_default(), ""),
                (None, Some(f), _) => (f.clone(), "已识别"),
                (None, None, Some(f)) => (f.clone(), "建议"),
                _ => (String::new(), ""),
            };
            HeaderRow {
                index: i,
                header: header.clone(),
                chosen,
                why,
            }
        })
        .collect()
}

fn render(
    app: &AppState,
    session: &Session,
    stored: &str,
    p: &Pending,
    error: &str,
    sent: Option<&HashMap<String, String>>,
) -> Response {
    let mut c = super::page(app, session, "upload");
    let kind = p
        .mapping
        .as_ref()
        .and_then(|m| domain::SourceKind::from_name(&m.kind));
    let fields: Vec<(&str, &str)> = kind.map_or_else(Vec::new, |k| {
        k.fields()
            .iter()
            .filter(|(f, _)| *f != domain::kind::Field::Phone)
            .map(|(f, _)| (f.name(), f.label_zh(k)))
            .collect()
    });
    c.insert("stored", stored);
    c.insert("upload", p);
    c.insert("kind_label", &kind.map_or("—", |k| k.label_zh()));
    c.insert("fields", &fields);
    c.insert("rows", &rows(p, sent));
    c.insert("left", &crate::pending::time_left(p));
    c.insert("error", error);
    c.insert(
        "version",
        &workdir::settings::read(app.jobs.workdir()).version,
    );
    let mut response = app.pages.render("mapping.html", &c);
    if !error.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

fn kept(app: &AppState, stored: &str) -> Option<Pending> {
    crate::pending::file(app.jobs.workdir(), stored)?;
    crate::pending::load(app.jobs.workdir()).remove(stored)
}

async fn mapping_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(stored): UrlPath<String>,
) -> Response {
    match kept(&app, &stored) {
        Some(p) => render(&app, &session, &stored, &p, "", None),
        None => gone(&app),
    }
}

fn gone(app: &AppState) -> Response {
    app.pages.message(
        StatusCode::NOT_FOUND,
        "这个文件已不在服务器上",
        "它已导入、被删除，或已超过 24 小时的保留期。请重新上传。",
    )
}

/// Saves the chosen fields as `[headers.<kind>]` lines (those vbrief does not already know),
/// then imports the same file again.
async fn mapping_post(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(stored): UrlPath<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let sent = |name: &str| fields.get(name).map_or("", |v| v.trim());
    if let Some(refusal) = csrf_refusal(&session, sent("csrf")) {
        return refusal;
    }
    let Some(p) = kept(&app, &stored) else {
        return gone(&app);
    };
    let Some(m) = &p.mapping else {
        return render(&app, &session, &stored, &p, "这个文件不是因为缺少列而未导入，无法在这里对应列。", None);
    };
    let Some(kind) = domain::SourceKind::from_name(&m.kind) else {
        return gone(&app);
    };
    let mut changes = Vec::new();
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    for (i, (header, mapped, _)) in m.headers.iter().enumerate() {
        let chosen = sent(&format!("h{i}"));
        if chosen.is_empty() || Some(chosen) == mapped.as_deref() {
            continue;
        }
        if let Some(other) = used.insert(chosen.to_string(), header.clone()) {
            let error = format!("“{other}”和“{header}”选了同一个字段，请只选一列");
            return render(&app, &session, &stored, &p, &error, Some(&fields));
        }
        changes.push(Change::Header {
            kind,
            header: header.clone(),
            field: Some(chosen.to_string()),
        });
    }
    if changes.is_empty() {
        let error = "没有选择新的对应关系：请为缺少的字段选择对应的列。";
        return render(&app, &session, &stored, &p, error, Some(&fields));
    }
    let dir = app.jobs.workdir().to_path_buf();
    let version = sent("version").to_string();
    let saved = tokio::task::spawn_blocking(move || {
        workdir::settings::apply(&dir, &version, &changes)
    })
    .await
    .unwrap_or_else(|e| {
        Err(SettingsError::Write {
            path: workdir::CONFIG_FILE.into(),
            detail: e.to_string(),
        })
    });
    if let Err(e) = saved {
        return render(&app, &session, &stored, &p, &e.to_string(), Some(&fields));
    }
    let Some(file) = crate::pending::file(app.jobs.workdir(), &stored) else {
        return gone(&app);
    };
    let names = BTreeMap::from([(stored.clone(), p.name.clone())]);
    let id = app.jobs.ingest(vec![file], names, Vec::new());
    Redirect::to(&format!("/jobs/{id}")).into_response()
}

async fn discard(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(stored): UrlPath<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = csrf_refusal(&session, fields.get("csrf").map_or("", |v| v)) {
        return refusal;
    }
    if crate::pending::load(app.jobs.workdir()).contains_key(&stored)
        && !app
            .jobs
            .files_in_use()
            .iter()
            .any(|f| f.ends_with(&stored))
    {
        crate::pending::discard(app.jobs.workdir(), &stored);
    }
    Redirect::to("/upload").into_response()
}
