//! Indicator computation on the vbrief warehouse. The definitions are plain SQL files in
//! `transforms/sql/` (one per indicator family, each opening with what it counts); this crate
//! sets the period and targets, runs them, and returns typed rows.

pub mod dataset;
pub mod engine;
pub mod explain;
pub mod indicators;
pub mod period;
pub mod progress;
pub mod quality;
pub mod results;
pub mod screening;
#[cfg(feature = "spark")]
pub mod spark;
pub mod star_list;
pub mod status;

pub use engine::{Dialect, Engine, EngineError};
pub use indicators::{
    compute, compute_reusing, compute_with_star_list, default_period, IndicatorError, IndicatorRow,
    Indicators, SQL_FILES,
};
pub use period::{Period, PeriodError};
pub use quality::{run_checks, run_checks_reusing, CheckStatus, QualityReport};
