//! The result cache (`.vbrief-cache/`): a second run on an unchanged warehouse reads the
//! indicators and check counts from it; any ingest that changes the warehouse, and any edit of
//! vbrief.toml, makes them computed again.

mod common;

use common::{indicator_csv, sample_env, Env};

fn city_hours(env: &Env, out: &str) -> f64 {
    indicator_csv(env, out, "city")[0]["hours"].parse().unwrap()
}

fn run(env: &Env, out: &str) {
    env.ingest_and_report(&["--period", "2025", "--out", out])
        .code(0);
}

#[test]
fn unchanged_warehouse_reads_the_cache_and_a_change_recomputes() {
    let env = sample_env();
    run(&env, "out1");
    let cache = env.path().join(".vbrief-cache");
    let indicators = cache.join("indicators-2025.json");
    assert!(indicators.exists(), "the indicators are cached");
    assert!(
        !env.cache_entries("checks-2025-").is_empty(),
        "the check counts are cached"
    );
    let before = city_hours(&env, "out1");
    // The rows' community ids (left out of the published rows) are kept beside them: the web
    // app links and charts communities by id.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&indicators).unwrap()).unwrap();
    let rows = json["value"]["indicators"]["rows"].as_array().unwrap();
    let ids = json["value"]["community_ids"].as_array().unwrap();
    assert_eq!(ids.len(), rows.len());
    let community_ids: std::collections::BTreeSet<i64> = rows
        .iter()
        .zip(ids)
        .filter(|(r, _)| r["level"] == "community")
        .map(|(_, id)| id.as_i64().unwrap())
        .collect();
    let communities = rows.iter().filter(|r| r["level"] == "community").count();
    assert_eq!(community_ids.len(), communities, "one id per community");

    // A second run on the same warehouse takes the figures from the cache: a value planted in
    // the cached JSON comes out in the CSV.
    let plant = || {
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&indicators).unwrap()).unwrap();
        for row in json["value"]["indicators"]["rows"].as_array_mut().unwrap() {
            if row["level"] == "city" {
                row["hours"] = serde_json::json!(123456.5);
            }
        }
        std::fs::write(&indicators, serde_json::to_string(&json).unwrap()).unwrap();
    };
    plant();
    run(&env, "out2");
    assert_eq!(city_hours(&env, "out2"), 123456.5);

    // A new record of a registered person changes the warehouse: computed again, exactly.
    let volunteer_no: String = env
        .warehouse()
        .query_row(
            "SELECT volunteer_no FROM volunteers
              WHERE status = '正常' AND volunteer_no IS NOT NULL
                AND registered_on <= DATE '2025-01-01'
              ORDER BY volunteer_no LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    env.csv(
        "extra_records.csv",
        &[
            "记录编号,志愿者编号,项目名称,服务日期,服务时长,状态",
            &format!("EXTRA-1,{volunteer_no},缓存测试,2025-06-01,7,已生效"),
        ],
    );
    run(&env, "out3");
    assert!((city_hours(&env, "out3") - (before + 7.0)).abs() < 0.005);

    // Editing the configuration also invalidates.
    plant();
    let config = env.path().join("vbrief.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&config, text).unwrap();
    run(&env, "out4");
    assert!((city_hours(&env, "out4") - (before + 7.0)).abs() < 0.005);
}

/// Every file under `dir` with its modification time.
fn modified_times(dir: &std::path::Path) -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                files.push((path, modified));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_same_report_again_leaves_its_files_as_written_unless_one_was_touched() {
    let env = sample_env();
    run(&env, "out");
    let out = env.path().join("out");
    let first = modified_times(&out);
    assert!(first.len() >= 10, "{first:?}");

    // Nothing changed: not one file is written again, and the run still lists them, under
    // the folder as this run names it (here absolute, where the first run named it relative).
    let absolute = out.join("briefing.pdf").display().to_string();
    env.ingest_and_report(&["--period", "2025", "--out", out.to_str().unwrap()])
        .code(0)
        .stdout_has(&absolute);
    assert_eq!(modified_times(&out), first);

    // One output edited (the same size, its times put back): every file is written again,
    // the edit undone.
    let csv = out.join("indicators").join("city.csv");
    let published = std::fs::read(&csv).unwrap();
    let mut edited = published.clone();
    edited[published.len() - 2] ^= 1;
    let times = std::fs::metadata(&csv).unwrap().modified().unwrap();
    std::fs::write(&csv, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&csv)
        .unwrap()
        .set_modified(times)
        .unwrap();
    run(&env, "out");
    assert_eq!(std::fs::read(&csv).unwrap(), published);
    let again = modified_times(&out);
    assert_eq!(again.len(), first.len());
    let pdf = |files: &[(std::path::PathBuf, std::time::SystemTime)]| {
        files
            .iter()
            .find(|(p, _)| p.ends_with("briefing.pdf"))
            .unwrap()
            .1
    };
    assert_ne!(pdf(&again), pdf(&first), "the untouched files too");

    // One output deleted: written again.
    let docx = out.join("briefing.docx");
    std::fs::remove_file(&docx).unwrap();
    run(&env, "out");
    assert!(docx.exists());
    let again = modified_times(&out);

    // Another request into the same folder (an issue number): written again.
    env.ingest_and_report(&["--period", "2025", "--out", "out", "--issue", "第9期"])
        .code(0);
    assert_ne!(pdf(&modified_times(&out)), pdf(&again));
}

/// A report whose comparison periods (the previous quarter, the same quarter a year earlier)
/// were reported before reads their figures from the cache instead of computing them again,
/// and writes the same files as when it computes them.
#[test]
fn comparison_periods_already_reported_are_read_from_the_cache() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    let workdir = env.path().to_str().unwrap().to_string();
    // Passes of the indicator SQL a report runs (one `01_scope.sql` timing each).
    let passes = |out: &str| -> usize {
        let run = env
            .run_with_vars(
                &[("VBRIEF_TIMINGS", "1")],
                &[
                    "report",
                    "--workdir",
                    &workdir,
                    "--period",
                    "2025-Q3",
                    "--out",
                    out,
                ],
            )
            .code(0);
        run.stderr
            .lines()
            .filter(|l| l.starts_with("[timing] indicators.01_scope.sql "))
            .count()
    };
    // Computed: the previous quarter, a year earlier, the quarter, the year to date (progress).
    assert_eq!(passes("fresh"), 4);
    std::fs::remove_dir_all(env.path().join(".vbrief-cache")).unwrap();
    env.report(&["--period", "2025-Q2", "--out", "q2"]).code(0);
    env.report(&["--period", "2024-Q3", "--out", "q3-2024"])
        .code(0);
    assert_eq!(
        passes("reusing"),
        2,
        "the quarter and the year to date only"
    );
    let files = |out: &str| -> Vec<(String, Vec<u8>)> {
        let dir = env.path().join(out).join("indicators");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let (fresh, reusing) = (files("fresh"), files("reusing"));
    assert!(
        fresh.len() >= 5,
        "{:?}",
        fresh.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(fresh, reusing);
    // The briefing too: its monthly chart draws the year earlier's line.
    let briefing =
        |out: &str| std::fs::read_to_string(env.path().join(out).join("briefing.html")).unwrap();
    assert!(
        briefing("fresh") == briefing("reusing"),
        "the briefings differ"
    );
    // The comparison columns are there to compare: filled from the cached quarters.
    let city = &indicator_csv(&env, "reusing", "city")[0];
    assert!(
        !city["hours_prev"].is_empty() && !city["hours_yoy"].is_empty(),
        "{city:?}"
    );
}

/// The quarantine.csv an ingest wrote beside the warehouse is the one a report on the same
/// warehouse would write: the report copies it, but only while the file is the one the ingest
/// wrote and the warehouse has not changed since.
#[test]
fn a_report_copies_the_ingests_quarantine_csv_while_it_is_as_written() {
    let env = sample_env();
    run(&env, "out1");
    let store = env.path().join("quarantine.csv");
    let ingested = std::fs::read(&store).unwrap();
    let entries = env.cache_entries("ingested-quarantine-csv");
    assert_eq!(entries.len(), 1, "the ingest remembers the file it wrote");
    // A planted file that the entry vouches for is taken as it is: the report copied it.
    let planted = [ingested.as_slice(), "planted\n".as_bytes()].concat();
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entries[0]).unwrap()).unwrap();
    entry["value"][0] = serde_json::json!(planted.len());
    entry["value"][1] = serde_json::json!(blake3::hash(&planted).to_hex().to_string());
    std::fs::write(&entries[0], serde_json::to_vec(&entry).unwrap()).unwrap();
    std::fs::write(&store, &planted).unwrap();
    let quarantine_of = |out: &str| std::fs::read(env.path().join(out).join("quarantine.csv"));
    env.report(&["--period", "2025-Q3", "--out", "out2"])
        .code(0);
    assert_eq!(quarantine_of("out2").unwrap(), planted);
    // A report into the working folder itself leaves the file in place.
    env.report(&["--period", "2025-Q4", "--out", env.path().to_str().unwrap()])
        .code(0);
    assert_eq!(std::fs::read(&store).unwrap(), planted);
    // The file changed since: the report writes it from the warehouse, as the ingest did.
    std::fs::write(&store, "edited").unwrap();
    env.report(&["--period", "2025-Q2", "--out", "out3"])
        .code(0);
    assert_eq!(quarantine_of("out3").unwrap(), ingested);
    // The warehouse changed since (its time, as any write sets it): the same.
    std::fs::write(&store, &planted).unwrap();
    let warehouse = std::fs::File::options()
        .append(true)
        .open(env.path().join("warehouse.duckdb"))
        .unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    warehouse.set_modified(later).unwrap();
    drop(warehouse);
    env.report(&["--period", "2025-Q1", "--out", "out4"])
        .code(0);
    assert_eq!(quarantine_of("out4").unwrap(), ingested);
}
