//! Every source kind, hand-made, with every row's fate worked out by hand below.

mod common;

use common::{assert_counts, counts, synth_id, Env};

/// Writes the fixture set into the inbox and returns the ID numbers used.
///
/// Long because it is data: every row of every kind, each commented with its expected fate,
/// kept together so the assertions below can be checked against it by eye.
fn fixture(env: &Env) -> [String; 5] {
    let id_a = synth_id("19800101001");
    let id_b = synth_id("19810202002");
    let id_d = synth_id("19830404004");
    let id_e = synth_id("19840505005");
    let id_z = synth_id("19900909009");
    let id_c_bad = {
        let good = synth_id("19820303003");
        let last = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &good[..17])
    };
    // 人口台账 (xlsx): row 1 title, 2 header, 3-5 accepted, 6 blank, 7 bad population,
    // 8 duplicate of row 5 (same community via the 居委会 suffix, same year), 9 accepted (2025),
    // 10 合计. → read 10, accepted 4, quarantined 2, skipped 4.
    env.xlsx(
        "人口台账.xlsx",
        &[(
            "Sheet1",
            vec![
                vec!["示例市人口台账（测试）"],
                vec!["区县", "街道", "社区", "常住人口", "统计年份"],
                vec!["东区", "一街道", "幸福社区", "#n:2000", "#n:2024"],
                vec!["西区", "二街道", "幸福社区", "#n:3000", "#n:2024"],
                vec!["东区", "一街道", "站前社区", "#n:1000", "#n:2024"],
                vec![],
                vec!["东区", "一街道", "光明社区", "abc", "#n:2024"],
                vec!["东区", "一街道", "站前社区居委会", "#n:1100", "#n:2024"],
                vec!["东区", "一街道", "站前社区", "#n:1200", "#n:2025"],
                vec!["合计", "", "", "#n:7300", ""],
            ],
        )],
    );
    // 志愿者 (GBK csv): 1 header; 2 person A (later registration, loses to row 5: duplicate);
    // 3 no district for a shared name: ambiguous; 4 bad check digit; 5 person A again,
    // earlier: kept; 6 accepted (西区, 注销); 7 unknown community; 8 no ID but a number,
    // community with 居委会 suffix: accepted; 9 no registration date; 10 合计.
    // → read 10, accepted 3, quarantined 5, skipped 2.
    env.gbk_csv(
        "志愿者.csv",
        &[
            "志愿者编号,姓名,身份证号,手机号码,注册时间,所属区县,所属社区,状态",
            &format!("V001,张三,{id_a},13800000001,2024-01-05,东区,幸福社区,正常"),
            &format!("V002,李四,{id_b},13800000002,2024/2/1,,幸福社区,正常"),
            &format!("V003,王五,{id_c_bad},13800000003,2024-03-01,东区,站前社区,正常"),
            &format!("V004,赵六,{id_a},13800000004,2023-12-01,东区,幸福社区,正常"),
            &format!("V005,钱七,{id_d},13800000005,2024年3月1日,西区,幸福社区,注销"),
            &format!("V006,孙八,{id_e},13800000006,2024-03-01,东区,新村社区,正常"),
            "V007,周九,,13800000007,20240401,东区,站前社区居委会,正常",
            &format!("V008,吴十,{id_b},13800000008,,东区,站前社区,正常"),
            "合计,,,,,,,",
        ],
    );
    // 服务时长 (xlsx): 1 header; 2 accepted; 3 by volunteer number, text date and 2小时30分:
    // accepted; 4 zero hours; 5 30 hours; 6 no such date; 7 same record number as row 2;
    // 8 未生效: accepted (stored, never counted); 9 valid ID of nobody registered: accepted
    // (left out of figures later); 10 no record number: accepted; 11 no person at all.
    // → read 11, accepted 5, quarantined 5, skipped 1.
    env.xlsx(
        "时长.xlsx",
        &[(
            "记录",
            vec![
                vec![
                    "记录编号",
                    "证件号码",
                    "志愿者编号",
                    "项目名称",
                    "服务日期",
                    "服务时长",
                    "状态",
                ],
                vec!["R1", &id_a, "", "助老", "#d:2024-05-01", "#n:2.5", "已生效"],
                vec![
                    "R2",
                    "",
                    "V007",
                    "助老",
                    "2024年5月2日",
                    "2小时30分",
                    "已生效",
                ],
                vec!["R3", &id_a, "", "助老", "2024-05-03", "#n:0", "已生效"],
                vec!["R4", &id_a, "", "助老", "2024-05-04", "#n:30", "已生效"],
                vec!["R5", &id_d, "", "助老", "2024-02-30", "#n:2", "已生效"],
                vec!["R1", &id_a, "", "助老", "#d:2024-05-01", "#n:2.5", "已生效"],
                vec!["R6", &id_d, "", "助老", "2024-06-01", "#n:3", "未生效"],
                vec!["R7", &id_z, "", "助老", "2024-06-01", "#n:1", "已生效"],
                vec!["", &id_a, "", "助老", "2024-06-02", "#n:1", "已生效"],
                vec!["", "", "", "助老", "2024-06-02", "#n:1", "已生效"],
            ],
        )],
    );
    // 组织 (UTF-8 BOM csv): 2 accepted; 3 accepted (站前 is unique without district; 15人);
    // 4 no name; 5 same community and name as row 2. → read 5, accepted 2, quarantined 2, skipped 1.
    env.write(
        "组织.csv",
        "\u{FEFF}团体名称,所属区县,所属社区,成立日期,成员数,状态\n\
         幸福志愿队,东区,幸福社区,2020-01-01,20,正常\n\
         站前服务队,,站前社区,2021-05-01,15人,正常\n\
         ,东区,幸福社区,2020-01-01,20,正常\n\
         幸福志愿队,东区,幸福社区,2020-01-01,25,正常\n",
    );
    // 活动 (xlsx): 2 accepted (文艺活动 → 文体活动); 3 serial-number date: accepted;
    // 4 shared name, no district column: ambiguous; 5 participants not a number.
    // → read 5, accepted 2, quarantined 2, skipped 1.
    env.xlsx(
        "活动.xlsx",
        &[(
            "活动",
            vec![
                vec![
                    "活动名称",
                    "活动日期",
                    "社区",
                    "服务类别",
                    "服务对象",
                    "参与人数",
                    "服务时长",
                ],
                vec![
                    "敬老",
                    "#d:2024-05-01",
                    "站前社区",
                    "文艺活动",
                    "空巢老人",
                    "#n:20",
                    "#n:2",
                ],
                vec![
                    "义诊",
                    "#n:45444",
                    "站前社区",
                    "健康义诊",
                    "空巢老人",
                    "#n:12",
                    "#n:3",
                ],
                vec![
                    "讲座",
                    "2024-06-01",
                    "幸福社区",
                    "法律服务",
                    "困难职工",
                    "#n:30",
                    "#n:2",
                ],
                vec![
                    "宣传",
                    "2024-06-01",
                    "站前社区",
                    "其他",
                    "社区居民",
                    "很多",
                    "#n:1",
                ],
            ],
        )],
    );
    // 站点: 2 accepted; 3 光明社区 never entered the ledger (its row was quarantined).
    env.csv(
        "站点.csv",
        &[
            "社区,站点名称,建站日期",
            "站前社区,站前志愿服务站,2019-01-01",
            "光明社区,光明站,2019-01-01",
        ],
    );
    // 需求: 2, 3 accepted; 4 duplicate of 2.
    env.csv(
        "需求.csv",
        &[
            "区县,社区,需求内容,服务对象,登记日期,状态,解决日期",
            "东区,幸福社区,助餐,空巢老人,2024-03-01,已解决,2024-03-10",
            "西区,幸福社区,托管,留守儿童,2024-04-01,办理中,",
            "东区,幸福社区,助餐,空巢老人,2024-03-01,已解决,2024-03-10",
        ],
    );
    // 培训: 2 accepted; 3 month 13.
    env.csv(
        "培训.csv",
        &[
            "培训名称,培训日期,区县,社区,参训人数",
            "通用培训,20240301,东区,站前社区,30",
            "急救培训,2024-13-01,东区,站前社区,20",
        ],
    );
    [id_a, id_b, id_d, id_e, id_z]
}

