//! What the file system says of a file that changes whenever its content may have changed:
//! to know a file unchanged without reading it (an export already ingested, an output already
//! written).
//!
//! The stamp is the device, inode, size and the modification and status-change times. The
//! status-change time (ctime) is set by the kernel on every write, rename or copy and cannot be
//! set back by any program, so a file copied over another, its times preserved (`cp -p`,
//! `rsync -t`), still gets a new stamp. A stamp is only trusted once it has *settled*: both
//! times are a little older than the moment it is taken, so that a write landing in the same
//! clock tick as an earlier look cannot go unseen (git's "racy" files). Where the platform gives
//! no status-change time there is no stamp, and everything is read again.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// How much older than "now" both times must be for a stamp to be trusted later.
const SETTLE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified_ns: i64,
    changed_ns: i64,
}

impl FileStamp {
    /// The stamp of `path` as it is now, or `None` (no such file, or no status-change time on
    /// this platform).
    #[cfg(unix)]
    pub fn of(path: &Path) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            changed_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_path: &Path) -> Option<FileStamp> {
        None
    }

    /// Whether both times are at least [`SETTLE`] before `now`: only then may the stamp stand
    /// for the content later (a write after it is taken gives a later ctime).
    pub fn settled_at(&self, now: SystemTime) -> bool {
        let Ok(now) = now.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = now.saturating_sub(SETTLE).as_nanos() as i64;
        self.modified_ns <= limit && self.changed_ns <= limit
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A scratch folder holding `a.csv` with `text`.
    fn written(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_rewrite_with_the_same_size_and_times_gets_a_new_stamp() {
        let (_dir, path) = written("姓名,身份证号\n");
        let first = FileStamp::of(&path).unwrap();
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        // Same length, the old modification time put back: only the ctime tells.
        std::fs::write(&path, "姓名,证件号码\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let second = FileStamp::of(&path).unwrap();
        assert_eq!(first.len, second.len);
        assert_ne!(first, second);
        assert_eq!(second, FileStamp::of(&path).unwrap());
    }

    #[test]
    fn a_stamp_settles_two_seconds_after_the_last_change() {
        let (_dir, path) = written("x");
        let stamp = FileStamp::of(&path).unwrap();
        let now = SystemTime::now();
        assert!(!stamp.settled_at(now));
        assert!(stamp.settled_at(now + Duration::from_secs(3)));
    }
}
