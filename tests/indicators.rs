//! Indicator golden tests: a small hand-made city where every expected figure is worked out by
//! hand in the comments below (not produced by the code under test), plus properties that must
//! hold on the sample data.

mod common;

use std::collections::HashMap;

use common::Env;

/// 东区/一街道: 甲 (pop 100), 乙 (pop 40 in 2024; 60 dated 2026 → not used for 2025);
/// 西区/二街道: 丙 (pop 50), 丁 (pop 0), 戊 (pop 80 dated 2026-06-01 only → used, flagged).
fn world(env: &Env) {
    env.csv(
        "人口.csv",
        &[
            "区县,街道,社区,常住人口,统计日期",
            "东区,一街道,甲社区,100,2024-01-01",
            "东区,一街道,乙社区,40,2024-01-01",
            "东区,一街道,乙社区,60,2026-01-01",
            "西区,二街道,丙社区,50,2024-01-01",
            "西区,二街道,丁社区,0,2024-01-01",
            "西区,二街道,戊社区,80,2026-06-01",
        ],
    );
    // 甲: V1 V2 V3 V6 count; V4 is 注销; V5 registers after 2025. 乙: V7..V12. 丙: V13. 丁: V14.
    env.csv(
        "志愿者.csv",
        &[
            "志愿者编号,姓名,注册时间,所属区县,所属街道,所属社区,状态",
            "V1,甲一,2024-03-01,东区,一街道,甲社区,正常",
            "V2,甲二,2024-06-01,东区,一街道,甲社区,正常",
            "V3,甲三,2025-02-01,东区,一街道,甲社区,正常",
            "V4,甲四,2025-05-01,东区,一街道,甲社区,注销",
            "V5,甲五,2026-01-10,东区,一街道,甲社区,正常",
            "V6,甲六,2023-01-01,东区,一街道,甲社区,正常",
            "V7,乙一,2024-01-01,东区,一街道,乙社区,正常",
            "V8,乙二,2024-01-01,东区,一街道,乙社区,正常",
            "V9,乙三,2024-01-01,东区,一街道,乙社区,正常",
            "V10,乙四,2024-01-01,东区,一街道,乙社区,正常",
            "V11,乙五,2024-01-01,东区,一街道,乙社区,正常",
            "V12,乙六,2024-01-01,东区,一街道,乙社区,正常",
            "V13,丙一,2024-01-01,西区,二街道,丙社区,正常",
            "V14,丁一,2024-01-01,西区,二街道,丁社区,正常",
        ],
    );
    env.csv(
        "时长.csv",
        &[
            "记录编号,志愿者编号,项目名称,服务日期,服务时长,状态",
            "R1,V1,助老,2025-01-15,10,已生效",
            "R2,V1,助老,2025-07-10,5,已生效",
            "R3,V1,助老,2025-08-01,3,未生效",
            "R4a,V1,助老,2024-12-27,20,已生效",
            "R4b,V1,助老,2024-12-28,20,已生效",
            "R4c,V1,助老,2024-12-29,20,已生效",
            "R4d,V1,助老,2024-12-30,20,已生效",
            "R4e,V1,助老,2024-12-31,20,已生效",
            "R5,V2,助老,2025-07-20,20,已生效",
            "R6,V2,助老,2025-09-30,2,待审核",
            "R7,V3,助老,2025-03-01,4,已生效",
            "R8,V4,助老,2025-04-01,8,已生效",
            "R9,V5,助老,2025-06-01,6,已生效",
            "R10,V7,助老,2025-02-01,22,已生效",
            "R11,V7,助老,2025-02-02,22,已生效",
            "R12,V7,助老,2025-02-03,22,已生效",
            "R13,V7,助老,2025-02-04,22,已生效",
            "R14,V7,助老,2025-02-05,22,已生效",
            "R15,V7,助老,2025-02-06,22,已生效",
            "R16,V7,助老,2025-02-07,22,已生效",
            "R17,V13,助老,2025-10-01,1.5,已生效",
            "R18,V14,助老,2025-11-01,2,已生效",
            "R19,V99,助老,2025-05-05,3,已生效",
        ],
    );
    env.csv(
        "活动.csv",
        &[
            "活动名称,活动日期,区县,社区,服务类别,服务对象,参与人数",
            "春节联欢,2025-03-10,东区,甲社区,文体活动,社区居民,30",
            "合唱,2025-03-20,东区,甲社区,文艺活动,空巢老人,20",
            "普法,2025-07-01,东区,甲社区,法律服务,困难职工,15",
            "杂务,2025-08-15,东区,甲社区,其他,社区居民,5",
            "义诊,2024-12-01,东区,甲社区,医疗保健,空巢老人,40",
        ],
    );
    env.csv(
        "组织.csv",
        &[
            "团体名称,所属区县,所属社区,成立日期,成员数,状态",
            "甲队,东区,甲社区,2020-01-01,10,正常",
            "甲二队,东区,甲社区,2026-03-01,10,正常",
            "甲三队,东区,甲社区,2019-01-01,10,解散",
            "乙队,东区,乙社区,2021-01-01,10,正常",
            "乙二队,东区,乙社区,,10,正常",
        ],
    );
    env.csv(
        "站点.csv",
        &[
            "区县,社区,站点名称,建站日期",
            "东区,甲社区,甲站,2019-01-01",
            "东区,乙社区,乙站,2026-02-01",
        ],
    );
    env.csv(
        "需求.csv",
        &[
            "区县,社区,需求内容,服务对象,登记日期,状态,解决日期",
            "东区,甲社区,助餐,空巢老人,2025-01-05,已解决,2025-01-20",
            "东区,甲社区,托管,留守儿童,2025-02-01,办理中,",
            "东区,甲社区,维修,残疾人,2025-12-20,已解决,2026-01-05",
            "东区,甲社区,陪护,残疾人,2026-01-02,未解决,",
        ],
    );
    env.csv(
        "培训.csv",
        &[
            "培训名称,培训日期,区县,社区,参训人数",
            "通用培训,2025-04-01,东区,甲社区,30",
            "急救培训,2024-11-01,东区,甲社区,20",
        ],
    );
    env.ingest(&[]).code(0);
}

