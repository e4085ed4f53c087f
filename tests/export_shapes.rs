//! The national system's 2.0 list shapes (docs/CONTRACT.md §2.2 "The national system's 2.0 lists"): a
//! single region column holding a whole path, identity documents other than the 居民身份证,
//! 开始时间/结束时间 instead of a date and hours, 时长状态 and 认证状态 words, and an office's own
//! `[headers]` mapping. Every row's fate and the figures of the period are worked out by hand.

mod common;

use common::{assert_counts, counts, indicator_csv, query_rows, synth_id, Env};

/// Document numbers and phones of the fixture: none may be stored or written anywhere.
const PASSPORT: &str = "e1234 5678";
const PASSPORT_IN_RECORDS: &str = "E12345678";
const HK_PERMIT: &str = "H12345678";
const TW_PERMIT: &str = "87654321";
const FOREIGN_PR: &str = "USA110079001234";
const PASSPORT_UNKNOWN_PLACE: &str = "G7654321";
const PHONES: [&str; 3] = ["13811110001", "13811110002", "13922220003"];

struct Ids {
    a: String,
    b: String,
    c: String,
    bad: String,
}

fn ids() -> Ids {
    let bad = {
        let good = synth_id("19820303003");
        let last = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &good[..17])
    };
    Ids {
        a: synth_id("19800101001"),
        b: synth_id("19810202002"),
        c: synth_id("19830404004"),
        bad,
    }
}

