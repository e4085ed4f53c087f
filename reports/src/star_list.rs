//! `星级认定名单.xlsx`: for each community, the persons eligible for a star level at the end
//! of the period, to hand to the community for certification. Two sheets: 认定名单 (one row
//! per person, sorted by community, then level and hours) and 汇总 (per community, persons by
//! level and newly reached in the period). Only the masked name and the 志愿者编号 identify a
//! person; text is always written as text.

use std::path::Path;

use rust_xlsxwriter::{Format, XlsxError};

use transforms::star_list::StarListRow;

pub const FILE_NAME: &str = "星级认定名单.xlsx";

use crate::briefing::STAR_LEVELS as LEVELS;

/// Persons newly reaching each level (一星 … 五星) in the period.
pub fn new_per_level(rows: &[StarListRow]) -> [i64; 5] {
    let mut out = [0; 5];
    for r in rows.iter().filter(|r| r.new_in_period) {
        if let Some(slot) = usize::try_from(r.level - 1)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot += 1;
        }
    }
    out
}

pub fn write(path: &Path, rows: &[StarListRow], thresholds: &[f64]) -> Result<(), XlsxError> {
    let mut wb = crate::xlsx::new_workbook();
    let header = Format::new().set_bold().set_background_color("E8EBF0");
    let two = Format::new().set_num_format("0.00");

    let ws = wb.add_worksheet();
    ws.set_name("认定名单")?;
    let columns = [
        "区县",
        "街道",
        "社区",
        "志愿者编号",
        "姓名",
        "星级",
        "门槛（小时）",
        "累计有效时长（小时）",
        "本期新达到",
    ];
    for (c, name) in columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &header)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let level = usize::try_from(r.level - 1).unwrap_or(0).min(4);
        ws.write_string(row, 0, &r.district)?;
        ws.write_string(row, 1, &r.street)?;
        ws.write_string(row, 2, &r.community)?;
        ws.write_string(row, 3, r.volunteer_no.as_deref().unwrap_or(""))?;
        ws.write_string(row, 4, r.name_masked.as_deref().unwrap_or(""))?;
        ws.write_string(row, 5, LEVELS[level])?;
        ws.write_number(row, 6, thresholds.get(level).copied().unwrap_or(0.0))?;
        ws.write_number_with_format(row, 7, r.hours, &two)?;
        ws.write_string(row, 8, if r.new_in_period { "是" } else { "否" })?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows.len() as u32, columns.len() as u16 - 1)?;
    for (c, width) in [10, 12, 14, 14, 8, 6, 10, 16, 10].into_iter().enumerate() {
        ws.set_column_width(c as u16, width)?;
    }

    // 汇总: per community, persons per level and how many are new.
    let ws = wb.add_worksheet();
    ws.set_name("汇总")?;
    let mut head = vec!["区县", "街道", "社区"];
    head.extend(LEVELS);
    head.extend(["合计", "其中本期新达到"]);
    for (c, name) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &header)?;
    }
    let mut line = 0u32;
    let mut start = 0;
    while start < rows.len() {
        let same = |r: &StarListRow| {
            (&r.district, &r.street, &r.community)
                == (
                    &rows[start].district,
                    &rows[start].street,
                    &rows[start].community,
                )
        };
        let end = start + rows[start..].iter().take_while(|r| same(r)).count();
        let group = &rows[start..end];
        line += 1;
        ws.write_string(line, 0, &group[0].district)?;
        ws.write_string(line, 1, &group[0].street)?;
        ws.write_string(line, 2, &group[0].community)?;
        for (i, _) in LEVELS.iter().enumerate() {
            let n = group.iter().filter(|r| r.level == i as i32 + 1).count();
            ws.write_number(line, 3 + i as u16, n as f64)?;
        }
        ws.write_number(line, 8, group.len() as f64)?;
        ws.write_number(
            line,
            9,
            group.iter().filter(|r| r.new_in_period).count() as f64,
        )?;
        start = end;
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save(path)
}