type Table = Vec<HashMap<String, String>>;

fn read(env: &Env, out: &str, level: &str) -> Vec<HashMap<String, String>> {
    common::indicator_csv(env, out, level)
}

fn unit<'a>(table: &'a Table, column: &str, name: &str) -> &'a HashMap<String, String> {
    table
        .iter()
        .find(|r| r[column] == name)
        .unwrap_or_else(|| panic!("no {column} = {name}"))
}

#[track_caller]
fn check(row: &HashMap<String, String>, expected: &[(&str, &str)]) {
    for (column, value) in expected {
        assert_eq!(
            row[*column], *value,
            "{column} of {}{}{}",
            row["district"], row["street"], row["community"]
        );
    }
}

/// Long because it is one worked example: every figure of one community computed by hand
/// from the fixture's rows, in the order docs/CONTRACT.md §4 defines them.
#[test]
fn year_2025_by_hand() {
    let env = Env::new();
    world(&env);
    env.report(&["--period", "2025", "--out", "y"]).code(0);
    let communities = read(&env, "y", "community");
    // 甲: persons V1 V2 V3 V6 = 4 (V4 注销, V5 registered 2026). 4/100 = 0.04; gap ⌈15⌉−4 = 11.
    // Hours 2025: V1 10+5 (R3 未生效, R4a-e are 2024), V2 20 (R6 待审核), V3 4 → 39. 39/4 = 9.75;
    // target 25 (365 days); hours_gap 25×4−39 = 61. Active V1 V2 V3 → 3/4 = 0.75.
    // Activities 2025: 4; standard categories 文体活动 (with 文艺活动), 法律服务 → 2/8 = 0.25.
    // Active months: activities 3,7,8 ∪ records 1,7,3 → 4. Organizations: 甲队 only → 1.
    // Station 甲站 (2019) → 1. Needs: collected by 2025-12-31: 3; resolved by then: 1 → 0.3333.
    // Trainings 2025: 1, 30 participants. Stars: V1 has 5×20+10+5 = 115 h by the end → star1.
    check(
        unit(&communities, "community", "甲社区"),
        &[
            ("population", "100"),
            ("registered", "4"),
            ("registration_rate", "0.0400"),
            ("registration_gap", "11"),
            ("meets_registration", "false"),
            ("hours", "39.00"),
            ("per_capita_hours", "9.75"),
            ("per_capita_target", "25.00"),
            ("annualized_per_capita_hours", "9.75"),
            ("hours_gap", "61.00"),
            ("active_volunteers", "3"),
            ("participation_rate", "0.7500"),
            ("activities", "4"),
            ("category_coverage", "0.2500"),
            ("active_months", "4"),
            ("months_in_period", "12"),
            ("organizations", "1"),
            ("meets_organizations_min", "true"),
            ("meets_organizations_aim", "false"),
            ("has_station", "1"),
            ("needs_collected", "3"),
            ("needs_resolved", "1"),
            ("need_resolution_rate", "0.3333"),
            ("trainings", "1"),
            ("training_participants", "30"),
            ("star1", "1"),
            ("star2", "0"),
        ],
    );
    // 乙: 6 persons, population 40 (the 2026 figure is after the end) → 0.15, meets, gap 0.
    // V7 7×22 = 154 h → 154/6 = 25.67 ≥ 25: meets. Active 1 → 1/6. Orgs 乙队 + undated 乙二队 = 2.
    // 乙站 is built in 2026 → no station in 2025. Star1: V7 (154 h).
    check(
        unit(&communities, "community", "乙社区"),
        &[
            ("population", "40"),
            ("registered", "6"),
            ("registration_rate", "0.1500"),
            ("registration_gap", "0"),
            ("meets_registration", "true"),
            ("hours", "154.00"),
            ("per_capita_hours", "25.67"),
            ("meets_per_capita_hours", "true"),
            ("participation_rate", "0.1667"),
            ("organizations", "2"),
            ("meets_organizations_aim", "true"),
            ("has_station", "0"),
            ("active_months", "1"),
            ("star1", "1"),
        ],
    );
    // 丁: population 0 → rate and gap undefined (empty), not NaN.
    check(
        unit(&communities, "community", "丁社区"),
        &[
            ("population", "0"),
            ("registration_rate", ""),
            ("registration_gap", ""),
            ("meets_registration", "false"),
            ("per_capita_hours", "2.00"),
        ],
    );
    // 戊: no volunteers; its only population figure is dated after the end: used and flagged.
    check(
        unit(&communities, "community", "戊社区"),
        &[
            ("population", "80"),
            ("population_flagged", "true"),
            ("registered", "0"),
            ("registration_rate", "0.0000"),
            ("registration_gap", "12"),
            ("per_capita_hours", ""),
            ("participation_rate", ""),
            ("hours", "0.00"),
        ],
    );
    // 东区 = 甲 + 乙: population 140, registered 10 → 10/140 = 0.0714; gap ⌈21⌉−10 = 11;
    // hours 193 → 19.30; active 4 → 0.4; activities 4; months {1,2,3,7,8} = 5; one community
    // meets registration (乙) and one per-capita hours (乙); organizations 3; stations 1.
    let districts = read(&env, "y", "district");
    check(
        unit(&districts, "district", "东区"),
        &[
            ("street", ""),
            ("community", ""),
            ("communities", "2"),
            ("population", "140"),
            ("registered", "10"),
            ("registration_rate", "0.0714"),
            ("registration_gap", "11"),
            ("hours", "193.00"),
            ("per_capita_hours", "19.30"),
            ("active_volunteers", "4"),
            ("participation_rate", "0.4000"),
            ("active_months", "5"),
            ("communities_meeting_registration", "1"),
            ("communities_meeting_per_capita_hours", "1"),
            ("organizations", "3"),
            ("has_station", "1"),
            ("star1", "2"),
        ],
    );
    // 西区 = 丙 + 丁 + 戊: population 50+0+80 = 130; registered 2, of which 1 in communities with
    // a population > 0 → 1/130 = 0.0077; gap ⌈19.5⌉−1 = 19; hours 3.5 / 2 = 1.75.
    check(
        unit(&districts, "district", "西区"),
        &[
            ("population", "130"),
            ("registered", "2"),
            ("registration_rate", "0.0077"),
            ("registration_gap", "19"),
            ("hours", "3.50"),
            ("per_capita_hours", "1.75"),
            ("participation_rate", "1.0000"),
        ],
    );
    // City: population 270, registered 12 (11 with a population) → 11/270 = 0.0407; gap ⌈40.5⌉−11
    // = 30; hours 196.5 / 12 = 16.375 → 16.38. V99 and V4/V5 records never count.
    let city = read(&env, "y", "city");
    check(
        &city[0],
        &[
            ("district", ""),
            ("community", ""),
            ("communities", "5"),
            ("population", "270"),
            ("registered", "12"),
            ("registration_rate", "0.0407"),
            ("registration_gap", "30"),
            ("hours", "196.50"),
            ("per_capita_hours", "16.38"),
            ("active_volunteers", "6"),
        ],
    );
}

