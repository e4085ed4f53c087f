//! 首页: what the folder holds, the default period's headline figures, what to do next.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(overview))
}

async fn overview(State(app): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let mut c = super::page(&app, &session, "overview");
    c.insert("jobs", &app.jobs.recent(5));
    // Uploads not imported, kept for another try (newest first).
    let mut pending: Vec<(String, crate::pending::Pending, String)> =
        crate::pending::load(app.jobs.workdir())
            .into_iter()
            .map(|(stored, p)| {
                let left = crate::pending::time_left(&p);
                (stored, p, left)
            })
            .collect();
    pending.sort_by_key(|p| std::cmp::Reverse(p.1.since));
    c.insert("pending", &pending);
    app.pages.render("overview.html", &c)
}
