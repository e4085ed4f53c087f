//! `vbrief init DIR`: a working folder with a commented vbrief.toml and an empty inbox/.

use std::path::Path;

use crate::exit;
use workdir::{init_dir, CONFIG_FILE, INBOX};

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
