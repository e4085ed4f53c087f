//! Uploads that were not imported, kept so that a staff member can map their columns and import
//! the same file again without uploading it twice. They hold ID and phone numbers in the clear,
//! so they are kept only until they are imported, discarded, or [`RETENTION`] old; expired ones
//! and any upload no job knows about (left by a crash or a kill) are deleted when the server
//! starts and every few minutes while it runs.
//!
//! The registry is `inbox/uploads/pending.json`: stored name → when, the client's name, why it
//! was refused, and what its headers could be. Nothing in it is personal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::upload::{upload_dir, NAMES_FILE};

/// How long a refused upload is kept.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
const REGISTRY: &str = "pending.json";

/// A refused upload kept for another try.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// Seconds since 1970 when it was refused (first or last time).
    pub since: u64,
    /// The name the client gave it (display text only).
    pub name: String,
    /// Why it was not imported.
    pub reason: String,
    /// The kind it looks like and its headers, when it lacked columns.
    pub mapping: Option<Mapping>,
}

/// `ingest::MappingHelp`, as kept in the registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mapping {
    pub kind: String,
    pub sheet: String,
    /// (header, field it maps to, field suggested).
    pub headers: Vec<(String, Option<String>, Option<String>)>,
    pub missing: Vec<String>,
}

