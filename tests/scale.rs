//! Correctness at scale: `vbrief gen --truth` writes messy exports and, beside them, the clean
//! ground truth; vbrief's figures from the exports must equal the baseline's
//! (`bench/baseline.sql`, plain DuckDB over the ground truth) community by community, and the
//! warehouse must hold exactly the rows of the ground truth. bench/run.sh checks the same at
//! city scale; here the data sets are small enough for every test run, yet span several
//! generated districts (more than one unit of the sample's pattern).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{indicator_csv, Env};

/// (district, street, community) → (registered, hours, per_capita_hours).
type Figures = HashMap<(String, String, String), (i64, f64, Option<f64>)>;

fn baseline(truth: &Path) -> Figures {
    let sql =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/baseline.sql"))
            .unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute(
        "SET file_search_path = ?",
        [truth.to_str().unwrap().to_string()],
    )
    .unwrap();
    let mut stmt = conn.prepare(sql.trim().trim_end_matches(';')).unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?),
                (r.get(3)?, r.get(4)?, r.get(5)?),
            ))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn vbrief_figures(env: &Env, out: &str) -> Figures {
    indicator_csv(env, out, "community")
        .into_iter()
        .map(|r| {
            (
                (
                    r["district"].clone(),
                    r["street"].clone(),
                    r["community"].clone(),
                ),
                (
                    r["registered"].parse().unwrap(),
                    r["hours"].parse().unwrap(),
                    r["per_capita_hours"].parse().ok(),
                ),
            )
        })
        .collect()
}

fn csv_rows(path: &Path) -> i64 {
    csv::Reader::from_path(path).unwrap().records().count() as i64
}

/// Generates a data set with its ground truth, runs vbrief on it and compares.
fn assert_matches_ground_truth(volunteers: &str, records: &str, extra: &[&str]) {
    let env = Env::new();
    let data = env.path().join("generated");
    let truth = env.path().join("truth");
    let mut args = vec![
        "gen",
        "--out",
        data.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--volunteers",
        volunteers,
        "--records",
        records,
    ];
    args.extend_from_slice(extra);
    env.run(&args).code(0).stdout_has("ground truth");
    // The generated exports go to the inbox; the config with the alias to the working folder.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv" || e == "xlsx") {
            std::fs::rename(&path, env.inbox().join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(data.join("vbrief.toml"), env.path().join("vbrief.toml")).unwrap();
    env.ingest_and_report(&["--period", "2025", "--out", "out"])
        .code(0);

    // The warehouse holds exactly the ground truth's rows.
    assert_eq!(
        env.count("SELECT count(*) FROM volunteers"),
        csv_rows(&truth.join("volunteers.csv"))
    );
    assert_eq!(
        env.count("SELECT count(*) FROM service_records"),
        csv_rows(&truth.join("records.csv"))
    );

    let expected = baseline(&truth);
    let got = vbrief_figures(&env, "out");
    assert!(
        expected.len() > 119,
        "spans more than the sample's 4 districts"
    );
    assert_eq!(
        got.len(),
        expected.len(),
        "the same communities on both sides"
    );
    let mut differences = Vec::new();
    for (community, want) in &expected {
        let have = got.get(community).copied();
        let same = have.is_some_and(|h| {
            h.0 == want.0
                && (h.1 - want.1).abs() < 0.005
                && match (h.2, want.2) {
                    (Some(a), Some(b)) => (a - b).abs() < 0.005,
                    (a, b) => a.is_none() && b.is_none(),
                }
        });
        if !same {
            differences.push(format!("{community:?}: vbrief {have:?}, baseline {want:?}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} communities differ:\n{}",
        differences.len(),
        expected.len(),
        differences.join("\n")
    );
    assert!(
        expected.values().map(|f| f.1).sum::<f64>() > 1000.0,
        "hours were compared, not only zeros"
    );
}

#[test]
fn figures_from_messy_exports_equal_the_baseline_on_the_ground_truth() {
    // Three units of the sample's pattern: 12 districts, 354 communities, xlsx and csv mixed.
    assert_matches_ground_truth("75000", "150000", &[]);
}

#[test]
fn csv_only_exports_give_the_same_figures_as_the_ground_truth() {
    assert_matches_ground_truth("40000", "60000", &["--csv"]);
}

#[test]
fn exports_in_the_2_0_shape_give_the_same_figures_as_the_ground_truth() {
    // The same facts as the classic shape, in the 2.0 lists' columns: region paths with every
    // separator, 证件类型, coded gender, 开始/结束时间 (hours from them in the older export),
    // 时长状态 and 账户状态 words, and the defects planted in those forms.
    assert_matches_ground_truth("40000", "60000", &["--shape", "2.0"]);
}

#[test]
fn generation_is_deterministic_and_csv_only_has_no_xlsx() {
    let env = Env::new();
    let gen = |dir: &str| {
        let out = env.path().join(dir);
        env.run(&[
            "gen",
            "--out",
            out.to_str().unwrap(),
            "--truth",
            env.path().join(format!("{dir}-truth")).to_str().unwrap(),
            "--volunteers",
            "31000",
            "--records",
            "20000",
            "--csv",
        ])
        .code(0);
        out
    };
    let (a, b) = (gen("a"), gen("b"));
    let names = |dir: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert!(
        names(&a).iter().all(|n| !n.ends_with(".xlsx")),
        "{:?}",
        names(&a)
    );
    for name in names(&a) {
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name} differs between two runs"
        );
    }
    for name in ["volunteers.csv", "records.csv", "population.csv"] {
        assert_eq!(
            std::fs::read(env.path().join("a-truth").join(name)).unwrap(),
            std::fs::read(env.path().join("b-truth").join(name)).unwrap(),
        );
    }
}
