//! `vbrief gen`: writes a deterministic data set (see `crate::gen`).

use crate::cli::GenArgs;
use crate::exit;
use crate::gen::{generate, GenSpec};

pub fn run(args: &GenArgs) -> anyhow::Result<u8> {
    let spec = GenSpec {
        volunteers: args.volunteers,
        records: args.records,
        seed: args.seed,
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
    Ok(exit::OK)
}
