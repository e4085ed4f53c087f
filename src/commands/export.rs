//! `vbrief export --format parquet --out DIR`: the warehouse as partitioned Parquet with a
//! manifest (the work is in `workdir::export`).

use std::path::Path;

use crate::cli::ExportArgs;
use crate::exit;
use workdir::Workspace;

pub fn run(workdir: &Path, args: &ExportArgs) -> anyhow::Result<u8> {
    let ws = Workspace::open(workdir)?;
    let started = std::time::Instant::now();
    let outcome = workdir::export::export_parquet(&ws, &args.out)?;
    for table in &outcome.manifest.tables {
        let partitions = if table.partitioned_by.is_empty() {
            String::new()
        } else {
            format!(
                "，按 {} 分区 (partitioned)",
                table.partitioned_by.join(", ")
            )
        };
        println!(
            "  {:<16} {:>12} 行 rows  {:>3} 个文件 files{partitions}",
            table.name,
            table.rows,
            table.files.len()
        );
    }
    println!(
        "已导出 exported: {} ({:.1} MB, {:.1} s); 密钥指纹 key fingerprint {}",
        outcome.out.display(),
        outcome.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        &outcome.manifest.key_fingerprint[..12]
    );
    Ok(exit::OK)
}
