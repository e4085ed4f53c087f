//! The one worker that touches the warehouse. Jobs (ingest, report) run one at a time in
//! arrival order on a thread of their own (DuckDB has one writer); each leaves a [`Snapshot`]
//! of what the pages show — the warehouse's files and rows, the headline figures of the
//! default period, the checks and every community's failing-row counts — so pages never wait
//! for a job. A lock file tells CLI commands that the server holds the folder.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;

use crate::ServeError;

/// Written into the working folder while the server runs; CLI commands refuse to touch the
/// warehouse while it exists (and its process is alive).
pub const LOCK_FILE: &str = workdir::workspace::SERVE_LOCK_FILE;

pub enum Job {
    Ingest {
        id: usize,
        files: Vec<PathBuf>,
    },
    Report {
        id: usize,
        request: workdir::ReportRequest,
    },
    /// What `vbrief explain` counts for one community: answered at once, not listed as a job.
    Explain {
        community_id: i32,
        period: transforms::Period,
        reply: tokio::sync::oneshot::Sender<Result<transforms::explain::Breakdown, String>>,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

/// One line of an ingest's summary: what happened to one file or sheet.
#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    pub file: String,
    pub sheet: String,
    pub kind: String,
    pub status: String,
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub skipped: u64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobInfo {
    pub id: usize,
    /// 导入 or 报告.
    pub kind: String,
    pub status: JobStatus,
    /// What it is doing now: the file being read.
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
    /// Upload names as the client gave them, by stored file name (display text only).
    #[serde(skip)]
    pub names: BTreeMap<String, String>,
}

/// What the pages show, as of the last job.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    pub has_warehouse: bool,
    pub files: Vec<FileFacts>,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    pub period: String,
    pub period_label: String,
    pub headline: Vec<reports::briefing::Headline>,
    pub checks: Vec<CheckLine>,
    pub communities: Vec<CommunityQuality>,
    /// Every unit's figures for the default period (the community page reads them).
    #[serde(skip)]
    pub indicators: Option<transforms::Indicators>,
    pub districts: Vec<String>,
    pub years: Vec<i32>,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileFacts {
    /// The file as stored in the warehouse's records (its path in the folder, and sheet).
    pub name: String,
    pub kind: String,
    pub accepted: u64,
    pub quarantined: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub id: String,
    pub name: String,
    pub status: String,
    pub class: String,
    pub checked: i64,
    pub failing: i64,
    pub share: String,
    pub fix: String,
}

/// One community's failing rows, counted per check (in the order of `Snapshot::checks`).
#[derive(Debug, Clone, Serialize)]
pub struct CommunityQuality {
    pub owner: String,
    pub counts: Vec<i64>,
    pub total: i64,
    /// Its CSV's name under out/quality/quality_by_community/: the page's address.
    pub file_name: String,
    /// The community's CSV under out/quality/quality_by_community/.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

struct Shared {
    jobs: Mutex<Vec<JobInfo>>,
    snapshot: RwLock<Arc<Snapshot>>,
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
    /// Takes the folder (lock file), computes the first snapshot, starts the worker.
    pub fn start(workdir: &Path, addr: SocketAddr) -> Result<Jobs, ServeError> {
        if let Some(other) = workdir::workspace::served_by(workdir) {
            return Err(ServeError::Busy(format!(
                "这个工作目录已由另一个 vbrief serve 使用 (already served): {other}"
            )));
        }
        std::fs::create_dir_all(workdir.join(workdir::INBOX))?;
        std::fs::write(
            workdir.join(LOCK_FILE),
            format!("{}\nhttp://{addr}\n", std::process::id()),
        )?;
        let (version, _) = tokio::sync::watch::channel(0);
        let shared = Arc::new(Shared {
            jobs: Mutex::new(Vec::new()),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
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
                        Job::Explain { .. } => None,
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

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.snapshot.read().expect("snapshot lock").clone()
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
        update(&self.shared, id, |j| j.refused = refused);
        self.send(Job::Ingest { id, files });
        id
    }

    /// The inputs and exclusions behind a community's figures, computed by the worker (None
    /// when a job is queued or running: the page says so instead of waiting).
    pub fn explain(
        &self,
        community_id: i32,
        period: transforms::Period,
    ) -> Option<tokio::sync::oneshot::Receiver<Result<transforms::explain::Breakdown, String>>>
    {
        let busy = self
            .shared
            .jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .any(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running));
        let already = self
            .shared
            .explaining
            .swap(true, std::sync::atomic::Ordering::SeqCst);
        if busy || already {
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
            names,
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

/// A stored upload's name as the client gave it (display text), else the text itself.
pub fn display_name(names: &BTreeMap<String, String>, label: &str) -> String {
    let mut shown = label.to_string();
    for (stored, name) in names {
        let in_folder = format!("{}/{}/{stored}", workdir::INBOX, crate::upload::UPLOAD_DIR);
        shown = shown
            .replace(&in_folder, name)
            .replace(stored.as_str(), name);
    }
    shown
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
        Job::Ingest { id, files } => {
            let stored = files.clone();
            update(shared, id, |j| {
                j.status = JobStatus::Running;
                j.stage = "开始导入 starting".into();
            });
            let names = shared
                .jobs
                .lock()
                .expect("jobs lock")
                .iter()
                .find(|j| j.id == id)
                .map(|j| j.names.clone())
                .unwrap_or_default();
            let result = workdir::Workspace::open(dir)
                .map_err(|e| e.to_string())
                .and_then(|ws| {
                    let opts = ingest::IngestOptions {
                        workdir: dir.to_path_buf(),
                        store: None,
                        inputs: files,
                        kind: None,
                        encoding: None,
                        strict: false,
                    };
                    let progress = JobProgress {
                        shared,
                        id,
                        names: names.clone(),
                        total: Mutex::new(None),
                    };
                    ingest::ingest(&opts, ws.config(), &progress).map_err(|e| e.to_string())
                });
            match result {
                Ok(report) => {
                    let lines = report.sheets.iter().map(|s| file_line(s, &names)).collect();
                    update(shared, id, |j| {
                        j.lines = lines;
                        j.stage = "更新数据质量与指标 checking".into();
                    });
                    refresh(dir, shared);
                    update(shared, id, |j| {
                        j.status = JobStatus::Done;
                        j.stage = "完成 done".into();
                        j.percent = Some(100);
                    });
                }
                Err(e) => update(shared, id, |j| {
                    j.status = JobStatus::Failed;
                    j.error = e;
                    j.stage = "失败 failed".into();
                }),
            }
            // The uploads hold ID and phone numbers in the clear: once read, they go. (The
            // warehouse keeps keyed hashes only; names.json keeps the file names to show.)
            for path in stored {
                let _ = std::fs::remove_file(path);
            }
        }
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

fn file_line(s: &ingest::SheetOutcome, names: &BTreeMap<String, String>) -> FileLine {
    let (status, message) = match &s.status {
        ingest::SheetStatus::Loaded => ("已导入", String::new()),
        ingest::SheetStatus::Unchanged => ("未变化（已导入过）", String::new()),
        ingest::SheetStatus::Failed(m) => ("失败", display_name(names, m)),
        ingest::SheetStatus::Ignored(m) => ("略过", m.clone()),
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
        read: c.read,
        accepted: c.accepted,
        quarantined: c.quarantined,
        skipped: c.read - c.accepted - c.quarantined,
        message,
    }
}

/// Recomputes the snapshot from the warehouse (after a job, and at start).
fn refresh(dir: &Path, shared: &Shared) {
    let snapshot = compute_snapshot(dir).unwrap_or_else(|e| Snapshot {
        error: e,
        ..Snapshot::default()
    });
    *shared.snapshot.write().expect("snapshot lock") = Arc::new(snapshot);
    shared.version.send_modify(|v| *v += 1);
}

fn compute_snapshot(dir: &Path) -> Result<Snapshot, String> {
    let ws = workdir::Workspace::open(dir).map_err(|e| e.to_string())?;
    if !ws.warehouse_path().exists() {
        return Ok(Snapshot::default());
    }
    let conn = ws.warehouse().map_err(|e| e.to_string())?;
    let config = ws.config();
    let summary = ingest::warehouse::quality_summary(conn).map_err(|e| e.to_string())?;
    let uploads =
        crate::upload::known_names(&dir.join(workdir::INBOX).join(crate::upload::UPLOAD_DIR));
    let files: Vec<FileFacts> = summary
        .files
        .iter()
        .map(|f| FileFacts {
            name: {
                let path = display_name(&uploads, &f.path);
                if f.sheet.is_empty() {
                    path
                } else {
                    format!("{path}（{}）", f.sheet)
                }
            },
            kind: domain::SourceKind::from_name(&f.kind)
                .map_or("—", |k| k.label_zh())
                .to_string(),
            accepted: f.accepted as u64,
            quarantined: f.quarantined as u64,
        })
        .collect();
    let period = workdir::resolve_period(conn, None).map_err(|e| e.to_string())?;
    let indicators = workdir::report::cached_indicators(&ws, &period).map_err(|e| e.to_string())?;
    // The checks with their rows: written to out/quality/ (the same files as `vbrief check`),
    // and counted per community for the quality page.
    let today = chrono::Local::now().date_naive();
    let out = ws.quality_out();
    let mut writer = reports::quality::QualityWriter::create(&out).map_err(|e| e.to_string())?;
    let mut per_owner: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    let mut on_row = |row: transforms::quality::FailingRow| -> Result<(), String> {
        *per_owner
            .entry(row.owner())
            .or_default()
            .entry(row.check)
            .or_default() += 1;
        writer.row(&row).map_err(|e| e.to_string())
    };
    let quality =
        transforms::quality::run_checks_with_rows(conn, &period, today, config, Some(&mut on_row))
            .map_err(|e| e.to_string())?;
    let community_files = writer.community_files();
    writer
        .finish(&quality, &summary, &config.city.name)
        .map_err(|e| e.to_string())?;
    let checks: Vec<CheckLine> = quality
        .checks
        .iter()
        .map(|c| CheckLine {
            id: c.id.to_string(),
            name: c.name_zh.to_string(),
            status: c.status.label_zh().to_string(),
            class: reports::quality::status_class(c.status).to_string(),
            checked: c.checked,
            failing: c.failing,
            share: c.share.map_or("—".into(), |s| format!("{:.2}%", s * 100.0)),
            fix: c.fix_zh.to_string(),
        })
        .collect();
    let by_community = out.join(reports::quality::BY_COMMUNITY_DIR);
    let communities = per_owner
        .into_iter()
        .map(|(owner, counts)| {
            let file_name = community_files.get(&owner).cloned().unwrap_or_default();
            let file = by_community.join(&file_name);
            CommunityQuality {
                counts: checks
                    .iter()
                    .map(|c| counts.get(c.id.as_str()).copied().unwrap_or(0))
                    .collect(),
                total: counts.values().sum(),
                file: (!file_name.is_empty() && file.exists()).then_some(file),
                file_name,
                owner,
            }
        })
        .collect();
    let model = reports::briefing::build(
        &indicators,
        config,
        &summary,
        &quality.checks,
        &reports::briefing::BriefingOptions::default(),
    );
    let years: Vec<i32> = conn
        .prepare(
            "SELECT DISTINCT CAST(year(served_on) AS INTEGER) FROM service_records ORDER BY 1 DESC",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e: duckdb::Error| e.to_string())?;
    Ok(Snapshot {
        has_warehouse: true,
        rows_accepted: files.iter().map(|f| f.accepted).sum(),
        rows_quarantined: files.iter().map(|f| f.quarantined).sum(),
        files,
        period: model.period_label.clone(),
        period_label: indicators.period_label.clone(),
        headline: model.headline,
        checks,
        communities,
        districts: indicators
            .level("district")
            .map(|r| r.district.clone())
            .collect(),
        indicators: Some(indicators),
        years,
        error: String::new(),
    })
}
