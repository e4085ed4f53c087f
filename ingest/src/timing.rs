//! Phase timings for profiling: with `VBRIEF_TIMINGS=1` in the environment, each timed phase
//! prints `[timing] <phase> <seconds>` to stderr when it ends (bench/run.sh collects them).
//! Without it, a phase costs one environment lookup.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("VBRIEF_TIMINGS").is_some_and(|v| v != "0"))
}

/// A running phase; prints its duration when dropped.
pub struct Phase {
    label: String,
    start: Option<Instant>,
}

/// Starts timing a phase named by `label` (only built when timings are on).
pub fn phase(label: impl FnOnce() -> String) -> Phase {
    if enabled() {
        Phase {
            label: label(),
            start: Some(Instant::now()),
        }
    } else {
        Phase {
            label: String::new(),
            start: None,
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            eprintln!(
                "[timing] {} {:.3}",
                self.label,
                start.elapsed().as_secs_f64()
            );
        }
    }
}
