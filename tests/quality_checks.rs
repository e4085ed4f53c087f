//! `vbrief check`: a small city where every check has something to find, with the exact number
//! of failing rows per check, the rows grouped by community, nothing personal in the output,
//! and the warehouse untouched. The same results in `ingest`'s summary and in the briefing.

mod common;

use common::{synth_id, Env};

/// Writes the exports; returns nothing, they are in the inbox.
fn exports(env: &Env) {
    env.csv(
        "人口台账.csv",
        &[
            "区县,街道,社区,常住人口,统计日期",
            "东区,站前街道,站前社区,1000,2025-01-01",
            "东区,站前街道,光明社区,0,2025-01-01",
            "西区,河口街道,新村社区,500,2026-01-01",
        ],
    );
    let a = synth_id("19900101001");
    let b = synth_id("19900101002");
    let c = synth_id("19900101003");
    let mut bad = synth_id("19900101004");
    let last = if bad.ends_with('1') { "2" } else { "1" };
    bad.replace_range(17.., last);
    env.csv(
        "志愿者.csv",
        &[
            "姓名,证件号码,注册时间,区县,街道,社区,累计服务时长",
            &format!("张三丰,{a},2024-01-01,东区,站前街道,站前社区,27"),
            &format!("李四光,{b},2024-02-01,东区,站前街道,站前社区,50"),
            &format!("张三丰,{a},2024-03-01,东区,站前街道,站前社区,27"),
            &format!("王五一,{bad},2024-01-05,东区,站前街道,站前社区,"),
            &format!("赵六六,{c},2024-01-06,东区,站前街道,不存在社区,"),
            &format!(
                "钱七七,{},2031-01-01,西区,河口街道,新村社区,",
                synth_id("19900101005")
            ),
        ],
    );
    env.csv(
        "服务记录.csv",
        &[
            "记录编号,证件号码,服务日期,服务时长,状态",
            &format!("R1,{a},2025-01-10,6,已生效"),
            &format!("R2,{a},2025-01-10,20,已生效"),
            &format!("R3,{b},2025-02-01,5,已生效"),
            &format!("R4,{b},2025-02-02,3,待审核"),
            &format!("R5,{},2025-03-01,2,已生效", synth_id("19900101009")),
            &format!("R6,{a},2025-04-01,abc,已生效"),
            &format!("R7,{a},1999-05-01,1,已生效"),
        ],
    );
    env.csv(
        "活动台账.csv",
        &[
            "活动名称,活动日期,区县,社区,服务类别",
            "义诊,2025-01-15,东区,站前社区,医疗保健",
        ],
    );
}

