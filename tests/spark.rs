//! The warehouse exported as Parquet, and the same SQL on DuckDB and on Spark.
//!
//! These tests need a Spark Connect server: `scripts/test` starts one (`scripts/spark start`:
//! a standalone cluster of two workers, or local[2] with `VBRIEF_SPARK_WORKERS=0`; UTC) and
//! sets `VBRIEF_SPARK_REMOTE`. Without it they fail and say so: they never skip.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{sample_env, Env};

/// The Spark Connect server the tests use.
fn remote() -> String {
    std::env::var("VBRIEF_SPARK_REMOTE").unwrap_or_else(|_| {
        panic!(
            "VBRIEF_SPARK_REMOTE is not set: these tests need a Spark Connect server. \
             Run them with scripts/test, or start one with `scripts/spark start` and set \
             VBRIEF_SPARK_REMOTE=sc://127.0.0.1:15002"
        )
    })
}

const DATE: &str = "2026-01-15";

/// `report` from exported data on an engine, into `out` (relative to the working folder).
fn report_on(env: &Env, engine: &str, data: &[&Path], period: &str, out: &str) -> common::Run {
    let mut args = vec![
        "report".to_string(),
        "--workdir".into(),
        env.path().display().to_string(),
        "--engine".into(),
        engine.into(),
        "--period".into(),
        period.into(),
        "--date".into(),
        DATE.into(),
        "--out".into(),
        env.path().join(out).display().to_string(),
    ];
    for d in data {
        args.push("--data".into());
        args.push(d.display().to_string());
    }
    if engine == "spark" {
        args.push("--remote".into());
        args.push(remote());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
}

/// Every CSV under `dir`, by its path inside `dir`.
fn csv_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "csv") {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(name, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Two cells are the same figure: equal text, integers equal exactly, fractions to 1e-9
/// relative.
fn same_cell(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        return x == y;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Every output CSV of two reports is the same, cell by cell; so are the briefings' headline
/// figures (indicators.json's city row).
fn assert_same_outputs(a: &Path, b: &Path) {
    let (fa, fb) = (csv_files(a), csv_files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "the same files"
    );
    assert!(fa.len() >= 5, "{fa:?}");
    for (name, pa) in &fa {
        let read = |p: &Path| -> Vec<Vec<String>> {
            let text = std::fs::read_to_string(p).unwrap();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
            reader
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect()
        };
        let (ra, rb) = (read(pa), read(&fb[name]));
        assert_eq!(ra.len(), rb.len(), "{name}: rows");
        for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
            assert_eq!(x.len(), y.len(), "{name} row {i}: columns");
            for (j, (u, v)) in x.iter().zip(y).enumerate() {
                assert!(
                    same_cell(u, v),
                    "{name} row {i} column {} ({}): {u:?} vs {v:?}",
                    j,
                    ra[0][j]
                );
            }
        }
    }
    let city = |dir: &Path| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join("indicators").join("indicators.json")).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(text.trim_start_matches('\u{FEFF}')).unwrap();
        json["levels"]["city"][0].clone()
    };
    assert!(city(a)["registered"].is_number(), "a city row");
    assert_eq!(city(a), city(b), "the headline figures");
    // The briefing states the same figures in the same words.
    let text = |dir: &Path| std::fs::read_to_string(dir.join("briefing.html")).unwrap();
    assert_eq!(text(a), text(b), "briefing.html");
}

