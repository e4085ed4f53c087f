//! Who may use the app. On localhost without a password, a one-time login URL printed at
//! start (as Jupyter does) sets a session cookie; with `--password-file` (required off
//! localhost), a password form does. The password is kept only as an argon2 hash. The
//! session cookie is HttpOnly and SameSite=Strict; each session has its own CSRF token, which
//! every form that changes something must carry (see `guard.rs`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::{random_token, AppState, ServeError};

pub const COOKIE_NAME: &str = "vbrief_session";
/// Sessions end after 12 hours (a working day).
const SESSION_SECONDS: u64 = 12 * 3600;

pub struct Auth {
    password_hash: Option<String>,
    one_time: Mutex<Option<String>>,
    sessions: Mutex<HashMap<String, Session>>,
}

#[derive(Clone)]
pub struct Session {
    pub csrf: String,
    started: std::time::Instant,
}

/// The first line of the file, as an argon2 hash.
pub fn read_password(path: &Path) -> Result<String, ServeError> {
    let fail = |detail: String| ServeError::Password {
        path: path.display().to_string(),
        detail,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let password = text.lines().next().unwrap_or("").trim();
    if password.is_empty() {
        return Err(fail("第一行为空 (the first line is empty)".into()));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| fail(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| fail(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| fail(e.to_string()))?;
    Ok(hash.to_string())
}

impl Auth {
    pub fn new(password_hash: Option<String>) -> Auth {
        let one_time = password_hash.is_none().then(random_token);
        Auth {
            password_hash,
            one_time: Mutex::new(one_time),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The login token of the printed URL (localhost without a password).
    pub fn one_time_token(&self) -> Option<String> {
        self.one_time.lock().expect("auth lock").clone()
    }

    /// The session of a request, from its cookie.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = session_id(headers)?;
        let mut sessions = self.sessions.lock().expect("auth lock");
        let session = sessions.get(&id)?.clone();
        if session.started.elapsed().as_secs() > SESSION_SECONDS {
            sessions.remove(&id);
            return None;
        }
        Some(session)
    }

    fn start_session(&self) -> (String, Session) {
        let id = random_token();
        let session = Session {
            csrf: random_token(),
            started: std::time::Instant::now(),
        };
        self.sessions
            .lock()
            .expect("auth lock")
            .insert(id.clone(), session.clone());
        (id, session)
    }

    fn end_session(&self, headers: &HeaderMap) {
        if let Some(id) = session_id(headers) {
            self.sessions.lock().expect("auth lock").remove(&id);
        }
    }

    fn take_token(&self, token: &str) -> bool {
        let mut one_time = self.one_time.lock().expect("auth lock");
        // Compared in constant time: the token is the only secret on localhost.
        let ok = one_time
            .as_deref()
            .is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
        if ok {
            *one_time = None;
        }
        ok
    }

    fn password_ok(&self, password: &str) -> bool {
        let Some(hash) = &self.password_hash else {
            return false;
        };
        PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
}

/// The session cookie: HttpOnly, SameSite=Strict, and Secure when served over TLS.
fn with_cookie(id: &str, to: &str, secure: bool) -> Response {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}{secure}"
    );
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginQuery {
    token: Option<String>,
}

/// `/login?token=…` signs in with the printed token; `/login` shows the password form (or
/// says where the link is).
pub async fn login_page(State(app): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    if let Some(token) = q.token {
        if app.auth.take_token(&token) {
            let (id, _) = app.auth.start_session();
            return with_cookie(&id, "/", app.tls);
        }
        return app
            .pages
            .login(
                app.auth.password_hash.is_some(),
                "登录链接无效或已使用过。请启动本服务的同事重新启动它（vbrief serve），用它给出的新链接登录。",
            )
            .with_status(StatusCode::FORBIDDEN);
    }
    app.pages.login(app.auth.password_hash.is_some(), "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    password: String,
}

/// One password attempt at a time, each failure followed by a pause: guessing in parallel
/// gains nothing, and argon2 runs off the async threads.
static ATTEMPTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn login_post(State(app): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let _turn = ATTEMPTS.lock().await;
    let checker = app.clone();
    let ok = tokio::task::spawn_blocking(move || checker.auth.password_ok(&form.password))
        .await
        .unwrap_or(false);
    if ok {
        let (id, _) = app.auth.start_session();
        return with_cookie(&id, "/", app.tls);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.pages
        .login(true, "密码不对，请重试。")
        .with_status(StatusCode::UNAUTHORIZED)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(app): State<AppState>,
    axum::Extension(session): axum::Extension<Session>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(refusal) = crate::guard::csrf_refusal(&session, &form.csrf) {
        return refusal;
    }
    app.auth.end_session(&headers);
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("vbrief_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    response
}

/// A response with another status.
pub trait WithStatus {
    fn with_status(self, status: StatusCode) -> Response;
}

impl WithStatus for Response {
    fn with_status(mut self, status: StatusCode) -> Response {
        *self.status_mut() = status;
        self
    }
}
