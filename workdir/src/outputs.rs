//! A report's output files remembered with what they were written from, so that the same
//! report asked again with nothing changed leaves them as they are instead of writing them
//! again (a city's star list alone is ~100,000 rows of xlsx).
//!
//! "Nothing changed" is: the same warehouse and settings (the result cache's stamp), the same
//! output folder, period and request (district, issue, date, PDF/A, fonts and their files),
//! the same day (the briefing's default date and the checks' "today"), the same vbrief
//! executable (as it was when this process started), and every file it wrote still there with
//! the size and content hash it had when written (a city's outputs are ~6 MB: hashing them
//! costs milliseconds, and unlike a file's times it cannot miss a rewrite within one clock
//! tick). A file deleted, opened and saved, or replaced since, and every output is written
//! again. Where the platform gives no [`FileStamp`] (not unix), the executable cannot be told
//! apart and every report is written.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use ingest::file_stamp::FileStamp;
use transforms::Period;

use crate::cache::{size_and_hash, ResultCache};
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
    /// Each file, relative to the output folder (which may be named otherwise next time: a
    /// relative and an absolute path, the CLI and the web app), with its size and blake3.
    files: Vec<(PathBuf, u64, String)>,
}

/// The executable's stamp when this process first asked: a binary replaced under a running
/// `vbrief serve` is still the old code until it restarts.
fn executable() -> Option<&'static FileStamp> {
    static EXE: OnceLock<Option<FileStamp>> = OnceLock::new();
    EXE.get_or_init(|| FileStamp::of(&std::env::current_exe().ok()?))
        .as_ref()
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
        add(&format!("{:?}", executable()?));
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

    /// The files written last time (under `out`), when they were written from the same inputs
    /// and every one is still as it was written.
    pub(crate) fn unchanged(&self, out: &Path) -> Option<Vec<PathBuf>> {
        let written: Written = self.cache.get(&self.key)?;
        if written.inputs != self.inputs || written.files.is_empty() {
            return None;
        }
        let files: Vec<PathBuf> = written.files.iter().map(|(p, _, _)| out.join(p)).collect();
        let as_written = files
            .iter()
            .zip(&written.files)
            .all(|(path, (_, len, hash))| {
                // The size first: a file of another size is not read.
                std::fs::metadata(path).is_ok_and(|m| m.len() == *len)
                    && ingest::content_hash::file_hash(path).is_ok_and(|h| &h == hash)
            });
        as_written.then_some(files)
    }

    /// Remembers the files just written into `out` (nothing when one cannot be read back or
    /// is not inside `out`: then the next report writes them again).
    pub(crate) fn remember(&self, out: &Path, files: &[PathBuf]) {
        let contents: Option<Vec<(PathBuf, u64, String)>> = files
            .iter()
            .map(|p| {
                let (len, hash) = size_and_hash(p)?;
                Some((p.strip_prefix(out).ok()?.to_path_buf(), len, hash))
            })
            .collect();
        if let Some(files) = contents {
            let written = Written {
                inputs: self.inputs.clone(),
                files,
            };
            self.cache.put(&self.key, &written);
        }
    }
}
