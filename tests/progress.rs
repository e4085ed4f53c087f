//! 进度预警: progress toward the year's targets, on a hand-made city whose pace is worked out
//! by hand in the comments (not produced by the code under test).
//!
//! 东区/一街道/甲社区: population 100; 10 volunteers registered in 2024; each serves 10 h by
//!   30 June → 10 h per person at mid-year, 20 h at year end at that pace: misses 25 h by 5 h,
//!   so 15 h in the 6 remaining months = 2.5 h per person per month (25 h for the community).
//!   Registration: 10/100 = 10%, nobody new this year → 10% at year end, misses 15%: needs
//!   15 − 10 = 5 more, 5/6 = 0.83 a month → "at least 1".
//! 东区/一街道/乙社区: population 40; 4 registered in 2024, 2 more on 2025-03-01 → 6 = 15%
//!   now; each serves 13 h → 13 h, 26 h at year end: on pace (needs (25 − 13)/6 = 2 h/month).
//!   Registration at the pace: (4 + 2/0.5)/40 = 8/40 = 20%: on pace.
//! 西区/二街道/丙社区: population 100; 10 registered in 2024, 3 on 2025-02-01 → 13 = 13% now,
//!   below 15%, but at the pace (10 + 3/0.5)/100 = 16%: on pace. No hours → 0 h projected:
//!   misses, needs 25/6 = 4.17 h per person per month.
//! City: population 240, registered 29 (24 before 2025), hours 100 + 78 = 178.
//!   per capita 178/29 = 6.1379 → 12.2759 at year end; needs (25 − 6.1379)/6 = 3.1437 → 3.14.
//!   registration: (24 + 5/0.5)/240 = 34/240 = 14.17% → misses; needs ⌈0.15 × 240⌉ − 29 = 7,
//!   7/6 = 1.17 a month → "at least 2".
//! A record on 2025-07-05 (8 h) lies after June: `2025-ytd` ends on 30 June, the last
//! complete month the records reach, and the record does not count.

mod common;

use std::collections::HashMap;

use common::{indicator_csv, Env};

fn world(env: &Env) {
    env.csv(
        "人口.csv",
        &[
            "区县,街道,社区,常住人口,统计日期",
            "东区,一街道,甲社区,100,2024-01-01",
            "东区,一街道,乙社区,40,2024-01-01",
            "西区,二街道,丙社区,100,2024-01-01",
        ],
    );
    let mut volunteers =
        vec!["志愿者编号,姓名,注册时间,所属区县,所属街道,所属社区,状态".to_string()];
    let mut records = vec!["记录编号,志愿者编号,项目名称,服务日期,服务时长,状态".to_string()];
    let mut add = |prefix: &str, n: usize, registered: &str, area: &str, hours: Option<&str>| {
        for i in 1..=n {
            let id = format!("{prefix}{i}");
            volunteers.push(format!("{id},志愿者{id},{registered},{area},正常"));
            if let Some(h) = hours {
                records.push(format!("R{id},{id},助老,2025-04-15,{h},已生效"));
            }
        }
    };
    add("A", 10, "2024-01-01", "东区,一街道,甲社区", Some("10"));
    add("B", 4, "2024-01-01", "东区,一街道,乙社区", Some("13"));
    add("BN", 2, "2025-03-01", "东区,一街道,乙社区", Some("13"));
    add("C", 10, "2024-01-01", "西区,二街道,丙社区", None);
    add("CN", 3, "2025-02-01", "西区,二街道,丙社区", None);
    records.push("RLATE,A1,助老,2025-07-05,8,已生效".into());
    let volunteers: Vec<&str> = volunteers.iter().map(String::as_str).collect();
    let records: Vec<&str> = records.iter().map(String::as_str).collect();
    env.csv("志愿者.csv", &volunteers);
    env.csv("时长.csv", &records);
    env.ingest(&[]).code(0);
}

fn progress_csv(env: &Env, out: &str) -> Vec<HashMap<String, String>> {
    indicator_csv(env, out, "progress")
}

fn unit<'a>(
    rows: &'a [HashMap<String, String>],
    level: &str,
    name: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| {
            r["level"] == level
                && match level {
                    "community" => r["community"] == name,
                    "district" => r["district"] == name,
                    _ => true,
                }
        })
        .unwrap_or_else(|| panic!("no {level} {name}"))
}

fn check(row: &HashMap<String, String>, expected: &[(&str, &str)]) {
    for (column, value) in expected {
        assert_eq!(row[*column], *value, "{column} of {row:?}");
    }
}

