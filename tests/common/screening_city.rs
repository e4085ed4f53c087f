//! The hand-made city of the screening's tests (tests/screening.rs, and the same city on
//! Spark in tests/spark.rs): every pattern of padded hours planted once, beside look-alikes
//! that must not be listed. The counts are worked out in tests/screening.rs.
#![allow(dead_code)]

use super::{synth_id, Env};

/// A person: (志愿者编号, community, registered).
struct Person {
    no: String,
    id: String,
    community: &'static str,
    registered: &'static str,
}

struct City {
    persons: Vec<Person>,
    records: Vec<String>,
    serial: u32,
}

impl City {
    fn person(&mut self, no: &str, community: &'static str, registered: &'static str) -> String {
        let id = synth_id(&format!("19800101{:03}", self.persons.len()));
        self.persons.push(Person {
            no: no.to_string(),
            id: id.clone(),
            community,
            registered,
        });
        id
    }

    /// A record: the day, start hour and minute, hours, project and team; entered `entered`
    /// days after (3 when None).
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        id: &str,
        day: &str,
        start: (u32, u32),
        hours: f64,
        project: &str,
        team: &str,
        entered: Option<&str>,
    ) {
        self.serial += 1;
        let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let begin = date.and_hms_opt(start.0, start.1, 0).unwrap();
        let end = begin + chrono::Duration::seconds((hours * 3600.0) as i64);
        let entered = entered.map(String::from).unwrap_or_else(|| {
            (date + chrono::Duration::days(3))
                .format("%Y-%m-%d")
                .to_string()
        });
        self.records.push(format!(
            "R{:05},{id},{project},{team},{},{},{hours},已生效,{entered}",
            self.serial,
            begin.format("%Y-%m-%d %H:%M:%S"),
            end.format("%Y-%m-%d %H:%M:%S"),
        ));
    }
}

pub const CY: &str = "春园社区";
pub const QS: &str = "秋实社区";
pub const BL: &str = "白鹭社区";