/// (check, status, failing, checked) from quality.csv.
fn summary(env: &Env) -> Vec<(String, String, i64, i64)> {
    let text = std::fs::read_to_string(env.path().join("out/quality/quality.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[2].to_string(),
                r[4].parse().unwrap(),
                r[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_check_finds_exactly_its_rows() {
    let env = Env::new();
    exports(&env);
    let run = env.check(&["--period", "2025-Q1"]).code(4);
    assert!(
        !env.path().join("warehouse.duckdb").exists(),
        "check created a warehouse"
    );
    assert!(
        !env.path().join("vbrief.key").exists(),
        "check created a key"
    );
    assert!(run.stdout.contains("不通过"), "{}", run.stdout);
    let got = summary(&env);
    let want: Vec<(&str, &str, i64, i64)> = vec![
        ("id_number", "fail", 1, 13),
        ("duplicate_person", "fail", 1, 6),
        ("community_match", "fail", 1, 7),
        ("date_range", "fail", 2, 10),
        ("daily_hours", "fail", 2, 7),
        ("unregistered_person", "fail", 1, 6),
        ("pending_records", "warn", 1, 6),
        ("population", "fail", 2, 3),
        ("reported_hours", "fail", 1, 2),
        ("inactive_months", "fail", 7, 9),
        ("bad_values", "fail", 1, 14),
    ];
    let want: Vec<(String, String, i64, i64)> = want
        .into_iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c, d))
        .collect();
    assert_eq!(got, want);

    // Rows by community: each community's own file holds exactly its rows.
    let out = env.path().join("out/quality");
    let own = std::fs::read_to_string(out.join("quality_by_community/东区_站前街道_站前社区.csv"))
        .unwrap();
    let lines: Vec<&str> = own.lines().skip(1).collect();
    assert!(lines.iter().all(|l| l.contains("站前社区")), "{own}");
    // id, duplicate, 2 daily hours, pending, reported hours, date 1999, bad hours, 1 month.
    assert_eq!(lines.len(), 9, "{own}");
    let unknown = std::fs::read_to_string(
        out.join("quality_by_community/东区_站前街道_不存在社区_台账中无此社区.csv"),
    );
    assert!(unknown.is_ok(), "the unmatched community gets its own list");
    let all = std::fs::read_to_string(out.join("quality_rows.csv")).unwrap();
    let html = std::fs::read_to_string(out.join("quality.html")).unwrap();
    for text in [&all, &own, &html] {
        assert!(!text.contains("张三丰") && !text.contains("李四光"));
        assert!(!text.contains(&synth_id("19900101001")[..12]));
    }
    assert!(all.contains("张*丰"), "masked names are kept");
    // tera escapes the slashes of 东区/站前街道/站前社区.
    assert!(html.contains("站前街道") && html.contains("站前社区") && html.contains("不通过"));
}

#[test]
fn check_leaves_an_existing_warehouse_as_it_was_and_sees_its_data() {
    let env = Env::new();
    exports(&env);
    env.ingest(&[]).code(0);
    let before = std::fs::read(env.path().join("warehouse.duckdb")).unwrap();
    let more = env.csv(
        "more.csv",
        &[
            "记录编号,证件号码,服务日期,服务时长,状态",
            &format!("R9,{},2025-03-05,30,已生效", synth_id("19900101001")),
        ],
    );
    env.check(&["--period", "2025-Q1", more.to_str().unwrap()])
        .code(4);
    assert_eq!(
        std::fs::read(env.path().join("warehouse.duckdb")).unwrap(),
        before
    );
    let got = summary(&env);
    // The warehouse's persons are known (the same key): the new record's person is registered,
    // and its 30 hours are over 24.
    let find = |id: &str| got.iter().find(|c| c.0 == id).unwrap().clone();
    assert_eq!(find("unregistered_person").2, 1);
    assert_eq!(find("daily_hours").2, 3);
}

#[test]
fn ingest_summary_and_briefing_carry_the_checks() {
    let env = Env::new();
    exports(&env);
    let run = env.run(&["ingest", "--workdir", env.path().to_str().unwrap()]);
    let run = run.code(0);
    assert!(
        run.stdout.contains("数据质量 Data quality") && run.stdout.contains("reported_hours"),
        "{}",
        run.stdout
    );
    let json = env.ingest(&[]).code(0).json();
    let checks = json["quality"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 11);
    assert!(json["quality"].get("rows").is_none());
    env.report(&["--period", "2025-Q1"]).code(0);
    let html = std::fs::read_to_string(env.path().join("out/2025-Q1/briefing.html")).unwrap();
    assert!(
        html.contains("证件号码无效或缺失"),
        "annex lists the checks"
    );
}

#[test]
fn thresholds_come_from_the_config() {
    let env = Env::new();
    exports(&env);
    let config = env.path().join("vbrief.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace(
        "pending_records = { warn = 0.05, fail = 0.2 }",
        "pending_records = { warn = 0.5, fail = 0.9 }",
    );
    std::fs::write(&config, text).unwrap();
    env.check(&["--period", "2025-Q1"]).code(4);
    let got = summary(&env);
    assert_eq!(got[6].0, "pending_records");
    assert_eq!(got[6].1, "pass");
}

#[test]
fn another_period_reuses_the_counts_that_do_not_depend_on_it() {
    use transforms::period::Period;
    let env = Env::new();
    exports(&env);
    env.ingest(&[]);
    let conn = env.warehouse();
    let config = domain::Config::default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let q1 = Period::parse("2025-Q1").unwrap();
    let q2 = Period::parse("2025-Q2").unwrap();
    let fresh = transforms::run_checks(&conn, &q2, today, &config).unwrap();
    // Another period's counts, each off by 100: the ones that hold for any period are taken
    // as given (so the marks show), the others are computed for the period.
    let lent: Vec<(String, i64, i64)> = transforms::run_checks(&conn, &q1, today, &config)
        .unwrap()
        .counts()
        .counts
        .into_iter()
        .map(|(id, checked, failing)| (id, checked + 100, failing + 100))
        .collect();
    let reused = transforms::run_checks_reusing(&conn, &q2, today, &config, &lent).unwrap();
    for (check, (got, want)) in transforms::quality::CHECKS
        .iter()
        .zip(reused.checks.iter().zip(&fresh.checks))
    {
        let expected = if check.reads_period() {
            (want.checked, want.failing)
        } else {
            (want.checked + 100, want.failing + 100)
        };
        assert_eq!((got.checked, got.failing), expected, "{}", check.id);
    }
    // Nothing lent, everything computed.
    let again = transforms::run_checks_reusing(&conn, &q2, today, &config, &[]).unwrap();
    assert_eq!(again.counts().counts, fresh.counts().counts);
}
