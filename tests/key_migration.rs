//! A warehouse made before keys were UUIDs (person keys as 32 hex digits, record keys as the
//! text `r:<number>` / `p:<md5>`) is converted when opened, and the records it holds are met
//! again by the same records in a new export: counted as known, not added twice.

mod common;

use common::{counts, query_rows, synth_id, Env};
use ingest::identity::PseudonymKey;
use ingest::parse::id_number::IdNumber;

const KEY_BYTE: u8 = 7;

#[test]
fn text_keys_of_an_older_warehouse_become_uuids_that_match_new_rows() {
    let env = Env::new();
    let id_a = synth_id("19800101001");
    let key = PseudonymKey::from_bytes([KEY_BYTE; 32]);
    let person_hex = key
        .person_from_id(&IdNumber::parse(&id_a).unwrap())
        .to_hex();
    std::fs::write(
        env.path().join("vbrief.key"),
        format!("{KEY_BYTE:02x}").repeat(32),
    )
    .unwrap();

    // The older warehouse: today's schema with text keys, one volunteer, a numbered and an
    // unnumbered record of theirs, and a quarantined row about them.
    {
        let old_schema = ingest::warehouse::SCHEMA_SQL.replace("UUID", "VARCHAR");
        let conn = duckdb::Connection::open(env.path().join("warehouse.duckdb")).unwrap();
        conn.execute_batch(&old_schema).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO runs VALUES (1, now(), now(), 'old', 1, 0);
             INSERT INTO files VALUES (1, 1, 'old-export', 'old/时长.csv', '', 'service_records',
                                       'utf-8', 3, 2, 1, 0, 0, 1, 0, 0);
             INSERT INTO volunteers (k, volunteer_no, name_masked, gender, birth_year,
                                    registered_on, community_id, status, reported_hours,
                                    file_id, source_row)
                 VALUES ('{person_hex}', 'V001', '张*', '男', 1980,
                                            DATE '2024-01-05', 1, '正常', NULL, 1, 9);
             INSERT INTO service_records (k, record_no, person_key, person_from_no,
                                         volunteer_no, project, served_on, hours, status,
                                         organization, file_id, source_row) VALUES
                 ('r:R1', 'R1', '{person_hex}', false, NULL, '助老', DATE '2024-05-01', 2.5,
                  '已生效', NULL, 1, 2),
                 ('p:' || md5(concat_ws('|', '{person_hex}', DATE '2024-05-03', '助老',
                                        printf('%.4f', 2.0))),
                  NULL, '{person_hex}', false, NULL, '助老', DATE '2024-05-03', 2.0,
                  '已生效', NULL, 1, 3);
             INSERT INTO quarantine (file_id, source_row, kind, reason, person_key)
                 VALUES (1, 4, 'service_records', 'hours_over_24', '{person_hex}');"
        ))
        .unwrap();
    }

    env.csv(
        "人口.csv",
        &[
            "区县,街道,社区,常住人口,统计年份",
            "东区,一街道,幸福社区,2000,2024",
        ],
    );
    env.csv(
        "志愿者.csv",
        &[
            "志愿者编号,姓名,身份证号,注册时间,所属区县,所属社区,状态",
            &format!("V001,张三,{id_a},2024-01-05,东区,幸福社区,正常"),
        ],
    );
    env.csv(
        "时长.csv",
        &[
            "记录编号,证件号码,项目名称,服务日期,服务时长,状态",
            &format!("R1,{id_a},助老,2024-05-01,2.5,已生效"),
            &format!(",{id_a},助老,2024-05-03,2,已生效"),
            &format!("R2,{id_a},助老,2024-05-04,1,已生效"),
        ],
    );
    let run = env.ingest(&[]).code(0);
    let sheet = counts(&run, "时长.csv");
    assert_eq!(sheet["counts"]["accepted"], 1, "{sheet}");
    assert_eq!(sheet["counts"]["skipped_known"], 2, "{sheet}");
    assert_eq!(counts(&run, "志愿者.csv")["counts"]["skipped_known"], 1);

    let wh = env.warehouse();
    let types = query_rows(
        &wh,
        "SELECT table_name || '.' || column_name || ' ' || data_type
           FROM information_schema.columns
          WHERE (table_name, column_name) IN (('volunteers', 'k'), ('service_records', 'k'),
                ('service_records', 'person_key'), ('quarantine', 'person_key'))
          ORDER BY 1",
        |r| r.get::<_, String>(0),
    );
    assert_eq!(
        types,
        [
            "quarantine.person_key UUID",
            "service_records.k UUID",
            "service_records.person_key UUID",
            "volunteers.k UUID"
        ]
    );
    // Every record, old and new, belongs to the one volunteer; the old quarantined row too.
    let records = query_rows(
        &wh,
        "SELECT coalesce(r.record_no, '-') || ' ' || r.served_on || ' ' || v.volunteer_no
           FROM service_records r JOIN volunteers v ON v.k = r.person_key ORDER BY 1",
        |r| r.get::<_, String>(0),
    );
    assert_eq!(
        records,
        [
            "- 2024-05-03 V001",
            "R1 2024-05-01 V001",
            "R2 2024-05-04 V001"
        ]
    );
    assert_eq!(
        env.count(
            "SELECT count(*) FROM quarantine q JOIN volunteers v ON v.k = q.person_key
              WHERE q.file_id = 1"
        ),
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM service_records WHERE k = md5('r:R1')::UUID"),
        1
    );
}
