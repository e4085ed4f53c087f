//! The screening's outputs (`vbrief screen`, the web app's 核查 page): `screening.html` (one
//! self-contained page: the rules and their thresholds, a summary per community, then each
//! rule's records) and `screening.xlsx` (the summary, then one sheet per rule), and one
//! community's records as xlsx. Every record is shown with its file, sheet and row, masked
//! name and 志愿者编号 — never an ID number or a phone — and why it was listed.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tera::{Context, Tera};
use transforms::screening::{ListedRecord, Screening, RULES};

use crate::format::{percent, two};
use crate::xlsx::SHEET_DATA_ROWS;
use crate::{write_atomic, ReportError};

pub const TEMPLATE: &str = include_str!("../../templates/screening.html.tera");
/// Records shown per rule in the HTML (the xlsx has them all).
pub const HTML_RECORDS_PER_RULE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ScreeningOutputError {
    #[error("核查报告模板 templates/screening.html.tera 出错 (the HTML template failed): {0}")]
    Template(String),
    #[error("核查表格无法生成 (the xlsx failed): {0}")]
    Xlsx(String),
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// A rule with its threshold in words and what it found.
#[derive(Debug, Clone, Serialize)]
pub struct RuleLine {
    pub id: &'static str,
    pub name: &'static str,
    pub why: &'static str,
    pub threshold: String,
    pub measure: &'static str,
    pub records: i64,
    pub hours: String,
    pub communities: usize,
}

/// A community's line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct CommunityLine {
    pub community_id: i32,
    pub district: String,
    pub street: String,
    pub community: String,
    pub records: i64,
    pub hours: String,
    pub flagged_records: i64,
    pub flagged_hours: String,
    pub flagged_share: String,
    pub late_share: String,
    pub per_capita_hours: String,
    pub per_capita_hours_unflagged: String,
    /// Records per rule, in the order of the rules (0 when none).
    pub by_rule: Vec<i64>,
}

/// A listed record, every value as text.
#[derive(Debug, Clone, Serialize)]
pub struct RecordLine {
    pub rule: String,
    pub community: String,
    pub place: String,
    pub masked_name: String,
    pub volunteer_no: String,
    pub served_on: String,
    pub times: String,
    pub project: String,
    pub team: String,
    pub hours: String,
    /// Why, in words: the measure, or the dates compared.
    pub why: String,
}

/// The screening, worded.
#[derive(Debug, Clone, Serialize)]
pub struct ScreeningModel {
    pub title: String,
    pub period: String,
    pub scope: String,
    pub rules: Vec<RuleLine>,
    pub communities: Vec<CommunityLine>,
    /// Each rule's records (at most [`HTML_RECORDS_PER_RULE`] in the HTML).
    pub sections: Vec<(RuleLine, Vec<RecordLine>, usize)>,
    pub total_records: i64,
    pub total_flagged: i64,
    pub total_flagged_hours: String,
}

/// A rule's threshold, from vbrief.toml [screening].
pub fn threshold(rule: &str, config: &domain::Config) -> String {
    let s = &config.screening;
    match rule {
        "long_days" => format!("一人一天合计超过 {} 小时", s.long_day_hours),
        "streaks" => format!(
            "连续 {} 天以上、每天至少 {} 小时",
            s.streak_days, s.streak_daily_hours
        ),
        "before_registration" => "服务日期早于注册日期".into(),
        "overlaps" => "同一人时间重叠、项目或队伍不同（有开始和结束时间的记录）".into(),
        "identical_batches" => format!(
            "至少 {} 条同项目同队伍（无队伍的在同一社区内）、同一天、起止时间和时长相同，且每条至少 {} 小时",
            s.batch_records, s.batch_hours
        ),
        "late_entry" => format!("录入日期晚于服务日期 {} 天以上", s.late_entry_days),
        "spikes" => {
            let inspection = s
                .inspection()
                .map(|d| format!("，或检查日 {d} 前 {} 天", s.inspection_days))
                .unwrap_or_default();
            format!(
                "每月最后 {} 天{inspection}的时长占比达到本社区平时的 {} 倍，且至少 {} 小时",
                s.month_end_days, s.spike_ratio, s.spike_min_hours
            )
        }
        "round_repeats" => format!("期内至少 {} 条记录、时长全都相同", s.round_repeat_records),
        _ => String::new(),
    }
}

