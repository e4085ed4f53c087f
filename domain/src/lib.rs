//! The vocabulary every vbrief crate shares: `vbrief.toml` ([`Config`]) and its validation, the
//! kinds of source and their canonical fields with header synonyms ([`SourceKind`], [`kind::Field`]),
//! quality-check ids and thresholds, star thresholds and categories (all in [`config`]), how
//! communities and their paths are named ([`community`]), text normalization ([`text`]), and the
//! quality summary reports are given ([`quality`]).
//!
//! It knows no DuckDB and does no I/O beyond reading the config file: ingest, transforms, reports
//! and the CLI all stand on it, and it stands on nothing of theirs.

pub mod community;
pub mod config;
pub mod kind;
pub mod quality;
pub mod text;

pub use config::Config;
pub use kind::SourceKind;

/// `file [sheet]`, or just `file` for a csv (whose one sheet has no name): how a sheet is named
/// in summaries, progress and reports.
pub fn sheet_label(file: &str, sheet: &str) -> String {
    if sheet.is_empty() {
        file.to_string()
    } else {
        format!("{file} [{sheet}]")
    }
}
