//! The job queue: the one worker that touches the warehouse. Jobs (ingest, report) run one at
//! a time in arrival order on a thread of their own (DuckDB has one writer); after each that
//! changes the folder, the worker recomputes the folder's view ([`crate::view`]) that pages
//! render from, so pages never wait for a job. Short questions (a community's inputs, the
//! figures of a period) go through the same queue and are answered at once. A lock file tells
//! CLI commands that the server holds the folder.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use transforms::Indicators;

use crate::view::{display_name, FolderView};
use crate::ServeError;

/// Written into the working folder while the server runs; CLI commands refuse to touch the
/// warehouse while it exists (and its process is alive).
pub const LOCK_FILE: &str = workdir::workspace::SERVE_LOCK_FILE;

type Reply<T> = tokio::sync::oneshot::Sender<Result<T, String>>;

pub enum Job {
    Ingest {
        id: usize,
        files: Vec<PathBuf>,
    },
    Report {
        id: usize,
        request: workdir::ReportRequest,
    },
    /// The folder's view again (after the settings changed).
    Refresh,
    /// What `vbrief explain` counts for one community: answered at once, not listed as a job.
    Explain {
        community_id: i32,
        period: transforms::Period,
        reply: Reply<transforms::explain::Breakdown>,
    },
    /// Every unit's figures for a period (as `--period` takes it): answered at once.
    Figures {
        period: String,
        reply: Reply<Arc<Indicators>>,
    },
    /// The screening of a period: answered at once.
    Screening {
        period: String,
        reply: Reply<Arc<transforms::screening::Screening>>,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    /// Everything asked was done (every file imported).
    Done,
    /// Some files were imported, some were not.
    Partial,
    /// Nothing could be done.
    Failed,
}

impl JobStatus {
    pub fn finished(&self) -> bool {
        matches!(
            self,
            JobStatus::Done | JobStatus::Partial | JobStatus::Failed
        )
    }
}

/// One line of an ingest's summary: what happened to one file or sheet.
#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    pub file: String,
    pub sheet: String,
    pub kind: String,
    pub status: String,
    /// The line was not imported.
    pub failed: bool,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub skipped: u64,
    pub message: String,
    /// The stored upload it came from, when that upload is kept for another try (its mapping
    /// and discard links name it).
    pub stored: String,
    /// The file lacked columns: its headers can be mapped on the mapping page.
    pub mappable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobInfo {
    pub id: usize,
    /// 导入 or 报告.
    pub kind: String,
    pub status: JobStatus,
    /// What it is doing now: the file being read; at the end, the outcome in words.
    pub stage: String,
    pub rows: u64,
    pub percent: Option<u8>,
    pub lines: Vec<FileLine>,
    pub error: String,
    /// For a report: the folder (under out/) and its files.
    pub out: String,
    pub outputs: Vec<String>,
    /// Uploaded files refused before the ingest (client name, reason).
    pub refused: Vec<(String, String)>,
    /// Files imported and files not imported (refused uploads included).
    pub imported: usize,
    pub not_imported: usize,
    /// Upload names as the client gave them, by stored file name (display text only).
    #[serde(skip)]
    pub names: BTreeMap<String, String>,
    /// The stored uploads the job reads (kept from the sweep while it is queued or running).
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

struct Shared {
    jobs: Mutex<Vec<JobInfo>>,
    view: RwLock<Arc<FolderView>>,
    /// Figures of other periods computed since the last change, by period as asked.
    figures: Mutex<HashMap<String, Arc<Indicators>>>,
    /// Screenings computed since the last change, by period as asked.
    screenings: Mutex<HashMap<String, Arc<transforms::screening::Screening>>>,
    /// Bumped on every change, for the progress streams.
    version: tokio::sync::watch::Sender<u64>,
    /// An explain request is queued or running: pages do not queue another.
    explaining: std::sync::atomic::AtomicBool,
}

pub struct Jobs {
    workdir: PathBuf,
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
    shared: Arc<Shared>,
}

impl Jobs {
    /// Takes the folder (lock file), sweeps the uploads left behind, computes the first view,
    /// starts the worker.
    pub fn start(workdir: &Path, addr: SocketAddr, scheme: &str) -> Result<Jobs, ServeError> {
        if let Some(other) = workdir::workspace::served_by(workdir) {
            return Err(ServeError::Busy(format!(
                "这个工作目录已由另一个 vbrief serve 使用 (already served): {other}"
            )));
        }
        std::fs::create_dir_all(workdir.join(workdir::INBOX))?;
        std::fs::write(
            workdir.join(LOCK_FILE),
            format!("{}\n{scheme}://{addr}\n", std::process::id()),
        )?;
        // Nothing runs yet: every upload not kept for another try is left from a crash.
        crate::pending::sweep(workdir, &[], std::time::Duration::ZERO);
        let (version, _) = tokio::sync::watch::channel(0);
        let shared = Arc::new(Shared {
            jobs: Mutex::new(Vec::new()),
            view: RwLock::new(Arc::new(FolderView::default())),
            figures: Mutex::new(HashMap::new()),
            screenings: Mutex::new(HashMap::new()),
            version,
            explaining: std::sync::atomic::AtomicBool::new(false),
        });
        let (sender, receiver) = mpsc::channel::<Job>();
        let dir = workdir.to_path_buf();
        let worker_shared = shared.clone();
        let worker = std::thread::Builder::new()
            .name("vbrief-jobs".into())
            .spawn(move || {
                survive(&worker_shared, None, || refresh(&dir, &worker_shared));
                for job in receiver {
                    let id = match &job {
                        Job::Ingest { id, .. } | Job::Report { id, .. } => Some(*id),
                        _ => None,
                    };
                    survive(&worker_shared, id, || run(&dir, &worker_shared, job));
                }
            })?;
        Ok(Jobs {
            workdir: workdir.to_path_buf(),
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(worker)),
            shared,
        })
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The folder as of the last job.
    pub fn view(&self) -> Arc<FolderView> {
        self.shared.view.read().expect("view lock").clone()
    }

    /// After the settings were saved: the view's city, office and whether set-up is still
    /// needed follow the file at once (the figures follow when the worker's refresh is done),
    /// so the page shown right after saving does not ask for the set-up just completed.
    pub fn settings_saved(&self) {
        let path = self.workdir().join(workdir::CONFIG_FILE);
        let Ok(config) = domain::Config::load(&path) else {
            return;
        };
        let mut view = self.shared.view.write().expect("view lock");
        let mut updated = (**view).clone();
        crate::view::set_city(&mut updated, &config.city);
        *view = Arc::new(updated);
    }

    pub fn job(&self, id: usize) -> Option<JobInfo> {
        self.shared
            .jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .find(|j| j.id == id)
            .cloned()
    }

    pub fn recent(&self, n: usize) -> Vec<JobInfo> {
        let jobs = self.shared.jobs.lock().expect("jobs lock");
        jobs.iter().rev().take(n).cloned().collect()
    }

    /// Whether a job is queued or running.
    pub fn busy(&self) -> bool {
        self.shared
            .jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .any(|j| !j.status.finished())
    }

    /// The uploads that queued or running jobs will read.
    pub fn files_in_use(&self) -> Vec<PathBuf> {
        self.shared
            .jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .filter(|j| !j.status.finished())
            .flat_map(|j| j.files.clone())
            .collect()
    }

    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.version.subscribe()
    }

    /// Queues an ingest of stored uploads; returns its id.
    pub fn ingest(
        &self,
        files: Vec<PathBuf>,
        names: BTreeMap<String, String>,
        refused: Vec<(String, String)>,
    ) -> usize {
        let id = self.add("导入", names);
        update(&self.shared, id, |j| {
            j.refused = refused;
            j.files = files.clone();
        });
        self.send(Job::Ingest { id, files });
        id
    }

    /// Recomputes the folder's view (after a settings change), behind the queued jobs.
    pub fn refresh(&self) {
        self.send(Job::Refresh);
    }

    /// The inputs and exclusions behind a community's figures, computed by the worker (None
    /// when a job is queued or running: the page says so instead of waiting).
    pub fn explain(
        &self,
        community_id: i32,
        period: transforms::Period,
    ) -> Option<tokio::sync::oneshot::Receiver<Result<transforms::explain::Breakdown, String>>>
    {
        let already = self
            .shared
            .explaining
            .swap(true, std::sync::atomic::Ordering::SeqCst);
        if self.busy() || already {
            if !already {
                self.shared
                    .explaining
                    .store(false, std::sync::atomic::Ordering::SeqCst);
            }
            return None;
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(Job::Explain {
            community_id,
            period,
            reply,
        });
        Some(answer)
    }

    /// Every unit's figures for `period` (as the CLI's `--period` takes it): the view's own
    /// for its period, those computed before, or computed by the worker (None while a job is
    /// queued or running: the page says so instead of waiting).
    pub async fn figures(&self, period: &str) -> Option<Result<Arc<Indicators>, String>> {
        let view = self.view();
        if let Some(ind) = view.indicators.as_ref() {
            if period.is_empty() || period == view.period_label {
                return Some(Ok(ind.clone()));
            }
        }
        if let Some(hit) = self
            .shared
            .figures
            .lock()
            .expect("figures lock")
            .get(period)
        {
            return Some(Ok(hit.clone()));
        }
        if self.busy() {
            return None;
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(Job::Figures {
            period: period.to_string(),
            reply,
        });
        match tokio::time::timeout(std::time::Duration::from_secs(60), answer).await {
            Ok(Ok(result)) => Some(result),
            _ => Some(Err("计算超时，请稍后刷新 (timed out)".into())),
        }
    }

    /// The screening of `period` (empty: the default period): computed before, or by the
    /// worker (None while a job is queued or running).
    pub async fn screening(
        &self,
        period: &str,
    ) -> Option<Result<Arc<transforms::screening::Screening>, String>> {
        if let Some(hit) = self
            .shared
            .screenings
            .lock()
            .expect("screenings lock")
            .get(period)
        {
            return Some(Ok(hit.clone()));
        }
        if self.busy() {
            return None;
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(Job::Screening {
            period: period.to_string(),
            reply,
        });
        match tokio::time::timeout(std::time::Duration::from_secs(120), answer).await {
            Ok(Ok(result)) => Some(result),
            _ => Some(Err("计算超时，请稍后刷新 (timed out)".into())),
        }
    }

    pub fn report(&self, request: workdir::ReportRequest) -> usize {
        let id = self.add("报告", BTreeMap::new());
        self.send(Job::Report { id, request });
        id
    }

    fn add(&self, kind: &str, names: BTreeMap<String, String>) -> usize {
        let mut jobs = self.shared.jobs.lock().expect("jobs lock");
        let id = jobs.len() + 1;
        jobs.push(JobInfo {
            id,
            kind: kind.into(),
            status: JobStatus::Queued,
            stage: "排队等待 queued".into(),
            rows: 0,
            percent: None,
            lines: Vec::new(),
            error: String::new(),
            out: String::new(),
            outputs: Vec::new(),
            refused: Vec::new(),
            imported: 0,
            not_imported: 0,
            names,
            files: Vec::new(),
        });
        drop(jobs);
        self.shared.version.send_modify(|v| *v += 1);
        id
    }

    fn send(&self, job: Job) {
        if let Some(sender) = &*self.sender.lock().expect("jobs lock") {
            let _ = sender.send(job);
        }
    }

    /// Lets the running and queued jobs finish, then releases the folder.
    pub fn shut_down(&self) {
        self.sender.lock().expect("jobs lock").take();
        if let Some(worker) = self.worker.lock().expect("jobs lock").take() {
            let _ = worker.join();
        }
        let _ = std::fs::remove_file(self.workdir.join(LOCK_FILE));
    }
}

/// Runs `work`; a panic fails job `id` (if any) instead of stopping the worker, so later jobs
/// still run. The warehouse is safe either way: an ingest is one transaction.
fn survive(shared: &Shared, id: Option<usize>, work: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).is_err() {
        shared
            .explaining
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if let Some(id) = id {
            update(shared, id, |j| {
                j.status = JobStatus::Failed;
                j.stage = "失败 failed".into();
                j.error = "内部错误，任务中止；仓库未受影响。请把出错前的操作告诉维护者。(internal error)".into();
            });
        }
    }
}

fn update(shared: &Shared, id: usize, f: impl FnOnce(&mut JobInfo)) {
    if let Some(job) = shared
        .jobs
        .lock()
        .expect("jobs lock")
        .iter_mut()
        .find(|j| j.id == id)
    {
        f(job);
    }
    shared.version.send_modify(|v| *v += 1);
}

/// The ingest's progress, as the job's stage, rows and percent.
struct JobProgress<'a> {
    shared: &'a Shared,
    id: usize,
    names: BTreeMap<String, String>,
    total: Mutex<Option<u64>>,
}

impl ingest::Progress for JobProgress<'_> {
    fn file_started(&self, label: &str, total_bytes: Option<u64>) {
        *self.total.lock().expect("progress lock") = total_bytes;
        let shown = display_name(&self.names, label);
        update(self.shared, self.id, |j| {
            j.stage = format!("读取 reading {shown}");
            j.percent = total_bytes.map(|_| 0);
        });
    }

    fn advanced(&self, rows: u64, bytes: Option<u64>) {
        let total = *self.total.lock().expect("progress lock");
        update(self.shared, self.id, |j| {
            j.rows = rows;
            j.percent = match (bytes, total) {
                (Some(b), Some(t)) if t > 0 => Some(((b * 100) / t).min(100) as u8),
                _ => j.percent,
            };
        });
    }
}

fn run(dir: &Path, shared: &Shared, job: Job) {
    match job {
        Job::Explain {
            community_id,
            period,
            reply,
        } => {
            // The page may have stopped waiting: then nothing is computed.
            if !reply.is_closed() {
                let answer = workdir::Workspace::open(dir)
                    .map_err(|e| e.to_string())
                    .and_then(|ws| {
                        let conn = ws.warehouse().map_err(|e| e.to_string())?;
                        transforms::explain::breakdown(conn, &period, ws.config(), community_id)
                            .map_err(|e| e.to_string())
                    });
                let _ = reply.send(answer);
            }
            shared
                .explaining
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }
        Job::Figures { period, reply } => {
            if reply.is_closed() {
                return;
            }
            let answer = workdir::Workspace::open(dir)
                .and_then(|ws| {
                    let asked = (!period.is_empty()).then_some(period.as_str());
                    let p = workdir::resolve_period(ws.warehouse()?, asked)?;
                    workdir::report::cached_indicators(&ws, &p)
                })
                .map(Arc::new)
                .map_err(page_error);
            if let Ok(figures) = &answer {
                shared
                    .figures
                    .lock()
                    .expect("figures lock")
                    .insert(period, figures.clone());
            }
            let _ = reply.send(answer);
        }
        Job::Screening { period, reply } => {
            if reply.is_closed() {
                return;
            }
            let answer = workdir::Workspace::open(dir)
                .and_then(|ws| {
                    let asked = (!period.is_empty()).then_some(period.as_str());
                    let p = workdir::resolve_period(ws.warehouse()?, asked)?;
                    workdir::screen::cached_screening(&ws, &p)
                })
                .map(Arc::new)
                .map_err(page_error);
            if let Ok(s) = &answer {
                shared
                    .screenings
                    .lock()
                    .expect("screenings lock")
                    .insert(period, s.clone());
            }
            let _ = reply.send(answer);
        }
        Job::Refresh => refresh(dir, shared),
        Job::Ingest { id, files } => run_ingest(dir, shared, id, files),
        Job::Report { id, request } => {
            update(shared, id, |j| {
                j.status = JobStatus::Running;
                j.stage = "生成简报 writing the briefing".into();
            });
            let result = workdir::Workspace::open(dir)
                .and_then(|ws| workdir::write_report(&ws, &request, None));
            match result {
                Ok(outcome) => {
                    let out = outcome
                        .out
                        .strip_prefix(dir.join("out"))
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    let outputs = outcome
                        .written
                        .iter()
                        .filter_map(|p| p.strip_prefix(&outcome.out).ok())
                        .map(|p| p.display().to_string())
                        .collect();
                    update(shared, id, |j| {
                        j.status = JobStatus::Done;
                        j.stage = "完成 done".into();
                        j.out = out;
                        j.outputs = outputs;
                    });
                }
                Err(e) => update(shared, id, |j| {
                    j.status = JobStatus::Failed;
                    j.error = e.to_string();
                    j.stage = "失败 failed".into();
                }),
            }
        }
    }
}

/// An ingest of stored uploads. An upload imported (or already imported) is deleted: it holds
/// ID and phone numbers in the clear. One that was not is kept for another try (see
/// [`crate::pending`]). The job ends as 完成 only when every file was imported.
fn run_ingest(dir: &Path, shared: &Shared, id: usize, files: Vec<PathBuf>) {
    update(shared, id, |j| {
        j.status = JobStatus::Running;
        j.stage = "开始导入 starting".into();
    });
    let (names, refused) = shared
        .jobs
        .lock()
        .expect("jobs lock")
        .iter()
        .find(|j| j.id == id)
        .map(|j| (j.names.clone(), j.refused.len()))
        .unwrap_or_default();
    let result = workdir::Workspace::open(dir)
        .map_err(|e| e.to_string())
        .and_then(|mut ws| {
            let request = workdir::IngestRequest {
                inputs: files.clone(),
                ..Default::default()
            };
            let progress = JobProgress {
                shared,
                id,
                names: names.clone(),
                total: Mutex::new(None),
            };
            workdir::ingest(&mut ws, &request, &progress).map_err(|e| e.to_string())
        });
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            // Nothing was imported: every upload is kept for another try.
            for path in &files {
                let stored = stored_name(path);
                let name = names
                    .get(&stored)
                    .cloned()
                    .unwrap_or_else(|| stored.clone());
                crate::pending::keep(dir, &stored, crate::pending::refused(&name, &e, None));
            }
            update(shared, id, |j| {
                j.status = JobStatus::Failed;
                j.not_imported = files.len() + refused;
                j.error = display_name(&names, &e);
                j.stage = format!("失败：{} 个文件未导入 (failed)", j.not_imported);
            });
            return;
        }
    };
    let mut lines: Vec<FileLine> = report.sheets.iter().map(|s| file_line(s, &names)).collect();
    let mut not_imported = refused;
    let mut imported = 0;
    for path in &files {
        let stored = stored_name(path);
        let failed: Vec<&ingest::SheetOutcome> = report
            .sheets
            .iter()
            .filter(|s| {
                matches!(s.status, ingest::SheetStatus::Failed(_)) && s.path.ends_with(&stored)
            })
            .collect();
        match failed.first() {
            None => {
                imported += 1;
                crate::pending::discard(dir, &stored);
            }
            Some(outcome) => {
                not_imported += 1;
                let reason = match &outcome.status {
                    ingest::SheetStatus::Failed(m) => display_name(&names, m),
                    _ => String::new(),
                };
                let name = names
                    .get(&stored)
                    .cloned()
                    .unwrap_or_else(|| stored.clone());
                crate::pending::keep(
                    dir,
                    &stored,
                    crate::pending::refused(&name, &reason, outcome.mapping.as_ref()),
                );
                for line in lines.iter_mut().filter(|l| l.failed && l.stored == stored) {
                    line.mappable = outcome.mapping.is_some();
                    if line.mappable {
                        line.message = crate::pending::without_config_advice(&line.message);
                    }
                }
            }
        }
    }
    // Lines of stored uploads name them (for the mapping and discard links) only when kept.
    for line in lines.iter_mut().filter(|l| !l.failed) {
        line.stored.clear();
    }
    update(shared, id, |j| {
        j.lines = lines;
        j.imported = imported;
        j.not_imported = not_imported;
        j.stage = "更新数据质量与指标 checking".into();
    });
    if imported > 0 {
        refresh(dir, shared);
    }
    update(shared, id, |j| {
        j.percent = Some(100);
        (j.status, j.stage) = match (imported, not_imported) {
            (_, 0) => (JobStatus::Done, "完成 done".to_string()),
            (0, n) => (
                JobStatus::Failed,
                format!("失败：{n} 个文件都未导入 (nothing was imported)"),
            ),
            (i, n) => (
                JobStatus::Partial,
                format!("部分完成：导入 {i} 个文件，{n} 个未导入 (partly done)"),
            ),
        };
    });
}