#[test]
fn every_row_of_every_kind_meets_its_fate() {
    let env = Env::new();
    fixture(&env);
    let run = env.ingest(&[]).code(0);
    assert_counts(&counts(&run, "人口台账.xlsx"), 10, 4, 2, 4);
    assert_counts(&counts(&run, "志愿者.csv"), 10, 3, 5, 2);
    assert_counts(&counts(&run, "时长.xlsx"), 11, 5, 5, 1);
    assert_counts(&counts(&run, "组织.csv"), 5, 2, 2, 1);
    assert_counts(&counts(&run, "活动.xlsx"), 5, 2, 2, 1);
    assert_counts(&counts(&run, "站点.csv"), 3, 1, 1, 1);
    assert_counts(&counts(&run, "需求.csv"), 4, 2, 1, 1);
    assert_counts(&counts(&run, "培训.csv"), 3, 1, 1, 1);
    assert_eq!(counts(&run, "志愿者.csv")["encoding"], "gb18030");
    assert_eq!(counts(&run, "志愿者.csv")["kind"], "volunteers");

    let q = |f: &str, row: i64, reason: &str| (f.to_string(), row, reason.to_string());
    let mut expected = vec![
        q("人口台账.xlsx", 7, "bad_number"),
        q("人口台账.xlsx", 8, "duplicate"),
        q("培训.csv", 3, "bad_date"),
        q("组织.csv", 4, "missing_value"),
        q("组织.csv", 5, "duplicate"),
        q("站点.csv", 3, "unknown_community"),
        q("需求.csv", 4, "duplicate"),
        q("志愿者.csv", 2, "duplicate"),
        q("志愿者.csv", 3, "ambiguous_community"),
        q("志愿者.csv", 4, "invalid_id"),
        q("志愿者.csv", 7, "unknown_community"),
        q("志愿者.csv", 9, "missing_value"),
        q("时长.xlsx", 4, "hours_not_positive"),
        q("时长.xlsx", 5, "hours_over_24"),
        q("时长.xlsx", 6, "bad_date"),
        q("时长.xlsx", 7, "duplicate"),
        q("时长.xlsx", 11, "missing_id"),
        q("活动.xlsx", 4, "ambiguous_community"),
        q("活动.xlsx", 5, "bad_number"),
    ];
    expected.sort();
    assert_eq!(env.quarantine(), expected);
    // The earliest registration of person A is the one kept.
    assert_eq!(env.count("SELECT count(*) FROM volunteers WHERE volunteer_no = 'V004' AND registered_on = DATE '2023-12-01'"), 1);
    assert_eq!(
        env.count("SELECT count(*) FROM volunteers WHERE volunteer_no = 'V001'"),
        0
    );
    // The record given only a volunteer number belongs to that volunteer's person.
    assert_eq!(
        env.count("SELECT count(*) FROM service_records r JOIN volunteers v ON v.k = r.person_key WHERE r.record_no = 'R2' AND v.volunteer_no = 'V007'"),
        1
    );
    assert_eq!(
        env.count("SELECT CAST(sum(hours) * 10 AS BIGINT) FROM service_records"),
        25 + 25 + 30 + 10 + 10
    );
    // The duplicate points at the row kept.
    let csv = std::fs::read_to_string(env.path().join("quarantine.csv")).unwrap();
    assert!(csv.starts_with('\u{FEFF}'));
    assert!(csv.contains("kept: inbox/时长.xlsx [记录] row 2,"), "{csv}");
    assert!(
        csv.contains("东区/一街道/幸福社区; 西区/二街道/幸福社区"),
        "{csv}"
    );
    // Categories are mapped to the standard list.
    assert_eq!(
        env.count("SELECT count(*) FROM activities WHERE category = '文体活动'"),
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM activities WHERE category = '医疗保健'"),
        1
    );
    // Two populations for 站前社区 (2024 and 2025), one for each 幸福社区.
    assert_eq!(env.count("SELECT count(*) FROM communities"), 3);
    assert_eq!(env.count("SELECT count(*) FROM population"), 4);
}

