//! One ingest run: find the files, skip the ones already ingested, tell each sheet's kind, load
//! the communities ledger first, stage every row (accepted or quarantined, or skipped and
//! counted), merge, check that nothing was lost, and commit once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use duckdb::{params, Connection};

use crate::batch::{StagedChunk, StagedColumns, StagingSchema};
use crate::community::{ledger_key, normalize_community, CommunityEntry, CommunityIndex};
use crate::config::Config;
use crate::content_hash::{ContentHashes, HashRead};
use crate::header::{
    self, detect_kind_with, missing_required, suggested_fields, suggested_mappings, ColumnMap,
    Vocabulary, HEADER_SEARCH_ROWS,
};
use crate::identity::{KeyError, KeySource, PseudonymKey};
use crate::kind::{Field, SourceKind};
use crate::parse::text::{compact, is_total_label};
use crate::reader::{Cell, ReadError, Row, Workbook};
use crate::rows::{ledger_row, prepare_row, Rejection, RowContext, Stage, Whose};
use crate::warehouse::{self, WarehouseError, WAREHOUSE_FILE};

/// What to ingest, and how.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// The working folder: file names in the summary and quarantine are relative to it.
    pub workdir: PathBuf,
    /// Where the warehouse, the key and quarantine.csv are (default: `workdir`). `vbrief check`
    /// points this at a scratch copy so that the real warehouse is never touched.
    pub store: Option<PathBuf>,
    /// Files or folders; folders are searched recursively.
    pub inputs: Vec<PathBuf>,
    /// Skip kind detection and read every sheet as this kind.
    pub kind: Option<SourceKind>,
    /// Text encoding of csv files (detected when absent).
    pub encoding: Option<String>,
    /// Abort with nothing written when any file cannot be read.
    pub strict: bool,
    /// Where files' content hashes are remembered between runs (see [`ContentHashes`]);
    /// `None`: every file is read to be recognized.
    pub hash_memo: Option<PathBuf>,
}

impl IngestOptions {
    fn store(&self) -> &Path {
        self.store.as_deref().unwrap_or(&self.workdir)
    }
}

/// Progress of a long run, shown by the CLI.
pub trait Progress {
    fn file_started(&self, _label: &str, _total_bytes: Option<u64>) {}
    fn advanced(&self, _rows: u64, _bytes: Option<u64>) {}
    fn file_finished(&self) {}
}

/// No progress display (tests, libraries).
pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("warehouse query failed: {0}")]
    Db(#[from] duckdb::Error),
    #[error("--strict: {failed} file(s) could not be read, nothing was written:\n{details}")]
    Strict { failed: usize, details: String },
    #[error("没有找到可导入的文件 (no .xlsx/.xls/.csv files found in {0})")]
    NoFiles(String),
    #[error("internal check failed, nothing was written: {0}")]
    Invariant(String),
    #[error("cannot write {path}: {detail}")]
    Output { path: String, detail: String },
}

/// The row counts of one sheet. `read == accepted + quarantined + skipped()` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub skipped_blank: u64,
    pub skipped_title: u64,
    pub skipped_header: u64,
    pub skipped_total: u64,
    /// Rows already in the warehouse from an earlier export (an overlapping export).
    pub skipped_known: u64,
}

impl Counts {
    pub fn skipped(&self) -> u64 {
        self.skipped_blank
            + self.skipped_title
            + self.skipped_header
            + self.skipped_total
            + self.skipped_known
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "message")]
pub enum SheetStatus {
    Loaded,
    /// The same file content was ingested before: nothing to do.
    Unchanged,
    /// The file or sheet could not be read; the message says why.
    Failed(String),
    /// A sheet with content but no recognizable header (e.g. an instructions sheet).
    Ignored(String),
}

/// The fate of one file (or one sheet of a workbook).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SheetOutcome {
    pub path: String,
    pub sheet: String,
    pub kind: Option<&'static str>,
    pub encoding: Option<&'static str>,
    pub status: SheetStatus,
    pub counts: Counts,
    /// Headers of the sheet vbrief does not read (no field maps to them), for the summary's
    /// 未使用的列 line: a column an office expected to count shows up here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_columns: Vec<String>,
    /// For a file refused for missing columns: what it looks like, and what its headers could
    /// be (the web app offers the mapping in a form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingHelp>,
}

/// Why a file was refused for missing columns, as data: the kind it looks like, every header
/// found with the field it maps to or the one suggested, and what is missing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MappingHelp {
    /// The kind it looks like (`SourceKind::name`).
    pub kind: &'static str,
    /// The sheet (empty for a csv).
    pub sheet: String,
    pub headers: Vec<HeaderChoice>,
    /// Each missing required field group, as its first accepted headers (`证件号码 或 志愿者编号`).
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeaderChoice {
    /// The header as vbrief compares it (normalized).
    pub header: String,
    /// The field it already maps to (`Field::name`).
    pub mapped: Option<&'static str>,
    /// The field suggested for it, when it maps to none.
    pub suggested: Option<&'static str>,
}

impl MappingHelp {
    fn of(sheet: &str, kind: SourceKind, map: &ColumnMap) -> MappingHelp {
        let suggested = suggested_fields(map);
        let headers = map
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .map(|(i, h)| HeaderChoice {
                header: h.clone(),
                mapped: map
                    .columns
                    .iter()
                    .find(|(_, c)| **c == i)
                    .map(|(f, _)| f.name()),
                suggested: suggested
                    .iter()
                    .find(|(s, _)| s == h)
                    .map(|(_, f)| f.name()),
            })
            .collect();
        MappingHelp {
            kind: kind.name(),
            sheet: sheet.to_string(),
            headers,
            missing: missing_required(map)
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .map(|f| f.label_zh(kind))
                        .collect::<Vec<_>>()
                        .join(" 或 ")
                })
                .collect(),
        }
    }
}

/// Why a file could not be planned: the message, and the mapping help when it is missing
/// columns.
#[derive(Debug)]
struct PlanFailure {
    message: String,
    mapping: Option<MappingHelp>,
}

