//! Properties of the indicators on the sample data: rollups are sums and ratios of sums, records
//! outside the period or not effective change nothing, and reports are reproducible.

mod common;

use std::collections::HashMap;

use common::{sample_env, Env};

type Row = HashMap<String, String>;

fn report(env: &Env, out: &str) {
    env.report(&["--period", "2025", "--out", out]).code(0);
}

fn read(env: &Env, out: &str, level: &str) -> Vec<HashMap<String, String>> {
    common::indicator_csv(env, out, level)
}

fn num(row: &Row, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?}", row[column]))
}

fn bytes(env: &Env, out: &str) -> Vec<Vec<u8>> {
    ["community", "street", "district", "city"]
        .iter()
        .map(|l| {
            std::fs::read(
                env.path()
                    .join(out)
                    .join("indicators")
                    .join(format!("{l}.csv")),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn rollups_are_sums_and_ratios_of_sums() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    report(&env, "a");
    let communities = read(&env, "a", "community");
    assert_eq!(communities.len(), 118);
    let additive = [
        "population",
        "registered",
        "hours",
        "active_volunteers",
        "activities",
        "organizations",
        "has_station",
        "needs_collected",
        "needs_resolved",
        "trainings",
        "training_participants",
        "star1",
        "star2",
        "star3",
        "star4",
        "star5",
        "communities_meeting_registration",
        "communities_meeting_per_capita_hours",
    ];
    for level in ["street", "district", "city"] {
        let units = read(&env, "a", level);
        for unit in &units {
            let members: Vec<&Row> = communities
                .iter()
                .filter(|c| {
                    (level == "city" || c["district"] == unit["district"])
                        && (level != "street" || c["street"] == unit["street"])
                })
                .collect();
            assert_eq!(num(unit, "communities") as usize, members.len());
            for column in additive {
                let sum: f64 = members.iter().map(|c| num(c, column)).sum();
                assert!(
                    (sum - num(unit, column)).abs() < 1e-6,
                    "{level} {}{}: {column} {} ≠ Σ {sum}",
                    unit["district"],
                    unit["street"],
                    unit[column]
                );
            }
            let registered: f64 = members.iter().map(|c| num(c, "registered")).sum();
            let hours: f64 = members.iter().map(|c| num(c, "hours")).sum();
            let population: f64 = members.iter().map(|c| num(c, "population")).sum();
            let per_capita = num(unit, "per_capita_hours");
            assert!(
                (per_capita - hours / registered).abs() <= 0.005 + 1e-9,
                "{level}: per capita {per_capita} vs {}",
                hours / registered
            );
            let rate = num(unit, "registration_rate");
            assert!(
                (rate - registered / population).abs() <= 0.00005 + 1e-9,
                "{level}: rate {rate} vs {}",
                registered / population
            );
            let active: f64 = members.iter().map(|c| num(c, "active_volunteers")).sum();
            assert!(
                (num(unit, "participation_rate") - active / registered).abs() <= 0.00005 + 1e-9
            );
        }
    }
}

#[test]
fn outside_period_and_ineffective_records_change_nothing_and_reruns_are_identical() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    report(&env, "before");
    report(&env, "again");
    assert!(
        bytes(&env, "before") == bytes(&env, "again"),
        "re-running report changed the CSVs"
    );

    // SL00000002 is a registered volunteer of the sample. One record after the period (2026)
    // and one 未生效 record inside it: the 2025 figures must not move.
    let extra = env.csv(
        "追加.csv",
        &[
            "记录编号,志愿者编号,项目名称,服务日期,服务时长,状态",
            "X1,SL00000002,助老,2026-03-01,8,已生效",
            "X2,SL00000002,助老,2025-06-01,8,未生效",
            "X3,SL00000002,助老,2025-06-02,8,待审核",
        ],
    );
    let run = env.ingest(&[extra.to_str().unwrap()]).code(0);
    assert_eq!(common::counts(&run, "追加.csv")["counts"]["accepted"], 3);
    report(&env, "after");
    assert!(
        bytes(&env, "before") == bytes(&env, "after"),
        "a record outside the period or not effective changed the figures"
    );

    // A record before the period changes cumulative stars and the comparison columns, never
    // the period's own figures.
    let earlier = env.csv(
        "更早.csv",
        &[
            "记录编号,志愿者编号,项目名称,服务日期,服务时长,状态",
            "X4,SL00000002,助老,2024-06-01,8,已生效",
        ],
    );
    env.ingest(&[earlier.to_str().unwrap()]).code(0);
    report(&env, "earlier");
    // Control: the volunteer is counted, so this record does move the previous-year columns.
    assert!(
        bytes(&env, "before") != bytes(&env, "earlier"),
        "the control record changed nothing: is SL00000002 registered?"
    );
    for level in ["community", "district", "city"] {
        let (a, b) = (read(&env, "before", level), read(&env, "earlier", level));
        for (x, y) in a.iter().zip(&b) {
            for column in [
                "registered",
                "hours",
                "per_capita_hours",
                "active_volunteers",
                "participation_rate",
                "registration_rate",
            ] {
                assert_eq!(x[column], y[column], "{level} {column}");
            }
        }
    }
}