#[test]
fn quarter_by_hand_with_comparisons() {
    let env = Env::new();
    world(&env);
    env.report(&["--period", "2025-Q3", "--out", "q"]).code(0);
    let communities = read(&env, "q", "community");
    // Q3 2025 = 92 days. 甲 at 2025-09-30: V1 V2 V3 V6 = 4. Hours: V1 5 (R3 未生效), V2 20 (R6 待审核)
    // → 25; 25/4 = 6.25; target 25×92/365 = 6.30 → not met; annualized 6.25×365/92 = 24.80;
    // hours_gap 6.3014×4−25 = 0.21. Active 2 → 0.5.
    // Previous period Q2 2025: 4 registered (V3 joined in February), no effective hours.
    // A year earlier, Q3 2024: V1 V2 V6 = 3 registered, no hours.
    check(
        unit(&communities, "community", "甲社区"),
        &[
            ("registered", "4"),
            ("hours", "25.00"),
            ("per_capita_hours", "6.25"),
            ("per_capita_target", "6.30"),
            ("meets_per_capita_hours", "false"),
            ("annualized_per_capita_hours", "24.80"),
            ("hours_gap", "0.21"),
            ("active_volunteers", "2"),
            ("participation_rate", "0.5000"),
            ("months_in_period", "3"),
            ("registered_prev", "4"),
            ("hours_prev", "0.00"),
            ("registered_yoy", "3"),
            ("hours_yoy", "0.00"),
            ("per_capita_hours_yoy", "0.00"),
            ("activities", "2"),
            ("category_coverage", "0.1250"),
        ],
    );
    check(
        unit(&communities, "community", "乙社区"),
        &[
            ("hours", "0.00"),
            ("per_capita_hours", "0.00"),
            ("participation_rate", "0.0000"),
        ],
    );
    // 东区 in Q3: registered 4 + 6 = 10; hours 25 + 0 = 25 → 2.50 per capita; active 2 → 0.2;
    // activities (普法 07-01, 杂务 08-15) 2 with one standard category → 1/8; months: activities 7, 8
    // ∪ records 7 → 2 of 3; no community meets the pro-rated 6.30 h. A year earlier (2024-09-30):
    // 甲 V1 V2 V6 + 乙 6 = 9 registered.
    let districts = read(&env, "q", "district");
    check(
        unit(&districts, "district", "东区"),
        &[
            ("registered", "10"),
            ("hours", "25.00"),
            ("per_capita_hours", "2.50"),
            ("participation_rate", "0.2000"),
            ("activities", "2"),
            ("category_coverage", "0.1250"),
            ("active_months", "2"),
            ("months_in_period", "3"),
            ("communities_meeting_per_capita_hours", "0"),
            ("registered_yoy", "9"),
        ],
    );
}