impl From<String> for PlanFailure {
    fn from(message: String) -> PlanFailure {
        PlanFailure {
            message,
            mapping: None,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    pub warehouse: PathBuf,
    pub quarantine_csv: PathBuf,
    #[serde(skip)]
    pub key_source: Option<KeySource>,
    pub sheets: Vec<SheetOutcome>,
    pub communities_in_ledger: usize,
    /// Rows quarantined by this run, by reason code, most frequent first.
    pub quarantine_by_reason: Vec<(String, u64)>,
    /// Hour records of earlier runs, quarantined because nobody registered held the document
    /// number they named, that this run's volunteers made countable.
    pub rescued_records: u64,
}

impl IngestReport {
    pub fn failed(&self) -> usize {
        self.sheets
            .iter()
            .filter(|s| matches!(s.status, SheetStatus::Failed(_)))
            .count()
    }
}

const SUPPORTED: [&str; 7] = ["xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "txt"];

/// Expands folders into their source files (sorted, hidden and Office lock files left out).
pub fn expand_inputs(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found);
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SUPPORTED.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
}

/// A sheet whose header and kind are known, waiting to be loaded.
struct PlannedSheet {
    path: PathBuf,
    display: String,
    hash: String,
    sheet: String,
    header_row: u64,
    header_cells: Vec<String>,
    map: ColumnMap,
    encoding: Option<&'static str>,
    /// The workbook as planning opened it, for the first of its sheets to load: opening an
    /// xlsx parses its whole shared-strings table, which for a large export is a good part of
    /// the reading.
    opened: Arc<Mutex<Option<Workbook>>>,
}

/// Workbooks up to this size stay open from planning to loading (larger ones are opened
/// again, so that many large files do not hold their strings in memory all at once).
const KEEP_OPEN_BYTES: u64 = 256 << 20;

fn display_path(path: &Path, workdir: &Path) -> String {
    path.strip_prefix(workdir)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn row_texts(row: &Row) -> Vec<String> {
    row.cells
        .iter()
        .map(|c| c.as_text().unwrap_or_default())
        .collect()
}

/// A file's sheets to load and those ignored (with why), or why none can be.
type FilePlan = Result<(Vec<PlannedSheet>, Vec<SheetOutcome>), PlanFailure>;

/// Finds the header row and kind of each sheet of a file.
fn plan_file(
    path: &Path,
    display: &str,
    hash: &str,
    opts: &IngestOptions,
    vocabulary: &Vocabulary,
) -> FilePlan {
    let mut wb = Workbook::open(path, opts.encoding.as_deref()).map_err(|e| e.to_string())?;
    let encoding = wb.encoding();
    let opened = Arc::new(Mutex::new(None));
    let mut planned = Vec::new();
    let mut ignored = Vec::new();
    let mut problems = Vec::new();
    for sheet in wb.sheet_names() {
        let mut top: Vec<Row> = Vec::new();
        for row in wb.rows(&sheet).map_err(|e| e.to_string())? {
            let row = row.map_err(|e| e.to_string())?;
            top.push(row);
            if top.len() >= HEADER_SEARCH_ROWS {
                break;
            }
        }
        if top.iter().all(|r| r.cells.iter().all(Cell::is_blank)) {
            continue;
        }
        let best = top
            .iter()
            .map(|r| (r, vocabulary.score(&row_texts(r))))
            .filter(|(_, score)| *score >= 2)
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.number.cmp(&a.0.number)));
        let Some((header_row, score)) = best else {
            let msg = "找不到表头：没有可识别的列名 (no header row with known column names found in the first 30 rows)".to_string();
            ignored.push((sheet.clone(), msg));
            continue;
        };
        let (header_row, header_cells) = two_row_header(&top, header_row, score, vocabulary);
        let kind = match opts
            .kind
            .or_else(|| detect_kind_with(vocabulary, &header_cells))
        {
            Some(k) => k,
            None => {
                // Not complete as any kind: say what the closest kind lacks.
                let closest = SourceKind::ALL
                    .into_iter()
                    .map(|k| (k, vocabulary.map(k, &header_cells)))
                    .max_by_key(|(k, m)| (m.columns.len(), std::cmp::Reverse(*k)))
                    .filter(|(_, m)| m.columns.len() >= 2);
                problems.push(match closest {
                    Some((k, m)) => PlanFailure {
                        message: missing_columns_message(&sheet, k, &m),
                        mapping: Some(MappingHelp::of(&sheet, k, &m)),
                    },
                    None => PlanFailure::from(format!(
                        "{}无法判断数据类型：表头与任何一类导出都对不上。请在设置的“表头对应”中说明各列的含义（网页版“设置”页；命令行可用 --kind 指定类型）(cannot tell which kind of export this is: map the headers in the settings, or pass --kind). 表头 (header): {}",
                        sheet_label(&sheet),
                        header_cells.iter().filter(|h| !h.is_empty()).cloned().collect::<Vec<_>>().join(", ")
                    )),
                });
                continue;
            }
        };
        let map = vocabulary.map(kind, &header_cells);
        if !missing_required(&map).is_empty() {
            problems.push(PlanFailure {
                message: missing_columns_message(&sheet, kind, &map),
                mapping: Some(MappingHelp::of(&sheet, kind, &map)),
            });
            continue;
        }
        planned.push(PlannedSheet {
            path: path.to_path_buf(),
            display: display.to_string(),
            hash: hash.to_string(),
            sheet: sheet.clone(),
            header_row,
            header_cells,
            map,
            encoding,
            opened: opened.clone(),
        });
    }
    let keep_open = matches!(wb, Workbook::Xlsx { .. })
        && std::fs::metadata(path).is_ok_and(|m| m.len() <= KEEP_OPEN_BYTES);
    if keep_open && !planned.is_empty() {
        *opened.lock().unwrap_or_else(|e| e.into_inner()) = Some(wb);
    }
    if planned.is_empty() {
        if let Some(p) = problems.into_iter().next() {
            return Err(p);
        }
        if let Some((_, msg)) = ignored.first() {
            return Err(msg.clone().into());
        }
        return Err(String::from("文件中没有数据 (no data in the file)").into());
    }
    if let Some(p) = problems.into_iter().next() {
        return Err(p);
    }
    let ignored = ignored
        .into_iter()
        .map(|(sheet, msg)| SheetOutcome {
            path: display.to_string(),
            sheet,
            kind: None,
            encoding,
            status: SheetStatus::Ignored(msg),
            counts: Counts::default(),
            unused_columns: Vec::new(),
            mapping: None,
        })
        .collect();
    Ok((planned, ignored))
}

/// A header in two rows (a group name above its parts, e.g. 所属地区 over 区县 | 街道 | 社区, or
/// 姓名 in the upper row only): when the best header row and the row above or below it know
/// more columns together than the best row alone, the header is the two combined, each
/// column's name taken from the lower row where it has one. Returns the header's last row
/// number (data starts below it) and its cells.
fn two_row_header(
    top: &[Row],
    best: &Row,
    best_score: usize,
    vocabulary: &Vocabulary,
) -> (u64, Vec<String>) {
    let combine = |upper: &Row, lower: &Row| -> Vec<String> {
        let (u, l) = (row_texts(upper), row_texts(lower));
        (0..u.len().max(l.len()))
            .map(|i| {
                let lower = l.get(i).filter(|t| !t.is_empty());
                lower.or(u.get(i)).cloned().unwrap_or_default()
            })
            .collect()
    };
    let at = |n: u64| top.iter().find(|r| r.number == n);
    let mut chosen = (best.number, row_texts(best), best_score);
    let pairs = [
        (best.number.checked_sub(1).and_then(at), Some(best)),
        (Some(best), at(best.number + 1)),
    ];
    for (upper, lower) in pairs {
        if let (Some(upper), Some(lower)) = (upper, lower) {
            let cells = combine(upper, lower);
            let score = vocabulary.score(&cells);
            if score > chosen.2 {
                chosen = (lower.number, cells, score);
            }
        }
    }
    (chosen.0, chosen.1)
}

/// `看起来是志愿者注册信息，但缺少必需的列: 注册时间` — naming one accepted header per missing field.
fn missing_columns_message(sheet: &str, kind: SourceKind, map: &ColumnMap) -> String {
    let need: Vec<String> = missing_required(map)
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|f| f.label_zh(kind))
                .collect::<Vec<_>>()
                .join(" 或 ")
        })
        .collect();
    let found: Vec<&str> = map
        .header
        .iter()
        .filter(|h| !h.is_empty())
        .map(String::as_str)
        .collect();
    let suggested = suggested_mappings(map);
    let advice = if suggested.is_empty() {
        format!(
            "如果某列就是所缺的内容，请在 vbrief.toml 中加入 (if a column holds what is missing, add to vbrief.toml):\n[headers.{}]\n\"<列名>\" = \"<{}>\"",
            kind.name(),
            missing_required(map)
                .iter()
                .flat_map(|g| g.iter().map(|f| f.name()))
                .collect::<Vec<_>>()
                .join("|")
        )
    } else {
        format!(
            "若下列对应关系正确，请把它们加入 vbrief.toml 后重新导入 (if these are right, add them to vbrief.toml and ingest again):\n[headers.{}]\n{}",
            kind.name(),
            suggested.join("\n")
        )
    };
    format!(
        "{}看起来是{}，但缺少必需的列 (looks like {} but is missing required columns): {}\n找到的表头 (headers found): {}\n{advice}",
        sheet_label(sheet),
        kind.label_zh(),
        kind.name(),
        need.join("; "),
        found.join(", ")
    )
}

