//! Command-line interface (clap derive). Help is bilingual: analysts read Chinese first.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const AFTER_HELP: &str = "\
退出码 Exit codes:
  0  成功 success
  1  失败，仓库未改动 failed; the warehouse was not changed
  2  命令行用法错误 usage error (bad option or argument)
  3  部分完成：有文件无法读取，其余已导入 partial: some files could not be read, the rest was loaded
  4  check：文件都已读取，但有检查项不通过 check: every file was read, and a check failed

快速开始 Quick start:
  vbrief demo            在示例数据上运行完整流程 run the whole pipeline on the bundled sample data
  vbrief init 工作目录    新建工作目录 create a working folder (vbrief.toml + inbox/)
  vbrief ingest --workdir 工作目录   导入 inbox/ 中的导出文件 ingest the exports in inbox/";

#[derive(Debug, Parser)]
#[command(
    name = "vbrief",
    version,
    about = "志愿服务评估简报 — 把志愿云导出和社区台账变成文明办简报\nVolunteer-service evaluation briefings from 志愿云 exports and community ledgers",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// 工作目录：vbrief.toml、inbox/、warehouse.duckdb 与密钥所在处，默认为当前目录
    /// (working folder holding vbrief.toml, inbox/, the warehouse and the key; default: .)
    #[arg(long, short = 'w', value_name = "DIR", global = true)]
    pub workdir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 新建工作目录 (create DIR/vbrief.toml and DIR/inbox/)
    Init(InitArgs),
    /// 导入导出文件到仓库 (ingest exports into DIR/warehouse.duckdb)
    Ingest(IngestArgs),
    /// 数据质量检查，不改动仓库 (run every data-quality check on exports without touching the
    /// warehouse; writes quality.html, quality.csv, quality_rows.csv and a CSV per community)
    Check(CheckArgs),
    /// 计算指标并写出结果 (compute the indicators for a period and write the output files)
    Report(ReportCommandArgs),
    /// 导入 inbox/ 后生成报告 (ingest DIR/inbox, then report)
    Run(ReportArgs),
    /// 说明某社区某指标是如何算出的 (show how one community's figure was obtained)
    Explain(ExplainArgs),
    /// 时长核查：找出检查时可能被质疑的服务记录，供本单位自查 (screen the period's hour records
    /// for padded hours; writes screening.html and screening.xlsx)
    Screen(ScreenArgs),
    /// 把仓库导出为 Parquet，供 Spark 全国汇总 (export the warehouse as partitioned Parquet with a
    /// manifest, for a national rollup on Spark)
    Export(ExportArgs),
    /// 在内置示例数据上运行完整流程 (run the whole pipeline on the bundled sample data)
    Demo(DemoArgs),
    /// 生成示例或压测数据 (generate sample or benchmark exports, deterministically)
    Gen(GenArgs),
    /// 启动本机网页版：上传导出、查看数据质量、生成简报 (start the local web app)
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ReportCommandArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// 本机 DuckDB（默认） (this machine's DuckDB; the default)
    Duckdb,
    /// Spark 集群，经 Spark Connect (a Spark cluster, through Spark Connect)
    Spark,
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// 计算引擎 (the engine that computes the figures)
    #[arg(long, value_enum, default_value = "duckdb")]
    pub engine: EngineKind,
    /// Spark Connect 地址，如 sc://spark-host:15002 (the Spark Connect server; --engine spark)
    #[arg(long, value_name = "sc://HOST:PORT", env = "VBRIEF_SPARK_REMOTE")]
    pub remote: Option<String>,
    /// vbrief export 导出的 Parquet 目录或 URI，可重复以合并多地 (a folder or URI written by
    /// `vbrief export --format parquet`; repeat to combine several; instead of the warehouse)
    #[arg(long, value_name = "DIR_OR_URI")]
    pub data: Vec<String>,
    /// 只算一个省（--data 合并多地时）：该省的简报，下分地市
    /// (one province of a combination given with --data: the province's briefing, by city)
    #[arg(long, value_name = "PROVINCE", requires = "data")]
    pub province: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// 导出格式 (the format)
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: ExportFormat,
    /// 输出目录，须不存在或为空 (the folder to write; must not exist, or be empty)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// 监听地址，默认只允许本机访问 (address to listen on; default: this computer only)
    #[arg(long, default_value = "127.0.0.1:8470", value_name = "ADDR:PORT")]
    pub bind: std::net::SocketAddr,
    /// 密码文件（第一行为密码）；在非本机地址上开放时必须设置 (a file whose first line is the
    /// password; required for an address other than 127.0.0.1)
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// 允许的访问地址（主机名或 IP），局域网使用时填写本机在局域网中的名字 (a host name other
    /// PCs use to reach this one; repeatable)
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// 一次上传的大小上限（MB）(largest upload, in MB)
    #[arg(long, default_value_t = 2048, value_name = "MB")]
    pub max_upload_mb: u64,
    /// xlsx 解压后的大小上限（MB），防止压缩炸弹 (largest uncompressed size an xlsx may declare, MB)
    #[arg(long, default_value_t = 4096, value_name = "MB")]
    pub max_unzipped_mb: u64,
    /// 启动后用默认浏览器打开登录链接 (open the login link in the default browser)
    #[arg(long)]
    pub open: bool,
    /// 以 HTTPS 提供服务：证书链（PEM 文件）(serve over HTTPS: the certificate chain, PEM);
    /// 须与 --tls-key 一起使用
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// HTTPS 的私钥（PEM 文件）(the private key, PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// 要创建的工作目录，默认为 --workdir 或当前目录 (the folder to create, may exist;
    /// default: --workdir, else .)
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// 覆盖已有的 vbrief.toml (overwrite an existing vbrief.toml)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct IngestArgs {
    /// 要导入的文件或文件夹，默认为 DIR/inbox (files or folders; default: DIR/inbox)
    #[arg(value_name = "FILES_OR_FOLDERS")]
    pub inputs: Vec<PathBuf>,
    /// 指定数据类型，不自动识别 (read every sheet as this kind instead of detecting it):
    /// communities, volunteers, service_records, organizations, activities, stations, needs, trainings
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<ingest::SourceKind>,
    /// 文本文件编码，默认自动识别 (csv text encoding, e.g. utf-8, gbk, gb18030; detected when absent)
    #[arg(long, value_name = "ENCODING")]
    pub encoding: Option<String>,
    /// 任一文件无法读取即中止且不写入 (abort with nothing written if any file cannot be read)
    #[arg(long)]
    pub strict: bool,
    /// 以JSON输出导入摘要 (print the summary as JSON)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct CheckArgs {
    /// 要检查的文件或文件夹，默认为 DIR/inbox；仓库中已有的数据一并检查
    /// (files or folders; default: DIR/inbox; the warehouse's data is checked with them)
    #[arg(value_name = "FILES_OR_FOLDERS")]
    pub inputs: Vec<PathBuf>,
    /// 统计期间，用于“某月无活动”和常住人口两项检查；默认为数据中最近一个完整自然年
    /// (period for the monthly-activity and population checks; default: last full year)
    #[arg(long, short = 'p', value_name = "PERIOD")]
    pub period: Option<String>,
    /// 输出目录，默认为 DIR/out/quality (output folder; default: DIR/out/quality)
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// 指定数据类型，不自动识别 (read every sheet as this kind), as for ingest
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<ingest::SourceKind>,
    /// 文本文件编码，默认自动识别 (csv text encoding; detected when absent)
    #[arg(long, value_name = "ENCODING")]
    pub encoding: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// 统计期间 (period), as for report; 默认为数据中最近一个完整自然年
    #[arg(long, short = 'p', value_name = "PERIOD")]
    pub period: Option<String>,
    /// 只看一个区县的社区 (one district's communities)
    #[arg(long, value_name = "DISTRICT")]
    pub district: Option<String>,
    /// 输出目录，默认为 DIR/out/screening/<期间> (output folder)
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// 以 JSON 输出每个社区的结果和列出的记录 (print the communities and records as JSON)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ReportArgs {
    /// 统计期间 (period): 2025, 2025-Q3, 2025-07 或 2025-01-01..2025-06-30；
    /// 默认为数据中最近一个完整的自然年 (default: the last full calendar year in the data)
    #[arg(long, short = 'p', value_name = "PERIOD")]
    pub period: Option<String>,
    /// 只输出一个区县：其社区、街道、区县合计，以及全市作参照
    /// (one district: its communities, streets and total, with the city as reference)
    #[arg(long, value_name = "DISTRICT")]
    pub district: Option<String>,
    /// 输出目录，默认为 DIR/out/<期间> (output folder; default: DIR/out/<period>)
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// 简报期号，如“2025年第3期” (issue number shown in the header)
    #[arg(long, value_name = "ISSUE")]
    pub issue: Option<String>,
    /// 印发日期 YYYY-MM-DD，默认今天 (date shown in the header; default: today)
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// 生成 PDF/A-2b 归档格式 (write the PDF as PDF/A-2b)
    #[arg(long)]
    pub pdf_a: bool,
    /// 额外字体文件，可重复 (an extra font file for the PDF; repeatable)
    #[arg(long, value_name = "FONT_FILE")]
    pub font: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// 指标名 (indicator), e.g. registration_rate, per_capita_hours, hours, star3, score,
    /// rank; `screening` explains the screening's counts
    #[arg(value_name = "INDICATOR")]
    pub indicator: String,
    /// 社区名称 (community name)
    #[arg(long, value_name = "NAME")]
    pub community: String,
    /// 区县，社区重名时必填 (district; needed when the name exists in several districts)
    #[arg(long, value_name = "DISTRICT")]
    pub district: Option<String>,
    /// 统计期间 (period), as for report
    #[arg(long, short = 'p', value_name = "PERIOD")]
    pub period: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// 示例工作目录，默认为 --workdir 或 ./vbrief-demo (working folder for the demo, created if
    /// needed; default: --workdir, else ./vbrief-demo)
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// 输出文件夹 (output folder)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// 志愿者人数 (number of volunteers)
    #[arg(long, default_value_t = 30_000)]
    pub volunteers: usize,
    /// 服务时长记录条数 (number of service records)
    #[arg(long, default_value_t = 70_000)]
    pub records: usize,
    /// 随机种子：相同种子生成完全相同的文件 (seed: the same seed writes identical files)
    #[arg(long, default_value_t = 20_251_125)]
    pub seed: u64,
    /// 全部写成 csv（省级规模）(write every file as csv, as a province's exports come)
    #[arg(long)]
    pub csv: bool,
    /// 同时写出干净的标准答案 (also write the clean ground truth: what ingest must accept)
    #[arg(long, value_name = "DIR")]
    pub truth: Option<PathBuf>,
    /// 导出格式：classic（分列的区县/街道/社区）或 2.0（全国系统2.0队伍管理导出：证件类型、服务区域、
    /// 开始/结束时间、时长状态）(the columns of the volunteer, hour and team exports)
    #[arg(long, value_name = "SHAPE", default_value = "classic", value_parser = ["classic", "2.0"])]
    pub shape: String,
    /// 植入虚报时长的各种模式，约占志愿者的这一比例（如 0.01），标准答案写入 --truth 的
    /// screening.csv；须与 --shape 2.0 一起用 (plant patterns of padded hours for about this
    /// share of the volunteers, with their ground truth; needs --shape 2.0)
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub plant_screening: f64,
    /// 按全国比例生成（如 0.001 = 千分之一：24 万志愿者、536 万条记录），每省一个 Parquet
    /// 导出目录，供 `report --data OUT` 合并 (a national-shaped set at this fraction of the
    /// nation, written as one Parquet export per province; --volunteers/--records are not used)
    #[arg(long, value_name = "FRACTION", conflicts_with_all = ["csv", "truth", "plant_screening"])]
    pub nation: Option<f64>,
}

fn parse_kind(s: &str) -> Result<ingest::SourceKind, String> {
    ingest::SourceKind::from_name(s).ok_or_else(|| {
        format!(
            "unknown kind '{s}'; one of: {}",
            ingest::SourceKind::ALL.map(|k| k.name()).join(", ")
        )
    })
}
