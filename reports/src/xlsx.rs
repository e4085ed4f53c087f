//! `indicators.xlsx`: one sheet per level with Chinese headers, percent and two-decimal
//! formats, a frozen header row and an autofilter. Text is always written as text (a name
//! starting with `=` never becomes a formula).

use std::ops::Range;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use transforms::{IndicatorRow, Indicators};

/// The Chinese header of an indicator column (the English name is the CSV header).
pub fn label_zh(column: &str) -> String {
    let (base, suffix) = if let Some(b) = column.strip_suffix("_prev") {
        (b, "（上期）")
    } else if let Some(b) = column.strip_suffix("_yoy") {
        (b, "（上年同期）")
    } else {
        (column, "")
    };
    let label = match base {
        "level" => "层级",
        "province" => "省份",
        "city" => "地市",
        "district" => "区县",
        "street" => "街道",
        "community" => "社区",
        "communities" => "社区数",
        "population" => "常住人口",
        "population_flagged" => "人口数据晚于期末",
        "registered" => "注册志愿者",
        "registration_rate" => "注册率",
        "registration_target" => "注册率目标",
        "registration_gap" => "还需注册人数",
        "meets_registration" => "注册率达标",
        "hours" => "有效服务时长（小时）",
        "per_capita_hours" => "人均服务时长（小时）",
        "per_capita_target" => "人均时长目标（小时）",
        "annualized_per_capita_hours" => "年化人均时长（小时）",
        "hours_gap" => "还需服务时长（小时）",
        "meets_per_capita_hours" => "人均时长达标",
        "active_volunteers" => "参与志愿者",
        "participation_rate" => "参与率",
        "activities" => "活动场次",
        "category_coverage" => "服务类别覆盖率",
        "active_months" => "有活动的月份",
        "months_in_period" => "期内月份",
        "organizations" => "志愿服务组织",
        "organizations_per_community" => "每社区组织数",
        "meets_organizations_min" => "组织数达下限",
        "meets_organizations_aim" => "组织数达目标",
        "has_station" => "志愿服务站",
        "station_coverage" => "站点覆盖率",
        "needs_collected" => "登记需求",
        "needs_resolved" => "已解决需求",
        "need_resolution_rate" => "需求解决率",
        "trainings" => "培训场次",
        "training_participants" => "参训人次",
        "star1" => "一星（具备资格）",
        "star2" => "二星（具备资格）",
        "star3" => "三星（具备资格）",
        "star4" => "四星（具备资格）",
        "star5" => "五星（具备资格）",
        "communities_meeting_registration" => "注册率达标社区",
        "communities_meeting_per_capita_hours" => "人均时长达标社区",
        "communities_meeting_organizations_min" => "组织数达下限社区",
        "communities_meeting_organizations_aim" => "组织数达目标社区",
        "communities_meeting_station" => "建站社区",
        "share_meeting_registration" => "注册率达标社区占比",
        "share_meeting_per_capita_hours" => "人均时长达标社区占比",
        "share_meeting_station" => "建站社区占比",
        "score" => "综合得分（本地惯例）",
        "rank_in_district" => "区内排名",
        other => other,
    };
    format!("{label}{suffix}")
}

fn is_percent(column: &str) -> bool {
    let base = column.trim_end_matches("_prev").trim_end_matches("_yoy");
    base.ends_with("_rate")
        || base.ends_with("_coverage")
        || base.starts_with("share_")
        || base == "registration_target"
}

/// A new workbook, zipped at deflate level 2. At the default level (6) deflating the sheets'
/// XML was a quarter of a re-run with nothing new (the city's 星级认定名单.xlsx alone holds
/// ~100,000 rows); level 2 writes the same contents with about half the re-run's deflate time,
/// for files 13% (star list) to 32% (indicators) larger. Level 1 saved little more and made
/// them 60–75% larger (bench/RESULTS.md).
pub fn new_workbook() -> Workbook {
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(2);
    wb
}

/// Data rows one worksheet holds under its header row: Excel's limit is 1,048,576 rows, and
/// rust_xlsxwriter refuses a row past it (a province's star list has more persons than that).
pub const SHEET_DATA_ROWS: usize = 1_048_575;

/// Splits `len` rows, kept in order, into parts of at most `capacity` rows, one worksheet
/// each (always at least one part, empty when there are no rows). A part ends where a group
/// ends (`same_group(i - 1, i)` is false) when one ends within it, so a group (a community's
/// rows) lands whole on one sheet unless it alone is larger than a sheet.
pub fn sheet_parts(
    len: usize,
    capacity: usize,
    same_group: impl Fn(usize, usize) -> bool,
) -> Vec<Range<usize>> {
    assert!(capacity > 0, "a sheet holds at least one row");
    let mut parts = Vec::new();
    let mut start = 0;
    while start < len || parts.is_empty() {
        let limit = start.saturating_add(capacity).min(len);
        let end = if limit == len {
            len
        } else {
            // The last group boundary within the part, else the part full.
            (start + 1..=limit)
                .rev()
                .find(|&e| !same_group(e - 1, e))
                .unwrap_or(limit)
        };
        parts.push(start..end);
        start = end;
    }
    parts
}

