//! `vbrief`: the command-line edge. Parsing, dispatch and exit codes live here; the work is in
//! the `ingest`, `transforms` and `reports` crates.

mod allocator;
mod cli;
mod commands;
mod exit;
mod progress;
mod steps;
mod summary;
mod timings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Refused only by kernels before 3.15 or a sandbox: the run is then as it was.
    allocator::without_huge_pages();
    let cli = cli::Cli::parse();
    timings::init_from_env();
    let workdir = cli.workdir;
    // While `vbrief serve` holds a folder, its warehouse is the server's: say so in one line
    // rather than let DuckDB's lock error speak.
    if let cli::Command::Ingest(_)
    | cli::Command::Check(_)
    | cli::Command::Report(_)
    | cli::Command::Run(_)
    | cli::Command::Explain(_)
    | cli::Command::Screen(_)
    | cli::Command::Export(_) = &cli.command
    {
        let dir = workdir.clone().unwrap_or_else(|| ".".into());
        if let Some(url) = workdir::workspace::served_by(&dir) {
            eprintln!(
                "错误 error: vbrief serve 正在使用这个工作目录，请在网页上操作（{url}），或先停止它 (the web app holds this folder)"
            );
            return ExitCode::from(exit::FAILED);
        }
    }
    let result = match cli.command {
        cli::Command::Init(args) => commands::init::run(
            &args.dir.or(workdir).unwrap_or_else(|| ".".into()),
            args.force,
        ),
        cli::Command::Ingest(args) => {
            commands::ingest::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Check(args) => {
            commands::check::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Demo(args) => {
            commands::demo::run(&args.dir.or(workdir).unwrap_or_else(|| "vbrief-demo".into()))
        }
        cli::Command::Gen(args) => commands::gen::run(&args),
        cli::Command::Report(args) => {
            commands::report::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Run(args) => {
            commands::run::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Export(args) => {
            commands::export::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Screen(args) => {
            commands::screen::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Explain(args) => {
            commands::explain::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
        cli::Command::Serve(args) => {
            commands::serve::run(&workdir.unwrap_or_else(|| ".".into()), &args)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            ExitCode::from(exit::FAILED)
        }
    }
}
