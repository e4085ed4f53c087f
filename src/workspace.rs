//! The working folder of one command, opened once: its paths, its `vbrief.toml`, its
//! warehouse connection and its result cache. The CLI builds one [`Workspace`] per command and
//! hands it down, so no step loads the config or opens the warehouse a second time.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use anyhow::Context;
use domain::Config;
use ingest::warehouse::WAREHOUSE_FILE;

use crate::cache::ResultCache;

/// The configuration file of a working folder.
pub const CONFIG_FILE: &str = "vbrief.toml";
/// Where exports are dropped; `ingest`, `check` and `run` read it when given no files.
pub const INBOX: &str = "inbox";

pub struct Workspace {
    dir: PathBuf,
    config: Config,
    /// Opened on first use, then kept for the rest of the command.
    warehouse: OnceCell<duckdb::Connection>,
}

impl Workspace {
    /// The folder `dir`, with its `vbrief.toml` loaded (the defaults when it has none). The
    /// folder need not exist: `report` on a missing folder says that there is no warehouse.
    pub fn open(dir: &Path) -> anyhow::Result<Workspace> {
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
    pub fn existing(dir: &Path) -> anyhow::Result<Workspace> {
        if !dir.is_dir() {
            anyhow::bail!(
                "工作目录不存在 (working folder not found): {} — create it with `vbrief init {}`",
                dir.display(),
                dir.display()
            );
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

    /// Where `vbrief check` writes by default.
    pub fn quality_out(&self) -> PathBuf {
        self.dir.join("out").join("quality")
    }

    /// The warehouse, opened on first use. An error tells the user to ingest first when the
    /// folder has none.
    pub fn warehouse(&self) -> anyhow::Result<&duckdb::Connection> {
        if self.warehouse.get().is_none() {
            let path = self.warehouse_path();
            if !path.exists() {
                anyhow::bail!(
                    "{} 中还没有仓库，请先导入 (no warehouse yet: run `vbrief ingest --workdir {}` first)",
                    self.dir.display(),
                    self.dir.display()
                );
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
    /// one (see `crate::cache`).
    pub fn cache(&self) -> Option<ResultCache> {
        ResultCache::for_warehouse(&self.dir, &self.warehouse_path())
    }

    /// Whether the warehouse is still the one `cache` is for.
    pub fn cache_still_valid(&self, cache: &ResultCache) -> bool {
        cache.still_valid(&self.dir, &self.warehouse_path())
    }
}

/// Creates the folder, its inbox and (unless present, or with `force`) the config.
/// Returns whether the config was written.
pub fn init_dir(dir: &Path, force: bool) -> anyhow::Result<bool> {
    std::fs::create_dir_all(dir.join(INBOX))
        .with_context(|| format!("cannot create {}", dir.join(INBOX).display()))?;
    let config = dir.join(CONFIG_FILE);
    if config.exists() && !force {
        return Ok(false);
    }
    std::fs::write(&config, domain::config::DEFAULT_CONFIG)
        .with_context(|| format!("cannot write {}", config.display()))?;
    Ok(true)
}