#[test]
fn empty_and_future_periods_are_defined() {
    let env = Env::new();
    world(&env);
    // No records at all in 2023: hours 0, per-capita 0 where people are registered.
    env.report(&["--period", "2023", "--out", "e"]).code(0);
    let rows = read(&env, "e", "community");
    check(
        unit(&rows, "community", "甲社区"),
        &[
            ("registered", "1"),
            ("hours", "0.00"),
            ("per_capita_hours", "0.00"),
        ],
    );
    // 2027 is in the future: everyone registered by then counts (V5 too), no hours; the run says so.
    let run = env.report(&["--period", "2027", "--out", "f"]).code(0);
    assert!(run.stdout.contains("NOTE"), "{}", run.stdout);
    let rows = read(&env, "f", "community");
    check(
        unit(&rows, "community", "甲社区"),
        &[
            ("registered", "5"),
            ("hours", "0.00"),
            ("per_capita_hours", "0.00"),
        ],
    );
    let json: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(env.path().join("f/indicators/indicators.json"))
            .unwrap()
            .trim_start_matches('\u{FEFF}'),
    )
    .unwrap();
    assert_eq!(json["extends_past_data"], true);
    let bad = env.report(&["--period", "2025-Q5"]).code(1);
    assert!(bad.stderr.contains("2025-Q3"), "{}", bad.stderr);
}

