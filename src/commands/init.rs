//! `vbrief init DIR`: a working folder with a commented vbrief.toml and an empty inbox/.

use std::path::Path;

use anyhow::Context;

use crate::exit;

pub const CONFIG_FILE: &str = "vbrief.toml";
pub const INBOX: &str = "inbox";

pub fn run(dir: &Path, force: bool) -> anyhow::Result<u8> {
    let created = init_dir(dir, force)?;
    println!("工作目录已就绪 working folder ready: {}", dir.display());
    if created {
        println!(
            "  {}  配置 (edit the city, office and targets)",
            dir.join(CONFIG_FILE).display()
        );
    } else {
        println!(
            "  {} 已存在，未改动 (exists, left as it is; --force overwrites)",
            dir.join(CONFIG_FILE).display()
        );
    }
    println!(
        "  {}/  把导出文件放在这里 (put the exports here)",
        dir.join(INBOX).display()
    );
    println!("下一步 next: vbrief ingest --workdir {}", dir.display());
    Ok(exit::OK)
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
    std::fs::write(&config, ingest::config::DEFAULT_CONFIG)
        .with_context(|| format!("cannot write {}", config.display()))?;
    Ok(true)
}

/// Loads `DIR/vbrief.toml`, or the defaults when the folder has none.
pub fn load_config(dir: &Path) -> anyhow::Result<ingest::Config> {
    let path = dir.join(CONFIG_FILE);
    if path.exists() {
        Ok(ingest::Config::load(&path)?)
    } else {
        Ok(ingest::Config::default())
    }
}
