//! Results of the expensive queries (indicators, data-quality checks, the star list, the
//! year's progress, the screening) kept beside the warehouse, so that running again on unchanged data costs
//! seconds however large the warehouse is.
//!
//! An entry is valid only for the exact warehouse file it was computed from: its size and
//! modification time (any ingest that changes something rewrites the file; one that finds
//! nothing new leaves it untouched), the configuration text, and the SQL and version of this
//! build. Anything else, and the result is computed again. The entries hold aggregates, and
//! the star list's and the screening's masked names and 志愿者编号 (what 星级认定名单.xlsx and
//! screening.xlsx show; never an ID, document or phone number). Beside them: the inbox files'
//! paths with their content hashes (`inbox-hashes.json`, see `ingest::content_hash`) and, per
//! output folder, which files a report wrote there with their hashes (`outputs-*.json`, see
//! `outputs.rs`); and the size and hash of the quarantine.csv an ingest wrote beside the
//! warehouse (`ingested-quarantine-csv.json`), which a report on the same warehouse copies
//! instead of writing it again. Deleting `.vbrief-cache/` is always safe.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The cache folder inside the working folder.
pub const CACHE_DIR: &str = ".vbrief-cache";

/// Where the inbox files' content hashes are remembered (see `ingest::content_hash`).
pub fn hash_memo(workdir: &Path) -> PathBuf {
    workdir.join(CACHE_DIR).join("inbox-hashes.json")
}

pub struct ResultCache {
    dir: PathBuf,
    stamp: String,
}

#[derive(Serialize, serde::Deserialize)]
struct Entry<T> {
    stamp: String,
    value: T,
}

impl ResultCache {
    /// The cache for `warehouse` as it is now, or `None` when it cannot be told apart from a
    /// changed one (no file, a write-ahead log pending, no modification time).
    pub fn for_warehouse(workdir: &Path, warehouse: &Path) -> Option<ResultCache> {
        let meta = std::fs::metadata(warehouse).ok()?;
        if warehouse.with_extension("duckdb.wal").exists() {
            return None;
        }
        let modified = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        let config = std::fs::read(workdir.join(crate::CONFIG_FILE)).unwrap_or_default();
        let mut hasher = blake3::Hasher::new();
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        // Every SQL file whose results are cached: the indicators, the star list, progress.
        let cached_sql = transforms::indicators::SQL_FILES.into_iter().chain([
            transforms::star_list::STAR_LIST_SQL,
            transforms::progress::PROGRESS_SQL,
        ]);
        for (file, sql) in cached_sql {
            hasher.update(file.as_bytes());
            hasher.update(sql.as_bytes());
        }
        hasher.update(transforms::quality::SETUP_SQL.1.as_bytes());
        for check in &transforms::quality::CHECKS {
            hasher.update(check.sql.as_bytes());
        }
        for (file, sql) in transforms::screening::SQL_FILES {
            hasher.update(file.as_bytes());
            hasher.update(sql.as_bytes());
        }
        hasher.update(&meta.len().to_le_bytes());
        hasher.update(&modified.to_le_bytes());
        hasher.update(&config);
        Some(ResultCache {
            dir: workdir.join(CACHE_DIR),
            stamp: hasher.finalize().to_hex().to_string(),
        })
    }

    /// The cache for the warehouse of the working folder `workdir`.
    pub fn for_folder(workdir: &Path) -> Option<ResultCache> {
        ResultCache::for_warehouse(workdir, &workdir.join(ingest::warehouse::WAREHOUSE_FILE))
    }

    /// Whether the warehouse of the working folder `workdir` is still the one this cache is for.
    pub fn still_valid_in(&self, workdir: &Path) -> bool {
        self.still_valid(workdir, &workdir.join(ingest::warehouse::WAREHOUSE_FILE))
    }

    fn path(&self, what: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", reports::quality::file_stem(what)))
    }

    /// Whether the warehouse is still the one this cache is for (checked after computing, so
    /// that a result is never stored under a state it was not computed from).
    pub fn still_valid(&self, workdir: &Path, warehouse: &Path) -> bool {
        ResultCache::for_warehouse(workdir, warehouse).is_some_and(|now| now.stamp == self.stamp)
    }

