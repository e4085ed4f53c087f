//! Hour records that name a passport or permit holder by the number alone (the 2.0 hour list
//! has no 证件类型): docs/CONTRACT.md §3 "Records without a document type". The volunteer list
//! says what each number is; a record whose number is no valid ID number joins the one
//! registered person holding it, and is quarantined when nobody (`unknown_document`) or
//! several persons (`ambiguous_document`) do — in either order of arrival.
//!
//! Every figure is worked out by hand in the comments.

mod common;

use common::{assert_counts, counts, indicator_csv, synth_id, Env};

/// Document numbers of the fixture: none may be stored or written anywhere.
const PASSPORT: &str = "E12345678";
const HK_PERMIT: &str = "H1234567890";
const TW_PERMIT: &str = "87654321";
const PR_OLD: &str = "USA110079001234";
const SHARED: &str = "K7777777";
const NOBODYS: &str = "Z0000001";

struct Ids {
    /// 张一's ID number.
    a: String,
    /// 郑九's ID number, whose check character is X.
    x: String,
    /// 钱五's foreigner's permanent residence card: 18 characters starting with 9, shaped
    /// like an ID number but failing its check character.
    pr_new: String,
    /// An ID-shaped number with a wrong check character that nobody holds.
    bad: String,
}

/// A number with a wrong check character (the 18th).
fn wrong_check(good: &str) -> String {
    let last = if good.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &good[..17])
}

fn ids() -> Ids {
    // The first synthetic ID whose check character is X.
    let x = (0..100)
        .map(|i| synth_id(&format!("19900101{i:03}")))
        .find(|id| id.ends_with('X'))
        .expect("one in eleven IDs ends in X");
    Ids {
        a: synth_id("19800101001"),
        x,
        pr_new: wrong_check(&format!("93{}", &synth_id("19850505005")[2..])),
        bad: wrong_check(&synth_id("19820303003")),
    }
}

fn ledger(env: &Env) {
    env.csv(
        "人口台账.csv",
        &[
            "区县,街道,社区,常住人口,统计年份",
            "青湖区,枫林街道,春园社区,1000,2025",
            "青湖区,青湖街道,秋实社区,2000,2025",
        ],
    );
}

/// The 2.0 volunteer list, with 证件类型. 1 header;
/// 2 张一 ID → 春园; 3 李二 passport → 春园; 4 王三 港澳通行证 → 秋实;
/// 5 赵四 台胞证 (8 digits) → 秋实; 6 钱五 永久居留身份证, new form (ID-shaped) → 春园;
/// 7 孙六 永久居留身份证, old form → 秋实; 8 周七 passport K7777777 → 春园;
/// 9 吴八 台胞证 K7777777 (the same number, another document: another person) → 秋实;
/// 10 郑九 ID ending in X → 秋实.
/// → read 10, accepted 9, quarantined 0, skipped 1. 春园 registers 4, 秋实 5.
fn volunteers(env: &Env, ids: &Ids) {
    let row = |name: &str, doc: &str, no: &str, region: &str| {
        format!("{name},{doc},{no},2024-03-01,认证通过,启用,{region}")
    };
    let (cy, qs) = ("青湖区枫林街道春园社区", "青湖区青湖街道秋实社区");
    env.csv(
        "志愿者_2.0.csv",
        &[
            "志愿者姓名,证件类型,证件号码,注册日期,认证状态,账户状态,服务区域",
            &row("张一", "居民身份证", &ids.a, cy),
            &row("李二", "护照", PASSPORT, cy),
            &row("王三", "港澳居民来往内地通行证", HK_PERMIT, qs),
            &row("赵四", "台湾居民来往大陆通行证", TW_PERMIT, qs),
            &row("钱五", "外国人永久居留身份证", &ids.pr_new, cy),
            &row("孙六", "外国人永久居留身份证", PR_OLD, qs),
            &row("周七", "护照", SHARED, cy),
            &row("吴八", "台湾居民来往大陆通行证", SHARED, qs),
            &row("郑九", "居民身份证", &ids.x, qs),
        ],
    );
}

/// The 2.0 hour list (时长查询): 证件号码 only, no 证件类型. 1 header;
/// 2 张一 by ID, 3 h; 3 张一 by ID in full-width digits, 2 h;
/// 4 李二 by passport written in lower case with a space, 4 h; 5 王三 by 港澳通行证, 2 h;
/// 6 赵四 by 台胞证, 1.5 h; 7 钱五 by the ID-shaped residence card, 2 h;
/// 8 孙六 by the old residence card in lower case, 1 h;
/// 9 K7777777, held by 周七 and 吴八 → ambiguous_document;
/// 10 Z0000001, held by nobody → unknown_document;
/// 11 an ID-shaped number with a wrong check character, held by nobody → invalid_id;
/// 12 郑九 by ID with a lower-case x, 2.5 h.
/// → read 12, accepted 8, quarantined 3, skipped 1.
fn records(env: &Env, ids: &Ids) {
    let full_width: String = ids
        .a
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let row = |no: &str, person: &str, hours: &str| {
        format!("{no},{person},助老服务,2025-03-01 09:00:00,2025-03-01 18:00:00,{hours},已生效")
    };
    env.csv(
        "时长_2.0.csv",
        &[
            "时长编号,证件号码,所属项目,开始时间,结束时间,服务时长（小时）,时长状态",
            &row("R1", &ids.a, "3"),
            &row("R2", &full_width, "2"),
            &row("R3", "e1234 5678", "4"),
            &row("R4", HK_PERMIT, "2"),
            &row("R5", TW_PERMIT, "1.5"),
            &row("R6", &ids.pr_new, "2"),
            &row("R7", &PR_OLD.to_lowercase(), "1"),
            &row("R8", SHARED, "3"),
            &row("R9", NOBODYS, "3"),
            &row("R10", &ids.bad, "3"),
            &row("R11", &ids.x.to_lowercase(), "2.5"),
        ],
    );
}