/// The name of a split sheet's `index`th part (from 0): the first keeps the sheet's name, the
/// others add their number, as an office worker would name them (认定名单, 认定名单（2）, …).
pub fn part_name(name: &str, index: usize) -> String {
    if index == 0 {
        name.to_string()
    } else {
        format!("{name}（{}）", index + 1)
    }
}

/// Where a worksheet's cells wait until the workbook is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetMemory {
    /// In memory (rust_xlsxwriter's default).
    Held,
    /// Streamed to a temporary file row by row (rust_xlsxwriter's low-memory mode): rows must
    /// be written in order, for lists as long as a province's.
    Streamed,
}

/// Writes rows split into `parts` (from [`sheet_parts`]) as worksheets named
/// [`part_name`]`(name, n)`, `write_part` filling each with its range of rows (header and all).
pub fn write_parts(
    wb: &mut Workbook,
    name: &str,
    parts: Vec<Range<usize>>,
    memory: SheetMemory,
    mut write_part: impl FnMut(&mut Worksheet, Range<usize>) -> Result<(), XlsxError>,
) -> Result<(), XlsxError> {
    for (n, part) in parts.into_iter().enumerate() {
        let sheet = match memory {
            SheetMemory::Held => wb.add_worksheet(),
            SheetMemory::Streamed => wb.add_worksheet_with_low_memory()?,
        };
        sheet.set_name(part_name(name, n))?;
        write_part(sheet, part)?;
    }
    Ok(())
}

pub fn write(path: &Path, indicators: &Indicators) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut wb = new_workbook();
    let header = Format::new()
        .set_bold()
        .set_background_color("E8EBF0")
        .set_text_wrap();
    let percent = Format::new().set_num_format("0.00%");
    let two = Format::new().set_num_format("0.00");
    let whole = Format::new().set_num_format("0");
    let columns = if indicators.top_level() == "city" {
        crate::indicator_files::columns()
    } else {
        crate::indicator_files::columns_with_region()
    };
    let above = [("province", "省份"), ("nation", "全国")]
        .into_iter()
        .filter(|(level, _)| indicators.level(level).next().is_some());
    for (level, sheet) in [
        ("community", "社区"),
        ("street", "街道"),
        ("district", "区县"),
        ("city", "全市"),
    ]
    .into_iter()
    .chain(above)
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet)?;
        for (c, name) in columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, label_zh(name), &header)?;
            ws.set_column_width(c as u16, if c < 4 { 14 } else { 12 })?;
        }
        let rows: Vec<&IndicatorRow> = indicators.level(level).collect();
        for (r, row) in rows.iter().enumerate() {
            let values = match serde_json::to_value(row) {
                Ok(Value::Object(map)) => map,
                _ => continue,
            };
            let r = r as u32 + 1;
            for (c, name) in columns.iter().enumerate() {
                let c = c as u16;
                match values.get(name.as_str()).unwrap_or(&Value::Null) {
                    Value::Null => {}
                    Value::Bool(b) => {
                        ws.write_string(r, c, if *b { "是" } else { "否" })?;
                    }
                    Value::Number(n) => {
                        let v = n.as_f64().unwrap_or(0.0);
                        let format = if is_percent(name) {
                            &percent
                        } else if n.is_f64() {
                            &two
                        } else {
                            &whole
                        };
                        ws.write_number_with_format(r, c, v, format)?;
                    }
                    Value::String(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    other => {
                        ws.write_string(r, c, other.to_string())?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, rows.len() as u32, columns.len() as u16 - 1)?;
    }
    let tmp = path.with_extension("xlsx.tmp");
    wb.save(&tmp)?;
    std::fs::rename(&tmp, path).map_err(rust_xlsxwriter::XlsxError::IoError)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts of `groups` (one letter per row, a letter per group) at `capacity` rows a sheet.
    fn parts(groups: &str, capacity: usize) -> Vec<Range<usize>> {
        let g = groups.as_bytes();
        sheet_parts(g.len(), capacity, |a, b| g[a] == g[b])
    }

    #[test]
    fn rows_that_fit_are_one_part() {
        assert_eq!(parts("", 3), vec![0..0], "no rows: one empty sheet");
        assert_eq!(parts("aab", 3), vec![0..3]);
    }

    #[test]
    fn a_part_ends_where_a_group_ends() {
        assert_eq!(parts("aabbbc", 4), vec![0..2, 2..6]);
        assert_eq!(parts("abbc", 2), vec![0..1, 1..3, 3..4]);
    }

    #[test]
    fn a_group_larger_than_a_sheet_is_split_at_the_sheet_edge() {
        assert_eq!(parts("aaaaa", 2), vec![0..2, 2..4, 4..5]);
        assert_eq!(parts("abbbbb", 3), vec![0..1, 1..4, 4..6]);
    }

    #[test]
    fn later_parts_are_numbered() {
        assert_eq!(part_name("认定名单", 0), "认定名单");
        assert_eq!(part_name("认定名单", 2), "认定名单（3）");
        assert_eq!(
            SHEET_DATA_ROWS + 1,
            1_048_576,
            "Excel's rows, the header's included"
        );
    }
}