#[test]
fn reingest_is_a_no_op_and_overlap_adds_only_the_new() {
    let env = Env::new();
    let ids = fixture(&env);
    env.ingest(&[]).code(0);
    let before = env.count("SELECT count(*) FROM service_records")
        + 1000 * env.count("SELECT count(*) FROM quarantine");

    let again = env.ingest(&[]).code(0);
    for sheet in again.json()["sheets"].as_array().unwrap() {
        assert_eq!(sheet["status"]["status"], "unchanged", "{sheet}");
    }
    assert_eq!(
        env.count("SELECT count(*) FROM service_records")
            + 1000 * env.count("SELECT count(*) FROM quarantine"),
        before
    );

    // A later export overlapping the first: R1 and R6 again (R6 now 已生效), R8 new.
    let id_a = &ids[0];
    let id_d = &ids[2];
    let later = env.csv(
        "时长_续.csv",
        &[
            "记录编号,证件号码,项目名称,服务日期,服务时长,状态",
            &format!("R1,{id_a},助老,2024-05-01,2.5,已生效"),
            &format!("R6,{id_d},助老,2024-06-01,3,已生效"),
            &format!("R8,{id_a},助老,2024-07-01,4,已生效"),
        ],
    );
    let run = env.ingest(&[later.to_str().unwrap()]).code(0);
    let sheet = counts(&run, "时长_续.csv");
    assert_counts(&sheet, 4, 1, 0, 3);
    assert_eq!(sheet["counts"]["skipped_known"], 2);
    assert_eq!(
        env.count("SELECT count(*) FROM service_records WHERE record_no = 'R1'"),
        1
    );
    // The later export's status wins for a record seen again.
    assert_eq!(
        env.count(
            "SELECT count(*) FROM service_records WHERE record_no = 'R6' AND status = '已生效'"
        ),
        1
    );
}