#[test]
fn district_briefing_keeps_one_district_and_the_city() {
    let env = Env::new();
    world(&env);
    let run = env
        .report(&["--period", "2025", "--district", "西区"])
        .code(0);
    assert!(run.stdout.contains("2025-西区"), "{}", run.stdout);
    let rows = read(&env, "out/2025-西区", "community");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["district"] == "西区"));
    assert_eq!(read(&env, "out/2025-西区", "city").len(), 1);
    env.report(&["--district", "北区"])
        .code(1)
        .stderr_has("东区");
}

#[test]
fn explain_shows_inputs_and_exclusions() {
    let env = Env::new();
    world(&env);
    explain(
        &env,
        &[
            "per_capita_hours",
            "--community",
            "甲社区",
            "--period",
            "2025",
        ],
    )
    .code(0)
    .stdout_has("transforms/sql/03_volunteers.sql")
    // Each count ends its line.
    .stdout_has_line_ends(&[
        "per_capita_hours = 9.75",
        "counted (registered persons at the end): 4",
        "excluded, cancelled (注销/停用): 1",
        "excluded, not verified (认证状态 审核中/认证未通过/未认证/认证失败): 0",
        "excluded, registered after the end: 1",
        "excluded, not effective: 2",
        "excluded, of cancelled or later-registered volunteers: 2",
        "city-wide records in the period of unknown persons: 1",
    ]);
    explain(&env, &["nonsense", "--community", "甲社区"]).code(1);
}