/// Writes the 2.0-shaped exports into the inbox.
///
/// Long because it is data: every row with its expected fate beside it.
fn fixture(env: &Env) -> Ids {
    let ids = ids();
    // The ledger names one community with the committee suffix: outputs must say 春园社区.
    // 春园社区 exists in two districts (same street name in both).
    env.csv(
        "人口台账.csv",
        &[
            "区县,街道,社区,常住人口,统计年份",
            "青湖区,枫林街道,春园社区居委会,1000,2025",
            "白河区,枫林街道,春园社区,2000,2025",
            "青湖区,青湖街道,秋实社区,1500,2025",
        ],
    );
    // Volunteers, 2.0 team-admin list (xlsx). 1 header;
    // 2 ID, path without separators → 青湖 春园 (registered);
    // 3 passport (lower case, a space), `>` path with province and city → 白河 春园 (registered);
    // 4 港澳通行证, `/` path → 秋实 (registered);
    // 5 台胞证, `-` path, 审核中 → accepted, not registered (unverified);
    // 6 永久居留证, `－` path, 停用 → accepted, not registered (disabled);
    // 7 ID with a bad check digit → invalid_id;
    // 8 ID, path without district: 春园社区 of 枫林街道 is in two districts → ambiguous;
    // 9 passport, a community nobody has → unknown;
    // 10 ID, spaces and short names (青湖 枫林) → 青湖 春园 (registered).
    // → read 10, accepted 6, quarantined 3, skipped 1.
    let header = vec![
        "志愿者姓名",
        "证件类型",
        "证件号码",
        "手机/电话",
        "性别",
        "注册日期",
        "认证状态",
        "账户状态",
        "总服务时长（小时）",
        "服务区域",
    ];
    let row = |name: &'static str,
               doc: &'static str,
               no: &str,
               gender: &'static str,
               verified: &'static str,
               account: &'static str,
               region: &'static str| {
        vec![
            name.to_string(),
            doc.to_string(),
            no.to_string(),
            PHONES[0].to_string(),
            gender.to_string(),
            "#t:2024-03-01 10:20:30".to_string(),
            verified.to_string(),
            account.to_string(),
            "#n:2.5".to_string(),
            region.to_string(),
        ]
    };
    let rows: Vec<Vec<String>> = vec![
        row(
            "张一",
            "居民身份证",
            &ids.a,
            "1",
            "认证通过",
            "启用",
            "某省某市青湖区枫林街道春园社区",
        ),
        row(
            "李二",
            "护照",
            PASSPORT,
            "2",
            "认证通过",
            "启用",
            "某省>某市>白河区>枫林街道>春园社区",
        ),
        row(
            "王三",
            "港澳居民来往内地通行证",
            HK_PERMIT,
            "1",
            "认证通过",
            "启用",
            "青湖区/青湖街道/秋实社区",
        ),
        row(
            "赵四",
            "台湾居民来往大陆通行证",
            TW_PERMIT,
            "2",
            "审核中",
            "启用",
            "青湖区-枫林街道-春园社区",
        ),
        row(
            "钱五",
            "外国人永久居留身份证",
            FOREIGN_PR,
            "1",
            "认证通过",
            "停用",
            "青湖区－枫林街道－春园社区",
        ),
        row(
            "孙六",
            "居民身份证",
            &ids.bad,
            "1",
            "认证通过",
            "启用",
            "青湖区枫林街道春园社区",
        ),
        row(
            "周七",
            "居民身份证",
            &ids.b,
            "2",
            "认证通过",
            "启用",
            "某市枫林街道春园社区",
        ),
        row(
            "吴八",
            "护照",
            PASSPORT_UNKNOWN_PLACE,
            "1",
            "认证通过",
            "启用",
            "青湖区 枫林街道 新村社区",
        ),
        row(
            "郑九",
            "居民身份证",
            &ids.c,
            "1",
            "认证通过",
            "启用",
            "青湖 枫林 春园社区",
        ),
    ];
    let mut sheet: Vec<Vec<&str>> = vec![header];
    sheet.extend(rows.iter().map(|r| r.iter().map(String::as_str).collect()));
    env.xlsx("志愿者_2.0.xlsx", &[("志愿者列表", sheet)]);

    // Hour records, 2.0 list (csv): no hours column, so hours are 结束时间 − 开始时间; no
    // service date, so the date is 开始时间's; 录入日期 is when the record was typed in.
    // 1 header; 2 张一 2.5 h 已生效; 3 李二 by passport written otherwise (joins him) 4 h;
    // 4 王三 by 港澳通行证 in lower case, served 30 Dec, entered 3 Jan: 3 h in 2025;
    // 5-11 张一, one row per status that does not count (申请中 未签退 已拒绝 已删除 录入失败
    // 待审核 未生效); 12, 13 张一 with a word vbrief does not know (已作废): not counted, listed
    // with its count; 14 end before start → hours_not_positive; 15 郑九 2 h served on
    // 2024-12-30 and entered in 2025: counted in 2024, not in 2025.
    // → read 15, accepted 13, quarantined 1, skipped 1.
    let record = |name: &str,
                  doc: &str,
                  no: &str,
                  start: &str,
                  end: &str,
                  status: &str,
                  entered: &str| {
        format!("{name},{doc},{no},助老服务,春园志愿队,助餐员,{start},{end},团体录入,{status},{entered}")
    };
    let a = |day: &str, status: &str| {
        record(
            "张一",
            "居民身份证",
            &ids.a,
            &format!("2025-04-{day} 09:00:00"),
            &format!("2025-04-{day} 10:00:00"),
            status,
            "2025-05-01 08:00:00",
        )
    };
    env.csv(
        "时长_2.0.csv",
        &[
            "志愿者姓名,证件类型,证件号码,所属项目,所属队伍,岗位,开始时间,结束时间,录入方式,时长状态,录入日期",
            &record("张一", "居民身份证", &ids.a, "2025-03-01 09:00:00", "2025-03-01 11:30:00", "已生效", "2025-03-02 10:00:00"),
            &record("李二", "护照", PASSPORT_IN_RECORDS, "2025/3/2 8:00", "2025/3/2 12:00", "已生效", "2025-03-02 13:00:00"),
            &record("王三", "回乡证", &HK_PERMIT.to_lowercase(), "2025-12-30 14:00:00", "2025-12-30 17:00:00", "已生效", "2026-01-03 09:00:00"),
            &a("01", "申请中"),
            &a("02", "未签退"),
            &a("03", "已拒绝"),
            &a("04", "已删除"),
            &a("05", "录入失败"),
            &a("06", "待审核"),
            &a("07", "未生效"),
            &a("10", "已作废"),
            &a("11", "已作废"),
            &record("张一", "居民身份证", &ids.a, "2025-05-01 10:00:00", "2025-05-01 09:00:00", "已生效", "2025-05-01 11:00:00"),
            &record("郑九", "居民身份证", &ids.c, "2024-12-30 09:00:00", "2024-12-30 11:00:00", "已生效", "2025-01-03 09:00:00"),
        ],
    );

    // Teams, 2.0 list (xlsx): 队伍名称, 服务区域, 注册时间 = founded; 联系人 and 联系电话 are
    // never read. 2 青湖 春园 (path ending in the committee suffix); 3 秋实.
    // → read 3, accepted 2, quarantined 0, skipped 1.
    env.xlsx(
        "队伍_2.0.xlsx",
        &[(
            "队伍",
            vec![
                vec![
                    "队伍名称",
                    "队伍类型",
                    "服务区域",
                    "注册时间",
                    "队伍人数",
                    "联系人",
                    "联系电话",
                ],
                vec![
                    "春园志愿队",
                    "社区志愿服务队",
                    "某省某市青湖区枫林街道春园社区居委会",
                    "#d:2020-01-01",
                    "#n:20",
                    "陈队长",
                    PHONES[1],
                ],
                vec![
                    "秋实服务队",
                    "社区志愿服务队",
                    "青湖区>青湖街道>秋实社区",
                    "#t:2021-05-01 10:00:00",
                    "#n:15",
                    "林队长",
                    PHONES[2],
                ],
            ],
        )],
    );
    ids
}

