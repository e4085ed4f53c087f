//! `vbrief gen --nation`: a national-shaped set written as one Parquet export per province,
//! and the report over all of them (`--data FOLDER`): the levels above the city (province,
//! nation) and one province's own briefing (`--province`), on DuckDB. The same on Spark is in
//! tests/spark.rs.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{indicator_csv, Env};

/// 1/20,000 of the nation: 12,000 volunteers, 268,000 records, one export per province.
const SMALL: &str = "0.00005";
/// 1/2,500: 96,000 volunteers, 2,144,000 records; 广东 has 21 communities in 2 cities.
const LARGER: &str = "0.0004";

fn generate(env: &Env, fraction: &str, name: &str) -> std::path::PathBuf {
    let out = env.path().join(name);
    env.run(&["gen", "--nation", fraction, "--out", out.to_str().unwrap()])
        .code(0)
        .stdout_has("generated 31 个省级导出");
    out
}

fn report(env: &Env, data: &Path, extra: &[&str], out: &str) -> common::Run {
    let out = env.path().join(out);
    let mut args = vec![
        "report",
        "--workdir",
        env.path().to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--period",
        "2025",
        "--date",
        "2026-01-15",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

fn number(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?}", row[column]))
}

/// The tables of an export's manifest.json.
fn manifest_tables(export: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(export.join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["tables"].as_array().unwrap().clone()
}

fn manifest_rows(export: &Path, table: &str) -> u64 {
    manifest_tables(export)
        .iter()
        .find(|t| t["name"] == table)
        .unwrap()["rows"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_national_set_is_one_export_per_province_and_the_same_for_the_same_seed() {
    let env = Env::new();
    let a = generate(&env, SMALL, "a");
    let b = generate(&env, SMALL, "b");
    let exports: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(exports.len(), 31, "one export per province, nothing else");
    let records: u64 = exports
        .iter()
        .map(|e| manifest_rows(e, "service_records"))
        .sum();
    assert_eq!(records, 268_000);
    // Every volunteer once, and about 1% again in another province (moved).
    let volunteers: u64 = exports.iter().map(|e| manifest_rows(e, "volunteers")).sum();
    assert!(
        (12_000..12_000 + 12_000 / 50).contains(&volunteers),
        "{volunteers}"
    );
    // The same seed writes the same files (the manifest lists each file's checksum).
    for e in &exports {
        let name = e.file_name().unwrap();
        let checksums = |dir: &Path| -> Vec<String> {
            manifest_tables(dir)
                .iter()
                .flat_map(|t| t["files"].as_array().unwrap().clone())
                .map(|f| f["blake3"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(checksums(e), checksums(&b.join(name)), "{name:?}");
    }
}

#[test]
fn the_nation_and_its_provinces_add_up_and_a_province_reports_alone() {
    let env = Env::new();
    let data = generate(&env, LARGER, "nation");
    report(&env, &data, &[], "all")
        .code(0)
        .stdout_has("全国 nation");
    let nation = indicator_csv(&env, "all", "nation");
    assert_eq!(nation.len(), 1);
    let nation = &nation[0];
    let provinces = indicator_csv(&env, "all", "province");
    assert_eq!(provinces.len(), 31);
    // The residents are 1/2,500 of the 31 provinces' 140,977 万 (census 2020), each province rounded.
    let population = number(nation, "population");
    assert!((population - 563_908.0).abs() <= 31.0, "{population}");
    // Additive figures: the provinces add up to the nation; so do the cities to a province.
    for column in [
        "population",
        "registered",
        "hours",
        "active_volunteers",
        "organizations",
    ] {
        let sum: f64 = provinces.iter().map(|p| number(p, column)).sum();
        assert!((sum - number(nation, column)).abs() < 0.01, "{column}");
    }
    let cities = indicator_csv(&env, "all", "city");
    let guangdong = provinces
        .iter()
        .find(|p| p["province"] == "广东省")
        .unwrap();
    let guangdong_cities: f64 = cities
        .iter()
        .filter(|c| c["province"] == "广东省")
        .map(|c| number(c, "registered"))
        .sum();
    assert_eq!(guangdong_cities, number(guangdong, "registered"));
    // Rates are ratios of sums, at every level.
    let rate = number(nation, "registration_rate");
    let expected = number(nation, "registered") / population;
    assert!((rate - expected).abs() < 0.0001, "{rate} vs {expected}");

    // One province alone: its figures are its row in the nation's report, its briefing is
    // titled with its name and compares its cities.
    report(&env, &data, &["--province", "广东省"], "gd").code(0);
    let alone = indicator_csv(&env, "gd", "province");
    assert_eq!(alone.len(), 1);
    for column in [
        "population",
        "registered",
        "registration_rate",
        "hours",
        "per_capita_hours",
        "active_volunteers",
        "communities_meeting_registration",
    ] {
        assert_eq!(alone[0][column], guangdong[column], "{column}");
    }
    assert!(!env.path().join("gd/indicators/nation.csv").exists());
    let html = std::fs::read_to_string(env.path().join("gd/briefing.html")).unwrap();
    assert!(html.contains("广东省社区志愿服务评估简报"));
    assert!(html.contains("各地市对比"));
    let html = std::fs::read_to_string(env.path().join("all/briefing.html")).unwrap();
    assert!(html.contains("全国社区志愿服务评估简报"));
    assert!(html.contains("各省份对比"));

    // A province that is not there is named, with the ones that are.
    report(&env, &data, &["--province", "江苏"], "x")
        .code(1)
        .stderr_has("江苏省");
}