fn sheet_label(sheet: &str) -> String {
    if sheet.is_empty() {
        String::new()
    } else {
        format!("工作表 '{sheet}' (sheet): ")
    }
}

/// Runs one ingest, as named stages: [`plan_files`] → [`order_sheets`] → [`stage_sheets`]
/// (read → prepare → stage, per sheet) → [`merge_staged`] → [`settle_counts`] → [`commit_run`]
/// → [`summarize_run`]. Row problems go to quarantine; a file that cannot be read is reported
/// and left out (or aborts the run with `strict`); the warehouse changes only if the run
/// commits, and it commits once.
pub fn ingest(
    opts: &IngestOptions,
    config: &Config,
    progress: &dyn Progress,
) -> Result<IngestReport, IngestError> {
    let warehouse_path = opts.store().join(WAREHOUSE_FILE);
    let files = expand_inputs(&opts.inputs);
    if files.is_empty() {
        return Err(IngestError::NoFiles(
            opts.inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    let warehouse_existed = warehouse_path.exists();
    // Opened once for the whole run when it exists; when it does not, nothing is created
    // until there is something to load.
    let existing = if warehouse_existed {
        Some(warehouse::open(&warehouse_path)?)
    } else {
        None
    };
    let mut hashes = ContentHashes::open(opts.hash_memo.as_deref());
    let Plan {
        mut sheets,
        mut outcomes,
    } = plan_files(
        &files,
        &mut hashes,
        &known_hashes(existing.as_ref())?,
        opts,
        &Vocabulary::from_config(config),
    );
    hashes.save();
    if opts.strict {
        strict_failure(&outcomes)?;
    }
    if sheets.is_empty() && !warehouse_existed {
        // Nothing to load and nothing there: create no warehouse and no key.
        return Ok(IngestReport {
            warehouse: warehouse_path,
            quarantine_csv: opts.store().join(warehouse::QUARANTINE_FILE),
            key_source: None,
            sheets: outcomes,
            communities_in_ledger: 0,
            quarantine_by_reason: Vec::new(),
            rescued_records: 0,
        });
    }
    let (key, key_source) = PseudonymKey::load_or_create(opts.store(), &warehouse_path)?;
    let mut conn = match existing {
        Some(conn) => conn,
        None => warehouse::open(&warehouse_path)?,
    };
    if sheets.is_empty() {
        return nothing_new(&conn, opts, warehouse_path, key_source, outcomes);
    }
    order_sheets(&mut sheets);

    // Staging tables are created before the transaction: rows appended to a table created in
    // the same transaction are lost past 122,880 rows (DuckDB 2.0.0).
    {
        let _t = tracing::info_span!("ingest.create_staging").entered();
        warehouse::create_staging(&conn)?;
    }
    let tx = conn.transaction()?;
    let mut run = RunIds::begin(&tx)?;
    let staged = stage_sheets(
        &tx,
        &sheets,
        &mut run,
        &key,
        config,
        &mut outcomes,
        progress,
    )?;
    let rescued_files = merge_staged(&tx, staged.ledger_merged)?;
    settle_counts(&tx, &staged.loaded, &mut outcomes)?;
    let rescued = warehouse::settle_rescued(&tx, &rescued_files)?;
    let failed = failures(&outcomes);
    if opts.strict && !failed.is_empty() {
        // A file failed part-way through loading: undo everything this run did.
        tx.rollback()?;
        warehouse::drop_staging(&conn)?;
        drop(conn);
        if !warehouse_existed {
            for path in [
                warehouse_path.clone(),
                warehouse_path.with_extension("duckdb.wal"),
            ] {
                std::fs::remove_file(path).ok();
            }
            if let KeySource::Created(path) = &key_source {
                std::fs::remove_file(path).ok();
            }
        }
        return Err(IngestError::Strict {
            failed: failed.len(),
            details: failed.join("\n"),
        });
    }
    commit_run(tx, run.run_id, staged.loaded.len(), failed.len())?;
    warehouse::drop_staging(&conn)?;
    let mut report = summarize_run(
        &conn,
        opts,
        run.run_id,
        warehouse_path,
        key_source,
        outcomes,
    )?;
    report.rescued_records = rescued;
    Ok(report)
}

/// The content hashes of every file the warehouse holds (none when there is no warehouse).
fn known_hashes(conn: Option<&Connection>) -> Result<HashSet<String>, IngestError> {
    let Some(conn) = conn else {
        return Ok(HashSet::new());
    };
    let mut stmt = conn.prepare("SELECT DISTINCT content_hash FROM files")?;
    let hashes = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(hashes.collect::<Result<_, _>>()?)
}

/// What a run will load, and what it already knows the fate of.
struct Plan {
    /// Every sheet to load, with its kind, header and columns decided.
    sheets: Vec<PlannedSheet>,
    /// Files and sheets settled without loading: unchanged, failed to open, ignored.
    outcomes: Vec<SheetOutcome>,
}

/// Stage "plan": hashes every file and reads its headers. Guarantees: every file given
/// appears exactly once, either in `sheets` (one entry per sheet to load) or in `outcomes`
/// (unchanged since an earlier run or earlier in this run, unreadable, or ignored).
///
/// The files are taken by two threads, each hashing a file (when the memo does not have it)
/// and reading its headers: a city's volunteer workbook spends ~0.4 s on its shared strings
/// while the record exports are hashed beside it. What they find is then settled in file
/// order, as one thread would: of files with the same content, the first is planned.
fn plan_files(
    files: &[PathBuf],
    hashes: &mut ContentHashes,
    known: &HashSet<String>,
    opts: &IngestOptions,
    vocabulary: &Vocabulary,
) -> Plan {
    let _t = tracing::info_span!("ingest.plan").entered();
    let found: Vec<FileFound> = {
        let planning = Planning {
            hashes,
            known,
            opts,
            vocabulary,
            first_with_hash: Mutex::new(HashMap::new()),
            large: Mutex::new(()),
        };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<FileFound>>> = files.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..PLAN_THREADS.min(files.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let found = planning.find(i, path);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
                });
            }
        });
        slots
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .expect("every file was taken by a thread")
            })
            .collect()
    };
    settle_plans(files, found, hashes, opts)
}

