//! `vbrief serve`: the local web app for office staff. One page per job — 首页 (what the
//! warehouse holds), 导入 (upload exports, live progress), 数据质量 (checks and each
//! community's rows to fix), 报告 (the briefing for a period and district), 社区 (one
//! community's figures), 设置 (the configuration in force) — over one working folder.
//!
//! The server owns the folder's warehouse: one worker thread runs every job that touches it
//! (ingest, checks, report) one at a time, as DuckDB has one writer; pages render from what
//! the last job left (a snapshot), so they stay quick while a job runs. Security is described
//! in `guard.rs` (who may call, from where) and `upload.rs` (what may be uploaded).

mod assets;
mod auth;
mod guard;
mod jobs;
mod listen;
mod pages;
mod pending;
mod upload;
mod view;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

pub use jobs::LOCK_FILE;

/// How `vbrief serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub workdir: PathBuf,
    pub bind: SocketAddr,
    /// A file whose first line is the password; required for a non-loopback address.
    pub password_file: Option<PathBuf>,
    /// Host names (with or without port) accepted besides the bound address and localhost.
    pub allowed_hosts: Vec<String>,
    /// Largest upload request, in bytes.
    pub max_upload: u64,
    /// Largest uncompressed size an xlsx may declare, in bytes.
    pub max_unzipped: u64,
    /// Open the login URL in the default browser.
    pub open: bool,
    /// Serve over HTTPS with this certificate chain and private key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("不能在 {0} 上开放服务而不设密码：局域网内任何人都能访问。请加 --password-file 文件 (refusing a non-loopback address without --password-file)")]
    NeedsPassword(SocketAddr),
    #[error(
        "密码文件 {path} 无法读取或为空 (cannot read the password file, or it is empty): {detail}"
    )]
    Password { path: String, detail: String },
    #[error("无法监听 {addr} (cannot listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Busy(String),
    #[error("TLS 证书或私钥 {path} 无法使用 (cannot use the TLS certificate or key): {detail}")]
    Tls { path: String, detail: String },
    #[error(transparent)]
    Workdir(#[from] workdir::WorkdirError),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What every handler shares.
pub(crate) struct App {
    pub options: ServeOptions,
    pub auth: auth::Auth,
    pub jobs: jobs::Jobs,
    pub pages: pages::Templates,
    /// The bound address (with the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// Served over TLS (the session cookie is `Secure`).
    pub tls: bool,
}

pub(crate) type AppState = Arc<App>;

/// Runs the server until Ctrl-C (or SIGTERM); the running job finishes before it returns.
/// `started` is called with the address and the login URL once it listens.
pub fn serve(
    options: ServeOptions,
    started: impl FnOnce(&SocketAddr, &str),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(options, started))
}

async fn run(
    options: ServeOptions,
    started: impl FnOnce(&SocketAddr, &str),
) -> Result<(), ServeError> {
    let loopback = options.bind.ip().is_loopback();
    let password = match &options.password_file {
        Some(path) => Some(auth::read_password(path)?),
        None if !loopback => return Err(ServeError::NeedsPassword(options.bind)),
        None => None,
    };
    let tls = match &options.tls {
        Some((cert, key)) => Some(listen::tls_acceptor(cert, key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.bind,
            source,
        })?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let jobs = jobs::Jobs::start(&options.workdir, addr, scheme)?;
    let auth = auth::Auth::new(password);
    let login_url = match auth.one_time_token() {
        Some(token) => format!("{scheme}://{addr}/login?token={token}"),
        None => format!("{scheme}://{addr}/login"),
    };
    let app = Arc::new(App {
        pages: pages::Templates::new(),
        options,
        auth,
        jobs,
        addr,
        tls: tls.is_some(),
    });
    let router = router(app.clone());
    // Refused uploads past their retention go while the server runs, not only at start.
    let sweeper = app.clone();
    tokio::spawn(async move {
        // The first tick is at once: skipped, the folder was swept when the jobs started.
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        every.tick().await;
        loop {
            every.tick().await;
            let in_use = sweeper.jobs.files_in_use();
            let dir = sweeper.jobs.workdir().to_path_buf();
            let _ = tokio::task::spawn_blocking(move || {
                pending::sweep(&dir, &in_use, pending::UNCLAIMED_GRACE)
            })
            .await;
        }
    });
    started(&addr, &login_url);
    if app.options.open {
        open_browser(&login_url);
    }
    let lock = app.jobs.workdir().join(LOCK_FILE);
    let stop = async move {
        shutdown_signal().await;
        // A second Ctrl-C does not wait for the running job (the warehouse stays as it
        // was: an ingest is one transaction).
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = std::fs::remove_file(&lock);
            std::process::exit(130);
        });
    };
    let served = listen::serve(listener, router, tls, listen::Limits::default(), stop).await;
    // Let the running job finish, then release the folder (also when serving failed).
    app.jobs.shut_down();
    served?;
    Ok(())
}

fn router(app: AppState) -> Router {
    use tower_http::timeout::TimeoutLayer;
    let timed = Router::new()
        .merge(pages::routes())
        .route("/login", get(auth::login_page).post(auth::login_post))
        .route("/logout", post(auth::logout))
        .route("/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(120),
        ));
    // Uploads may take as long as the network needs; their size is limited instead.
    let upload = Router::new()
        .route("/upload", post(upload::receive))
        .layer(DefaultBodyLimit::max(app.options.max_upload as usize));
    // The progress stream stays open for as long as the job runs.
    let events = Router::new().route("/jobs/{id}/events", get(pages::job_events));
    Router::new()
        .merge(timed)
        .merge(upload)
        .merge(events)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .with_state(app)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    // Best effort: the URL is printed too.
    let _ = std::process::Command::new(opener).arg(url).spawn();
}

/// 32 random bytes as hex: session ids, login and CSRF tokens.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
