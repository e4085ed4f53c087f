//! Every request passes here first. The app may be reachable from an office LAN, so:
//! - **Host allowlist** against DNS rebinding: only the bound address, localhost and the
//!   `--allowed-host` names are served.
//! - **Sign-in**: every page but the login page and the static assets needs a session.
//! - **Cross-site requests** are refused for anything that changes state: a POST whose
//!   `Sec-Fetch-Site` is not same-origin, or whose `Origin` is not this server. The CSRF token
//!   of the session is checked by each form's handler ([`csrf_refusal`]).
//! - **Headers**: a Content-Security-Policy of `'self'`, no sniffing, no referrer to other
//!   sites, no caching of pages.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::Session;
use crate::AppState;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'";

pub async fn guard(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !host_allowed(&app, &host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "这个地址不在允许列表中 (Host not allowed): 请用启动本服务时给出的地址访问（启动时可用 --allowed-host 加入其他地址）",
        );
    }
    let path = request.uri().path().to_string();
    if request.method() == Method::POST && !same_origin(&request, &host) {
        return refuse(
            StatusCode::FORBIDDEN,
            "拒绝来自其他网站的请求 (cross-site request refused)",
        );
    }
    let public = path == "/login" || path == "/favicon.ico" || path.starts_with("/assets/");
    if !public {
        match app.auth.session(request.headers()) {
            Some(session) => {
                request.extensions_mut().insert(session);
            }
            None if request.method() == Method::GET => {
                return secured(Redirect::to("/login").into_response())
            }
            None => return refuse(StatusCode::UNAUTHORIZED, "请先登录 (sign in first)"),
        }
    }
    secured(next.run(request).await)
}

fn host_allowed(app: &AppState, host: &str) -> bool {
    let port = app.addr.port();
    let bound = app.addr.to_string();
    let allowed = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        bound,
    ];
    if allowed.iter().any(|a| a == host) {
        return true;
    }
    app.options.allowed_hosts.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        a == host || format!("{a}:{port}") == host
    })
}

/// A POST from this server's own pages: browsers send `Sec-Fetch-Site` and `Origin` with
/// forms; when present they must say so.
fn same_origin(request: &Request, host: &str) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if origin != format!("http://{host}") {
            return false;
        }
    }
    true
}

/// The refusal for a form whose CSRF token is not its session's, or None when it is.
pub fn csrf_refusal(session: &Session, sent: &str) -> Option<Response> {
    if !sent.is_empty() && crate::auth::constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
        None
    } else {
        Some(refuse(
            StatusCode::FORBIDDEN,
            "表单已过期或来源不明，请刷新页面后重试 (missing or wrong CSRF token)",
        ))
    }
}

pub fn refuse(status: StatusCode, message: &str) -> Response {
    secured(
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message.to_string(),
        )
            .into_response(),
    )
}

fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        // Not no-referrer: with it, browsers send `Origin: null` on this app's own forms.
        HeaderValue::from_static("same-origin"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
