//! Indicator computation on the vbrief warehouse. The indicator SQL lives in `sql/` as plain
//! files an analyst can read; this crate runs it for a [`period::Period`].

pub mod period;

pub use period::{Period, PeriodError};
