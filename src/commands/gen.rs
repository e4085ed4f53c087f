//! `vbrief gen`: writes a deterministic data set (see the `sample-gen` crate).

use crate::cli::GenArgs;
use crate::exit;
use sample_gen::{generate, GenSpec, Shape};

pub fn run(args: &GenArgs) -> anyhow::Result<u8> {
    if let Some(fraction) = args.nation {
        return nation(args, fraction);
    }
    if args.plant_screening > 0.0 && args.shape != "2.0" {
        anyhow::bail!(
            "--plant-screening 需要 --shape 2.0（核查规则要用开始/结束时间和录入日期）(needs --shape 2.0: the rules read start and end times and 录入日期)"
        );
    }
    if !(0.0..=0.2).contains(&args.plant_screening) {
        anyhow::bail!("--plant-screening: 请写 0 到 0.2 之间的比例 (a share between 0 and 0.2)");
    }
    let spec = GenSpec {
        volunteers: args.volunteers,
        records: args.records,
        seed: args.seed,
        csv_only: args.csv,
        truth: args.truth.clone(),
        shape: if args.shape == "2.0" {
            Shape::V2
        } else {
            Shape::Classic
        },
        plant_screening: args.plant_screening,
    };
    let manifest = generate(&spec, &args.out)?;
    println!(
        "已生成 generated {} 个文件 files in {}: {} communities, {} volunteer rows, {} record rows",
        manifest.files.len(),
        args.out.display(),
        manifest.communities,
        manifest.volunteer_rows,
        manifest.record_rows
    );
    if let Some(truth) = &args.truth {
        println!(
            "标准答案 ground truth (volunteers.csv, records.csv, population.csv) in {}",
            truth.display()
        );
    }
    Ok(exit::OK)
}

/// `--nation F`: one Parquet export per province (see `workdir::national`).
fn nation(args: &GenArgs, fraction: f64) -> anyhow::Result<u8> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        anyhow::bail!(
            "--nation: 请写 0 到 1 之间的比例，如 0.001 (a fraction of the nation, e.g. 0.001)"
        );
    }
    let outcome = workdir::national::generate(&args.out, fraction, args.seed)?;
    println!(
        "已生成 generated {} 个省级导出 province exports in {} ({:.1} MB of Parquet): {} communities, {} volunteers, {} records",
        outcome.exports.len(),
        args.out.display(),
        outcome.bytes as f64 / 1e6,
        outcome.communities,
        outcome.volunteers,
        outcome.records
    );
    println!(
        "合并计算 report on all of them: vbrief report --data {} --period 2025 --out OUT",
        args.out.display()
    );
    Ok(exit::OK)
}
