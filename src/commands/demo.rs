//! `vbrief demo [DIR]`: the whole pipeline on the bundled sample data.

use std::path::{Path, PathBuf};

use anyhow::Context;

use sample_gen::{generate, GenSpec};

use crate::steps::ingest_then_report;
use workdir::{init_dir, Workspace, CONFIG_FILE, INBOX};

/// The sample data committed with the source (regenerate with `vbrief gen --out sample-data`).
fn bundled_samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    dir.join("manifest.json").exists().then_some(dir)
}

pub fn run(dir: &Path) -> anyhow::Result<u8> {
    init_dir(dir, false)?;
    let inbox = dir.join(INBOX);
    match bundled_samples() {
        Some(samples) => {
            for entry in std::fs::read_dir(&samples)? {
                let path = entry?.path();
                let name = path
                    .file_name()
                    .map(|n| n.to_os_string())
                    .unwrap_or_default();
                let is_data = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| ["xlsx", "xls", "csv"].contains(&e));
                if is_data {
                    std::fs::copy(&path, inbox.join(&name)).with_context(|| {
                        format!("cannot copy {} to {}", path.display(), inbox.display())
                    })?;
                }
            }
            std::fs::copy(samples.join(CONFIG_FILE), dir.join(CONFIG_FILE))
                .with_context(|| format!("cannot write {}", dir.join(CONFIG_FILE).display()))?;
            println!(
                "示例数据 sample data: {} → {}",
                samples.display(),
                inbox.display()
            );
        }
        None => {
            // An installed binary without the source tree: generate the same sample.
            let tmp = dir.join(".sample");
            generate(&GenSpec::sample(), &tmp)?;
            for entry in std::fs::read_dir(&tmp)? {
                let path = entry?.path();
                let name = path
                    .file_name()
                    .map(|n| n.to_os_string())
                    .unwrap_or_default();
                if name == CONFIG_FILE {
                    std::fs::rename(&path, dir.join(CONFIG_FILE))?;
                } else if name != "manifest.json" {
                    std::fs::rename(&path, inbox.join(&name))?;
                }
            }
            std::fs::remove_dir_all(&tmp).ok();
            println!(
                "示例数据已生成 sample data generated into {}",
                inbox.display()
            );
        }
    }
    let report = crate::cli::ReportArgs {
        period: None,
        district: None,
        out: None,
        issue: None,
        date: None,
        pdf_a: false,
        font: Vec::new(),
    };
    let mut ws = Workspace::open(dir)?;
    ingest_then_report(&mut ws, &report)
}