/// The plans found for `files` (in their order), settled in that order; each file's hash
/// recorded for the memo.
fn settle_plans(
    files: &[PathBuf],
    found: Vec<FileFound>,
    hashes: &mut ContentHashes,
    opts: &IngestOptions,
) -> Plan {
    let mut plan = Plan {
        sheets: Vec::new(),
        outcomes: Vec::new(),
    };
    let mut seen_this_run = HashSet::new();
    for (path, found) in files.iter().zip(found) {
        let display = display_path(path, &opts.workdir);
        let failed = |msg: String| SheetOutcome {
            path: display.clone(),
            sheet: String::new(),
            kind: None,
            encoding: None,
            status: SheetStatus::Failed(msg),
            counts: Counts::default(),
            unused_columns: Vec::new(),
            mapping: None,
        };
        hashes.keep(path, found.hash.as_ref().ok());
        let hash = match found.hash {
            Ok(h) => h.hash,
            Err(e) => {
                plan.outcomes.push(failed(e.to_string()));
                continue;
            }
        };
        let planned = match found.planned {
            Some(planned) if seen_this_run.insert(hash) => planned,
            // Known to the warehouse, or the same content as a file before it in this run.
            _ => {
                plan.outcomes.push(SheetOutcome {
                    status: SheetStatus::Unchanged,
                    ..failed(String::new())
                });
                continue;
            }
        };
        match planned {
            Ok((sheets, ignored)) => {
                plan.sheets.extend(sheets);
                plan.outcomes.extend(ignored);
            }
            Err(PlanFailure { message, mapping }) => plan.outcomes.push(SheetOutcome {
                mapping,
                ..failed(message)
            }),
        }
    }
    plan
}

/// How many files are hashed and planned at once.
const PLAN_THREADS: usize = 2;

/// What the planning threads share.
struct Planning<'a> {
    hashes: &'a ContentHashes,
    known: &'a HashSet<String>,
    opts: &'a IngestOptions,
    vocabulary: &'a Vocabulary,
    /// The first file (by its place in the list) found with each content hash: a later file
    /// with the same content is not planned (it will be unchanged).
    first_with_hash: Mutex<HashMap<String, usize>>,
    /// Held while a file larger than [`KEEP_OPEN_BYTES`] is planned: one such workbook's
    /// strings in memory at a time, as when files were planned one after another.
    large: Mutex<()>,
}

/// One file as a planning thread found it: its hash (remembered, or read now) and, when its
/// content is neither in the warehouse nor in a file before it, its plan.
struct FileFound {
    hash: Result<HashRead, ReadError>,
    planned: Option<FilePlan>,
}

impl Planning<'_> {
    /// The `i`-th file: hashed, then planned unless its content is known.
    fn find(&self, i: usize, path: &Path) -> FileFound {
        let display = display_path(path, &self.opts.workdir);
        // (bound first: inside the macro, `display` is tracing's own function)
        let file_name: &str = &display;
        let _t = tracing::info_span!("ingest.hash_and_plan", file = file_name).entered();
        let hash = self.hashes.look_up(path);
        let planned = match &hash {
            Ok(h) if !self.known.contains(&h.hash) && self.first_with(&h.hash, i) => {
                let large = std::fs::metadata(path).is_ok_and(|m| m.len() > KEEP_OPEN_BYTES);
                let _one_at_a_time =
                    large.then(|| self.large.lock().unwrap_or_else(|e| e.into_inner()));
                Some(plan_file(
                    path,
                    &display,
                    &h.hash,
                    self.opts,
                    self.vocabulary,
                ))
            }
            _ => None,
        };
        FileFound { hash, planned }
    }

    /// Whether no file before the `i`-th has `hash` (so far: one before it that is hashed
    /// later is planned too, and settling keeps the first).
    fn first_with(&self, hash: &str, i: usize) -> bool {
        let mut first = self
            .first_with_hash
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match first.get(hash) {
            Some(&j) if j < i => false,
            _ => {
                first.insert(hash.to_string(), i);
                true
            }
        }
    }
}

/// The failed files as lines of a message (`  path: why`).
fn failures(outcomes: &[SheetOutcome]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|o| match &o.status {
            SheetStatus::Failed(m) => Some(format!("  {}: {m}", o.path)),
            _ => None,
        })
        .collect()
}

/// With `--strict`, a file that cannot be read stops the run before anything is written.
fn strict_failure(outcomes: &[SheetOutcome]) -> Result<(), IngestError> {
    let failed = failures(outcomes);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(IngestError::Strict {
            failed: failed.len(),
            details: failed.join("\n"),
        })
    }
}

/// Nothing new (every file already ingested, or none readable): the warehouse is left exactly
/// as it is, and a re-run on unchanged exports costs little more than hashing.
fn nothing_new(
    conn: &Connection,
    opts: &IngestOptions,
    warehouse_path: PathBuf,
    key_source: KeySource,
    outcomes: Vec<SheetOutcome>,
) -> Result<IngestReport, IngestError> {
    let quarantine = QuarantineCsv::WriteIfMissing;
    report(
        conn,
        opts,
        warehouse_path,
        key_source,
        outcomes,
        Vec::new(),
        quarantine,
    )
}

/// When quarantine.csv is written from the warehouse.
#[derive(PartialEq)]
enum QuarantineCsv {
    Rewrite,
    WriteIfMissing,
}

/// The report of a run, with quarantine.csv written from the warehouse.
fn report(
    conn: &Connection,
    opts: &IngestOptions,
    warehouse_path: PathBuf,
    key_source: KeySource,
    outcomes: Vec<SheetOutcome>,
    quarantine_by_reason: Vec<(String, u64)>,
    quarantine: QuarantineCsv,
) -> Result<IngestReport, IngestError> {
    let communities_in_ledger: i64 =
        conn.query_row("SELECT count(*) FROM communities", [], |r| r.get(0))?;
    let quarantine_csv = opts.store().join(warehouse::QUARANTINE_FILE);
    if quarantine == QuarantineCsv::Rewrite || !quarantine_csv.exists() {
        warehouse::write_quarantine_csv(conn, &quarantine_csv).map_err(|e| {
            IngestError::Output {
                path: quarantine_csv.display().to_string(),
                detail: e.to_string(),
            }
        })?;
    }
    Ok(IngestReport {
        warehouse: warehouse_path,
        quarantine_csv,
        key_source: Some(key_source),
        sheets: outcomes,
        communities_in_ledger: communities_in_ledger as usize,
        quarantine_by_reason,
        rescued_records: 0,
    })
}

