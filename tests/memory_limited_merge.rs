//! Under a memory limit (a province's run) the service records without a record number are
//! keyed by rewriting their staging table rather than updating it, the merge's inserts give
//! up insertion order, and its contested keys are found under two thirds of the limit.
//! None of it may change anything: the same exports, ingested in two runs (so later rows meet
//! earlier ones already in the warehouse), give the same tables, quarantine and counts with a
//! limit or without.

mod common;

use common::{query_rows, sample_env, Env};

/// Everything the merge decides, in a comparable form.
#[derive(Debug, PartialEq)]
struct Outcome {
    tables: Vec<(String, i64)>,
    hours: String,
    /// Hours per registered volunteer (records linked to their person, by key or number).
    hours_by_volunteer: Vec<(String, String)>,
    quarantine: Vec<(String, i64, String, String)>,
    files: Vec<(String, i64, i64, i64)>,
}

fn outcome(env: &Env) -> Outcome {
    let conn = env.warehouse();
    let tables = [
        "population",
        "volunteers",
        "service_records",
        "organizations",
        "activities",
        "stations",
        "needs",
        "trainings",
    ]
    .iter()
    .map(|t| {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t.to_string(), n)
    })
    .collect();
    let hours: String = conn
        .query_row(
            "SELECT printf('%.2f', sum(hours)) FROM service_records",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let hours_by_volunteer = query_rows(
        &conn,
        "SELECT v.volunteer_no, printf('%.2f', sum(r.hours))
           FROM service_records r JOIN volunteers v ON v.k = r.person_key
          WHERE v.volunteer_no IS NOT NULL GROUP BY ALL ORDER BY ALL",
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    let quarantine = query_rows(
        &conn,
        "SELECT parse_filename(f.path), q.source_row, q.reason,
                coalesce(regexp_replace(q.candidates, '^kept: .*[/\\\\]', 'kept: '), '')
           FROM quarantine q JOIN files f USING (file_id) ORDER BY ALL",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    );
    let files = query_rows(
        &conn,
        "SELECT parse_filename(path), accepted, quarantined, skipped_known FROM files
          ORDER BY path, sheet",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    );
    Outcome {
        tables,
        hours,
        hours_by_volunteer,
        quarantine,
        files,
    }
}

/// Ingests the sample in two runs (the 2025 records and one volunteer file second). With
/// `province_like`, under a memory limit.
fn ingest_in_two_runs(province_like: bool) -> Env {
    let env = sample_env();
    let held = env.path().join("held");
    std::fs::create_dir(&held).unwrap();
    let later = [
        "05_服务时长记录_2025.xlsx",
        "03_志愿者注册信息_其他区县.xlsx",
    ];
    for name in later {
        std::fs::rename(env.inbox().join(name), held.join(name)).unwrap();
    }
    let vars: &[(&str, &str)] = if province_like {
        &[("VBRIEF_MEMORY_LIMIT", "1GB")]
    } else {
        &[]
    };
    let workdir = env.path().to_str().unwrap().to_string();
    env.run_with_vars(vars, &["ingest", "--workdir", &workdir])
        .code(0);
    for name in later {
        std::fs::rename(held.join(name), env.inbox().join(name)).unwrap();
    }
    env.run_with_vars(vars, &["ingest", "--workdir", &workdir])
        .code(0);
    env
}

#[test]
fn a_memory_limited_merge_decides_exactly_as_the_whole_merge() {
    let whole = ingest_in_two_runs(false);
    let limited = ingest_in_two_runs(true);

    let expected = outcome(&whole);
    // The case is not trivial: duplicates were quarantined and overlapping rows counted known.
    assert!(expected
        .quarantine
        .iter()
        .any(|(_, _, reason, kept)| reason == "duplicate" && kept.starts_with("kept: ")));
    assert!(expected.files.iter().any(|(_, _, _, known)| *known > 0));
    assert!(expected.hours_by_volunteer.len() > 100);
    assert_eq!(outcome(&limited), expected);
}
