//! `vbrief gen`: writes a deterministic data set (see the `sample-gen` crate).

use crate::cli::GenArgs;
use crate::exit;
use sample_gen::{generate, GenSpec, Shape};

pub fn run(args: &GenArgs) -> anyhow::Result<u8> {
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
