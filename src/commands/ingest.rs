//! `vbrief ingest`: load exports into the warehouse and print what happened to every row.

use std::path::Path;

use crate::cli::IngestArgs;
use crate::steps::{ingest_and_summarize, IngestRequest};
use workdir::Workspace;

pub fn run(workdir: &Path, args: &IngestArgs) -> anyhow::Result<u8> {
    let mut ws = Workspace::existing(workdir)?;
    let inputs = if args.inputs.is_empty() {
        vec![ws.inbox()]
    } else {
        args.inputs.clone()
    };
    let request = IngestRequest {
        inputs,
        kind: args.kind,
        encoding: args.encoding.clone(),
        strict: args.strict,
        json: args.json,
    };
    let (code, _) = ingest_and_summarize(&mut ws, request, None)?;
    Ok(code)
}