/// Stage "order": the ledger first, since every other kind is matched against it; volunteers
/// before records, so that records naming only a 志愿者编号 find their person. Stable: sheets
/// of one kind keep the order they were given in.
fn order_sheets(sheets: &mut [PlannedSheet]) {
    sheets.sort_by_key(|p| p.map.kind);
}

/// The ids this run hands out: its run id, the next file id, and the ledger's community ids.
struct RunIds {
    run_id: i32,
    next_file_id: i32,
    ledger: LedgerIds,
}

impl RunIds {
    /// Reads the next free ids from the warehouse, inside the run's transaction.
    fn begin(tx: &Connection) -> Result<RunIds, duckdb::Error> {
        let run_id: i32 =
            tx.query_row("SELECT coalesce(max(run_id), 0) + 1 FROM runs", [], |r| {
                r.get(0)
            })?;
        let next_file_id: i32 =
            tx.query_row("SELECT coalesce(max(file_id), 0) + 1 FROM files", [], |r| {
                r.get(0)
            })?;
        let mut ledger = LedgerIds::default();
        let mut stmt =
            tx.prepare("SELECT community_id, district, street, community FROM communities")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut max = 0;
        for row in rows {
            let (id, d, s, c) = row?;
            ledger.ids.insert(ledger_key(&d, &s, &c), id);
            max = max.max(id);
        }
        ledger.next_id = max + 1;
        Ok(RunIds {
            run_id,
            next_file_id,
            ledger,
        })
    }
}

/// What [`stage_sheets`] leaves for the merge.
struct Staged {
    /// (file id, kind, index in the outcomes) of every sheet that loaded.
    loaded: Vec<(i32, SourceKind, usize)>,
    /// The communities ledger was merged (and indexed) before a kind that needs it.
    ledger_merged: bool,
}

/// Stages "read → prepare → stage", sheet by sheet in the planned order. Guarantees: after
/// it, every row read of a sheet that loaded is counted as staged (to be accepted, quarantined
/// or found known at the merge) or skipped, and its staged rows carry its file id; a sheet
/// that failed part-way has nothing left in staging, no `files` row, and a `Failed` outcome.
/// Before the first kind that needs communities, the ledger staged so far is merged and
/// indexed, so that rows are matched against it.
fn stage_sheets(
    tx: &Connection,
    sheets: &[PlannedSheet],
    run: &mut RunIds,
    key: &PseudonymKey,
    config: &Config,
    outcomes: &mut Vec<SheetOutcome>,
    progress: &dyn Progress,
) -> Result<Staged, IngestError> {
    let mut loaded = Vec::new();
    let mut index: Option<CommunityIndex> = None;
    let empty_index = CommunityIndex::default();
    for plan in sheets {
        let kind = plan.map.kind;
        if kind.needs_communities() && index.is_none() {
            // Everything the ledger can give is staged: merge it, then index it.
            warehouse::merge(tx, SourceKind::Communities)?;
            index = Some(load_index(tx, config)?);
        }
        let file_id = run.next_file_id;
        run.next_file_id += 1;
        tx.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0)",
            params![
                file_id,
                run.run_id,
                plan.hash,
                plan.display,
                plan.sheet,
                kind.name(),
                plan.encoding
            ],
        )?;
        let mut outcome = SheetOutcome {
            path: plan.display.clone(),
            sheet: plan.sheet.clone(),
            kind: Some(kind.name()),
            encoding: plan.encoding,
            status: SheetStatus::Loaded,
            counts: Counts::default(),
            unused_columns: plan.map.unused(),
            mapping: None,
        };
        if kind.needs_communities() && index.as_ref().is_some_and(CommunityIndex::is_empty) {
            outcome.status = SheetStatus::Failed(
                "仓库中还没有人口台账（社区、常住人口），请先导入或与本文件一起导入 (no communities ledger in the warehouse: ingest one first or together with this file)".into(),
            );
            tx.execute("DELETE FROM files WHERE file_id = ?", [file_id])?;
            outcomes.push(outcome);
            continue;
        }
        let ctx = RowContext {
            map: &plan.map,
            header_cells: &plan.header_cells,
            key,
            config,
            communities: index.as_ref().unwrap_or(&empty_index),
            file_id,
        };
        match stage_sheet(
            tx,
            plan,
            &ctx,
            &mut run.ledger,
            &mut outcome.counts,
            progress,
        )? {
            Ok(()) => loaded.push((file_id, kind, outcomes.len())),
            Err(message) => {
                warehouse::discard_staged(tx, &[file_id])?;
                tx.execute("DELETE FROM files WHERE file_id = ?", [file_id])?;
                // Ids handed out to this file's new communities are not reused; harmless gaps.
                for (entry, _, _) in &run.ledger.added {
                    run.ledger.ids.retain(|_, id| *id != entry.id);
                }
                outcome.status = SheetStatus::Failed(message);
                outcome.counts = Counts::default();
            }
        }
        outcomes.push(outcome);
    }
    Ok(Staged {
        loaded,
        ledger_merged: index.is_some(),
    })
}

/// One sheet read, prepared and staged; the communities it adds to the ledger are staged
/// too when it loads. The inner error is the sheet's own failure (a message for the user):
/// the caller discards what it staged.
fn stage_sheet(
    tx: &Connection,
    plan: &PlannedSheet,
    ctx: &RowContext<'_>,
    ledger: &mut LedgerIds,
    counts: &mut Counts,
    progress: &dyn Progress,
) -> Result<Result<(), String>, IngestError> {
    ledger.added.clear();
    let result = {
        let _t = tracing::info_span!(
            "ingest.load",
            file = %crate::reader::sheet_label(&plan.display, &plan.sheet)
        )
        .entered();
        let mut stage = Stage::new(tx, plan.map.kind)?;
        let r = load_sheet(plan, ctx, &mut stage, counts, ledger, progress);
        stage.flush()?;
        r
    };
    if result.is_ok() && !ledger.added.is_empty() {
        let mut app = tx.appender("communities")?;
        for (entry, row, written_as) in &ledger.added {
            app.append_row(params![
                entry.id,
                entry.district,
                entry.street,
                entry.community,
                ctx.file_id,
                *row as i64,
                written_as,
                // province, city: not in a city's ledger (see schema.sql).
                Option::<&str>::None,
                Option::<&str>::None
            ])?;
        }
        app.flush()?;
    }
    Ok(result)
}

/// Stage "merge": every kind's staged rows into the warehouse, deduplicated against what is
/// there and what this run staged, in dependency order (ledger, volunteers, the volunteers'
/// numbers and the keys of records without a record number, then records and the other
/// ledgers). Guarantees: each staged row is now an
/// accepted row, a quarantined row, or a row found already known. Returns the earlier files
/// whose held records came back (see `warehouse::resolve_document_records`).
fn merge_staged(tx: &Connection, ledger_merged: bool) -> Result<Vec<i32>, duckdb::Error> {
    let _merge = tracing::info_span!("ingest.merge").entered();
    warehouse::with_unordered_inserts(tx, || merge_kinds(tx, ledger_merged))
}

