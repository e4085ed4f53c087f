//! Phase timings for profiling. Each phase of a run is a `tracing` span (`ingest.load`,
//! `ingest.merge`, `checks`, `indicators`, `report.pdf`, …); with `VBRIEF_TIMINGS=1` in the
//! environment this subscriber prints `[timing] <phase> <seconds>` to stderr as each one ends
//! (`bench/run.sh` collects these lines). Without it no subscriber is installed and a span costs
//! a check of an atomic.

use std::fmt::{self, Write as _};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The environment variable that turns timings on (any value but `0`).
pub const TIMINGS_ENV: &str = "VBRIEF_TIMINGS";

/// Installs the timing subscriber when [`TIMINGS_ENV`] asks for it.
pub fn init_from_env() {
    if std::env::var_os(TIMINGS_ENV).is_some_and(|v| v != "0") {
        let subscriber = tracing_subscriber::registry().with(PhaseTimings);
        // Only fails when a subscriber is already set, which then keeps its place.
        let _ = tracing::subscriber::set_global_default(subscriber);
    }
}

/// Prints each span's duration when it closes. The phase's label is the span's name, then
/// `.part` and ` file` when the span has those fields: `ingest.merge.volunteers`,
/// `ingest.load 志愿者.xlsx [Sheet1]`.
pub struct PhaseTimings;

struct Started {
    label: String,
    at: Instant,
}

struct Label<'a>(&'a mut String);

impl Visit for Label<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let sep = if field.name() == "part" { '.' } else { ' ' };
        let _ = write!(self.0, "{sep}{value:?}");
    }
}

/// The crates whose spans are phases. The libraries below them (the Spark client's gRPC and
/// HTTP/2 stack) have spans of their own, one per network frame: not phases, and noise.
const OURS: [&str; 8] = [
    "vbrief",
    "ingest",
    "transforms",
    "reports",
    "workdir",
    "server",
    "domain",
    "sample_gen",
];

fn is_ours(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    OURS.contains(&krate)
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PhaseTimings {
    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if is_ours(metadata.target()) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        is_ours(metadata.target())
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut label = attrs.metadata().name().to_string();
        attrs.record(&mut Label(&mut label));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Started {
                label,
                at: Instant::now(),
            });
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            if let Some(started) = span.extensions().get::<Started>() {
                eprintln!(
                    "[timing] {} {:.3}",
                    started.label,
                    started.at.elapsed().as_secs_f64()
                );
            }
        }
    }
}