/// Why a record was listed, in words.
pub fn why(r: &ListedRecord) -> String {
    let m = r.measure.map(|v| two(Some(v))).unwrap_or_default();
    match r.rule.as_str() {
        "long_days" => format!("当天合计 {m} 小时"),
        "streaks" => format!("连续 {} 天", r.measure.unwrap_or(0.0) as i64),
        "before_registration" => format!(
            "注册日期 {}",
            r.registered_on.map(|d| d.to_string()).unwrap_or_default()
        ),
        "overlaps" => format!("与 {} 条记录时间重叠", r.measure.unwrap_or(0.0) as i64),
        "identical_batches" => format!("同批 {} 条", r.measure.unwrap_or(0.0) as i64),
        "late_entry" => match r.entered_on {
            Some(e) => format!("{} 录入，晚 {} 天", e, (e - r.served_on).num_days()),
            None => String::new(),
        },
        "spikes" => match r.measure {
            Some(v) if v >= 999.0 => "平时此时段没有时长".into(),
            Some(_) => format!("时段占比是平时的 {m} 倍"),
            None => String::new(),
        },
        "round_repeats" => format!(
            "{} 条记录都是 {} 小时",
            r.measure.unwrap_or(0.0) as i64,
            two(Some(r.hours))
        ),
        _ => m,
    }
}

/// A listed record worded (its rule by name).
pub fn record_line(r: &ListedRecord, community: &str) -> RecordLine {
    RecordLine {
        rule: RULES
            .iter()
            .find(|x| x.id == r.rule)
            .map_or(r.rule.clone(), |x| x.name_zh.to_string()),
        community: community.to_string(),
        place: format!("{} 第{}行", domain::sheet_label(&r.file, &r.sheet), r.row),
        masked_name: r.masked_name.clone(),
        volunteer_no: r.volunteer_no.clone(),
        served_on: r.served_on.to_string(),
        times: if r.start.is_empty() {
            String::new()
        } else {
            format!("{}–{}", r.start, r.end)
        },
        project: r.project.clone(),
        team: r.team.clone(),
        hours: two(Some(r.hours)),
        why: why(r),
    }
}