#[test]
fn the_sample_data_gives_the_same_outputs_on_duckdb_and_on_spark() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    let data = env.export_parquet("parquet");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("manifest.json")).unwrap())
            .unwrap();
    // Partitioned by year, keys as text, a checksum for every file.
    assert!(data.join("service_records/served_year=2025").is_dir());
    let records = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "service_records")
        .unwrap();
    assert_eq!(
        records["rows"].as_i64().unwrap(),
        env.count("SELECT count(*) FROM service_records")
    );
    assert!(records["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["type"] != "UUID"));
    assert!(records["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["blake3"].as_str().unwrap().len() == 64));
    for period in ["2025", "2025-Q3"] {
        env.report(&[
            "--period",
            period,
            "--date",
            DATE,
            "--out",
            &format!("warehouse-{period}"),
        ])
        .code(0);
        report_on(
            &env,
            "duckdb",
            &[&data],
            period,
            &format!("duckdb-{period}"),
        )
        .code(0);
        report_on(&env, "spark", &[&data], period, &format!("spark-{period}")).code(0);
        let dir = |name: &str| env.path().join(format!("{name}-{period}"));
        assert_same_outputs(&dir("warehouse"), &dir("duckdb"));
        assert_same_outputs(&dir("duckdb"), &dir("spark"));
    }
}

/// A small city with the cases where two SQL engines could part ways.
/// - 东区/一街道/甲社区 and 西区/二街道/丙社区: the same figures (a tie in rank);
/// - 东区/一街道/乙社区: population 0 (no registration rate), a volunteer registered on 31 Dec;
/// - 西区/二街道/丁社区: no volunteers at all;
/// - P1 registered in 东区 (2023) and again in 西区 (2024): counted once, in 东区;
/// - records on a leap day (2024-02-29) and on month ends (31 Jan, 31 Mar, 30 Jun, 30 Sep,
///   31 Dec), and one pending record.
fn awkward_city(env: &Env) {
    env.csv(
        "人口.csv",
        &[
            "区县,街道,社区,常住人口,统计日期",
            "东区,一街道,甲社区,40,2023-01-01",
            "东区,一街道,乙社区,0,2023-01-01",
            "西区,二街道,丙社区,40,2023-01-01",
            "西区,二街道,丁社区,25,2023-01-01",
        ],
    );
    env.csv(
        "志愿者.csv",
        &[
            "志愿者编号,姓名,注册时间,所属区县,所属街道,所属社区,状态",
            "P1,张三,2023-05-01,东区,一街道,甲社区,正常",
            "P1,张三,2024-03-01,西区,二街道,丙社区,正常",
            "P2,李四,2023-06-01,东区,一街道,甲社区,正常",
            "P3,王五,2024-02-29,东区,一街道,乙社区,正常",
            "Q1,赵六,2023-05-01,西区,二街道,丙社区,正常",
            "Q2,钱七,2023-06-01,西区,二街道,丙社区,正常",
            "Q3,孙八,2025-12-31,东区,一街道,乙社区,正常",
        ],
    );
    env.csv(
        "时长.csv",
        &[
            "记录编号,志愿者编号,项目名称,服务日期,服务时长,状态",
            "R1,P1,助老,2024-02-29,3.5,已生效",
            "R2,P1,助老,2025-01-31,2.25,已生效",
            "R3,P2,助老,2025-03-31,7,已生效",
            "R4,P1,环保,2025-06-30,1.75,已生效",
            "R5,P2,环保,2025-09-30,4,已生效",
            "R6,P3,助老,2025-12-31,0.5,已生效",
            "R7,P3,助老,2025-07-01,2,待审核",
            "S1,Q1,助老,2024-02-29,3.5,已生效",
            "S2,Q1,助老,2025-01-31,2.25,已生效",
            "S3,Q2,助老,2025-03-31,7,已生效",
            "S4,Q1,环保,2025-06-30,1.75,已生效",
            "S5,Q2,环保,2025-09-30,4,已生效",
            "S6,Q3,助老,2025-12-31,0.5,已生效",
        ],
    );
    env.ingest(&[]).code(0);
}

#[test]
fn awkward_data_gives_the_same_outputs_on_duckdb_and_on_spark() {
    let env = Env::new();
    awkward_city(&env);
    let data = env.export_parquet("parquet");
    // A year (its previous year holds the leap day) and the quarter of the leap day.
    for period in ["2025", "2024-Q1"] {
        report_on(
            &env,
            "duckdb",
            &[&data],
            period,
            &format!("duckdb-{period}"),
        )
        .code(0);
        report_on(&env, "spark", &[&data], period, &format!("spark-{period}")).code(0);
        assert_same_outputs(
            &env.path().join(format!("duckdb-{period}")),
            &env.path().join(format!("spark-{period}")),
        );
    }
    // The cases are there: the tie, population 0, the empty community, P1 once.
    let rows = common::indicator_csv(&env, "spark-2025", "community");
    let get = |name: &str| rows.iter().find(|r| r["community"] == name).unwrap();
    assert_eq!(get("甲社区")["registered"], "2");
    assert_eq!(get("丙社区")["registered"], "2", "P1 counts in 东区 only");
    assert_eq!(get("甲社区")["hours"], get("丙社区")["hours"]);
    assert_eq!(get("乙社区")["registration_rate"], "");
    assert_eq!(get("丁社区")["registered"], "0");
}

/// Two warehouses pseudonymized with the same key, combined on Spark, give the figures of one
/// warehouse holding both sets of files; a third with another key is refused.
#[test]
fn exports_with_one_key_combine_and_different_keys_are_refused() {
    let key = "11".repeat(32);
    let with_key =
        |env: &Env, key: &str, args: &[&str]| env.run_with_vars(&[("VBRIEF_KEY", key)], args);
    let sample_files: Vec<PathBuf> = std::fs::read_dir(common::samples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx" || e == "csv"))
        .collect();
    // A: everything but the other districts' volunteers; B: everything but 青山区's.
    let part = |skip: &str| {
        let env = Env::new();
        for f in &sample_files {
            if !f.file_name().unwrap().to_string_lossy().starts_with(skip) {
                std::fs::copy(f, env.inbox().join(f.file_name().unwrap())).unwrap();
            }
        }
        std::fs::copy(
            common::samples().join("vbrief.toml"),
            env.path().join("vbrief.toml"),
        )
        .unwrap();
        env
    };
    let a = part("03_");
    let b = part("02_");
    let whole = part("none");
    for env in [&a, &b, &whole] {
        with_key(
            env,
            &key,
            &["ingest", "--workdir", env.path().to_str().unwrap()],
        )
        .code(0);
    }
    let export_with = |env: &Env, key: &str| {
        let out = env.path().join("parquet");
        with_key(
            env,
            key,
            &[
                "export",
                "--workdir",
                env.path().to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .code(0);
        out
    };
    let (xa, xb) = (export_with(&a, &key), export_with(&b, &key));
    with_key(
        &whole,
        &key,
        &[
            "report",
            "--workdir",
            whole.path().to_str().unwrap(),
            "--period",
            "2025",
            "--date",
            DATE,
            "--out",
            "one",
        ],
    )
    .code(0);
    report_on(&whole, "spark", &[&xa, &xb], "2025", "combined").code(0);
    for level in ["city", "district", "street", "community"] {
        let one = common::indicator_csv(&whole, "one", level);
        let combined = common::indicator_csv(&whole, "combined", level);
        assert_eq!(one.len(), combined.len(), "{level}");
        for (x, y) in one.iter().zip(&combined) {
            for (column, v) in x {
                assert!(
                    same_cell(v, &y[column]),
                    "{level} {column}: {v} vs {}",
                    y[column]
                );
            }
        }
    }
    // Neither part alone has the city's figures.
    report_on(&whole, "duckdb", &[&xa], "2025", "a-alone").code(0);
    assert_ne!(
        common::indicator_csv(&whole, "a-alone", "city")[0]["registered"],
        common::indicator_csv(&whole, "one", "city")[0]["registered"]
    );
    // Another key: refused before anything is computed or written.
    let other = part("none");
    with_key(
        &other,
        &"22".repeat(32),
        &["ingest", "--workdir", other.path().to_str().unwrap()],
    )
    .code(0);
    let xo = export_with(&other, &"22".repeat(32));
    let refused = report_on(&whole, "spark", &[&xa, &xo], "2025", "refused")
        .code(1)
        .stderr_has("假名化密钥不同");
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(!whole.path().join("refused").exists());
    report_on(&whole, "duckdb", &[&xa, &xo], "2025", "refused").code(1);
}

#[test]
fn bad_inputs_fail_in_one_line_and_write_nothing() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    let data = env.export_parquet("parquet");
    let one_line_failure = |run: common::Run, needle: &str, out: &str| {
        let run = run.code(1).stderr_has(needle);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(!env.path().join(out).exists(), "{out} was written");
    };
    let workdir = env.path().to_str().unwrap();
    let on_spark = |remote: &str, data: &Path, out: &str| {
        env.run(&[
            "report",
            "--workdir",
            workdir,
            "--engine",
            "spark",
            "--remote",
            remote,
            "--data",
            data.to_str().unwrap(),
            "--out",
            out,
        ])
    };
    // No server listens there.
    one_line_failure(
        on_spark("sc://127.0.0.1:9", &data, "x1"),
        "无法连接 Spark Connect",
        "x1",
    );
    // A folder that is not an export.
    let empty = env.path().join("not-an-export");
    std::fs::create_dir(&empty).unwrap();
    let remote = remote();
    one_line_failure(on_spark(&remote, &empty, "x2"), "manifest.json", "x2");
    // An export of another schema version.
    let manifest = data.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("\"schema_version\": 2", "\"schema_version\": 99"),
    )
    .unwrap();
    one_line_failure(on_spark(&remote, &data, "x3"), "导出格式版本为 99，", "x3");
    // The export refuses to overwrite a folder that holds something.
    env.run(&[
        "export",
        "--workdir",
        env.path().to_str().unwrap(),
        "--out",
        data.to_str().unwrap(),
    ])
    .code(1)
    .stderr_has("不会覆盖");
}

/// The screening's rules are SQL like every figure: the hand-made city of tests/screening.rs
/// gives the same communities and the same listed records on the warehouse, on DuckDB over
/// its export and on Spark over it.
#[test]
fn the_screening_lists_the_same_records_on_duckdb_and_on_spark() {
    let env = Env::new();
    common::screening_city::city(&env);
    env.ingest(&[]).code(0);
    let data = env.export_parquet("export");
    let screen = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "screen",
            "--workdir",
            env.path().to_str().unwrap(),
            "--period",
            "2025",
            "--json",
        ];
        args.extend_from_slice(extra);
        env.run(&args).code(0).json()
    };
    let warehouse = screen(&[]);
    let data = data.to_str().unwrap();
    let on_duckdb = screen(&["--engine", "duckdb", "--data", data]);
    let remote = remote();
    let on_spark = screen(&["--engine", "spark", "--data", data, "--remote", &remote]);
    assert!(
        warehouse["records"].as_array().unwrap().len() > 90,
        "the city's patterns are listed"
    );
    for other in [&on_duckdb, &on_spark] {
        assert_eq!(warehouse["communities"], other["communities"]);
        assert_eq!(warehouse["records"], other["records"]);
    }
}

#[test]
fn a_national_set_gives_the_same_outputs_at_every_level_on_duckdb_and_on_spark() {
    let env = Env::new();
    let data = env.path().join("nation");
    // 1/20,000 of the nation: 31 province exports, 12,000 volunteers, 268,000 records.
    env.run(&[
        "gen",
        "--nation",
        "0.00005",
        "--out",
        data.to_str().unwrap(),
    ])
    .code(0);
    report_on(&env, "duckdb", &[&data], "2025", "duckdb").code(0);
    report_on(&env, "spark", &[&data], "2025", "spark").code(0);
    let (duckdb, spark) = (env.path().join("duckdb"), env.path().join("spark"));
    for level in ["province", "nation"] {
        assert!(
            duckdb.join(format!("indicators/{level}.csv")).exists(),
            "{level}.csv"
        );
    }
    assert_same_outputs(&duckdb, &spark);
}
