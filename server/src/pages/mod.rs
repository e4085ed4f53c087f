//! The pages. Each page is a module here that declares its routes beside its handlers and
//! renders a tera template of `server/templates/` (embedded in the binary by build.rs, found by
//! file name; tera escapes every value). Pages render from the folder's view (see
//! `crate::view`), so a page never waits for a running job. Forms work without JavaScript;
//! `assets/app.js` only adds drag-and-drop and live progress.
//!
//! Adding a page: a module with `pub fn routes() -> Router<AppState>`, its name in `pages!`
//! below, and its template.

use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use tera::{Context, Tera};

use crate::auth::Session;
use crate::jobs::JobStatus;
use crate::AppState;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Declares each page's module and merges their routes.
macro_rules! pages {
    ($($page:ident),* $(,)?) => {
        $(mod $page;)*

        /// Every page's routes.
        pub fn routes() -> Router<AppState> {
            Router::new()$(.merge($page::routes()))*
        }
    };
}

pages!(overview, upload, jobs, uploads, quality, screening, compare, briefing, community, settings);

pub use jobs::job_events;

pub struct Templates {
    tera: Tera,
}

impl Templates {
    pub fn new() -> Templates {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .expect("the embedded templates parse (a unit test renders each)");
        Templates { tera }
    }

    pub fn render(&self, name: &str, context: &Context) -> Response {
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

/// The context every page shares: the section, the CSRF token, the folder's view.
pub(crate) fn page(app: &AppState, session: &Session, section: &str) -> Context {
    let mut c = Context::new();
    c.insert("section", section);
    c.insert("csrf", &session.csrf);
    c.insert("folder", &*app.jobs.view());
    c.insert(
        "running",
        &app.jobs
            .recent(20)
            .iter()
            .any(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running)),
    );
    c
}

/// A file as a download, its name given both plainly (ASCII) and as UTF-8 (RFC 6266).
pub(crate) fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
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

/// The content type of a file we send, by its extension.
pub(crate) fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
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

    #[test]
    fn every_template_is_embedded() {
        let names: Vec<&str> = super::TEMPLATES.iter().map(|(n, _)| *n).collect();
        for page in ["base.html", "overview.html", "settings.html", "job.html"] {
            assert!(names.contains(&page), "{names:?}");
        }
    }
}