/// The screening worded for a city (or, with `district`, one district's communities).
pub fn build(s: &Screening, config: &domain::Config, district: Option<&str>) -> ScreeningModel {
    let in_scope = |d: &str| district.is_none_or(|x| x == d);
    let communities: Vec<CommunityLine> = s
        .communities
        .iter()
        .filter(|c| in_scope(&c.district))
        .map(|c| CommunityLine {
            community_id: c.community_id,
            district: c.district.clone(),
            street: c.street.clone(),
            community: c.community.clone(),
            records: c.records,
            hours: two(Some(c.hours)),
            flagged_records: c.flagged_records,
            flagged_hours: two(Some(c.flagged_hours)),
            flagged_share: percent(c.flagged_share),
            late_share: percent(c.late_share),
            per_capita_hours: two(c.per_capita_hours),
            per_capita_hours_unflagged: two(c.per_capita_hours_unflagged),
            by_rule: RULES
                .iter()
                .map(|r| {
                    c.by_rule
                        .iter()
                        .find(|(id, _, _)| id == r.id)
                        .map_or(0, |(_, n, _)| *n)
                })
                .collect(),
        })
        .collect();
    let names: std::collections::HashMap<i32, String> = s
        .communities
        .iter()
        .map(|c| {
            (
                c.community_id,
                domain::community::path(&c.district, &c.street, &c.community),
            )
        })
        .collect();
    let ids: std::collections::HashSet<i32> = communities.iter().map(|c| c.community_id).collect();
    let rules: Vec<RuleLine> = RULES
        .iter()
        .map(|rule| {
            let mine = s
                .communities
                .iter()
                .filter(|c| ids.contains(&c.community_id))
                .filter_map(|c| c.by_rule.iter().find(|(id, _, _)| id == rule.id));
            let (records, hours, n) = mine.fold((0, 0.0, 0), |(r, h, n), (_, rr, hh)| {
                (r + rr, h + hh, n + 1)
            });
            RuleLine {
                id: rule.id,
                name: rule.name_zh,
                why: rule.why_zh,
                threshold: threshold(rule.id, config),
                measure: rule.measure_zh,
                records,
                hours: two(Some(hours)),
                communities: n,
            }
        })
        .collect();
    let sections = rules
        .iter()
        .map(|rule| {
            let all: Vec<&ListedRecord> = s
                .records
                .iter()
                .filter(|r| r.rule == rule.id && ids.contains(&r.community_id))
                .collect();
            let shown = all
                .iter()
                .take(HTML_RECORDS_PER_RULE)
                .map(|r| record_line(r, names.get(&r.community_id).map_or("", |n| n)))
                .collect();
            (rule.clone(), shown, all.len())
        })
        .collect();
    ScreeningModel {
        title: format!("{}志愿服务时长核查", config.city.name),
        period: crate::format::period_zh(&s.period),
        scope: district.map_or("全市".to_string(), String::from),
        total_records: communities.iter().map(|c| c.records).sum(),
        total_flagged: communities.iter().map(|c| c.flagged_records).sum(),
        total_flagged_hours: two(Some(
            s.communities
                .iter()
                .filter(|c| ids.contains(&c.community_id))
                .map(|c| c.flagged_hours)
                .sum(),
        )),
        rules,
        communities,
        sections,
    }
}

/// screening.html: the page, self-contained.
pub fn html(model: &ScreeningModel) -> Result<String, ScreeningOutputError> {
    let mut tera = Tera::default();
    tera.add_raw_template("screening.html", TEMPLATE)
        .map_err(|e| ScreeningOutputError::Template(crate::error_chain(&e)))?;
    let mut context = Context::new();
    context.insert("s", model);
    tera.render("screening.html", &context)
        .map_err(|e| ScreeningOutputError::Template(crate::error_chain(&e)))
}

const RECORD_HEADER: [&str; 12] = [
    "社区",
    "位置（文件、工作表、行）",
    "姓名（已掩码）",
    "志愿者编号",
    "服务日期",
    "起止时间",
    "项目",
    "队伍",
    "时长（小时）",
    "原因",
    "规则",
    "规则说明",
];

/// Writes records into sheets named `name`, `name（2）`… of at most `sheet_rows` records each
/// (a province's rule can list more records than an Excel sheet holds).
fn record_sheets(
    book: &mut rust_xlsxwriter::Workbook,
    name: &str,
    records: &[RecordLine],
    why: &std::collections::HashMap<String, &'static str>,
    sheet_rows: usize,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let parts = crate::xlsx::sheet_parts(records.len(), sheet_rows, |_, _| true);
    crate::xlsx::write_parts(
        book,
        name,
        parts,
        crate::xlsx::SheetMemory::Held,
        |sheet, part| record_sheet(sheet, &records[part], why),
    )
}