#[test]
fn a_later_file_of_the_same_run_updates_what_may_change() {
    // Both exports arrive in one run: the record and the volunteer are kept from the first
    // file, with the status of the last file that has them (the new rows are written with it,
    // not updated afterwards).
    let env = Env::new();
    let id_a = synth_id("19800101001");
    env.csv(
        "人口.csv",
        &[
            "区县,街道,社区,常住人口,统计年份",
            "东区,一街道,幸福社区,2000,2024",
        ],
    );
    env.csv(
        "志愿者_1.csv",
        &[
            "志愿者编号,姓名,身份证号,注册时间,所属区县,所属社区,状态",
            &format!("V001,张三,{id_a},2024-01-05,东区,幸福社区,正常"),
        ],
    );
    env.csv(
        "志愿者_2.csv",
        &[
            "志愿者编号,姓名,身份证号,注册时间,所属区县,所属社区,状态",
            &format!("V001,张三,{id_a},2024-01-05,东区,幸福社区,注销"),
        ],
    );
    for (file, status) in [
        ("时长_1.csv", "待审核"),
        ("时长_2.csv", "已生效"),
        ("时长_3.csv", "已驳回"),
    ] {
        env.csv(
            file,
            &[
                "记录编号,证件号码,项目名称,服务日期,服务时长,状态",
                &format!("R1,{id_a},助老,2024-05-01,2.5,{status}"),
                &format!("R{file},{id_a},助老,2024-05-02,1,已生效"),
            ],
        );
    }
    let run = env.ingest(&[]).code(0);
    assert_eq!(counts(&run, "时长_3.csv")["counts"]["skipped_known"], 1);
    assert_eq!(
        common::query_rows(
            &env.warehouse(),
            "SELECT parse_filename(f.path) || ' ' || r.source_row || ' ' || r.status
               FROM service_records r JOIN files f USING (file_id)
              WHERE r.record_no = 'R1'",
            |r| r.get::<_, String>(0)
        ),
        vec!["时长_1.csv 2 已驳回".to_string()]
    );
    assert_eq!(
        common::query_rows(
            &env.warehouse(),
            "SELECT parse_filename(f.path) || ' ' || v.status
               FROM volunteers v JOIN files f USING (file_id)",
            |r| r.get::<_, String>(0)
        ),
        vec!["志愿者_1.csv 注销".to_string()]
    );
    assert_eq!(env.count("SELECT count(*) FROM service_records"), 4);
}

#[test]
fn ledger_is_loaded_first_whatever_the_order() {
    let env = Env::new();
    fixture(&env);
    // Name the files explicitly, ledger last.
    let inbox = env.inbox();
    let run = env
        .ingest(&[
            inbox.join("志愿者.csv").to_str().unwrap(),
            inbox.join("站点.csv").to_str().unwrap(),
            inbox.join("人口台账.xlsx").to_str().unwrap(),
        ])
        .code(0);
    assert_counts(&counts(&run, "志愿者.csv"), 10, 3, 5, 2);
    assert_counts(&counts(&run, "站点.csv"), 3, 1, 1, 1);
}

#[test]
fn without_any_ledger_files_that_need_one_fail_and_say_so() {
    let env = Env::new();
    fixture(&env);
    let inbox = env.inbox();
    let run = env
        .ingest(&[
            inbox.join("站点.csv").to_str().unwrap(),
            inbox.join("时长.xlsx").to_str().unwrap(),
        ])
        .code(3);
    let stations = counts(&run, "站点.csv");
    assert_eq!(stations["status"]["status"], "failed");
    assert!(
        stations["status"]["message"]
            .as_str()
            .unwrap()
            .contains("人口台账"),
        "{stations}"
    );
    // Service records need no ledger.
    assert_counts(&counts(&run, "时长.xlsx"), 11, 5, 5, 1);
}