    /// The value stored under `what` for this warehouse, if any.
    pub fn get<T: DeserializeOwned>(&self, what: &str) -> Option<T> {
        let text = std::fs::read(self.path(what)).ok()?;
        let entry: Entry<T> = serde_json::from_slice(&text).ok()?;
        (entry.stamp == self.stamp).then_some(entry.value)
    }

    /// Stores `value` under `what`. A cache that cannot be written is no error: the next run
    /// computes again.
    pub fn put<T: Serialize>(&self, what: &str, value: &T) {
        let entry = Entry {
            stamp: self.stamp.clone(),
            value,
        };
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.path(what);
        let tmp = path.with_extension("json.tmp");
        if std::fs::write(&tmp, text).is_ok() {
            std::fs::rename(&tmp, &path).ok();
        }
    }
}

/// Under this name: the size and blake3 of the quarantine.csv the last ingest wrote, with the
/// format it was written in.
const INGESTED_QUARANTINE: &str = "ingested-quarantine-csv";

/// What the cache vouches for: a quarantine.csv of this size and blake3, written in `format`.
type IngestedQuarantine = (u64, String, String);

/// The format quarantine.csv is written in: its query and columns (a build that changes them
/// keeps no earlier file).
fn quarantine_format() -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(ingest::warehouse::QUARANTINE_CSV_SQL.as_bytes());
    for column in ingest::warehouse::QUARANTINE_COLUMNS {
        hasher.update(column.as_bytes());
        hasher.update(&[0]);
    }
    hasher.finalize().to_hex().to_string()
}

/// A file's size and blake3, or None when it cannot be read.
pub(crate) fn size_and_hash(path: &Path) -> Option<(u64, String)> {
    let len = std::fs::metadata(path).ok()?.len();
    Some((len, ingest::content_hash::file_hash(path).ok()?))
}

/// After an ingest into the working folder `workdir`: when it wrote `quarantine_csv` (its
/// stamp is not `before`'s), remembers the file's size and hash for the warehouse as it now
/// is. A file the ingest left alone is not vouched for: it may come from another version.
pub(crate) fn remember_ingested_quarantine(
    workdir: &Path,
    quarantine_csv: &Path,
    before: Option<ingest::file_stamp::FileStamp>,
) {
    let now = ingest::file_stamp::FileStamp::of(quarantine_csv);
    if now.is_none() || now == before {
        return;
    }
    if let (Some(cache), Some((len, hash))) = (
        ResultCache::for_folder(workdir),
        size_and_hash(quarantine_csv),
    ) {
        let entry: IngestedQuarantine = (len, hash, quarantine_format());
        cache.put(INGESTED_QUARANTINE, &entry);
    }
}

/// Puts the quarantine.csv the last ingest wrote into `workdir` at `out` (a report's own), when
/// the warehouse is still the one it was written from and the file is still as written: both
/// come from the same query (`ingest::warehouse::write_quarantine_csv`) on the same tables, so
/// the copy is what the report would write. Returns false when the report must write it.
pub(crate) fn copy_ingested_quarantine(workdir: &Path, out: &Path) -> bool {
    let store = workdir.join(ingest::warehouse::QUARANTINE_FILE);
    let Some((len, hash, format)) = ResultCache::for_folder(workdir)
        .and_then(|cache| cache.get::<IngestedQuarantine>(INGESTED_QUARANTINE))
    else {
        return false;
    };
    if format != quarantine_format() {
        return false;
    }
    let vouched = Some((len, hash));
    // `--out` may be the working folder itself: the file is already in place.
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same(&store, out) {
        return size_and_hash(&store) == vouched;
    }
    // The copy is checked, not the file it was made from: what is put in place is what was
    // vouched for, whatever happens to the file meanwhile.
    let tmp = out.with_extension("csv.tmp");
    let copied = std::fs::copy(&store, &tmp).is_ok()
        && size_and_hash(&tmp) == vouched
        && std::fs::rename(&tmp, out).is_ok();
    if !copied {
        std::fs::remove_file(&tmp).ok();
    }
    copied
}
