//! Ingesting into a folder, and the data-quality checks with their files — the one path the
//! CLI (`vbrief ingest`, `vbrief check`) and the web app (its import jobs and its quality
//! page) share.
//!
//! [`write_quality_files`] runs every check on a warehouse and writes what `vbrief check`
//! writes (quality.html, quality.csv, quality_rows.csv, one CSV per community), counting each
//! community's failing rows per check on the way. [`check`] does it on a scratch copy of the
//! folder's warehouse after ingesting the files given, so the folder is never changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use domain::quality::QualitySummary;
use domain::SourceKind;
use ingest::identity::{KEY_ENV, KEY_FILE};
use ingest::warehouse::WAREHOUSE_FILE;
use ingest::IngestReport;
use serde::Serialize;
use transforms::quality::{FailingRow, CHECKS};
use transforms::{Period, QualityReport};

use crate::workspace::Workspace;
use crate::{Result, WorkdirError};

/// What to ingest, as a command line or an upload gave it.
#[derive(Debug, Clone, Default)]
pub struct IngestRequest {
    /// Files or folders; empty: the folder's inbox.
    pub inputs: Vec<PathBuf>,
    pub kind: Option<SourceKind>,
    pub encoding: Option<String>,
    /// Abort with nothing written when any file cannot be read.
    pub strict: bool,
}

impl IngestRequest {
    fn inputs(&self, ws: &Workspace) -> Vec<PathBuf> {
        if self.inputs.is_empty() {
            vec![ws.inbox()]
        } else {
            self.inputs.clone()
        }
    }
}

/// Ingests into the folder's warehouse (one transaction; see `ingest::pipeline`).
pub fn ingest(
    ws: &mut Workspace,
    request: &IngestRequest,
    progress: &dyn ingest::Progress,
) -> Result<IngestReport> {
    // The ingest opens the warehouse for writing: no connection of ours may hold it.
    ws.close_warehouse();
    let opts = ingest::IngestOptions {
        workdir: ws.dir().to_path_buf(),
        store: None,
        inputs: request.inputs(ws),
        kind: request.kind,
        encoding: request.encoding.clone(),
        strict: request.strict,
        hash_memo: Some(crate::cache::hash_memo(ws.dir())),
    };
    let before =
        ingest::file_stamp::FileStamp::of(&ws.dir().join(ingest::warehouse::QUARANTINE_FILE));
    let report = ingest::ingest(&opts, ws.config(), progress)?;
    crate::cache::remember_ingested_quarantine(ws.dir(), &report.quarantine_csv, before);
    Ok(report)
}

/// One community's failing rows, counted per check, and its file under
/// `quality_by_community/`.
#[derive(Debug, Clone, Serialize)]
pub struct CommunityQuality {
    /// `区县/街道/社区`, the text the row gave, or 社区不明 (see `FailingRow::owner`).
    pub owner: String,
    /// Failing rows per check, in the order of [`CHECKS`].
    pub counts: Vec<i64>,
    pub total: i64,
    /// Its CSV's name under `quality_by_community/` (names that clash as file names get a `_`
    /// added, so it is only known from the writer).
    pub file_name: String,
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// The checks of a period and the files written for them.
#[derive(Debug, Clone)]
pub struct QualityFiles {
    pub report: QualityReport,
    /// What was ingested: every file and sheet, and the quarantine by reason.
    pub summary: QualitySummary,
    /// Communities with failing rows, by owner (`区县/街道/社区`, as text).
    pub communities: Vec<CommunityQuality>,
    /// quality.html, quality.csv, quality_rows.csv and the per-community folder.
    pub written: Vec<PathBuf>,
}

/// Runs every check on `conn` for `period` and writes the quality files into `out`.
pub fn write_quality_files(
    conn: &duckdb::Connection,
    period: &Period,
    config: &domain::Config,
    out: &Path,
) -> Result<QualityFiles> {
    let today = chrono::Local::now().date_naive();
    let failed = |e: &dyn std::fmt::Display| WorkdirError::Write {
        path: out.display().to_string(),
        detail: e.to_string(),
    };
    let mut writer = reports::quality::QualityWriter::create(out).map_err(|e| failed(&e))?;
    let mut per_owner: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    let mut on_row = |row: FailingRow| -> std::result::Result<(), String> {
        *per_owner
            .entry(row.owner())
            .or_default()
            .entry(row.check)
            .or_default() += 1;
        writer.row(&row).map_err(|e| e.to_string())
    };
    let report =
        transforms::quality::run_checks_with_rows(conn, period, today, config, Some(&mut on_row))?;
    let summary = {
        let _t = tracing::info_span!("checks.summary").entered();
        ingest::warehouse::quality_summary(conn)?
    };
    let files = writer.community_files();
    let written = {
        let _t = tracing::info_span!("checks.finish_files").entered();
        writer
            .finish(&report, &summary, &config.city.name)
            .map_err(|e| failed(&e))?
    };
    let by_community = out.join(reports::quality::BY_COMMUNITY_DIR);
    let communities: Vec<CommunityQuality> = per_owner
        .into_iter()
        .map(|(owner, counts)| {
            let file_name = files.get(&owner).cloned().unwrap_or_default();
            let file = by_community.join(&file_name);
            CommunityQuality {
                counts: CHECKS
                    .iter()
                    .map(|c| counts.get(c.id).copied().unwrap_or(0))
                    .collect(),
                total: counts.values().sum(),
                file: (!file_name.is_empty() && file.exists()).then_some(file),
                file_name,
                owner,
            }
        })
        .collect();
    Ok(QualityFiles {
        report,
        summary,
        communities,
        written,
    })
}

/// What `vbrief check` asks for.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// The files to check (empty: the inbox), read as the ingest would read them.
    pub files: IngestRequest,
    pub period: Option<String>,
    /// Default: `DIR/out/quality`.
    pub out: Option<PathBuf>,
}

