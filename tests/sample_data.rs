//! The bundled sample data: it is what the generator writes, every planted defect meets its
//! fate, and no ID or phone number of the input reaches the warehouse, quarantine.csv or output.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use common::{counts, manifest, query_rows, sample_env, samples, Env, BIN};

#[test]
fn committed_samples_are_what_the_generator_writes() {
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(BIN)
        .args(["gen", "--out", out.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut compared = 0;
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        let committed = std::fs::read(samples().join(name))
            .unwrap_or_else(|_| panic!("{name:?} is generated but not in sample-data/"));
        assert!(
            committed == std::fs::read(&path).unwrap(),
            "sample-data/{name:?} differs from `vbrief gen` output: regenerate it"
        );
        compared += 1;
    }
    assert!(compared >= 12, "{compared}");
}

fn quarantined_by_reason(env: &Env, file: &str) -> BTreeMap<String, i64> {
    let conn = env.warehouse();
    let mut stmt = conn
        .prepare("SELECT q.reason, count(*) FROM quarantine q JOIN files f USING (file_id) WHERE f.path LIKE '%' || ? GROUP BY 1")
        .unwrap();
    let rows = stmt
        .query_map([file], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap();
    rows.map(|r| r.unwrap()).collect()
}

#[test]
fn every_planted_defect_meets_its_fate_and_no_personal_data_leaks() {
    let env = sample_env();
    let m = manifest();
    let n = |k: &str| m[k].as_i64().unwrap();
    let run = env.ingest(&[]).code(0);

    let mut volunteer_reasons = quarantined_by_reason(&env, "志愿者注册信息_青山区.csv");
    for (k, v) in quarantined_by_reason(&env, "志愿者注册信息_其他区县.xlsx") {
        *volunteer_reasons.entry(k).or_default() += v;
    }
    let expected: BTreeMap<String, i64> = [
        ("invalid_id", n("planted_invalid_id")),
        ("duplicate", n("planted_duplicate_registration")),
        ("unknown_community", n("planted_unknown_community")),
        ("ambiguous_community", n("planted_ambiguous_community")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(volunteer_reasons, expected);
    let registered = env.count("SELECT count(*) FROM volunteers");
    assert_eq!(
        registered,
        n("persons")
            - n("planted_invalid_id")
            - n("planted_unknown_community")
            - n("planted_ambiguous_community")
    );

    let mut record_reasons = quarantined_by_reason(&env, "服务时长记录_2024.xlsx");
    for (k, v) in quarantined_by_reason(&env, "服务时长记录_2025.xlsx") {
        *record_reasons.entry(k).or_default() += v;
    }
    let expected: BTreeMap<String, i64> = [
        ("bad_date", n("planted_bad_date")),
        ("hours_not_positive", n("planted_hours_not_positive")),
        ("hours_over_24", n("planted_hours_over_24")),
        ("duplicate", n("planted_duplicate_record")),
    ]
    .into_iter()
    .filter(|(_, v)| *v > 0)
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(record_reasons, expected);
    assert_eq!(
        counts(&run, "服务时长记录_2025.xlsx")["counts"]["skipped_known"]
            .as_i64()
            .unwrap(),
        n("planted_overlap_record")
    );
    assert_eq!(
        env.count("SELECT count(*) FROM service_records"),
        n("record_rows")
            - n("planted_bad_date")
            - n("planted_hours_not_positive")
            - n("planted_hours_over_24")
            - n("planted_duplicate_record")
            - n("planted_overlap_record")
    );
    // Ledger: a title row, a header row and a 合计 row are skipped, nothing quarantined.
    let ledger = counts(&run, "人口台账.xlsx");
    assert_eq!(
        ledger["counts"]["accepted"].as_i64().unwrap(),
        n("ledger_rows")
    );
    assert_eq!(ledger["counts"]["skipped_total"], 1);
    assert_eq!(
        env.count("SELECT count(*) FROM communities"),
        n("communities")
    );
    // The alias maps the old community name.
    assert_eq!(
        env.count("SELECT count(*) FROM quarantine WHERE detail LIKE '%老城社区%'"),
        0
    );

    assert_no_personal_data(&env, &[&run.stdout, &run.stderr]);
}

/// Every ID-number-like and phone-like value in the input files.
fn personal_values(inbox: &Path) -> HashSet<String> {
    let mut found = HashSet::new();
    for entry in std::fs::read_dir(inbox).unwrap() {
        let path = entry.unwrap().path();
        let mut wb = ingest::reader::Workbook::open(&path, None).unwrap();
        for sheet in wb.sheet_names() {
            for row in wb.rows(&sheet).unwrap() {
                for cell in row.unwrap().cells {
                    let Some(text) = cell.as_text() else { continue };
                    let compact: String = ingest::parse::text::compact(&text).to_uppercase();
                    let is_id = compact.len() == 18
                        && compact.is_ascii()
                        && compact[..17].chars().all(|c| c.is_ascii_digit());
                    let is_phone = compact.len() == 11
                        && compact.starts_with('1')
                        && compact.chars().all(|c| c.is_ascii_digit());
                    if is_id || is_phone {
                        found.insert(compact);
                    }
                }
            }
        }
    }
    found
}

/// Digit runs (with a trailing X) of 11 characters or more in some bytes.
fn digit_runs(bytes: &[u8]) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut run = String::new();
    for &b in bytes.iter().chain(std::iter::once(&b' ')) {
        if b.is_ascii_digit() || ((b == b'X' || b == b'x') && run.len() == 17) {
            run.push(b.to_ascii_uppercase() as char);
        } else {
            if run.len() >= 11 {
                // Any 11- or 18-character window could be a phone or an ID number.
                for len in [11, 18] {
                    for start in 0..=run.len().saturating_sub(len) {
                        if run.len() >= len {
                            out.insert(run[start..start + len].to_string());
                        }
                    }
                }
            }
            run.clear();
        }
    }
    out
}

fn assert_no_personal_data(env: &Env, outputs: &[&str]) {
    let secrets = personal_values(&env.inbox());
    assert!(
        secrets.len() > 1000,
        "the sample should contain ID and phone numbers: {}",
        secrets.len()
    );
    let mut places: Vec<(String, Vec<u8>)> = Vec::new();
    for name in ["warehouse.duckdb", "warehouse.duckdb.wal", "quarantine.csv"] {
        if let Ok(bytes) = std::fs::read(env.path().join(name)) {
            places.push((name.into(), bytes));
        }
    }
    assert!(places.len() >= 2);
    for (i, o) in outputs.iter().enumerate() {
        places.push((format!("output {i}"), o.as_bytes().to_vec()));
    }
    for (name, bytes) in &places {
        let leaked = digit_runs(bytes).intersection(&secrets).count();
        assert_eq!(leaked, 0, "{leaked} personal numbers found in {name}");
    }
    // Stored strings may be compressed on disk: also scan every text column's values.
    let conn = env.warehouse();
    let columns: Vec<(String, String)> = query_rows(
        &conn,
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'",
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    assert!(columns.len() > 20);
    for (table, column) in columns {
        let values: Vec<String> = query_rows(
            &conn,
            &format!(
                "SELECT DISTINCT \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
            ),
            |r| r.get(0),
        );
        for v in values {
            let hits = digit_runs(v.as_bytes()).intersection(&secrets).count();
            assert_eq!(hits, 0, "personal number stored in {table}.{column}");
        }
    }
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("演示");
    let out = std::process::Command::new(BIN)
        .args(["demo", demo.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("导入摘要 Ingest summary"), "{stdout}");
    assert!(demo.join("warehouse.duckdb").exists() && demo.join("quarantine.csv").exists());
    for file in [
        "community.csv",
        "street.csv",
        "district.csv",
        "city.csv",
        "indicators.json",
    ] {
        assert!(
            demo.join("out/2025/indicators").join(file).is_file(),
            "demo did not write {file}"
        );
    }
    assert!(stdout.contains("指标 Indicators"), "{stdout}");
    // Running it again ingests nothing new.
    let again = std::process::Command::new(BIN)
        .args(["demo", demo.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .matches("unchanged since an earlier ingest")
            .count()
            >= 10
    );
}
