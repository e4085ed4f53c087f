//! Exit codes (documented in the README and in `vbrief --help`).

/// Success.
pub const OK: u8 = 0;
/// Failed; the warehouse was not changed.
pub const FAILED: u8 = 1;
// 2 = usage error: clap exits with it before any command runs.
/// Partial: some files could not be read; the rest was loaded.
pub const PARTIAL: u8 = 3;
/// `vbrief check`: every file was read, and at least one check failed its threshold.
pub const CHECK_FAILED: u8 = 4;