/// What a check found.
pub struct CheckOutcome {
    /// The ingest into the scratch copy (None when no files were given and the warehouse's own
    /// data was checked).
    pub ingested: Option<IngestReport>,
    /// The checks and their files (None when nothing could be ingested and there was no
    /// warehouse to check).
    pub quality: Option<QualityFiles>,
}

/// The checks on the warehouse as it would be after ingesting `request.files`: the files go
/// into a scratch copy of the warehouse (with the same key, so persons match the ones already
/// there), never into the folder's own.
pub fn check(
    ws: &Workspace,
    request: &CheckRequest,
    progress: &dyn ingest::Progress,
) -> Result<CheckOutcome> {
    let scratch = tempfile::Builder::new()
        .prefix("vbrief-check")
        .tempdir()
        .map_err(|e| WorkdirError::Write {
            path: std::env::temp_dir().display().to_string(),
            detail: e.to_string(),
        })?;
    let warehouse = ws.warehouse_path();
    if warehouse.exists() {
        scratch_copy(ws, scratch.path())?;
    }
    let inputs = request.files.inputs(ws);
    let ingested = if ingest::pipeline::expand_inputs(&inputs).is_empty() && warehouse.exists() {
        None
    } else {
        let opts = ingest::IngestOptions {
            workdir: ws.dir().to_path_buf(),
            store: Some(scratch.path().to_path_buf()),
            inputs,
            kind: request.files.kind,
            encoding: request.files.encoding.clone(),
            strict: false,
            // The folder is never changed, its cache included.
            hash_memo: None,
        };
        Some(ingest::ingest(&opts, ws.config(), progress)?)
    };
    if ingested.as_ref().is_some_and(|r| !r.warehouse.exists()) {
        return Ok(CheckOutcome {
            ingested,
            quality: None,
        });
    }
    let conn = ingest::warehouse::open(&scratch.path().join(WAREHOUSE_FILE))?;
    let period = crate::resolve_period(&conn, request.period.as_deref())?;
    let out = request.out.clone().unwrap_or_else(|| ws.quality_out());
    let quality = write_quality_files(&conn, &period, ws.config(), &out)?;
    Ok(CheckOutcome {
        ingested,
        quality: Some(quality),
    })
}

/// Copies the warehouse (with its write-ahead log) and its key into `scratch`.
fn scratch_copy(ws: &Workspace, scratch: &Path) -> Result<()> {
    let copy = |from: &Path, to: PathBuf| {
        std::fs::copy(from, &to)
            .map(|_| ())
            .map_err(|e| WorkdirError::Write {
                path: to.display().to_string(),
                detail: format!("cannot copy {}: {e}", from.display()),
            })
    };
    let warehouse = ws.warehouse_path();
    copy(&warehouse, scratch.join(WAREHOUSE_FILE))?;
    let wal = warehouse.with_extension("duckdb.wal");
    if wal.exists() {
        copy(&wal, scratch.join(format!("{WAREHOUSE_FILE}.wal")))?;
    }
    if std::env::var_os(KEY_ENV).is_none() {
        let key = ws.key_path();
        if !key.exists() {
            return Err(ingest::identity::KeyError::MissingForWarehouse { warehouse, key }.into());
        }
        copy(&key, scratch.join(KEY_FILE))?;
    }
    Ok(())
}