#[test]
fn the_pace_to_june_projects_the_year_exactly_as_worked_by_hand() {
    let env = Env::new();
    world(&env);
    env.report(&["--period", "2025-ytd", "--out", "o"])
        .code(0)
        .stdout_has("2025-01-01 .. 2025-06-30");
    let rows = progress_csv(&env, "o");
    check(
        unit(&rows, "community", "甲社区"),
        &[
            ("registered", "10"),
            ("registered_at_start", "10"),
            ("per_capita_hours_ytd", "10.00"),
            ("projected_per_capita_hours", "20.00"),
            ("per_capita_target_year", "25.00"),
            ("hours_needed_per_month", "2.50"),
            ("misses_per_capita_hours", "true"),
            ("registration_rate", "0.1000"),
            ("projected_registration_rate", "0.1000"),
            ("registrations_needed", "5"),
            ("registrations_needed_per_month", "0.83"),
            ("misses_registration", "true"),
        ],
    );
    check(
        unit(&rows, "community", "乙社区"),
        &[
            ("registered", "6"),
            ("registered_at_start", "4"),
            ("per_capita_hours_ytd", "13.00"),
            ("projected_per_capita_hours", "26.00"),
            ("hours_needed_per_month", "2.00"),
            ("misses_per_capita_hours", "false"),
            ("projected_registration_rate", "0.2000"),
            ("registrations_needed", "0"),
            ("misses_registration", "false"),
        ],
    );
    check(
        unit(&rows, "community", "丙社区"),
        &[
            ("registration_rate", "0.1300"),
            ("projected_registration_rate", "0.1600"),
            ("misses_registration", "false"),
            ("projected_per_capita_hours", "0.00"),
            ("hours_needed_per_month", "4.17"),
            ("misses_per_capita_hours", "true"),
        ],
    );
    check(
        unit(&rows, "city", ""),
        &[
            ("registered", "29"),
            ("registered_at_start", "24"),
            ("hours", "178.00"),
            ("per_capita_hours_ytd", "6.14"),
            ("projected_per_capita_hours", "12.28"),
            ("hours_needed_per_month", "3.14"),
            ("projected_registration_rate", "0.1417"),
            ("registrations_needed", "7"),
            ("misses_registration", "true"),
        ],
    );

    // The briefing's 进度预警 says the same, in words.
    let html = std::fs::read_to_string(env.path().join("o/briefing.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let section: String = doc
        .select(&scraper::Selector::parse("#progress").unwrap())
        .next()
        .expect("a 进度预警 section")
        .text()
        .collect();
    for needle in [
        "五、进度预警",
        "截至2025年6月30日，全年已过50%，还剩6个月。",
        "全市注册志愿者人均服务时长至今6.14小时，按目前进度全年预计12.28小时，低于25小时的年度目标；要达到目标，其余6个月注册志愿者每人每月需服务3.14小时。",
        "注册率目前12.08%，按今年新增注册的速度，年末预计14.17%，低于15%的目标；还需注册7人，其余6个月每月至少2人。",
        "按目前进度，3个社区中，人均服务时长将有2个社区达不到目标，注册率将有1个社区达不到目标。",
        "东区/一街道/甲社区",
        "每人每月 2.50 小时，全社区 25.00 小时",
        "还需注册 5 人，每月至少 1 人",
    ] {
        assert!(section.contains(needle), "进度预警 lacks {needle}\n{section}");
    }
    // 乙 is on pace for both: not listed.
    assert!(!section.contains("乙社区"), "{section}");
    assert!(
        html.contains("2025年1—6月"),
        "the period as an office writes it"
    );

    // A district's briefing speaks of the district (东区: 178 h over 16 persons = 11.125 h by
    // June, 22.25 h at year end) and lists only its communities.
    env.report(&["--period", "2025-ytd", "--district", "东区", "--out", "d"])
        .code(0);
    let html = std::fs::read_to_string(env.path().join("d/briefing.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let section: String = doc
        .select(&scraper::Selector::parse("#progress").unwrap())
        .next()
        .expect("a 进度预警 section")
        .text()
        .collect();
    assert!(section.contains("按目前进度全年预计22.25小时"), "{section}");
    assert!(section.contains("东区注册志愿者人均服务时长"), "{section}");
    assert!(
        section.contains("甲社区") && !section.contains("丙社区"),
        "{section}"
    );

    // explain gives the rule and the inputs of one community's projection.
    env.run(&[
        "explain",
        "projected_per_capita_hours",
        "--community",
        "甲社区",
        "--period",
        "2025-ytd",
    ])
    .code(0)
    .stdout_has_line_ends(&["projected_per_capita_hours = 20.0"])
    .stdout_has("2025-01-01 .. 2025-06-30")
    .stdout_has("全年已过 share of the year passed 0.5000")
    .stdout_has("transforms/sql/progress.sql")
    .stdout_has("年初至今有效服务时长 hours so far: 100.00");
}

#[test]
fn a_quarter_is_projected_from_the_first_of_january_and_a_whole_year_is_not() {
    let env = Env::new();
    world(&env);
    env.report(&["--period", "2025-Q2", "--out", "q"]).code(0);
    // The quarter's own figures count April to June; the pace counts January to June: the same
    // as the year to date.
    let q = progress_csv(&env, "q");
    check(
        unit(&q, "community", "甲社区"),
        &[
            ("per_capita_hours_ytd", "10.00"),
            ("projected_per_capita_hours", "20.00"),
        ],
    );
    env.report(&["--period", "2025", "--out", "y"]).code(0);
    assert!(!env.path().join("y/indicators/progress.csv").exists());
    let html = std::fs::read_to_string(env.path().join("y/briefing.html")).unwrap();
    assert!(!html.contains("进度预警"));
    assert!(html.contains("五、月度趋势"), "sections keep their numbers");
    env.run(&[
        "explain",
        "hours_needed_per_month",
        "--community",
        "甲社区",
        "--period",
        "2025",
    ])
    .code(1)
    .stderr_has("没有进度推算");
}

#[test]
fn a_year_to_date_without_records_names_the_year() {
    let env = Env::new();
    world(&env);
    env.report(&["--period", "2023-ytd", "--out", "z"])
        .code(1)
        .stderr_has("2023 年没有服务记录");
}
