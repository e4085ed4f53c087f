//! A report's output files remembered with what they were written from, so that the same
//! report asked again with nothing changed leaves them as they are instead of writing them
//! again (a city's star list alone is ~100,000 rows of xlsx).
//!
//! "Nothing changed" is: the same warehouse and settings (the result cache's stamp), the same
//! output folder, period and request (district, issue, date, PDF/A, fonts and their files),
//! the same day (the briefing's default date and the checks' "today"), the same vbrief
//! executable, and every file it wrote still there with the [`FileStamp`] it had when written.
//! A file deleted, opened and saved, or replaced since, and every output is written again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use ingest::file_stamp::FileStamp;
use transforms::Period;

use crate::cache::ResultCache;
use crate::report::ReportRequest;
use crate::workspace::Workspace;

/// One report's outputs and what they were written from.
pub(crate) struct OutputsRecord {
    cache: ResultCache,
    key: String,
    inputs: String,
}

#[derive(Serialize, Deserialize)]
struct Written {
    inputs: String,
    files: Vec<(PathBuf, FileStamp)>,
}

impl OutputsRecord {
    /// The record for a report into `out`, or `None` when the warehouse has no result cache
    /// (then the report is always written).
    pub(crate) fn for_report(
        ws: &Workspace,
        out: &Path,
        request: &ReportRequest,
        period: &Period,
        today: chrono::NaiveDate,
    ) -> Option<OutputsRecord> {
        let cache = ws.cache()?;
        let out = std::path::absolute(out).ok()?;
        let mut inputs = blake3::Hasher::new();
        let mut add = |part: &str| {
            inputs.update(part.as_bytes());
            inputs.update(&[0]);
        };
        add(&format!("{period:?}"));
        add(&format!(
            "{:?} {:?} {:?} {}",
            request.district, request.issue, request.date, request.pdf_a
        ));
        add(&today.to_string());
        // A font file or the executable replaced by another renders anew.
        for font in &request.fonts {
            add(&format!("{} {:?}", font.display(), FileStamp::of(font)));
        }
        let exe = std::env::current_exe().ok()?;
        add(&format!("{:?}", FileStamp::of(&exe)?));
        let key = format!(
            "outputs-{}",
            &blake3::hash(out.as_os_str().as_encoded_bytes()).to_hex()[..16]
        );
        Some(OutputsRecord {
            cache,
            key,
            inputs: inputs.finalize().to_hex().to_string(),
        })
    }

    /// The files written last time, when they were written from the same inputs and every
    /// one is still as it was written.
    pub(crate) fn unchanged(&self) -> Option<Vec<PathBuf>> {
        let written: Written = self.cache.get(&self.key)?;
        let as_written = written.inputs == self.inputs
            && !written.files.is_empty()
            && written
                .files
                .iter()
                .all(|(path, stamp)| FileStamp::of(path).as_ref() == Some(stamp));
        as_written.then(|| written.files.into_iter().map(|(p, _)| p).collect())
    }

    /// Remembers the files just written (none when a stamp cannot be taken: then the next
    /// report writes them again).
    pub(crate) fn remember(&self, files: &[PathBuf]) {
        let stamps: Option<Vec<(PathBuf, FileStamp)>> = files
            .iter()
            .map(|p| Some((p.clone(), FileStamp::of(p)?)))
            .collect();
        if let Some(files) = stamps {
            let written = Written {
                inputs: self.inputs.clone(),
                files,
            };
            self.cache.put(&self.key, &written);
        }
    }
}
