//! The working folder of one command, opened once: its paths, its `vbrief.toml`, its
//! warehouse connection and its result cache. The CLI builds one [`Workspace`] per command and
//! hands it down, so no step loads the config or opens the warehouse a second time.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use domain::Config;
use ingest::warehouse::WAREHOUSE_FILE;

use crate::cache::ResultCache;
use crate::{Result, WorkdirError};

/// The configuration file of a working folder.
pub const CONFIG_FILE: &str = "vbrief.toml";
/// Where exports are dropped; `ingest`, `check` and `run` read it when given no files.
pub const INBOX: &str = "inbox";
/// Written by `vbrief serve` into the folder it holds: its process id and address.
pub const SERVE_LOCK_FILE: &str = ".vbrief-serve.lock";

pub struct Workspace {
    dir: PathBuf,
    config: Config,
    /// Opened on first use, then kept for the rest of the command.
    warehouse: OnceCell<duckdb::Connection>,
}

impl Workspace {
    /// The folder `dir`, with its `vbrief.toml` loaded (the defaults when it has none). The
    /// folder need not exist: `report` on a missing folder says that there is no warehouse.
    pub fn open(dir: &Path) -> Result<Workspace> {
        let path = dir.join(CONFIG_FILE);
        let config = if path.exists() {
            Config::load(&path)?
        } else {
            Config::default()
        };
        Ok(Workspace {
            dir: dir.to_path_buf(),
            config,
            warehouse: OnceCell::new(),
        })
    }

    /// Like [`Workspace::open`], for commands that write into the folder: it must exist.
    pub fn existing(dir: &Path) -> Result<Workspace> {
        if !dir.is_dir() {
            return Err(WorkdirError::NoFolder(dir.display().to_string()));
        }
        Workspace::open(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn inbox(&self) -> PathBuf {
        self.dir.join(INBOX)
    }

    pub fn warehouse_path(&self) -> PathBuf {
        self.dir.join(WAREHOUSE_FILE)
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join(ingest::identity::KEY_FILE)
    }

    /// The pseudonymization key of the warehouse (`VBRIEF_KEY`, or `vbrief.key` beside it).
    pub fn key(&self) -> Result<ingest::identity::PseudonymKey> {
        if !self.warehouse_path().exists() {
            return Err(WorkdirError::NoWarehouse(self.dir.display().to_string()));
        }
        Ok(ingest::identity::PseudonymKey::load_or_create(&self.dir, &self.warehouse_path())?.0)
    }

    /// Where `vbrief check` writes by default.
    pub fn quality_out(&self) -> PathBuf {
        self.dir.join("out").join("quality")
    }

    /// The warehouse, opened on first use. An error tells the user to ingest first when the
    /// folder has none.
    pub fn warehouse(&self) -> Result<&duckdb::Connection> {
        if self.warehouse.get().is_none() {
            let path = self.warehouse_path();
            if !path.exists() {
                return Err(WorkdirError::NoWarehouse(self.dir.display().to_string()));
            }
            // Set only here, and only when empty: this never fails.
            let _ = self.warehouse.set(ingest::warehouse::open(&path)?);
        }
        Ok(self.warehouse.get().expect("opened above"))
    }

    /// Closes the warehouse connection, if one is open: an ingest opens the file for writing.
    pub fn close_warehouse(&mut self) {
        self.warehouse.take();
    }

    /// The result cache for the warehouse as it is now, if it can be told apart from a changed
    /// one (see [`crate::cache`]).
    pub fn cache(&self) -> Option<ResultCache> {
        ResultCache::for_folder(&self.dir)
    }

    /// Whether the warehouse is still the one `cache` is for.
    pub fn cache_still_valid(&self, cache: &ResultCache) -> bool {
        cache.still_valid_in(&self.dir)
    }
}

/// Creates the folder, its inbox and (unless present, or with `force`) the config.
/// Returns whether the config was written.
pub fn init_dir(dir: &Path, force: bool) -> Result<bool> {
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| WorkdirError::Write {
            path,
            detail: e.to_string(),
        }
    };
    std::fs::create_dir_all(dir.join(INBOX)).map_err(failed(&dir.join(INBOX)))?;
    let config = dir.join(CONFIG_FILE);
    if config.exists() && !force {
        return Ok(false);
    }
    std::fs::write(&config, domain::config::DEFAULT_CONFIG).map_err(failed(&config))?;
    Ok(true)
}

/// The address of a `vbrief serve` holding `dir` (its lock file, written while it runs, with
/// the process still alive), or None.
pub fn served_by(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(SERVE_LOCK_FILE)).ok()?;
    let mut lines = text.lines();
    let pid: u32 = lines.next()?.trim().parse().ok()?;
    let url = lines.next().unwrap_or("").trim().to_string();
    // A lock left by a server that did not stop cleanly does not count.
    let alive = if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    };
    alive.then_some(url)
}