fn merge_kinds(tx: &Connection, ledger_merged: bool) -> Result<Vec<i32>, duckdb::Error> {
    if !ledger_merged {
        warehouse::merge(tx, SourceKind::Communities)?;
    }
    warehouse::merge(tx, SourceKind::Volunteers)?;
    let rescued = {
        let _t = tracing::info_span!("ingest.merge.resolve_document_records").entered();
        warehouse::resolve_document_records(tx)?
    };
    {
        let _t = tracing::info_span!("ingest.merge.key_service_records").entered();
        warehouse::key_service_records(tx)?;
    }
    for kind in [
        SourceKind::ServiceRecords,
        SourceKind::Organizations,
        SourceKind::Activities,
        SourceKind::Stations,
        SourceKind::Needs,
        SourceKind::Trainings,
    ] {
        let _t = tracing::info_span!("ingest.merge", part = kind.name()).entered();
        warehouse::merge(tx, kind)?;
    }
    warehouse::finish_staging(tx)?;
    Ok(rescued)
}

/// Stage "settle": each loaded sheet's counts from what actually landed, written to `files`.
/// Guarantees: for every loaded sheet, read = accepted + quarantined + skipped, or the run
/// stops with [`IngestError::Invariant`] and nothing is written.
fn settle_counts(
    tx: &Connection,
    loaded: &[(i32, SourceKind, usize)],
    outcomes: &mut [SheetOutcome],
) -> Result<(), IngestError> {
    let _t = tracing::info_span!("ingest.settle_counts").entered();
    for (file_id, kind, at) in loaded {
        let (accepted, quarantined, known) = warehouse::outcome_counts(tx, *file_id, *kind)?;
        let outcome = &mut outcomes[*at];
        let c = &mut outcome.counts;
        c.accepted = accepted;
        c.quarantined = quarantined;
        c.skipped_known = known;
        if c.read != c.accepted + c.quarantined + c.skipped() {
            return Err(IngestError::Invariant(format!(
                "{} [{}]: read {} ≠ accepted {} + quarantined {} + skipped {}",
                outcome.path,
                outcome.sheet,
                c.read,
                c.accepted,
                c.quarantined,
                c.skipped()
            )));
        }
        tx.execute(
            "UPDATE files SET rows_read = ?, accepted = ?, quarantined = ?, skipped_blank = ?,
                 skipped_title = ?, skipped_header = ?, skipped_total = ?, skipped_known = ?
              WHERE file_id = ?",
            params![
                c.read as i64,
                c.accepted as i64,
                c.quarantined as i64,
                c.skipped_blank as i64,
                c.skipped_title as i64,
                c.skipped_header as i64,
                c.skipped_total as i64,
                c.skipped_known as i64,
                file_id
            ],
        )?;
    }
    Ok(())
}

/// Stage "commit": records the run and commits its one transaction. Guarantees: after it, the
/// warehouse holds every row of the run, or (on an error) none.
fn commit_run(
    tx: duckdb::Transaction<'_>,
    run_id: i32,
    loaded: usize,
    failed: usize,
) -> Result<(), duckdb::Error> {
    let _commit = tracing::info_span!("ingest.commit").entered();
    tx.execute(
        "INSERT INTO runs VALUES (?, current_timestamp, current_timestamp, ?, ?, ?)",
        params![
            run_id,
            env!("CARGO_PKG_VERSION"),
            loaded as i64,
            failed as i64
        ],
    )?;
    let _t = tracing::info_span!("ingest.commit.tx").entered();
    tx.commit()
}

