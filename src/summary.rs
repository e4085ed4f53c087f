//! What the commands print: the ingest summary, the data-quality table and the headline
//! figures. Printing only; the numbers come from ingest's report and the transforms.

use std::path::PathBuf;

use ingest::{IngestReport, SheetStatus};
use reports::format::{percent, two};
use transforms::{Indicators, QualityReport};

/// `in_place`: the warehouse written is the working folder's (not `vbrief check`'s scratch copy).
pub fn print_ingest_summary(report: &IngestReport, in_place: bool) {
    if in_place {
        println!(
            "导入摘要 Ingest summary — 仓库 warehouse: {}",
            report.warehouse.display()
        );
    } else {
        println!(
            "导入摘要 Ingest summary — 导入到仓库的临时副本 (into a scratch copy of the warehouse)"
        );
    }
    println!(
        "{:>9} {:>9} {:>11} {:>8}  {:<16} 文件 file",
        "读取read", "接受accept", "隔离quarant.", "跳过skip", "类型 kind"
    );
    let mut total = ingest::Counts::default();
    let mut total_skipped = 0;
    for s in &report.sheets {
        let name = domain::sheet_label(&s.path, &s.sheet);
        match &s.status {
            SheetStatus::Loaded => {
                let c = &s.counts;
                let mut skipped = Vec::new();
                for (n, label) in [
                    (c.skipped_title, "标题title"),
                    (c.skipped_header, "表头header"),
                    (c.skipped_blank, "空行blank"),
                    (c.skipped_total, "合计total"),
                    (c.skipped_known, "已导入known"),
                ] {
                    if n > 0 {
                        skipped.push(format!("{label} {n}"));
                    }
                }
                println!(
                    "{:>9} {:>9} {:>11} {:>8}  {:<16} {name}{}",
                    c.read,
                    c.accepted,
                    c.quarantined,
                    c.skipped(),
                    s.kind.unwrap_or(""),
                    if skipped.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", skipped.join(", "))
                    }
                );
                if !s.unused_columns.is_empty() {
                    println!(
                        "{:>42}  未使用的列 unused columns: {}",
                        "",
                        s.unused_columns.join(", ")
                    );
                }
                total.read += c.read;
                total.accepted += c.accepted;
                total.quarantined += c.quarantined;
                total_skipped += c.skipped();
            }
            SheetStatus::Unchanged => {
                println!("{:>9} {:>9} {:>11} {:>8}  {:<16} {name}  已导入过，内容未变 (unchanged since an earlier ingest)", "-", "-", "-", "-", "")
            }
            SheetStatus::Failed(msg) => println!(
                "{:>9} {:>9} {:>11} {:>8}  {:<16} {name}  失败 FAILED: {msg}",
                "-", "-", "-", "-", ""
            ),
            SheetStatus::Ignored(msg) => println!(
                "{:>9} {:>9} {:>11} {:>8}  {:<16} {name}  未导入 not ingested: {msg}",
                "-", "-", "-", "-", ""
            ),
        }
    }
    println!(
        "{:>9} {:>9} {:>11} {:>8}  合计 total",
        total.read, total.accepted, total.quarantined, total_skipped
    );
    if !report.quarantine_by_reason.is_empty() {
        let parts: Vec<String> = report
            .quarantine_by_reason
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        println!(
            "本次隔离原因 quarantined this run by reason: {}",
            parts.join(", ")
        );
    }
    if report.rescued_records > 0 {
        println!(
            "此前隔离的 {} 条服务记录已计入：其证件号码属于本次导入的志愿者 (records quarantined earlier now count: their document numbers belong to volunteers imported now)",
            report.rescued_records
        );
    }
    if in_place {
        println!(
            "隔离明细 quarantine details: {}",
            report.quarantine_csv.display()
        );
    }
    if let (true, Some(ingest::identity::KeySource::Created(path))) = (in_place, &report.key_source)
    {
        println!(
            "已新建假名化密钥 new pseudonymization key: {} — 请备份，丢失后无法与本次数据对应 (back it up: without it later runs cannot match these persons)",
            path.display()
        );
    }
    let failed = report.failed();
    if failed > 0 {
        println!("注意 NOTE: {failed} 个文件无法读取，已跳过 (file(s) could not be read and were skipped; see FAILED above)");
    }
}

/// The checks as a table: status, failing / checked (share), name.
pub fn print_checks(report: &QualityReport) {
    println!(
        "数据质量 Data quality — 期间 period {} ({} .. {})",
        report.period_label, report.period.start, report.period.end
    );
    for c in &report.checks {
        // The Chinese texts go last: their display width is not their char count.
        println!(
            "  {:<5} {:>8} / {:<9} {:>8}  {:<20} {} {}",
            c.status.code(),
            c.failing,
            c.checked,
            percent(c.share),
            c.id,
            c.status.label_zh(),
            c.name_zh
        );
    }
}

/// The period and the city's headline figures, then the files written.
pub fn print_indicators(indicators: &Indicators, written: &[PathBuf]) {
    println!(
        "指标 Indicators — 期间 period {} ({} .. {}, {} 天 days)",
        indicators.period_label, indicators.period.start, indicators.period.end, indicators.days
    );
    if let Some(city) = indicators.top() {
        let scope = match indicators.top_level() {
            "nation" => "全国 nation",
            "province" => "全省 province",
            _ => "全市 city",
        };
        println!(
            "  {scope}: 注册率 registration {} (目标 target {:.0}%), 人均时长 per capita {} h (目标 {:.2} h), 参与率 participation {}",
            percent(city.registration_rate),
            city.registration_target * 100.0,
            two(city.per_capita_hours),
            city.per_capita_target,
            percent(city.participation_rate)
        );
        println!(
            "  达标社区 communities meeting: 注册率 {}/{}，人均时长 {}/{}，站点 {}/{}",
            city.communities_meeting_registration,
            city.communities,
            city.communities_meeting_per_capita_hours,
            city.communities,
            city.communities_meeting_station,
            city.communities
        );
    }
    if indicators.extends_past_data {
        println!("  注意 NOTE: 期间晚于最后一条服务记录，数据可能不完整 (the period ends after the last service record)");
    }
    for path in written {
        println!("  → {}", path.display());
    }
}
