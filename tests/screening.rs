//! The screening of padded hours (`vbrief screen`) on a hand-made city where every pattern is
//! planted once, beside look-alikes that must not be listed. Every count below is worked out
//! by hand in the comments.
//!
//! 春园社区 (青湖区/枫林街道): the planted person-level patterns and a deadline spike.
//! 秋实社区 (青湖区/枫林街道): a community whose busy month-ends are its normal rhythm.
//! 白鹭社区 (青湖区/青湖街道): an identical bulk entry, a real group activity, round repeats.
//! 秋实 and 白鹭 together: 24 identical records of a project without a team, 12 in each (a
//! batch without a team is counted within one community: not listed).

mod common;

use std::collections::BTreeMap;

use common::screening_city::{city, BL, CY, QS};
use common::{synth_id, Env};

/// (community, rule) → (records, hours), from `vbrief screen --json`.
fn counts(json: &serde_json::Value) -> BTreeMap<(String, String), (i64, f64)> {
    let mut out = BTreeMap::new();
    for c in json["communities"].as_array().unwrap() {
        for r in c["by_rule"].as_array().unwrap() {
            out.insert(
                (
                    c["community"].as_str().unwrap().to_string(),
                    r[0].as_str().unwrap().to_string(),
                ),
                (r[1].as_i64().unwrap(), r[2].as_f64().unwrap()),
            );
        }
    }
    out
}