/// The file name of a stored upload.
fn stored_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn file_line(s: &ingest::SheetOutcome, names: &BTreeMap<String, String>) -> FileLine {
    let (status, message, failed) = match &s.status {
        ingest::SheetStatus::Loaded => ("已导入", String::new(), false),
        ingest::SheetStatus::Unchanged => ("未变化（已导入过）", String::new(), false),
        ingest::SheetStatus::Failed(m) => ("未导入", display_name(names, m), true),
        ingest::SheetStatus::Ignored(m) => ("略过", m.clone(), false),
    };
    let c = &s.counts;
    FileLine {
        file: display_name(names, &s.path),
        sheet: s.sheet.clone(),
        kind: s
            .kind
            .and_then(domain::SourceKind::from_name)
            .map_or("—", |k| k.label_zh())
            .to_string(),
        status: status.into(),
        failed,
        read: c.read,
        accepted: c.accepted,
        quarantined: c.quarantined,
        skipped: c.read - c.accepted - c.quarantined,
        message,
        stored: Path::new(&s.path)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        mappable: false,
    }
}

/// Recomputes the folder's view (after a job, and at start); figures of other periods are
/// computed again when next asked.
fn refresh(dir: &Path, shared: &Shared) {
    let view = crate::view::compute(dir).unwrap_or_else(|e| FolderView {
        error: e,
        ..FolderView::default()
    });
    *shared.view.write().expect("view lock") = Arc::new(view);
    shared.figures.lock().expect("figures lock").clear();
    shared.screenings.lock().expect("screenings lock").clear();
    shared.version.send_modify(|v| *v += 1);
}

/// An error of the figures or the screening as a page shows it: the CLI's advice to run a
/// command becomes the page to go to.
fn page_error(e: workdir::WorkdirError) -> String {
    match e {
        workdir::WorkdirError::NoWarehouse(_) => {
            "还没有导入数据：请先到“导入”页上传文件 (nothing imported yet: upload files first)."
                .into()
        }
        other => other.to_string(),
    }
}