/// Writes records (with their rule) into a sheet, under a header.
fn record_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    records: &[RecordLine],
    why: &std::collections::HashMap<String, &'static str>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (i, h) in RECORD_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (n, r) in records.iter().enumerate() {
        let row = n as u32 + 1;
        let cells = [
            &r.community,
            &r.place,
            &r.masked_name,
            &r.volunteer_no,
            &r.served_on,
            &r.times,
            &r.project,
            &r.team,
        ];
        for (i, c) in cells.iter().enumerate() {
            sheet.write_string(row, i as u16, c.as_str())?;
        }
        sheet.write_number(row, 8, r.hours.parse::<f64>().unwrap_or(0.0))?;
        sheet.write_string(row, 9, &r.why)?;
        sheet.write_string(row, 10, &r.rule)?;
        sheet.write_string(row, 11, why.get(&r.rule).copied().unwrap_or(""))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(
        0,
        0,
        records.len().max(1) as u32,
        (RECORD_HEADER.len() - 1) as u16,
    )?;
    sheet.set_column_width(0, 26)?;
    sheet.set_column_width(1, 30)?;
    Ok(())
}

fn rule_whys() -> std::collections::HashMap<String, &'static str> {
    RULES
        .iter()
        .map(|r| (r.name_zh.to_string(), r.why_zh))
        .collect()
}

/// Every listed record of the scope, worded (not only the HTML's first ones).
fn all_records(
    s: &Screening,
    model: &ScreeningModel,
    rule: Option<&str>,
    community: Option<i32>,
) -> Vec<RecordLine> {
    let ids: std::collections::HashSet<i32> =
        model.communities.iter().map(|c| c.community_id).collect();
    let names: std::collections::HashMap<i32, String> = s
        .communities
        .iter()
        .map(|c| {
            (
                c.community_id,
                domain::community::path(&c.district, &c.street, &c.community),
            )
        })
        .collect();
    s.records
        .iter()
        .filter(|r| ids.contains(&r.community_id))
        .filter(|r| rule.is_none_or(|x| r.rule == x))
        .filter(|r| community.is_none_or(|c| r.community_id == c))
        .map(|r| record_line(r, names.get(&r.community_id).map_or("", |n| n)))
        .collect()
}

/// screening.xlsx: the summary per community, then one sheet per rule with every record.
pub fn xlsx(s: &Screening, model: &ScreeningModel) -> Result<Vec<u8>, ScreeningOutputError> {
    let x = |e: rust_xlsxwriter::XlsxError| ScreeningOutputError::Xlsx(e.to_string());
    let mut book = crate::xlsx::new_workbook();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let pct = rust_xlsxwriter::Format::new().set_num_format("0.00%");
    let summary = book.add_worksheet();
    summary.set_name("汇总").map_err(x)?;
    let mut header: Vec<String> = [
        "区县",
        "街道",
        "社区",
        "有效记录",
        "有效时长",
        "被列记录",
        "被列时长",
        "被列时长占比",
        "事后补录时长占比",
        "人均时长",
        "去掉被列时长后的人均时长",
    ]
    .map(String::from)
    .to_vec();
    header.extend(RULES.iter().map(|r| r.name_zh.to_string()));
    for (i, h) in header.iter().enumerate() {
        summary
            .write_string_with_format(0, i as u16, h, &bold)
            .map_err(x)?;
    }
    for (n, c) in s
        .communities
        .iter()
        .filter(|c| {
            model
                .communities
                .iter()
                .any(|m| m.community_id == c.community_id)
        })
        .enumerate()
    {
        let row = n as u32 + 1;
        summary.write_string(row, 0, &c.district).map_err(x)?;
        summary.write_string(row, 1, &c.street).map_err(x)?;
        summary.write_string(row, 2, &c.community).map_err(x)?;
        summary.write_number(row, 3, c.records as f64).map_err(x)?;
        summary.write_number(row, 4, c.hours).map_err(x)?;
        summary
            .write_number(row, 5, c.flagged_records as f64)
            .map_err(x)?;
        summary.write_number(row, 6, c.flagged_hours).map_err(x)?;
        for (col, v) in [(7, c.flagged_share), (8, c.late_share)] {
            if let Some(v) = v {
                summary
                    .write_number_with_format(row, col, v, &pct)
                    .map_err(x)?;
            }
        }
        for (col, v) in [(9, c.per_capita_hours), (10, c.per_capita_hours_unflagged)] {
            if let Some(v) = v {
                summary.write_number(row, col, v).map_err(x)?;
            }
        }
        for (i, rule) in RULES.iter().enumerate() {
            let n = c
                .by_rule
                .iter()
                .find(|(id, _, _)| id == rule.id)
                .map_or(0, |(_, n, _)| *n);
            summary
                .write_number(row, 11 + i as u16, n as f64)
                .map_err(x)?;
        }
    }
    summary.set_freeze_panes(1, 3).map_err(x)?;
    let whys = rule_whys();
    for rule in RULES {
        let records = all_records(s, model, Some(rule.id), None);
        record_sheets(&mut book, rule.name_zh, &records, &whys, SHEET_DATA_ROWS).map_err(x)?;
    }
    book.save_to_buffer().map_err(x)
}