/// The city, written into the inbox.
pub fn city(env: &Env) {
    let mut c = City {
        persons: Vec::new(),
        records: Vec::new(),
        serial: 0,
    };
    let reg = "2024-01-01";
    // --- 春园社区 ---
    // long_days: A serves 8 h and 6 h on 3 March (14 h > 12): 2 records listed.
    let a = c.person("A", CY, reg);
    c.record(&a, "2025-03-03", (8, 0), 8.0, "助老服务", "春园队", None);
    c.record(&a, "2025-03-03", (17, 0), 6.0, "助老服务", "春园队", None);
    // Look-alike: B serves 8 h and 4 h on 4 March (12 h, not above 12).
    let b = c.person("B", CY, reg);
    c.record(&b, "2025-03-04", (8, 0), 8.0, "助老服务", "春园队", None);
    c.record(&b, "2025-03-04", (17, 0), 4.0, "助老服务", "春园队", None);
    // streaks: C serves 8 h on each of 1–10 April (10 days): 10 records listed.
    // Look-alike: D serves 8 h on each of 1–9 April (9 days).
    let cc = c.person("C", CY, reg);
    let d = c.person("D", CY, reg);
    for day in 1..=10 {
        c.record(
            &cc,
            &format!("2025-04-{day:02}"),
            (9, 0),
            8.0,
            "巡逻",
            "春园队",
            None,
        );
        if day <= 9 {
            c.record(
                &d,
                &format!("2025-04-{day:02}"),
                (9, 0),
                8.0,
                "巡逻",
                "春园队",
                None,
            );
        }
    }
    // before_registration: E registered 1 May, served 3 h on 20 April: 1 record listed.
    let e = c.person("E", CY, "2025-05-01");
    c.record(&e, "2025-04-20", (9, 0), 3.0, "助老服务", "春园队", None);
    // overlaps: F serves 09:00–13:00 in 助老服务 and 11:00–15:00 in 环境整治: 2 records.
    let f = c.person("F", CY, reg);
    c.record(&f, "2025-06-02", (9, 0), 4.0, "助老服务", "春园队", None);
    c.record(&f, "2025-06-02", (11, 0), 4.0, "环境整治", "春园队", None);
    // Look-alikes: G's records touch (09–11, 11–13) without overlapping; H's overlap within
    // one project and team (a double entry, not two places at once).
    let g = c.person("G", CY, reg);
    c.record(&g, "2025-06-03", (9, 0), 2.0, "助老服务", "春园队", None);
    c.record(&g, "2025-06-03", (11, 0), 2.0, "环境整治", "春园队", None);
    let h = c.person("H", CY, reg);
    c.record(&h, "2025-06-04", (9, 0), 3.0, "助老服务", "春园队", None);
    c.record(&h, "2025-06-04", (10, 0), 3.0, "助老服务", "春园队", None);
    // late_entry: I served 1 February, entered 1 June (120 days): 1 record.
    // Look-alike: J served 1 February, entered 1 May (89 days).
    let i = c.person("I", CY, reg);
    c.record(
        &i,
        "2025-02-01",
        (9, 0),
        3.0,
        "助老服务",
        "春园队",
        Some("2025-06-01"),
    );
    let j = c.person("J", CY, reg);
    c.record(
        &j,
        "2025-02-01",
        (9, 0),
        3.0,
        "助老服务",
        "春园队",
        Some("2025-05-01"),
    );
    // The community's rhythm: K serves 4 h on the 15th and 1 h on the 28th of every month
    // (the 28th is in every month's last 5 days).
    let k = c.person("K", CY, reg);
    for m in 1..=12 {
        c.record(
            &k,
            &format!("2025-{m:02}-15"),
            (9, 0),
            4.0,
            "助老服务",
            "春园队",
            None,
        );
        c.record(
            &k,
            &format!("2025-{m:02}-28"),
            (9, 0),
            1.0,
            "助老服务",
            "春园队",
            None,
        );
    }
    // spikes: L1–L20 serve 3 h each, four a day, on 26–30 November: 60 h in the last 5 days.
    // 春园's months (hours, of them in the last 5 days): Jan 5/1; Feb 11/1 (K 5, I 3, J 3);
    // Mar 31/1 (K 5, A 14, B 12); Apr 160/1 (K 5, C 80, D 72, E 3); May 5/1; Jun 23/1 (K 5,
    // F 8, G 4, H 6); Jul–Oct 5/1 each; Nov 65/61 (K 5, L 60); Dec 5/1. Total 325 h, 72 h at
    // month ends. November: share 61/65 = 0.938; usual share (other months) (72−61)/(325−65)
    // = 0.042; ratio 22 ≥ 3, 61 h ≥ 50: listed, with every record of 26–30 November: L's 20
    // and K's of the 28th = 21 records, 61 h. No other month holds 50 h at its end.
    for n in 0..20 {
        let l = c.person(&format!("L{n}"), CY, reg);
        c.record(
            &l,
            &format!("2025-11-{:02}", 26 + n / 4),
            (9, 0),
            3.0,
            "迎检突击",
            "春园队",
            None,
        );
    }
    // --- 秋实社区: busy month-ends are its normal rhythm ---
    // S01–S15 serve 2 h on the 27th and the 28th of every month (60 h in the last 5 days);
    // S01 and S02 also serve 3 h on the 10th. Every month: 66 h, 60 at the end (share 0.91);
    // its other months' share is the same 0.91: ratio 1, not listed (against an even spread,
    // 5 days of 30, it would be 5.5). S03–S15 have 24 records of 2 h (under 30: no round
    // repeats); S01–S02 mix 2 h and 3 h. 15 records of one batch are under 20, and 2 h.
    for n in 1..=15 {
        let s = c.person(&format!("S{n:02}"), QS, reg);
        for m in 1..=12 {
            for day in [27, 28] {
                c.record(
                    &s,
                    &format!("2025-{m:02}-{day}"),
                    (9, 0),
                    2.0,
                    "邻里互助",
                    "秋实队",
                    None,
                );
            }
            if n <= 2 {
                c.record(
                    &s,
                    &format!("2025-{m:02}-10"),
                    (9, 0),
                    3.0,
                    "邻里互助",
                    "秋实队",
                    None,
                );
            }
        }
    }
    // --- 白鹭社区 ---
    // identical_batches: P01–P22 each 08:00–16:00, 8 h, 集中补录 of 白鹭队 on 5 July: 22
    // records. Look-alike: Q01–Q30 each 09:00–11:00, 2 h, one activity on 6 July (a real group
    // activity: 30 records but 2 h).
    for n in 1..=22 {
        let p = c.person(&format!("P{n:02}"), BL, reg);
        c.record(&p, "2025-07-05", (8, 0), 8.0, "集中补录", "白鹭队", None);
    }
    for n in 1..=30 {
        let q = c.person(&format!("Q{n:02}"), BL, reg);
        c.record(&q, "2025-07-06", (9, 0), 2.0, "健康讲座", "白鹭队", None);
    }
    // round_repeats: M has 35 records, every one 4 h (one a week from 3 January): 35 records.
    // Look-alike: N has 35 records, 34 of 4 h and one of 3.5 h.
    let m = c.person("M", BL, reg);
    let nn = c.person("N", BL, reg);
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 3).unwrap();
    for w in 0..35 {
        let day = (first + chrono::Duration::days(7 * w)).to_string();
        c.record(&m, &day, (14, 0), 4.0, "助学", "白鹭队", None);
        let hours = if w == 34 { 3.5 } else { 4.0 };
        c.record(&nn, &day, (14, 0), hours, "助学", "白鹭队", None);
    }
    // 白鹭's month ends hold at most a few of M's and N's 4 h records: under 50 h.

    // --- 秋实 and 白鹭: one project, no team ---
    // Look-alike: T01–T12 of 秋实 and U01–U12 of 白鹭 each serve 08:00–16:00, 8 h, in 文明交通劝导
    // with no team on 16 August: 24 identical records in the city, but records without a team
    // form a batch only within their community: 12 and 12, under 20. (Not at a month end: 秋实's
    // August is 66 + 96 h, 60 at the end, below its usual share.)
    for n in 1..=12 {
        let t = c.person(&format!("T{n:02}"), QS, reg);
        c.record(&t, "2025-08-16", (8, 0), 8.0, "文明交通劝导", "", None);
        let u = c.person(&format!("U{n:02}"), BL, reg);
        c.record(&u, "2025-08-16", (8, 0), 8.0, "文明交通劝导", "", None);
    }

    env.csv(
        "人口台账.csv",
        &[
            "区县,街道,社区,常住人口,统计年份",
            "青湖区,枫林街道,春园社区,1000,2025",
            "青湖区,枫林街道,秋实社区,1000,2025",
            "青湖区,青湖街道,白鹭社区,1000,2025",
        ],
    );
    let street = |community: &str| {
        if community == BL {
            "青湖街道"
        } else {
            "枫林街道"
        }
    };
    let mut volunteers = vec![
        "志愿者编号,志愿者姓名,证件类型,证件号码,注册日期,认证状态,账户状态,服务区域".to_string(),
    ];
    for p in &c.persons {
        volunteers.push(format!(
            "{},志愿者{},居民身份证,{},{},认证通过,启用,青湖区{}{}",
            p.no,
            p.no,
            p.id,
            p.registered,
            street(p.community),
            p.community
        ));
    }
    let refs: Vec<&str> = volunteers.iter().map(String::as_str).collect();
    env.csv("志愿者_2.0.csv", &refs);
    let mut records = vec![
        "时长编号,证件号码,所属项目,所属队伍,开始时间,结束时间,服务时长（小时）,时长状态,录入日期"
            .to_string(),
    ];
    records.extend(c.records);
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    env.csv("时长_2.0.csv", &refs);
}
