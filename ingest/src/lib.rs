//! Ingest of 志愿云 exports and community ledgers into the vbrief DuckDB warehouse.
//!
//! The public surface is small: [`pipeline::ingest`] runs a whole ingest; [`config::Config`] is
//! `vbrief.toml`; the parsers in [`parse`] are exposed for tests and fuzzing.

#[cfg(feature = "warehouse")]
pub mod batch;
pub mod community;
pub mod content_hash;
// The shared vocabulary, re-exported under the paths ingest has always used.
pub use domain::{config, kind};
pub mod file_stamp;
pub mod header;
pub mod identity;
pub mod parse;
#[cfg(feature = "warehouse")]
pub mod pipeline;
pub mod reader;
#[cfg(feature = "warehouse")]
pub mod rows;
#[cfg(feature = "warehouse")]
pub mod staged_scan;
#[cfg(feature = "warehouse")]
pub mod warehouse;
pub mod xlsx_direct;

pub use config::Config;
pub use kind::SourceKind;
#[cfg(feature = "warehouse")]
pub use pipeline::{
    ingest, Counts, HeaderChoice, IngestError, IngestOptions, IngestReport, MappingHelp,
    NoProgress, Progress, SheetOutcome, SheetStatus,
};
