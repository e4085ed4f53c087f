//! A file's content hash (blake3): how an export already ingested is recognized, whatever its
//! name. Hashes are remembered by the file's [`FileStamp`] in a small memo file, so that a run
//! with nothing new does not read every export again to find that out (a city's inbox is ~0.5 GB).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::file_stamp::FileStamp;
use crate::reader::ReadError;

/// The hashes of one run, and those remembered from the last.
pub struct ContentHashes {
    memo: Option<PathBuf>,
    /// What the memo held when this run began.
    remembered: HashMap<PathBuf, Remembered>,
    /// What it will hold: the remembered entries, each file this run looks at replaced by
    /// what the run found (or forgotten when it changed or has not settled).
    next: HashMap<PathBuf, Remembered>,
    started: SystemTime,
}

/// A file's hash as [`ContentHashes::look_up`] found it: read, with the stamp to remember it by
/// (none when the file changed while it was read or had not settled), or as the memo gave it.
#[derive(Debug, Clone)]
pub struct HashRead {
    pub hash: String,
    stamp: Option<FileStamp>,
    from_memo: bool,
}

impl HashRead {
    /// A hash the memo gave: [`ContentHashes::keep`] leaves its entry as it is.
    pub(crate) fn remembered(hash: String) -> HashRead {
        HashRead {
            hash,
            stamp: None,
            from_memo: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Remembered {
    stamp: FileStamp,
    hash: String,
}

#[derive(Serialize, Deserialize)]
struct MemoEntry {
    path: PathBuf,
    #[serde(flatten)]
    remembered: Remembered,
}

impl ContentHashes {
    /// Hashes remembered in `memo` (none when it is `None`, missing or unreadable: then every
    /// file is read).
    pub fn open(memo: Option<&Path>) -> ContentHashes {
        let remembered: HashMap<PathBuf, Remembered> = memo
            .and_then(|m| std::fs::read(m).ok())
            .and_then(|text| serde_json::from_slice::<Vec<MemoEntry>>(&text).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.path, e.remembered))
            .collect();
        ContentHashes {
            memo: memo.map(Path::to_path_buf),
            next: remembered.clone(),
            remembered,
            started: SystemTime::now(),
        }
    }

    /// The hash of `path`'s content: remembered when the file's stamp is the one it had when
    /// it was read, else read now. On any thread: [`ContentHashes::keep`] then records it.
    pub fn look_up(&self, path: &Path) -> Result<HashRead, ReadError> {
        match self.remembered(path) {
            Some(hash) => Ok(HashRead::remembered(hash)),
            None => self.read(path),
        }
    }

    /// The memo's hash of `path`, when the file's stamp is the one it had when it was read.
    fn remembered(&self, path: &Path) -> Option<String> {
        let stamp = FileStamp::of(path)?;
        self.next
            .get(path)
            .filter(|r| r.stamp == stamp)
            .map(|r| r.hash.clone())
    }

    /// Reads `path` for its hash.
    fn read(&self, path: &Path) -> Result<HashRead, ReadError> {
        let before = FileStamp::of(path);
        let hash = file_hash(path)?;
        // Remembered only when the file did not change while it was read, and its stamp had
        // settled before this run began.
        let stamp = before.filter(|stamp| {
            FileStamp::of(path).as_ref() == Some(stamp) && stamp.settled_at(self.started)
        });
        Ok(HashRead {
            hash,
            stamp,
            from_memo: false,
        })
    }

    /// Records a hash [`ContentHashes::look_up`] found for the memo (a file that could not be
    /// read, `None`, is forgotten; one the memo gave stays as it is).
    pub fn keep(&mut self, path: &Path, read: Option<&HashRead>) {
        if read.is_some_and(|r| r.from_memo) {
            return;
        }
        match read.and_then(|r| Some((r.stamp.clone()?, r.hash.clone()))) {
            Some((stamp, hash)) => {
                self.next
                    .insert(path.to_path_buf(), Remembered { stamp, hash });
            }
            None => {
                self.next.remove(path);
            }
        }
    }

    /// Writes the memo: the files of this run, and those remembered from earlier runs that
    /// this one did not look at and that still exist (an import of one uploaded file keeps
    /// the inbox's entries). A memo that cannot be written is no error: the next run reads
    /// the files.
    pub fn save(mut self) {
        let Some(memo) = &self.memo else { return };
        self.next.retain(|path, _| path.exists());
        if self.next == self.remembered {
            return;
        }
        let mut entries: Vec<MemoEntry> = self
            .next
            .into_iter()
            .map(|(path, remembered)| MemoEntry { path, remembered })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let Ok(text) = serde_json::to_vec(&entries) else {
            return;
        };
        if let Some(dir) = memo.parent() {
            if std::fs::create_dir_all(dir).is_err() {
                return;
            }
        }
        let tmp = memo.with_extension("tmp");
        if std::fs::write(&tmp, text).is_ok() {
            std::fs::rename(&tmp, memo).ok();
        }
    }
}

/// The blake3 hash of a file's content, read in 1 MiB blocks (the inbox's content hash, and
/// the report's record of the files it wrote).
pub fn file_hash(path: &Path) -> Result<String, ReadError> {
    let mut file = std::fs::File::open(path).map_err(|e| {
        ReadError::Open(match e.kind() {
            std::io::ErrorKind::NotFound => "文件不存在 (no such file)".into(),
            _ => e.to_string(),
        })
    })?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| ReadError::Open(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    impl ContentHashes {
        /// What a run does with one file: looked up, then recorded.
        fn hash(&mut self, path: &Path) -> Result<String, ReadError> {
            let found = self.look_up(path);
            self.keep(path, found.as_ref().ok());
            found.map(|r| r.hash)
        }
    }

    /// The memo as a run starting 5 s from now sees it: the files just written have settled.
    fn hashes_later(memo: &Path) -> ContentHashes {
        let mut h = ContentHashes::open(Some(memo));
        h.started = SystemTime::now() + Duration::from_secs(5);
        h
    }

    /// A scratch folder, its memo's path, and the files written into it.
    fn folder<const N: usize>(
        files: [(&str, &str); N],
    ) -> (tempfile::TempDir, PathBuf, [PathBuf; N]) {
        let dir = tempfile::tempdir().unwrap();
        let memo = dir.path().join("cache/hashes.json");
        let paths = files.map(|(name, text)| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        });
        (dir, memo, paths)
    }

    #[test]
    fn an_unchanged_file_is_not_read_again_and_a_changed_one_is() {
        let (_dir, memo, [export]) = folder([("records.csv", "a,b\n1,2\n")]);
        let first = {
            let mut h = hashes_later(&memo);
            let hash = h.hash(&export).unwrap();
            h.save();
            hash
        };
        assert!(memo.exists());
        // Remembered: the memo's hash is given back without reading (proved by a memo whose
        // hash was altered).
        let text = std::fs::read_to_string(&memo).unwrap();
        std::fs::write(&memo, text.replace(&first, "remembered")).unwrap();
        let mut h = hashes_later(&memo);
        assert_eq!(h.hash(&export).unwrap(), "remembered");
        // A new content of the same size (a clock tick later): read again.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&export, "a,b\n3,4\n").unwrap();
        let mut h = hashes_later(&memo);
        let third = h.hash(&export).unwrap();
        assert_ne!(third, "remembered");
        assert_eq!(third, file_hash(&export).unwrap());
    }

    #[test]
    fn a_run_that_looks_at_other_files_keeps_what_was_remembered() {
        let (_dir, memo, [inbox, upload]) =
            folder([("inbox.csv", "a\n1\n"), ("upload.csv", "a\n2\n")]);
        let mut h = hashes_later(&memo);
        h.hash(&inbox).unwrap();
        h.save();
        let mut h = hashes_later(&memo);
        h.hash(&upload).unwrap();
        h.save();
        let remembered = ContentHashes::open(Some(&memo)).remembered;
        assert!(remembered.contains_key(&inbox) && remembered.contains_key(&upload));
        // A file gone is forgotten.
        std::fs::remove_file(&upload).unwrap();
        let mut h = hashes_later(&memo);
        h.hash(&inbox).unwrap();
        h.save();
        let remembered = ContentHashes::open(Some(&memo)).remembered;
        assert_eq!(remembered.keys().collect::<Vec<_>>(), [&inbox]);
    }

    #[test]
    fn a_file_changed_just_before_the_run_is_not_remembered() {
        let (_dir, memo, [export]) = folder([("records.csv", "a,b\n")]);
        let mut h = ContentHashes::open(Some(&memo));
        h.hash(&export).unwrap();
        h.save();
        assert!(!memo.exists(), "an unsettled stamp is not written down");
    }
}
