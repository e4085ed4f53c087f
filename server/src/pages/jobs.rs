//! A job's page (an import or a report: its progress, then its outcome) and its live progress
//! as server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream::Stream;

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/jobs/{id}", get(job_page))
}

async fn job_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    UrlPath(id): UrlPath<usize>,
) -> Response {
    let Some(job) = app.jobs.job(id) else {
        return app.pages.message(StatusCode::NOT_FOUND, "没有这个任务", "");
    };
    let section = if job.kind == "报告" {
        "briefing"
    } else {
        "upload"
    };
    let mut c = super::page(&app, &session, section);
    c.insert("job", &job);
    c.insert("finished", &job.status.finished());
    app.pages.render("job.html", &c)
}

/// Server-sent events: the job as JSON on every change, until it ends (on a route without the
/// request timeout: it stays open for as long as the job runs).
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
            let finished = job.status.finished();
            let event = Event::default()
                .event("job")
                .data(serde_json::to_string(&job).unwrap_or_default());
            Some((Ok(event), (app, watch, false, finished)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