impl From<&ingest::MappingHelp> for Mapping {
    fn from(help: &ingest::MappingHelp) -> Mapping {
        Mapping {
            kind: help.kind.to_string(),
            sheet: help.sheet.clone(),
            headers: help
                .headers
                .iter()
                .map(|h| {
                    (
                        h.header.clone(),
                        h.mapped.map(String::from),
                        h.suggested.map(String::from),
                    )
                })
                .collect(),
            missing: help.missing.clone(),
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The kept uploads, by stored name.
pub fn load(workdir: &Path) -> BTreeMap<String, Pending> {
    std::fs::read(upload_dir(workdir).join(REGISTRY))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save(workdir: &Path, all: &BTreeMap<String, Pending>) {
    let dir = upload_dir(workdir);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if let Ok(json) = serde_json::to_vec_pretty(all) {
        let tmp = dir.join(format!("{REGISTRY}.tmp"));
        if std::fs::write(&tmp, json).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(REGISTRY));
        }
    }
}

/// Keeps `stored` for another try (replacing what was known of it).
pub fn keep(workdir: &Path, stored: &str, pending: Pending) {
    let mut all = load(workdir);
    all.insert(stored.to_string(), pending);
    save(workdir, &all);
}

/// Forgets `stored` and deletes its file (imported, discarded or expired).
pub fn discard(workdir: &Path, stored: &str) {
    let mut all = load(workdir);
    all.remove(stored);
    save(workdir, &all);
    let _ = std::fs::remove_file(upload_dir(workdir).join(stored));
}

/// The file of a kept upload, if it is kept and still there.
pub fn file(workdir: &Path, stored: &str) -> Option<PathBuf> {
    let path = upload_dir(workdir).join(stored);
    (load(workdir).contains_key(stored) && path.is_file()).then_some(path)
}

/// How long the sweep of a running server leaves an upload file nobody keeps alone: an
/// upload still arriving has stored its first files before its job exists, and must not lose
/// them. At start-up no upload is arriving, and the grace is zero.
pub const UNCLAIMED_GRACE: Duration = Duration::from_secs(3600);

/// Deletes expired uploads, and every upload file that is neither kept, nor in `in_use` (the
/// files of queued or running jobs), nor written within `grace` (an upload in progress).
/// Returns how many files were deleted.
pub fn sweep(workdir: &Path, in_use: &[PathBuf], grace: Duration) -> usize {
    let dir = upload_dir(workdir);
    let mut all = load(workdir);
    let cutoff = now().saturating_sub(RETENTION.as_secs());
    let expired: Vec<String> = all
        .iter()
        .filter(|(_, p)| p.since < cutoff)
        .map(|(name, _)| name.clone())
        .collect();
    all.retain(|_, p| p.since >= cutoff);
    save(workdir, &all);
    let mut deleted = 0;
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let ours = name == REGISTRY || name == NAMES_FILE || name.ends_with(".tmp");
        if ours || all.contains_key(&name) || in_use.contains(&path) || !path.is_file() {
            continue;
        }
        let recent = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_none_or(|age| age < grace);
        if recent && !expired.contains(&name) {
            continue;
        }
        if std::fs::remove_file(&path).is_ok() {
            deleted += 1;
        }
    }
    deleted
}

/// A refused upload's entry, with the current time.
pub fn refused(name: &str, reason: &str, mapping: Option<&ingest::MappingHelp>) -> Pending {
    Pending {
        since: now(),
        name: name.to_string(),
        reason: reason.to_string(),
        mapping: mapping.map(Mapping::from),
    }
}

/// A refusal's reason as the web app shows it beside its mapping form: the lines up to the
/// advice to edit vbrief.toml (the form does that, in the browser).
pub fn without_config_advice(reason: &str) -> String {
    reason
        .lines()
        .take_while(|l| !l.contains("vbrief.toml"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Hours and minutes left before `p` is deleted, as a phrase.
pub fn time_left(p: &Pending) -> String {
    let left = (p.since + RETENTION.as_secs()).saturating_sub(now());
    format!("{} 小时 {} 分钟后自动删除", left / 3600, left % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_leaves_out_the_advice_to_edit_the_config() {
        let reason = "看起来是人口台账，但缺少必需的列: 所属社区\n找到的表头: 区县\n若下列对应关系正确，请把它们加入 vbrief.toml 后重新导入:\n[headers.communities]\n\"区县\" = \"district\"";
        let shown = without_config_advice(reason);
        assert_eq!(
            shown,
            "看起来是人口台账，但缺少必需的列: 所属社区\n找到的表头: 区县"
        );
    }

    #[test]
    fn sweep_keeps_what_is_pending_and_in_use_and_deletes_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = upload_dir(dir.path());
        std::fs::create_dir_all(&uploads).unwrap();
        for name in [
            "kept.csv",
            "old.csv",
            "orphan.csv",
            "busy.csv",
            "arriving.csv",
        ] {
            std::fs::write(uploads.join(name), "x").unwrap();
        }
        // Left by an upload two hours ago whose job never came (the server stopped); the
        // other files were just written.
        let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
        for name in ["orphan.csv", "busy.csv"] {
            let file = std::fs::File::options()
                .write(true)
                .open(uploads.join(name))
                .unwrap();
            file.set_modified(two_hours_ago).unwrap();
        }
        keep(dir.path(), "kept.csv", refused("a.csv", "缺列", None));
        let mut old = refused("b.csv", "缺列", None);
        old.since -= RETENTION.as_secs() + 1;
        keep(dir.path(), "old.csv", old);
        let deleted = sweep(dir.path(), &[uploads.join("busy.csv")], UNCLAIMED_GRACE);
        assert_eq!(deleted, 2);
        assert!(uploads.join("kept.csv").exists());
        assert!(uploads.join("busy.csv").exists());
        assert!(!uploads.join("old.csv").exists());
        assert!(!uploads.join("orphan.csv").exists());
        // A file of an upload still arriving (no job yet) stays.
        assert!(uploads.join("arriving.csv").exists());
        assert_eq!(load(dir.path()).len(), 1);
        assert!(file(dir.path(), "kept.csv").is_some());
        // At start-up (no grace) the file of an upload that never got its job goes too.
        assert_eq!(sweep(dir.path(), &[], Duration::ZERO), 2);
        assert!(!uploads.join("arriving.csv").exists());
        assert!(!uploads.join("busy.csv").exists());
        discard(dir.path(), "kept.csv");
        assert!(file(dir.path(), "kept.csv").is_none());
        assert!(!uploads.join("kept.csv").exists());
    }
}
