//! The screening of padded hours of a working folder (`vbrief screen`, the web app's 核查
//! page): the rules of `transforms::screening` for a period, from the result cache when the
//! warehouse and settings are unchanged, and `screening.html` / `screening.xlsx` written.

use std::path::PathBuf;

use transforms::screening::Screening;
use transforms::Period;

use crate::report::Source;
use crate::workspace::Workspace;
use crate::{Result, WorkdirError};

/// What to screen, as the command line or the web page gave it.
#[derive(Debug, Clone, Default)]
pub struct ScreenRequest {
    /// As `--period` takes it; None: the last full year in the data.
    pub period: Option<String>,
    /// One district's communities.
    pub district: Option<String>,
    /// Default: `DIR/out/screening/<period>[-<district>]`.
    pub out: Option<PathBuf>,
}

/// What a screening wrote.
pub struct ScreenOutcome {
    pub screening: Screening,
    pub model: reports::screening::ScreeningModel,
    pub out: PathBuf,
    pub written: Vec<PathBuf>,
}

/// The screening of `period`, from the cache when it can (see [`crate::cache`]).
pub fn cached_screening(ws: &Workspace, period: &Period) -> Result<Screening> {
    crate::report::cached(
        ws,
        &format!("screening-{}", period.label()),
        |conn, config| Ok(transforms::screening::screen(conn, period, config)?),
    )
}

/// The district's name as the ledger writes it, or an error listing the districts.
pub fn district_named(s: &Screening, wanted: &str) -> Result<String> {
    let stem = domain::community::area_stem(wanted);
    let mut known: Vec<String> = s.communities.iter().map(|c| c.district.clone()).collect();
    known.dedup();
    known
        .iter()
        .find(|d| domain::community::area_stem(d) == stem)
        .cloned()
        .ok_or_else(|| WorkdirError::NoDistrict {
            wanted: wanted.to_string(),
            known: known.join("、"),
        })
}

/// Screens the period and writes screening.html and screening.xlsx.
pub fn write_screening(ws: &Workspace, request: &ScreenRequest) -> Result<ScreenOutcome> {
    write_screening_from(Source::Workspace(ws), request)
}

/// The same, with the rules run by `source`: the folder's warehouse (cached), or an engine
/// over an export (DuckDB or Spark).
pub fn write_screening_from(source: Source, request: &ScreenRequest) -> Result<ScreenOutcome> {
    let engine = source.engine()?;
    let config = source.config();
    let period = crate::resolve_period(engine, request.period.as_deref())?;
    let screening = {
        let _t = tracing::info_span!("screening").entered();
        match source {
            Source::Workspace(ws) => cached_screening(ws, &period)?,
            Source::Engine { .. } => transforms::screening::screen(engine, &period, config)?,
        }
    };
    let district = match &request.district {
        Some(d) => Some(district_named(&screening, d)?),
        None => None,
    };
    let model = reports::screening::build(&screening, config, district.as_deref());
    let out = request.out.clone().unwrap_or_else(|| {
        let mut name = period.label();
        if let Some(d) = &district {
            name.push('-');
            name.push_str(&crate::report::safe_file_name(d));
        }
        source.dir().join("out").join("screening").join(name)
    });
    let written =
        reports::screening::write(&out, &screening, &model).map_err(|e| WorkdirError::Write {
            path: out.display().to_string(),
            detail: e.to_string(),
        })?;
    Ok(ScreenOutcome {
        screening,
        model,
        out,
        written,
    })
}