#[test]
fn every_row_of_the_2_0_lists_meets_its_fate_and_counts_where_it_should() {
    let env = Env::new();
    let ids = fixture(&env);
    let run = env.ingest(&[]).code(0);
    assert_counts(&counts(&run, "志愿者_2.0.xlsx"), 10, 6, 3, 1);
    assert_counts(&counts(&run, "时长_2.0.csv"), 15, 13, 1, 1);
    assert_counts(&counts(&run, "队伍_2.0.xlsx"), 3, 2, 0, 1);
    assert_eq!(counts(&run, "队伍_2.0.xlsx")["kind"], "organizations");
    assert_eq!(
        counts(&run, "时长_2.0.csv")["unused_columns"],
        // 录入日期 is read (for the screening of late entries), never as the day served.
        serde_json::json!(["岗位", "录入方式"])
    );
    let q = |f: &str, row: i64, reason: &str| (f.to_string(), row, reason.to_string());
    assert_eq!(
        env.quarantine(),
        vec![
            q("志愿者_2.0.xlsx", 7, "invalid_id"),
            q("志愿者_2.0.xlsx", 8, "ambiguous_community"),
            q("志愿者_2.0.xlsx", 9, "unknown_community"),
            q("时长_2.0.csv", 14, "hours_not_positive"),
        ]
    );
    let wh = env.warehouse();
    // Start, end and 录入日期 are kept for the screening: 王三's record of 30 December
    // 14:00–17:00, entered on 3 January.
    let kept: (String, String, String) = wh
        .query_row(
            "SELECT CAST(start_at AS VARCHAR), CAST(end_at AS VARCHAR), CAST(entered_on AS VARCHAR)
               FROM service_records WHERE served_on = DATE '2025-12-30'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        kept,
        (
            "2025-12-30 14:00:00".to_string(),
            "2025-12-30 17:00:00".to_string(),
            "2026-01-03".to_string()
        )
    );
    // The ambiguous path names both candidates; the column is the region column.
    let (column, candidates): (String, String) = wh
        .query_row(
            "SELECT column_name, candidates FROM quarantine WHERE reason = 'ambiguous_community'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(column, "服务区域");
    assert_eq!(
        candidates,
        "青湖区/枫林街道/春园社区; 白河区/枫林街道/春园社区"
    );
    // Gender decoded from 1/2, 认证状态 and 账户状态 kept, registration date without its time.
    let volunteers: Vec<(String, String, String, String, String)> = query_rows(
        &wh,
        "SELECT v.name_masked, v.gender, coalesce(v.status, ''), coalesce(v.verification, ''),
                c.district || '/' || c.community
         FROM volunteers v JOIN communities c USING (community_id) ORDER BY v.source_row",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    );
    let v = |n: &str, g: &str, s: &str, ver: &str, c: &str| {
        (n.into(), g.into(), s.into(), ver.into(), c.into())
    };
    assert_eq!(
        volunteers,
        vec![
            v("张*", "男", "启用", "认证通过", "青湖区/春园社区"),
            v("李*", "女", "启用", "认证通过", "白河区/春园社区"),
            v("王*", "男", "启用", "认证通过", "青湖区/秋实社区"),
            v("赵*", "女", "启用", "审核中", "青湖区/春园社区"),
            v("钱*", "男", "停用", "认证通过", "青湖区/春园社区"),
            v("郑*", "男", "启用", "认证通过", "青湖区/春园社区"),
        ]
    );
    // Every accepted record joined its person: 李二's passport and 王三's permit were written
    // otherwise in the hour list than in the registry.
    assert_eq!(
        env.count(
            "SELECT count(*) FROM service_records WHERE person_key NOT IN (SELECT k FROM volunteers)"
        ),
        0
    );
    // The 30 December record entered on 3 January is dated when it was served, 3 hours.
    let (served, hours): (String, f64) = wh
        .query_row(
            "SELECT CAST(served_on AS VARCHAR), hours FROM service_records WHERE source_row = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((served.as_str(), hours), ("2025-12-30", 3.0));
    // The ledger's name as written stays for lineage; the name used is the normalized one.
    let (name, written): (String, String) = wh
        .query_row(
            "SELECT community, written_as FROM communities WHERE district = '青湖区' AND street = '枫林街道'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (name.as_str(), written.as_str()),
        ("春园社区", "春园社区居委会")
    );
    drop(wh);

    // Figures for 2025: registered = verified and not disabled; hours = effective records of
    // the year served.
    env.report(&["--period", "2025", "--out", "out"]).code(0);
    let rows = indicator_csv(&env, "out", "community");
    let figures = |district: &str, community: &str| {
        let r = rows
            .iter()
            .find(|r| r["district"] == district && r["community"] == community)
            .unwrap_or_else(|| panic!("{district}/{community} not in {rows:?}"));
        (
            r["registered"].clone(),
            r["hours"].clone(),
            r["organizations"].clone(),
        )
    };
    let f = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(figures("青湖区", "春园社区"), f("2", "2.50", "1"));
    assert_eq!(figures("白河区", "春园社区"), f("1", "4.00", "0"));
    assert_eq!(figures("青湖区", "秋实社区"), f("1", "3.00", "1"));
    assert!(
        rows.iter().all(|r| r["community"] != "春园社区居委会"),
        "outputs use the normalized name"
    );
    // 2024: 郑九's record served on 30 December 2024.
    env.report(&["--period", "2024", "--out", "out2024"])
        .code(0);
    let rows = indicator_csv(&env, "out2024", "community");
    let qinghu = rows
        .iter()
        .find(|r| r["district"] == "青湖区" && r["community"] == "春园社区")
        .unwrap();
    assert_eq!(qinghu["hours"], "2.00");

    // explain shows who the status words left out.
    let explain = env.run(&[
        "explain",
        "registered",
        "--workdir",
        env.path().to_str().unwrap(),
        "--community",
        "春园社区",
        "--district",
        "青湖区",
        "--period",
        "2025",
    ]);
    // Each count ends its line.
    let explain = explain.code(0).stdout_has_line_ends(&[
        "counted (registered persons at the end): 2",
        "excluded, cancelled (注销/停用): 1",
        "excluded, not verified (认证状态 审核中/认证未通过/未认证/认证失败): 1",
        "excluded, not effective: 9",
    ]);

    // The pending-records check lists each word; the unknown one with its count.
    env.check(&["--period", "2025"]);
    let rows = std::fs::read_to_string(env.path().join("out/quality/quality_rows.csv")).unwrap();
    let pending: Vec<&str> = rows
        .lines()
        .filter(|l| l.contains("pending_records"))
        .collect();
    assert_eq!(pending.len(), 9, "{rows}");
    for word in [
        "申请中",
        "未签退",
        "已拒绝",
        "已删除",
        "录入失败",
        "待审核",
        "未生效",
    ] {
        assert!(
            pending
                .iter()
                .any(|l| l.contains(&format!("状态为“{word}”，不计入"))),
            "{word}: {rows}"
        );
    }
    assert_eq!(
        pending
            .iter()
            .filter(|l| l.contains("状态为“已作废”，vbrief 不认识这个状态词（共 2 条）"))
            .count(),
        2,
        "{rows}"
    );

    // No document number, ID number or phone reached the warehouse, its files, quarantine.csv,
    // the outputs or what the commands printed.
    let mut secrets: Vec<String> = vec![
        PASSPORT.into(),
        PASSPORT_IN_RECORDS.into(),
        HK_PERMIT.into(),
        HK_PERMIT.to_lowercase(),
        TW_PERMIT.into(),
        FOREIGN_PR.into(),
        PASSPORT_UNKNOWN_PLACE.into(),
        ids.a.clone(),
        ids.b.clone(),
        ids.c.clone(),
        ids.bad.clone(),
        "张一".into(),
        "陈队长".into(),
    ];
    secrets.extend(PHONES.iter().map(|p| p.to_string()));
    let mut texts = vec![
        run.stdout.clone(),
        run.stderr.clone(),
        explain.stdout.clone(),
    ];
    for dir in [env.path().to_path_buf()] {
        for entry in walk(&dir) {
            if entry.starts_with(env.inbox()) {
                continue;
            }
            texts.push(String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned());
        }
    }
    let wh = env.warehouse();
    for table in [
        "volunteers",
        "service_records",
        "organizations",
        "communities",
        "quarantine",
        "files",
    ] {
        let dump: Vec<String> = query_rows(
            &wh,
            &format!("SELECT CAST(t AS VARCHAR) FROM {table} t"),
            |r| r.get(0),
        );
        texts.push(dump.join("\n"));
    }
    for secret in &secrets {
        for text in &texts {
            assert!(!text.contains(secret.as_str()), "{secret} was written");
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn an_office_mapping_rescues_a_file_whose_headers_nothing_knows() {
    let env = Env::new();
    fixture(&env);
    let odd = env.csv(
        "本地台账.csv",
        &[
            "志愿者姓名,身份标识,服务开始,服务结束,所属项目",
            &format!(
                "郑九,{},2025-06-01 09:00,2025-06-01 12:15,助老服务",
                ids().c
            ),
        ],
    );
    // The only file given cannot be read: the run fails and the warehouse is not changed.
    let run = env.ingest(&[odd.to_str().unwrap()]).code(1);
    let sheet = counts(&run, "本地台账.csv");
    let message = sheet["status"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{sheet}"));
    for needle in [
        "缺少必需的列",
        "找到的表头 (headers found): 志愿者姓名, 身份标识, 服务开始, 服务结束, 所属项目",
        "[headers.service_records]\n\"身份标识\" = \"id_number\"\n\"服务开始\" = \"start_time\"\n\"服务结束\" = \"end_time\"",
    ] {
        assert!(message.contains(needle), "{needle}\n{message}");
    }
    // The lines the message printed, pasted into vbrief.toml as they are.
    let lines = &message[message.find("[headers.service_records]").unwrap()..];
    std::fs::write(env.path().join("vbrief.toml"), format!("{lines}\n")).unwrap();
    let run = env.ingest(&[odd.to_str().unwrap()]).code(0);
    assert_counts(&counts(&run, "本地台账.csv"), 2, 1, 0, 1);
    let hours: f64 = env
        .warehouse()
        .query_row(
            "SELECT hours FROM service_records r JOIN files f USING (file_id)
             WHERE f.path LIKE '%本地台账.csv'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hours, 3.25);
}

#[test]
fn a_header_mapping_must_name_a_kind_and_one_of_its_fields() {
    let env = Env::new();
    fixture(&env);
    std::fs::write(
        env.path().join("vbrief.toml"),
        "[headers.service_records]\n\"服务开始\" = \"start\"\n",
    )
    .unwrap();
    env.ingest(&[])
        .code(1)
        .stderr_has("headers.service_records.\"服务开始\"");
}
