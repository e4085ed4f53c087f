//! 星级认定名单.xlsx: the persons behind the star counts, per community, with nothing personal
//! but the masked name and the 志愿者编号.

mod common;

use std::collections::BTreeMap;

use common::{indicator_csv, sample_env};
use ingest::reader::{Cell, Workbook};

#[test]
fn the_certification_list_holds_exactly_the_persons_the_star_counts_count() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&["--period", "2025", "--out", "o"]).code(0);
    let path = env.path().join("o/星级认定名单.xlsx");
    let mut wb = Workbook::open(&path, None).unwrap();
    assert_eq!(wb.sheet_names(), vec!["认定名单", "汇总"]);
    let rows: Vec<Vec<Cell>> = wb
        .rows("认定名单")
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect();
    let text = |c: &Cell| c.as_text().unwrap_or_default();
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        header,
        [
            "区县",
            "街道",
            "社区",
            "志愿者编号",
            "姓名",
            "星级",
            // (as the reader gives them: half-width brackets)
            "门槛(小时)",
            "累计有效时长(小时)",
            "本期新达到"
        ]
    );
    let levels = ["一星", "二星", "三星", "四星", "五星"];
    let thresholds = [100.0, 300.0, 600.0, 1000.0, 1500.0];
    let mut listed: BTreeMap<(String, String, String), [i64; 5]> = BTreeMap::new();
    let mut new = [0i64; 5];
    for row in &rows[1..] {
        let level = levels.iter().position(|l| *l == text(&row[5])).unwrap();
        let hours = match &row[7] {
            Cell::Number(h) => *h,
            other => panic!("{other:?}"),
        };
        // Each person is listed at the level their hours reach.
        assert!(
            hours >= thresholds[level],
            "{hours} below {}",
            levels[level]
        );
        assert!(level == 4 || hours < thresholds[level + 1]);
        listed
            .entry((text(&row[0]), text(&row[1]), text(&row[2])))
            .or_default()[level] += 1;
        if text(&row[8]) == "是" {
            new[level] += 1;
        }
        // Nothing personal: a masked name, and no ID or phone number anywhere.
        assert!(text(&row[4]).contains('*'), "{:?}", text(&row[4]));
        for cell in row {
            let t = text(cell);
            let digits = t.chars().filter(char::is_ascii_digit).count();
            assert!(
                !(digits >= 11 && t.len() >= 11 && matches!(cell, Cell::Text(_))),
                "a long number in the list"
            );
        }
    }
    assert!(!listed.is_empty(), "the sample has star volunteers");
    // Per community and level, exactly community.csv's star1 … star5.
    for r in indicator_csv(&env, "o", "community") {
        let key = (
            r["district"].clone(),
            r["street"].clone(),
            r["community"].clone(),
        );
        let want: Vec<i64> = ["star1", "star2", "star3", "star4", "star5"]
            .iter()
            .map(|k| r[*k].parse().unwrap())
            .collect();
        let have = listed.remove(&key).unwrap_or_default();
        assert_eq!(have.to_vec(), want, "{key:?}");
    }
    assert!(listed.is_empty(), "persons of no community: {listed:?}");
    // The briefing states the newly eligible per level.
    let html = std::fs::read_to_string(env.path().join("o/briefing.html")).unwrap();
    let note = format!(
        "本期新达到一星{}人、二星{}人、三星{}人、四星{}人、五星{}人",
        new[0], new[1], new[2], new[3], new[4]
    );
    assert!(html.contains(&note), "{note}");
    assert!(
        new.iter().sum::<i64>() > 0,
        "some levels are newly reached in 2025"
    );

    // "Newly reached" against the list at the end of 2024: a person is new at a level in 2025
    // exactly when 2024's list had them lower (or not at all).
    env.report(&["--period", "2024", "--out", "o2024"]).code(0);
    let mut wb = Workbook::open(&env.path().join("o2024/星级认定名单.xlsx"), None).unwrap();
    let level_of = |row: &[Cell]| levels.iter().position(|l| *l == text(&row[5])).unwrap();
    let before: BTreeMap<String, usize> = wb
        .rows("认定名单")
        .unwrap()
        .skip(1)
        .map(|r| r.unwrap().cells)
        .filter(|r| !text(&r[3]).is_empty())
        .map(|r| (text(&r[3]), level_of(&r) + 1))
        .collect();
    let mut compared = 0;
    for row in rows[1..].iter().filter(|r| !text(&r[3]).is_empty()) {
        let was = before.get(&text(&row[3])).copied().unwrap_or(0);
        assert_eq!(
            text(&row[8]) == "是",
            level_of(row) + 1 > was,
            "{}",
            text(&row[3])
        );
        compared += 1;
    }
    assert!(compared > 0);
}

/// The star list's rows and the year's progress, as a report wrote them into `dir`.
fn star_list_and_progress(dir: &std::path::Path) -> (Vec<Vec<String>>, String) {
    let mut wb = Workbook::open(&dir.join("星级认定名单.xlsx"), None).unwrap();
    let rows = wb
        .rows("认定名单")
        .unwrap()
        .map(|r| {
            r.unwrap()
                .cells
                .iter()
                .map(|c| c.as_text().unwrap_or_default())
                .collect()
        })
        .collect();
    let progress = std::fs::read_to_string(dir.join("indicators/progress.csv")).unwrap();
    (rows, progress)
}

/// In a working folder progress is computed on a thread of its own, on a second connection
/// beside the indicators; from an export it is computed after them on the same engine.
/// Both give the same files, the star list included.
#[test]
fn a_folder_and_its_export_give_the_same_star_list_and_progress() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&["--period", "2025-Q3", "--out", "beside"])
        .code(0);
    let export = env.export_parquet("export");
    env.report(&[
        "--period",
        "2025-Q3",
        "--engine",
        "duckdb",
        "--data",
        export.to_str().unwrap(),
        "--out",
        "after",
    ])
    .code(0);
    let (beside_rows, beside_progress) = star_list_and_progress(&env.path().join("beside"));
    let (after_rows, after_progress) = star_list_and_progress(&env.path().join("after"));
    assert!(beside_rows.len() > 100, "{}", beside_rows.len());
    assert!(beside_progress.lines().count() > 100);
    assert_eq!(beside_rows, after_rows);
    assert_eq!(beside_progress, after_progress);
}

/// The star list is computed with the indicators, from the persons' hours their own pass sums;
/// when the indicators come from the result cache and the star list does not, it is computed on
/// its own (the scope and star SQL run for it alone). Both give the same list.
#[test]
fn the_star_list_computed_on_its_own_is_the_one_computed_with_the_indicators() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&["--period", "2025-Q3", "--out", "with"])
        .code(0);
    let star_entries = env.cache_entries("star-list-");
    assert_eq!(star_entries.len(), 1, "{star_entries:?}");
    std::fs::remove_file(&star_entries[0]).unwrap();
    assert!(
        !env.cache_entries("indicators-").is_empty(),
        "the indicators stay cached"
    );
    env.report(&["--period", "2025-Q3", "--out", "alone"])
        .code(0);
    let (with_rows, _) = star_list_and_progress(&env.path().join("with"));
    let (alone_rows, _) = star_list_and_progress(&env.path().join("alone"));
    assert!(with_rows.len() > 100, "{}", with_rows.len());
    assert_eq!(with_rows, alone_rows);
    // The 本期新达到 column says something: some persons are new in the quarter, some not.
    let new: Vec<&String> = with_rows[1..].iter().map(|r| &r[8]).collect();
    assert!(new.iter().any(|n| *n == "是") && new.iter().any(|n| *n == "否"));
}