/// The figures of 2025, by community, as (registered, hours, active volunteers,
/// per-capita hours):
/// 春园: 张一, 李二, 钱五, 周七 registered (4); hours 3 + 2 (张一) + 4 (李二) + 2 (钱五) = 11,
///       3 active; 11 / 4 = 2.75 per registered volunteer.
/// 秋实: 王三, 赵四, 孙六, 吴八, 郑九 (5); hours 2 + 1.5 + 1 + 2.5 = 7, 4 active; 7 / 5 = 1.40.
#[track_caller]
fn assert_figures(env: &Env) {
    env.report(&["--period", "2025"]).code(0);
    let rows = indicator_csv(env, "out/2025", "community");
    let figure = |community: &str| {
        let r = rows
            .iter()
            .find(|r| r["community"] == community)
            .unwrap_or_else(|| panic!("{community} missing"));
        (
            r["registered"].clone(),
            r["hours"].clone(),
            r["active_volunteers"].clone(),
            r["per_capita_hours"].clone(),
        )
    };
    let s = |x: &str| x.to_string();
    assert_eq!(figure("春园社区"), (s("4"), s("11.00"), s("3"), s("2.75")));
    assert_eq!(figure("秋实社区"), (s("5"), s("7.00"), s("4"), s("1.40")));
}

#[track_caller]
fn assert_quarantine(env: &Env) {
    let q = |row: i64, reason: &str| ("时长_2.0.csv".to_string(), row, reason.to_string());
    assert_eq!(
        env.quarantine(),
        vec![
            q(9, "ambiguous_document"),
            q(10, "unknown_document"),
            q(11, "invalid_id"),
        ]
    );
    // The unmatched records wait, keyed, for a volunteer list that registers their numbers.
    assert_eq!(env.count("SELECT count(*) FROM held_records"), 3);
}

/// No document or ID number of the fixture is anywhere in the folder (warehouse, quarantine,
/// reports, cache), in any spelling the exports used.
#[track_caller]
fn assert_no_numbers(env: &Env, ids: &Ids) {
    let numbers = [
        PASSPORT,
        "e1234 5678",
        HK_PERMIT,
        TW_PERMIT,
        PR_OLD,
        SHARED,
        NOBODYS,
        &ids.a,
        &ids.x,
        &ids.pr_new,
        &ids.bad,
    ];
    let mut stack = vec![env.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("inbox") {
                    stack.push(path);
                }
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for n in numbers {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                    "{} holds a document number",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn records_that_name_a_document_number_join_its_one_holder() {
    let env = Env::new();
    let ids = ids();
    ledger(&env);
    volunteers(&env, &ids);
    records(&env, &ids);
    let run = env.ingest(&[]).code(0);
    assert_counts(&counts(&run, "志愿者_2.0.csv"), 10, 9, 0, 1);
    assert_counts(&counts(&run, "时长_2.0.csv"), 12, 8, 3, 1);
    assert_eq!(run.json()["rescued_records"], 0);
    assert_quarantine(&env);
    // Each record of a document holder is that person's: the keys agree.
    assert_eq!(
        env.count("SELECT count(*) FROM service_records r JOIN volunteers v ON v.k = r.person_key"),
        8
    );
    assert_figures(&env);
    assert_no_numbers(&env, &ids);
}

#[test]
fn records_before_their_volunteers_are_counted_when_the_list_arrives() {
    let env = Env::new();
    let ids = ids();
    ledger(&env);
    records(&env, &ids);
    // Without the volunteer list, no number but the valid IDs can be placed: the records of
    // rows 4 to 11 wait in quarantine (row 7's number looks like a mistyped ID: invalid_id).
    let first = env.ingest(&[]).code(0);
    assert_counts(&counts(&first, "时长_2.0.csv"), 12, 3, 8, 1);
    assert_eq!(env.count("SELECT count(*) FROM held_records"), 8);
    volunteers(&env, &ids);
    let second = env.run(&["ingest", "--workdir", env.path().to_str().unwrap()]);
    let second = second.code(0).stdout_has("此前隔离的 5 条服务记录已计入");
    drop(second);
    // The same warehouse as in one run: the file's counts settled again, the same quarantine.
    let files: (i64, i64) = env
        .warehouse()
        .query_row(
            "SELECT accepted, quarantined FROM files WHERE path LIKE '%时长_2.0.csv'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(files, (8, 3));
    assert_quarantine(&env);
    assert_figures(&env);
    assert_no_numbers(&env, &ids);
}