/// Stage "summarize": the run's report, and quarantine.csv rewritten from the warehouse.
fn summarize_run(
    conn: &Connection,
    opts: &IngestOptions,
    run_id: i32,
    warehouse_path: PathBuf,
    key_source: KeySource,
    outcomes: Vec<SheetOutcome>,
) -> Result<IngestReport, IngestError> {
    let _t = tracing::info_span!("ingest.quarantine_csv").entered();
    let quarantine_by_reason = {
        let mut stmt = conn.prepare(
            "SELECT q.reason, count(*) FROM quarantine q JOIN files f USING (file_id)
              WHERE f.run_id = ? GROUP BY q.reason ORDER BY 2 DESC, 1",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let quarantine = QuarantineCsv::Rewrite;
    report(
        conn,
        opts,
        warehouse_path,
        key_source,
        outcomes,
        quarantine_by_reason,
        quarantine,
    )
}

fn load_index(conn: &Connection, config: &Config) -> Result<CommunityIndex, duckdb::Error> {
    let mut stmt = conn.prepare(
        "SELECT community_id, district, street, community FROM communities ORDER BY community_id",
    )?;
    let entries = stmt
        .query_map([], |r| {
            Ok(CommunityEntry {
                id: r.get(0)?,
                district: r.get(1)?,
                street: r.get(2)?,
                community: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CommunityIndex::new(entries, &config.communities.aliases))
}

/// A header repeated mid-file (two exports pasted one under the other): every non-empty cell
/// is text equal to the header cell of its column, and at least two are. Stops at the first
/// cell that differs, so a data row costs one comparison.
fn is_repeated_header(cells: &[Cell], header: &[String]) -> bool {
    let mut matched = 0;
    for (i, cell) in cells.iter().enumerate() {
        match cell {
            Cell::Empty => {}
            Cell::Text(t) => {
                let name = header::normalize_borrowed(t);
                if name.is_empty() {
                    continue;
                }
                if header.get(i).map(String::as_str) != Some(&*name) {
                    return false;
                }
                matched += 1;
            }
            _ => return false,
        }
    }
    matched >= 2
}

/// Words that name a list: a lone cell holding one of them is a title, not data.
const TITLE_WORDS: [&str; 10] = [
    "记录",
    "信息",
    "台账",
    "统计",
    "名单",
    "汇总",
    "报表",
    "明细",
    "导出",
    "一览表",
];

/// A title line in the middle of a sheet (two exports pasted one under the other keep the
/// second one's title): a single text cell naming a list, e.g. `东区志愿服务时长记录（二）`.
/// A data row has more than one cell, so this costs two cell tests per row.
fn is_mid_title(cells: &[Cell]) -> bool {
    let mut filled = cells.iter().filter(|c| !matches!(c, Cell::Empty));
    match (filled.next(), filled.next()) {
        (Some(Cell::Text(t)), None) => {
            let t = compact(t);
            t.chars().count() >= 6 && TITLE_WORDS.iter().any(|w| t.contains(w))
        }
        _ => false,
    }
}

/// Streams one sheet into staging. `Err` is a file-level failure (the caller discards the file).
#[allow(clippy::too_many_arguments)]
fn load_sheet(
    plan: &PlannedSheet,
    ctx: &RowContext<'_>,
    stage: &mut Stage<'_>,
    counts: &mut Counts,
    ledger: &mut LedgerIds,
    progress: &dyn Progress,
) -> Result<(), String> {
    let kept = plan.opened.lock().unwrap_or_else(|e| e.into_inner()).take();
    let mut wb = match kept {
        Some(wb) => wb,
        None => Workbook::open(&plan.path, plan.encoding).map_err(|e| e.to_string())?,
    };
    let counter = wb.byte_counter();
    let total_bytes = counter
        .as_ref()
        .and_then(|_| std::fs::metadata(&plan.path).ok().map(|m| m.len()));
    let label = crate::reader::sheet_label(&plan.display, &plan.sheet);
    progress.file_started(&label, total_bytes);
    // One thread reads and decodes the file, a few prepare its rows (classify, parse, validate,
    // pseudonymize, match the community: all pure) and this one only appends them to staging.
    // Batches are numbered and appended in file order, so staging is the same as from a
    // single thread.
    let preparers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_PREPARERS);
    let schema = stage.schema.clone();
    let (raw_sender, raw) = std::sync::mpsc::sync_channel::<ReadBatch>(2 * preparers);
    let raw = Mutex::new(raw);
    let (prepared_sender, prepared) = std::sync::mpsc::sync_channel::<Prepared>(2 * preparers);
    std::thread::scope(|scope| {
        let sheet = plan.sheet.as_str();
        let reader = scope.spawn(move || -> Result<(), String> {
            let rows = wb.rows(sheet).map_err(|e| e.to_string())?;
            let mut batch = Vec::with_capacity(READ_BATCH);
            let mut number = 0;
            for row in rows {
                let failed = row.is_err();
                batch.push(row);
                if batch.len() == READ_BATCH || failed {
                    if raw_sender
                        .send((number, std::mem::take(&mut batch)))
                        .is_err()
                    {
                        // The loader stopped (it failed): nothing more to read.
                        return Ok(());
                    }
                    number += 1;
                    batch.reserve(READ_BATCH);
                }
                if failed {
                    return Ok(());
                }
            }
            if !batch.is_empty() {
                raw_sender.send((number, batch)).ok();
            }
            Ok(())
        });
        for _ in 0..preparers {
            let (raw, schema, prepared_sender) = (&raw, &schema, prepared_sender.clone());
            scope.spawn(move || loop {
                // The lock is held only to take the next batch.
                let next = raw.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((number, batch)) = next else {
                    return;
                };
                if prepared_sender
                    .send(prepare_batch(plan, ctx, schema, number, batch))
                    .is_err()
                {
                    return;
                }
            });
        }
        drop(prepared_sender);
        let loaded = load_rows(
            InOrder::new(prepared.into_iter()),
            plan,
            ctx,
            stage,
            counts,
            ledger,
            progress,
            &counter,
        );
        // `load_rows` consumed the receiver: if it stopped early, the other threads end at
        // their next send.
        let read = reader
            .join()
            .map_err(|_| "reader thread panicked".to_string())?;
        loaded.and(read)
    })?;
    progress.file_finished();
    Ok(())
}

/// The ledger's communities by key (`ledger_key`), the next free id, and the communities the
/// file being loaded adds (written, or forgotten, when the file has loaded or failed).
#[derive(Default)]
struct LedgerIds {
    ids: HashMap<String, i32>,
    next_id: i32,
    /// Each new community, its ledger row and its name as the ledger wrote it.
    added: Vec<(CommunityEntry, u64, String)>,
}

/// Rows read per batch handed from the reading thread to the preparing ones.
const READ_BATCH: usize = 4096;

/// Threads preparing rows, at most (the loading thread's appends are the limit beyond that).
const MAX_PREPARERS: usize = 4;

/// A batch of rows as read, numbered in file order.
type ReadBatch = (u64, Vec<Result<Row, ReadError>>);

/// A batch of rows, prepared.
struct Prepared {
    /// The batch's place in the file.
    number: u64,
    /// What became of each row, in order.
    fates: Vec<Fate>,
    /// The values of the rows staged (`Fate::Staged`), as data chunks.
    staged: Vec<StagedChunk>,
    /// A read error after the batch's rows: the file fails.
    error: Option<String>,
}

/// Batches back in the order they were read, whichever preparing thread finished first.
struct InOrder<I> {
    batches: I,
    next: u64,
    early: std::collections::BTreeMap<u64, Prepared>,
}

impl<I> InOrder<I> {
    fn new(batches: I) -> InOrder<I> {
        InOrder {
            batches,
            next: 0,
            early: Default::default(),
        }
    }
}

impl<I: Iterator<Item = Prepared>> Iterator for InOrder<I> {
    type Item = Prepared;

    fn next(&mut self) -> Option<Prepared> {
        loop {
            if let Some(batch) = self.early.remove(&self.next) {
                self.next += 1;
                return Some(batch);
            }
            // Every batch read arrives; when the channel ends nothing is missing before the
            // batches still held (a read error ends reading, and its batch is the last).
            match self.batches.next() {
                Some(batch) => {
                    self.early.insert(batch.number, batch);
                }
                None => return self.early.pop_first().map(|(_, batch)| batch),
            }
        }
    }
}

/// What becomes of one row, decided on a preparing thread.
enum Fate {
    Blank,
    Title,
    Header,
    Total,
    /// A communities-ledger row: its community's id is handed out in file order, by the
    /// loading thread.
    Ledger(Row),
    /// Its values are in the batch's chunks.
    Staged,
    /// Staged, with the quarantine entry it keeps unless the merge finds the document number
    /// it names (`rows::StagedRow::unless_found`).
    StagedUnlessFound(u64, Rejection, Whose),
    Quarantined(u64, Rejection, Whose),
}

/// Prepares a batch of rows read (see [`prepare`]).
fn prepare_batch(
    plan: &PlannedSheet,
    ctx: &RowContext<'_>,
    schema: &StagingSchema,
    number: u64,
    batch: Vec<Result<Row, ReadError>>,
) -> Prepared {
    let mut fates = Vec::with_capacity(batch.len());
    let mut staged = StagedColumns::new(schema);
    let mut error = None;
    for row in batch {
        match row {
            Ok(row) => fates.push(prepare(plan, ctx, row, &mut staged)),
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    let staged = staged.finish();
    Prepared {
        number,
        fates,
        staged,
        error,
    }
}

/// Classifies one row and, if it is data, prepares its staged values (written to `staged`) or
/// its quarantine entry.
fn prepare(
    plan: &PlannedSheet,
    ctx: &RowContext<'_>,
    row: Row,
    staged: &mut StagedColumns,
) -> Fate {
    if row.cells.iter().all(Cell::is_blank) {
        return Fate::Blank;
    }
    if row.number < plan.header_row {
        return Fate::Title;
    }
    if row.number == plan.header_row || is_repeated_header(&row.cells, &plan.map.header) {
        return Fate::Header;
    }
    if is_mid_title(&row.cells) {
        return Fate::Title;
    }
    if row
        .cells
        .iter()
        .take(3)
        .any(|c| matches!(c, Cell::Text(t) if is_total_label(t)))
    {
        return Fate::Total;
    }
    if plan.map.kind == SourceKind::Communities {
        return Fate::Ledger(row);
    }
    match prepare_row(ctx, row.number, &row.cells, staged) {
        Ok(row_staged) => match row_staged.unless_found {
            None => Fate::Staged,
            Some(rejection) => {
                Fate::StagedUnlessFound(row.number, rejection, ctx.whose(&row.cells))
            }
        },
        Err(rejection) => Fate::Quarantined(row.number, rejection, ctx.whose(&row.cells)),
    }
}

/// Counts and stages the prepared rows of one sheet (see `load_sheet`).
#[allow(clippy::too_many_arguments)]
fn load_rows(
    batches: impl Iterator<Item = Prepared>,
    plan: &PlannedSheet,
    ctx: &RowContext<'_>,
    stage: &mut Stage<'_>,
    counts: &mut Counts,
    ledger: &mut LedgerIds,
    progress: &dyn Progress,
    counter: &Option<crate::reader::ByteCounter>,
) -> Result<(), String> {
    let kind = plan.map.kind;
    let db_err = |e: duckdb::Error| format!("warehouse error: {e}");
    for batch in batches {
        for fate in batch.fates {
            counts.read += 1;
            match fate {
                Fate::Blank => counts.skipped_blank += 1,
                Fate::Title => counts.skipped_title += 1,
                Fate::Header => counts.skipped_header += 1,
                Fate::Total => counts.skipped_total += 1,
                Fate::Staged => {}
                Fate::Quarantined(number, rejection, whose)
                | Fate::StagedUnlessFound(number, rejection, whose) => stage
                    .quarantine(ctx.file_id, number, kind, &rejection, &whose)
                    .map_err(db_err)?,
                Fate::Ledger(row) => stage_ledger_row(ctx, stage, ledger, &row).map_err(db_err)?,
            }
        }
        if let Some(error) = batch.error {
            return Err(error);
        }
        if !batch.staged.is_empty() {
            stage.append_chunks(batch.staged).map_err(db_err)?;
        }
        progress.advanced(
            counts.read,
            counter.as_ref().map(|c| c.load(Ordering::Relaxed)),
        );
    }
    Ok(())
}

/// Stages a communities-ledger row, giving a community seen for the first time the next id.
fn stage_ledger_row(
    ctx: &RowContext<'_>,
    stage: &mut Stage<'_>,
    ledger: &mut LedgerIds,
    row: &Row,
) -> Result<(), duckdb::Error> {
    match ledger_row(ctx, &row.cells) {
        Ok(lr) => {
            let key = ledger_key(&lr.district, &lr.street, &lr.community);
            let id = match ledger.ids.get(&key) {
                Some(id) => *id,
                None => {
                    let id = ledger.next_id;
                    ledger.next_id += 1;
                    ledger.ids.insert(key, id);
                    ledger.added.push((
                        CommunityEntry {
                            id,
                            district: compact(&lr.district),
                            street: compact(&lr.street),
                            community: normalize_community(&lr.community),
                        },
                        row.number,
                        compact(&lr.community),
                    ));
                    id
                }
            };
            let as_of = lr.as_of.map(|d| d.format("%Y-%m-%d").to_string());
            stage.rows.append_row(params![
                format!("{id}|{}", as_of.clone().unwrap_or_default()),
                id,
                as_of,
                lr.population,
                ctx.file_id,
                row.number as i64
            ])
        }
        Err(rejection) => {
            let mut whose = ctx.whose(&row.cells);
            let text = |f| ctx.text(&row.cells, f).unwrap_or_default();
            whose.community_id = ledger
                .ids
                .get(&ledger_key(
                    &text(Field::District),
                    &text(Field::Street),
                    &text(Field::Community),
                ))
                .copied();
            stage.quarantine(
                ctx.file_id,
                row.number,
                SourceKind::Communities,
                &rejection,
                &whose,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    /// Plans are settled in the files' order, whatever order the threads found them in: of
    /// files with the same content the first is planned (even when its plan failed) and the
    /// others are unchanged; a file known to the warehouse (no plan) is unchanged; a file that
    /// could not be hashed fails alone.
    #[test]
    fn plans_are_settled_in_file_order() {
        let files: Vec<PathBuf> = ["a.xlsx", "b.csv", "c.csv", "d.csv", "e.csv"]
            .map(PathBuf::from)
            .to_vec();
        let found = |hash: Option<&str>, planned: Option<FilePlan>| FileFound {
            hash: hash
                .map(|h| HashRead::remembered(h.to_string()))
                .ok_or_else(|| ReadError::Open("gone".into())),
            planned,
        };
        let ok = || Some(Ok((Vec::new(), Vec::new())));
        let found = vec![
            found(
                Some("h1"),
                Some(Err(PlanFailure::from("a: no header".to_string()))),
            ),
            // the same content as a, planned too (its thread got there first): unchanged
            found(Some("h1"), ok()),
            found(None, None),
            found(Some("h2"), None),
            found(Some("h3"), ok()),
        ];
        let mut hashes = ContentHashes::open(None);
        let plan = settle_plans(&files, found, &mut hashes, &IngestOptions::default());
        let statuses: Vec<(String, SheetStatus)> = plan
            .outcomes
            .into_iter()
            .map(|o| (o.path, o.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("a.xlsx".into(), SheetStatus::Failed("a: no header".into())),
                ("b.csv".into(), SheetStatus::Unchanged),
                (
                    "c.csv".into(),
                    SheetStatus::Failed(ReadError::Open("gone".into()).to_string())
                ),
                ("d.csv".into(), SheetStatus::Unchanged),
            ]
        );
        assert!(plan.sheets.is_empty());
    }

    #[test]
    fn repeated_headers() {
        let header: Vec<String> = ["记录编号", "证件号码", "服务日期"]
            .map(String::from)
            .to_vec();
        assert!(is_repeated_header(
            &[text("记录编号"), text(" 证件号码 "), text("服务日期")],
            &header
        ));
        assert!(is_repeated_header(
            &[text("记录编号"), Cell::Empty, text("服务日期*")],
            &header
        ));
        // One matching cell is not enough; a data value or a number means data.
        assert!(!is_repeated_header(&[text("记录编号")], &header));
        assert!(!is_repeated_header(
            &[text("R1"), text("证件号码"), text("服务日期")],
            &header
        ));
        assert!(!is_repeated_header(
            &[text("记录编号"), Cell::Number(1.0), text("服务日期")],
            &header
        ));
        assert!(!is_repeated_header(
            &[text("服务日期"), text("证件号码")],
            &header
        ));
    }

    #[test]
    fn titles_mid_file() {
        assert!(is_mid_title(&[text("东区志愿服务时长记录（第二部分）")]));
        assert!(is_mid_title(&[Cell::Empty, text("2025年志愿者注册信息")]));
        // Data, however sparse, is not a title.
        assert!(!is_mid_title(&[text("张三")]));
        assert!(!is_mid_title(&[text("志愿服务记录"), text("R1")]));
        assert!(!is_mid_title(&[Cell::Number(20250101.0)]));
    }
}
