//! 导入: the upload form (the upload itself is `crate::upload`, on a route of its own with the
//! request size limit) and the imports so far.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use crate::auth::Session;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/upload", get(upload_page))
}

async fn upload_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
) -> Response {
    let mut c = super::page(&app, &session, "upload");
    c.insert("max_mb", &(app.options.max_upload >> 20));
    c.insert("jobs", &app.jobs.recent(10));
    app.pages.render("upload.html", &c)
}
