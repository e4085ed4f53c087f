//! A vbrief working folder and what is done with it, shared by the CLI and the web app: the
//! folder's `vbrief.toml`, key and warehouse ([`Workspace`]), the result cache
//! ([`cache`]), and the operations on it that every front end shares — ingesting and checking
//! ([`check`]), the report with its files ([`report`]), the web app's view of the folder
//! ([`snapshot`]) and the Parquet export ([`export`]). Nothing here prints: the callers say what
//! happened.

pub mod cache;
pub mod check;
pub mod export;
pub mod national;
mod outputs;
pub mod report;
pub mod screen;
pub mod settings;
pub mod snapshot;
pub mod workspace;

pub use check::{check, ingest, CheckOutcome, CheckRequest, IngestRequest, QualityFiles};
pub use report::{
    resolve_period, write_report, write_report_from, ReportOutcome, ReportRequest, Source,
};
pub use workspace::{init_dir, Workspace, CONFIG_FILE, INBOX};

/// What can go wrong in a working folder; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum WorkdirError {
    #[error("工作目录不存在 (working folder not found): {0} — create it with `vbrief init {0}`")]
    NoFolder(String),
    #[error(
        "{0} 中还没有仓库，请先导入 (no warehouse yet: run `vbrief ingest --workdir {0}` first)"
    )]
    NoWarehouse(String),
    #[error("没有区县 '{wanted}' (no such district); 可选 (known): {known}")]
    NoDistrict { wanted: String, known: String },
    #[error("--date '{0}': 请写成 YYYY-MM-DD (use YYYY-MM-DD)")]
    BadDate(String),
    #[error(
        "{0} 已存在且不是空目录，不会覆盖 (already exists and is not empty: choose a new --out)"
    )]
    ExportExists(String),
    #[error(transparent)]
    Key(#[from] ingest::identity::KeyError),
    #[error(transparent)]
    Dataset(#[from] transforms::dataset::DatasetError),
    #[error(transparent)]
    Engine(#[from] transforms::EngineError),
    #[error("cannot write {path}: {detail}")]
    Write { path: String, detail: String },
    #[error(transparent)]
    Config(#[from] domain::config::ConfigError),
    #[error(transparent)]
    Warehouse(#[from] ingest::warehouse::WarehouseError),
    #[error(transparent)]
    Period(#[from] transforms::PeriodError),
    #[error(transparent)]
    Indicators(#[from] transforms::IndicatorError),
    #[error(transparent)]
    Quality(#[from] transforms::quality::QualityError),
    #[error(transparent)]
    Briefing(#[from] reports::BriefingError),
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    #[error("warehouse query failed: {0}")]
    Db(#[from] duckdb::Error),
}

pub type Result<T> = std::result::Result<T, WorkdirError>;