#[test]
fn explicit_kind_and_bad_kind() {
    let env = Env::new();
    env.csv("pop.csv", &["社区,常住人口", "站前社区,1000"]);
    let run = env.ingest(&["--kind", "communities"]).code(0);
    assert_counts(&counts(&run, "pop.csv"), 2, 1, 0, 1);
    env.run(&["ingest", "--kind", "people"])
        .code(2)
        .stderr_has("unknown kind");
}

#[test]
fn legacy_xls_is_read() {
    // tests/fixtures/站点台账.xls (made by make_xls.py): 1 title, 2 header, 3 date cell: accepted,
    // 4 date as text: accepted, 5 blank, 6 unknown community, 7 合计.
    // → read 7, accepted 2, quarantined 1, skipped 4.
    let env = Env::new();
    env.csv(
        "ledger.csv",
        &[
            "区县,社区,常住人口",
            "东区,站前社区,1000",
            "西区,幸福社区,2000",
        ],
    );
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/站点台账.xls");
    std::fs::copy(&fixture, env.inbox().join("站点台账.xls")).unwrap();
    let run = env.ingest(&[]).code(0);
    assert_counts(&counts(&run, "站点台账.xls"), 7, 2, 1, 4);
    assert_eq!(
        env.quarantine(),
        vec![(
            "站点台账.xls".to_string(),
            6,
            "unknown_community".to_string()
        )]
    );
    assert_eq!(
        env.count("SELECT count(*) FROM stations WHERE established_on = DATE '2019-03-01'"),
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM stations WHERE established_on = DATE '2020-05-01'"),
        1
    );
}

#[test]
fn record_numbers_are_stored_uncompressed() {
    // Numbers unique to each record: DuckDB would compress them (dictionary and FSST) at a
    // fifth of the merge's insert for little gain; ingest/sql/schema.sql stores them as they
    // are. 30,000 records are enough for DuckDB to choose DICT_FSST on its own.
    let env = Env::new();
    common::write_service_records(&env.inbox().join("records.csv"), 30_000);
    env.ingest(&["--kind", "service_records"]).code(0);
    let compression = |kind: &str| {
        env.count(&format!(
            "SELECT count(*) FROM pragma_storage_info('service_records')
              WHERE column_name = 'record_no' AND segment_type = 'VARCHAR'
                AND compression {kind}"
        ))
    };
    assert!(compression("= 'Uncompressed'") > 0);
    assert_eq!(compression("<> 'Uncompressed'"), 0);
}

/// Files are hashed and their headers read on two threads: of files with the same content in
/// one run the first by name is loaded and the others are unchanged, and the rest load as
/// usual (the settling in file order itself: `pipeline::tests::plans_are_settled_in_file_order`).
#[test]
fn files_with_the_same_content_in_one_run_load_once() {
    let env = Env::new();
    env.xlsx(
        "a_人口台账.xlsx",
        &[(
            "Sheet1",
            vec![
                vec!["区县", "街道", "社区", "常住人口"],
                vec!["东区", "一街道", "幸福社区", "#n:2000"],
            ],
        )],
    );
    let id = synth_id("19800101001");
    let volunteers = [
        "志愿者编号,姓名,身份证号,手机号码,注册时间,所属区县,所属社区,状态",
        &format!("V001,张三,{id},13800000001,2024-01-05,东区,幸福社区,正常"),
    ];
    for name in ["b_志愿者.csv", "c_志愿者副本.csv", "d_志愿者又一份.csv"] {
        env.csv(name, &volunteers);
    }
    env.csv(
        "e_站点.csv",
        &["站点名称,所属区县,所属社区", "幸福社区服务站,东区,幸福社区"],
    );
    let run = env.ingest(&[]).code(0);
    let json = run.json();
    let status: Vec<(String, String)> = json["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = s["path"].as_str().unwrap();
            let name = path.rsplit('/').next().unwrap().to_string();
            (name, s["status"]["status"].as_str().unwrap().to_string())
        })
        .collect();
    let of = |name: &str| -> Vec<&str> {
        status
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
            .collect()
    };
    assert_eq!(of("a_人口台账.xlsx"), ["loaded"], "{status:?}");
    assert_eq!(of("b_志愿者.csv"), ["loaded"], "{status:?}");
    assert_eq!(of("c_志愿者副本.csv"), ["unchanged"], "{status:?}");
    assert_eq!(of("d_志愿者又一份.csv"), ["unchanged"], "{status:?}");
    assert_eq!(of("e_站点.csv"), ["loaded"], "{status:?}");
    assert_eq!(env.count("SELECT count(*) FROM volunteers"), 1);
    assert_eq!(env.count("SELECT count(*) FROM stations"), 1);
}
