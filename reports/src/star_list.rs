//! `星级认定名单.xlsx`: for each community, the persons eligible for a star level at the end
//! of the period, to hand to the community for certification. Two sheets: 认定名单 (one row
//! per person, sorted by community, then level and hours) and 汇总 (per community, persons by
//! level and newly reached in the period). Only the masked name and the 志愿者编号 identify a
//! person; text is always written as text.

use std::path::Path;

use rust_xlsxwriter::{Format, XlsxError};

use transforms::star_list::StarListRow;

use crate::xlsx::SheetMemory;

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
    write_in_sheets_of(path, rows, thresholds, crate::xlsx::SHEET_DATA_ROWS)
}

/// [`write`] with at most `sheet_rows` data rows per worksheet: past it a sheet goes on in
/// 认定名单（2）, 认定名单（3）… (汇总 likewise), each with its header, filter and frozen row, a
/// community's persons kept on one sheet.
fn write_in_sheets_of(
    path: &Path,
    rows: &[StarListRow],
    thresholds: &[f64],
    sheet_rows: usize,
) -> Result<(), XlsxError> {
    let mut wb = crate::xlsx::new_workbook();
    let header = Format::new().set_bold().set_background_color("E8EBF0");
    let two = Format::new().set_num_format("0.00");

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
    let same_community = |a: &StarListRow, b: &StarListRow| {
        (&a.district, &a.street, &a.community) == (&b.district, &b.street, &b.community)
    };
    let parts = crate::xlsx::sheet_parts(rows.len(), sheet_rows, |a, b| {
        same_community(&rows[a], &rows[b])
    });
    // Rows go to a temporary file as they are written (rust_xlsxwriter's low-memory mode):
    // held as cells, a province's 1.4 M persons took ~3 GB beside DuckDB's memory.
    crate::xlsx::write_parts(
        &mut wb,
        "认定名单",
        parts,
        SheetMemory::Streamed,
        |ws, part| {
            for (c, width) in [10, 12, 14, 14, 8, 6, 10, 16, 10].into_iter().enumerate() {
                ws.set_column_width(c as u16, width)?;
            }
            for (c, name) in columns.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *name, &header)?;
            }
            let part_rows = &rows[part];
            for (i, r) in part_rows.iter().enumerate() {
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
            ws.autofilter(0, 0, part_rows.len() as u32, columns.len() as u16 - 1)?;
            Ok(())
        },
    )?;

    // 汇总: per community, persons per level and how many are new.
    let mut communities: Vec<&[StarListRow]> = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let end = start
            + rows[start..]
                .iter()
                .take_while(|r| same_community(r, &rows[start]))
                .count();
        communities.push(&rows[start..end]);
        start = end;
    }
    let mut head = vec!["区县", "街道", "社区"];
    head.extend(LEVELS);
    head.extend(["合计", "其中本期新达到"]);
    let parts = crate::xlsx::sheet_parts(communities.len(), sheet_rows, |_, _| false);
    crate::xlsx::write_parts(&mut wb, "汇总", parts, SheetMemory::Held, |ws, part| {
        for (c, name) in head.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *name, &header)?;
        }
        for (i, group) in communities[part].iter().enumerate() {
            let line = i as u32 + 1;
            ws.write_string(line, 0, &group[0].district)?;
            ws.write_string(line, 1, &group[0].street)?;
            ws.write_string(line, 2, &group[0].community)?;
            for (l, _) in LEVELS.iter().enumerate() {
                let n = group.iter().filter(|r| r.level == l as i32 + 1).count();
                ws.write_number(line, 3 + l as u16, n as f64)?;
            }
            ws.write_number(line, 8, group.len() as f64)?;
            ws.write_number(
                line,
                9,
                group.iter().filter(|r| r.new_in_period).count() as f64,
            )?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(())
    })?;
    wb.save(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook, Data, Reader, Xlsx};

    fn person(community: &str, no: &str, level: i32) -> StarListRow {
        StarListRow {
            district: "青山区".into(),
            street: "钢都街道".into(),
            community: community.into(),
            volunteer_no: Some(no.into()),
            name_masked: Some("张*".into()),
            level,
            hours: 30.0 * level as f64,
            new_in_period: level == 2,
        }
    }

    fn cells(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str) -> Vec<Vec<String>> {
        wb.worksheet_range(sheet)
            .unwrap()
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Float(f) => f.to_string(),
                        other => format!("{other:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    /// Past a sheet's rows the list goes on in numbered sheets, a community whole on one of
    /// them, each with its header; read in order, the sheets hold every person once.
    #[test]
    fn a_list_longer_than_a_sheet_goes_on_in_numbered_sheets() {
        let rows = vec![
            person("一社区", "V1", 1),
            person("二社区", "V2", 2),
            person("二社区", "V3", 1),
            person("三社区", "V4", 3),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        write_in_sheets_of(&path, &rows, &[10.0, 20.0, 30.0, 40.0, 50.0], 2).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(
            wb.sheet_names(),
            vec![
                "认定名单",
                "认定名单（2）",
                "认定名单（3）",
                "汇总",
                "汇总（2）"
            ]
        );
        let mut numbers = Vec::new();
        for (sheet, communities) in [
            ("认定名单", vec!["一社区"]),
            ("认定名单（2）", vec!["二社区", "二社区"]),
            ("认定名单（3）", vec!["三社区"]),
        ] {
            let got = cells(&mut wb, sheet);
            assert_eq!(got[0][0], "区县", "{sheet} starts with the header");
            assert_eq!(got[0][8], "本期新达到");
            let community: Vec<&str> = got[1..].iter().map(|r| r[2].as_str()).collect();
            assert_eq!(community, communities, "{sheet}");
            numbers.extend(got[1..].iter().map(|r| r[3].clone()));
        }
        assert_eq!(numbers, ["V1", "V2", "V3", "V4"]);
        let summary = cells(&mut wb, "汇总");
        assert_eq!(summary[0][8], "合计");
        assert_eq!(summary.len(), 3, "the header and two communities");
        assert_eq!(
            (summary[2][2].as_str(), summary[2][8].as_str()),
            ("二社区", "2")
        );
        let rest = cells(&mut wb, "汇总（2）");
        assert_eq!((rest[1][2].as_str(), rest[1][5].as_str()), ("三社区", "1"));
    }

    /// Within a sheet's rows nothing changes: one 认定名单, one 汇总.
    #[test]
    fn a_list_that_fits_stays_on_one_sheet() {
        let rows = vec![person("一社区", "V1", 1), person("二社区", "V2", 2)];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        write(&path, &rows, &[10.0, 20.0, 30.0, 40.0, 50.0]).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(wb.sheet_names(), vec!["认定名单", "汇总"]);
        assert_eq!(cells(&mut wb, "认定名单").len(), 3);
    }
}