/// One community's listed records, every rule, as xlsx (the web app's download).
pub fn community_xlsx(
    s: &Screening,
    model: &ScreeningModel,
    community_id: i32,
) -> Result<Vec<u8>, ScreeningOutputError> {
    let x = |e: rust_xlsxwriter::XlsxError| ScreeningOutputError::Xlsx(e.to_string());
    let mut book = crate::xlsx::new_workbook();
    let records = all_records(s, model, None, Some(community_id));
    record_sheets(
        &mut book,
        "核查记录",
        &records,
        &rule_whys(),
        SHEET_DATA_ROWS,
    )
    .map_err(x)?;
    book.save_to_buffer().map_err(x)
}

/// Writes screening.html and screening.xlsx into `out`; returns their paths.
pub fn write(
    out: &Path,
    s: &Screening,
    model: &ScreeningModel,
) -> Result<Vec<PathBuf>, ScreeningOutputError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError::Io {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let html_path = out.join("screening.html");
    write_atomic(&html_path, html(model)?.as_bytes()).map_err(io(&html_path))?;
    let xlsx_path = out.join("screening.xlsx");
    write_atomic(&xlsx_path, &xlsx(s, model)?).map_err(io(&xlsx_path))?;
    Ok(vec![html_path, xlsx_path])
}

#[cfg(test)]
mod sheet_tests {
    use super::*;

    fn line(no: &str) -> RecordLine {
        RecordLine {
            rule: "late_entry".into(),
            community: "青山区 钢都街道 一社区".into(),
            place: String::new(),
            masked_name: "张*".into(),
            volunteer_no: no.into(),
            served_on: "2025-03-01".into(),
            times: String::new(),
            project: "助老".into(),
            team: String::new(),
            hours: "2.5".into(),
            why: "录入晚 40 天".into(),
        }
    }

    /// Past a sheet's rows a rule's records go on in a numbered sheet, each with its header.
    #[test]
    fn records_past_a_sheet_go_on_in_a_numbered_sheet() {
        use calamine::{Reader, Xlsx};
        let mut book = crate::xlsx::new_workbook();
        let records = [line("V1"), line("V2"), line("V3")];
        record_sheets(&mut book, "事后补录", &records, &Default::default(), 2).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["事后补录", "事后补录（2）"]);
        let numbers = |wb: &mut Xlsx<_>, sheet: &str| -> Vec<String> {
            let range = wb.worksheet_range(sheet).unwrap();
            assert_eq!(range.get((0, 0)).unwrap().to_string(), RECORD_HEADER[0]);
            range.rows().skip(1).map(|r| r[3].to_string()).collect()
        };
        assert_eq!(numbers(&mut wb, "事后补录"), ["V1", "V2"]);
        assert_eq!(numbers(&mut wb, "事后补录（2）"), ["V3"]);
    }
}