/// The composite score (transforms/sql/10_score.sql) explained component by component, with
/// the default weights (registration 0.4, per-capita hours 0.4, participation 0.2), and the
/// community's place in its district.
#[test]
fn explain_score_and_rank_show_how_they_are_made() {
    let env = Env::new();
    world(&env);
    let explain = |indicator: &str| {
        explain(
            &env,
            &[indicator, "--community", "甲社区", "--period", "2025"],
        )
        .code(0)
        .stdout
    };
    // 甲 2025 (see year_2025_by_hand): registration 0.04 of the target 0.15 → 0.2667; per
    // capita 9.75 h a year of 25 → 0.39; participation 0.75. (0.4 × 0.26667 + 0.4 × 0.39 +
    // 0.2 × 0.75) ÷ 1.0 × 100 = 41.27 → 41.3.
    let score = explain("score");
    for needle in [
        "transforms/sql/10_score.sql",
        "完成度 0.2667 × 权重 0.4 =",
        "完成度 0.3900 × 权重 0.4 =",
        "完成度 0.7500 × 权重 0.2 =",
        "= 41.3",
    ] {
        assert!(score.contains(needle), "lacks {needle:?}:\n{score}");
    }
    // 甲 and 乙 are 东区's communities; 甲 is marked, with its score.
    let rank = explain("rank");
    let marked = rank
        .lines()
        .find(|l| l.contains('→'))
        .unwrap_or_else(|| panic!("no marked line:\n{rank}"));
    assert!(
        marked.contains("41.3") && marked.contains("甲社区"),
        "{rank}"
    );
    assert!(
        rank.contains("乙社区") && !rank.contains("丙社区"),
        "{rank}"
    );
}

/// `vbrief explain ARGS…` on the test's working folder.
fn explain(env: &Env, args: &[&str]) -> common::Run {
    let workdir = env.path().to_str().unwrap();
    let args: Vec<&str> = ["explain"]
        .into_iter()
        .chain(args.iter().copied())
        .chain(["--workdir", workdir])
        .collect();
    env.run(&args)
}

/// A comparison pass skips what is not read from it (stars, activities, and but for the year
/// earlier the monthly trend): what is read from it is what a report of that period gives.
#[test]
fn comparison_figures_and_the_year_earlier_trend_are_those_of_each_periods_own_report() {
    use transforms::period::Period;
    let env = common::sample_env();
    env.ingest(&[]).code(0);
    let conn = env.warehouse();
    let config = domain::Config::default();
    let compute =
        |p: &str| transforms::compute(&conn, &Period::parse(p).unwrap(), &config).unwrap();
    let (q3, q2, earlier) = (compute("2025-Q3"), compute("2025-Q2"), compute("2024-Q3"));
    let unit = |r: &transforms::IndicatorRow| {
        (
            r.level.clone(),
            r.district.clone(),
            r.street.clone(),
            r.community.clone(),
        )
    };
    let by_unit = |rows: &[transforms::IndicatorRow]| -> HashMap<_, transforms::IndicatorRow> {
        rows.iter().map(|r| (unit(r), r.clone())).collect()
    };
    let (q2, earlier_rows) = (by_unit(&q2.rows), by_unit(&earlier.rows));
    assert!(q3.rows.len() > 100);
    let mut moved = 0;
    for row in &q3.rows {
        let (p, y) = (&q2[&unit(row)], &earlier_rows[&unit(row)]);
        assert_eq!(row.registered_prev, Some(p.registered), "{row:?}");
        assert_eq!(row.registration_rate_prev, p.registration_rate);
        assert_eq!(row.hours_prev, Some(p.hours));
        assert_eq!(row.per_capita_hours_prev, p.per_capita_hours);
        assert_eq!(row.active_volunteers_prev, Some(p.active_volunteers));
        assert_eq!(row.registered_yoy, Some(y.registered));
        assert_eq!(row.registration_rate_yoy, y.registration_rate);
        assert_eq!(row.hours_yoy, Some(y.hours));
        assert_eq!(row.per_capita_hours_yoy, y.per_capita_hours);
        assert_eq!(row.active_volunteers_yoy, Some(y.active_volunteers));
        moved += usize::from(p.hours > 0.0 && y.hours > 0.0);
    }
    assert!(
        moved > 50,
        "{moved} units with hours in both comparison periods"
    );
    assert!(!earlier.monthly.is_empty());
    assert_eq!(q3.monthly_year_earlier, earlier.monthly);
}