#[test]
fn every_planted_pattern_is_found_and_no_look_alike_is() {
    let env = Env::new();
    city(&env);
    env.ingest(&[]).code(0);
    let run = env
        .run(&[
            "screen",
            "--workdir",
            env.path().to_str().unwrap(),
            "--period",
            "2025",
            "--json",
        ])
        .code(0);
    let json = run.json();
    let key = |c: &str, r: &str| (c.to_string(), r.to_string());
    let expected: BTreeMap<(String, String), (i64, f64)> = [
        (key(CY, "long_days"), (2, 14.0)),
        (key(CY, "streaks"), (10, 80.0)),
        (key(CY, "before_registration"), (1, 3.0)),
        (key(CY, "overlaps"), (2, 8.0)),
        (key(CY, "late_entry"), (1, 3.0)),
        (key(CY, "spikes"), (21, 61.0)),
        (key(BL, "identical_batches"), (22, 176.0)),
        (key(BL, "round_repeats"), (35, 140.0)),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts(&json), expected);
    let community = |name: &str| {
        json["communities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["community"] == name)
            .unwrap()
            .clone()
    };
    // 春园: 31 registered, 325 h. Flagged (every rule but late entry, each record once): 2 +
    // 10 + 1 + 2 + 21 = 36 records, 14 + 80 + 3 + 8 + 61 = 166 h; per capita 325 / 31 = 10.48,
    // without them 159 / 31 = 5.13; late entry 3 / 325 = 0.92%.
    let cy = community(CY);
    assert_eq!(cy["registered"], 31);
    assert_eq!(cy["hours"], 325.0);
    assert_eq!(cy["flagged_records"], 36);
    assert_eq!(cy["flagged_hours"], 166.0);
    assert_eq!(cy["per_capita_hours"], 10.48);
    assert_eq!(cy["per_capita_hours_unflagged"], 5.13);
    assert_eq!(cy["late_share"], 0.0092);
    // 秋实: nothing listed.
    let qs = community(QS);
    assert_eq!(qs["flagged_records"], 0);
    assert_eq!(
        qs["hours"],
        15.0 * 24.0 * 2.0 + 2.0 * 12.0 * 3.0 + 12.0 * 8.0
    );
    // 白鹭: 22 + 35 records, 176 + 140 h.
    let bl = community(BL);
    assert_eq!(bl["flagged_records"], 57);
    assert_eq!(bl["flagged_hours"], 316.0);
    // Each listed record says where it came from and whose it is, masked.
    let record = json["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "long_days")
        .unwrap();
    assert_eq!(record["masked_name"], "志**A");
    assert_eq!(record["volunteer_no"], "A");
    assert!(record["file"].as_str().unwrap().ends_with("时长_2.0.csv"));
    assert_eq!(record["start"], "08:00");
    assert_eq!(record["measure"], 14.0);

    // The files: the page and the workbook, with no ID number anywhere.
    let out = env.path().join("out/screening/2025");
    let html = std::fs::read_to_string(out.join("screening.html")).unwrap();
    assert!(html.contains("一天时长过长") && html.contains("期限前突击"));
    assert!(html.contains("志**A"));
    let ids: Vec<String> = (0..200)
        .map(|n| synth_id(&format!("19800101{n:03}")))
        .collect();
    for id in &ids {
        assert!(
            !html.contains(id.as_str()),
            "an ID number in screening.html"
        );
    }
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(out.join("screening.xlsx")).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets[0], "汇总");
    assert!(sheets.contains(&"整批相同的记录".to_string()), "{sheets:?}");
    let batch = book.worksheet_range("整批相同的记录").unwrap();
    assert_eq!(batch.rows().count(), 1 + 22);

    // explain says the same for one community.
    let explained = env
        .run(&[
            "explain",
            "screening",
            "--community",
            "春园社区",
            "--period",
            "2025",
            "--workdir",
            env.path().to_str().unwrap(),
        ])
        .code(0);
    let line = |rule: &str| {
        explained
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{rule} ")))
            .unwrap_or_else(|| panic!("no line for {rule}:\n{}", explained.stdout))
            .to_string()
    };
    assert!(line("long_days").contains(" 2 条"), "{}", line("long_days"));
    assert!(line("spikes").contains(" 21 条"), "{}", line("spikes"));
    assert!(
        line("identical_batches").contains(" 0 条"),
        "{}",
        line("identical_batches")
    );
    assert!(
        explained
            .stdout
            .contains("10.48 → 去掉被列时长后 without the flagged hours: 5.13"),
        "{}",
        explained.stdout
    );
    // The briefing does not change: nothing of the screening in it.
    env.report(&["--period", "2025"]).code(0);
    let briefing = std::fs::read_to_string(env.path().join("out/2025/briefing.html")).unwrap();
    assert!(!briefing.contains("核查"));
}

#[test]
fn an_inspection_date_lists_the_days_before_it() {
    let env = Env::new();
    city(&env);
    // 白鹭's batch of 5 July (176 h) falls in the 14 days before an inspection on 10 July;
    // before the window (1 January – 25 June) 白鹭 served M's and N's 4 h weekly records.
    let config = env.path().join("vbrief.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "inspection_days = 14",
            "inspection_days = 14\ninspection_date = \"2025-07-10\"",
        ),
    )
    .unwrap();
    env.ingest(&[]).code(0);
    let json = env
        .run(&[
            "screen",
            "--workdir",
            env.path().to_str().unwrap(),
            "--period",
            "2025",
            "--json",
        ])
        .code(0)
        .json();
    let spikes: Vec<&serde_json::Value> = json["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "spikes")
        .collect();
    // 白鹭's window 26 June – 9 July: P's 22 records (176 h), Q's 30 (60 h), and M's and N's
    // records of 27 June and 4 July (4 records, 16 h) = 56 records, 252 h in 14 days (18 h a
    // day); before it, 25 weeks of M's and N's 8 h a week (1 January – 25 June, 176 days):
    // 200 h, 1.1 h a day: ratio 15.9 ≥ 3. 春园 and 秋实 keep theirs (秋实's month ends in the
    // window are its rhythm; 春园 has 16 h there).
    let bailu = json["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["community"] == BL)
        .unwrap()["community_id"]
        .clone();
    let in_bl = spikes
        .iter()
        .filter(|r| {
            let day = r["served_on"].as_str().unwrap();
            ("2025-06-26"..="2025-07-09").contains(&day) && r["community_id"] == bailu
        })
        .count();
    assert_eq!(in_bl, 56, "{spikes:?}");
}
