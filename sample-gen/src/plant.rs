//! Patterns of padded hours planted into a generated city (`vbrief gen --plant-screening
//! RATE`, 2.0 shape: the rules need start and end times and 录入日期), with their ground truth
//! (`truth/screening.csv`), so that the screening's recall and false positives can be measured
//! (`bench/screening.sh`). Each planted record is a real, effective record: it is in the
//! truth's `records.csv` too, and the figures still equal the truth.
//!
//! The planted persons are ones the generator gives no records of their own (the 40% it keeps
//! inactive), registered, cleanly written, in a community no name clash touches: what they
//! show is only what was planted. One planted item in eight of each kind, in turn:
//! - long_days: 8 h and 6 h on one day (14 h);
//! - streaks: 8 h on each of 10 consecutive days;
//! - before_registration: 3 h twenty days before registering (persons registered in 2025);
//! - overlaps: 09:00–13:00 and 11:00–15:00 on one day, in two projects;
//! - identical_batches: 25 persons of one community, the same project, team, day, 08:00–16:00;
//! - late_entry: 3 h entered 120 days after the day served;
//! - spikes: 150 records of 5–7 h (varied projects and starts) in a community's last 5 days
//!   of September (a window);
//! - round_repeats: 35 records of exactly 4 h for one person.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use crate::{Community, Person, SHARED_NAME};

/// One planted record.
pub(crate) struct PlantedRecord {
    pub rule: &'static str,
    pub person: usize,
    pub record_no: u64,
    pub date: NaiveDate,
    pub start: NaiveDateTime,
    pub hours: f64,
    pub project: String,
    pub org: String,
    pub entered: NaiveDate,
}

/// What was planted: the records, and the windows planted as spikes (community, month).
#[derive(Default)]
pub(crate) struct Planted {
    pub records: Vec<PlantedRecord>,
    pub windows: Vec<(usize, NaiveDate)>,
}

const RULES: [&str; 8] = [
    "long_days",
    "streaks",
    "before_registration",
    "overlaps",
    "identical_batches",
    "late_entry",
    "spikes",
    "round_repeats",
];

fn at(date: NaiveDate, hour: u32) -> NaiveDateTime {
    date.and_hms_opt(hour, 0, 0).expect("a valid hour")
}

/// A person the generator leaves without records of its own, and who is written cleanly.
fn plantable(i: usize, p: &Person, comms: &[Community]) -> bool {
    i % 10 >= 6
        && i % 200 > 5
        && i % 100 != 7
        && !p.cancelled
        && p.document.is_none()
        && comms[p.community].name != SHARED_NAME
}

/// The plan for `rate` × persons items (at least one of each kind when the rate is above 0).
pub(crate) fn plan(
    rate: f64,
    persons: &[Person],
    comms: &[Community],
    orgs_by_community: &[Vec<String>],
) -> Planted {
    let mut out = Planted::default();
    if rate <= 0.0 {
        return out;
    }
    let items = ((persons.len() as f64 * rate).round() as usize).max(RULES.len());
    let year = NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date");
    let mut pool: Vec<usize> = (0..persons.len())
        .filter(|&i| plantable(i, &persons[i], comms))
        .collect();
    // Registered in 2025, from March: for service before registration within the year.
    let late_registered: Vec<usize> = pool
        .iter()
        .copied()
        .filter(|&i| persons[i].registered >= NaiveDate::from_ymd_opt(2025, 3, 1).expect("a date"))
        .collect();
    pool.retain(|&i| persons[i].registered < year);
    let mut by_community: Vec<Vec<usize>> = vec![Vec::new(); comms.len()];
    for &i in &pool {
        by_community[persons[i].community].push(i);
    }
    // Persons are taken once each, in order; communities for batches and spikes likewise.
    let mut used = vec![false; persons.len()];
    let mut cursor = 0usize;
    let mut next_late = late_registered.iter().copied();
    let mut used_communities = vec![false; comms.len()];
    // Above every record number the generator gives (24,000,000 + its draws): a planted
    // record is never taken for a duplicate of a generated one.
    let mut serial = 90_000_000u64;
    let mut record = |out: &mut Planted,
                      rule: &'static str,
                      person: usize,
                      start: NaiveDateTime,
                      hours: f64,
                      project: &str,
                      entered: Option<NaiveDate>| {
        serial += 1;
        let org = orgs_by_community[persons[person].community]
            .first()
            .cloned()
            .unwrap_or_default();
        out.records.push(PlantedRecord {
            rule,
            person,
            record_no: serial,
            date: start.date(),
            start,
            hours,
            project: project.to_string(),
            org,
            entered: entered.unwrap_or(start.date() + Duration::days(3)),
        });
    };
    for item in 0..items {
        let rule = RULES[item % RULES.len()];
        // A day of 2025 for the item (streaks end by 20 December).
        let day = year + Duration::days((item * 37 % 340) as i64);
        match rule {
            "before_registration" => {
                let Some(p) = next_late.next() else { continue };
                let date = persons[p].registered - Duration::days(20);
                record(&mut out, rule, p, at(date, 9), 3.0, "社区环境清洁", None);
            }
            "identical_batches" | "spikes" => {
                // A community with enough planted persons, not used before.
                let need = if rule == "spikes" { 30 } else { 25 };
                let free =
                    |c: usize, used: &[bool]| by_community[c].iter().filter(|&&p| !used[p]).count();
                let Some(c) = (0..comms.len())
                    .map(|k| (k + item * 7) % comms.len())
                    .find(|&c| !used_communities[c] && free(c, &used) >= need)
                else {
                    continue;
                };
                used_communities[c] = true;
                let members: Vec<usize> = by_community[c]
                    .iter()
                    .copied()
                    .filter(|&p| !used[p])
                    .take(need)
                    .collect();
                for &p in &members {
                    used[p] = true;
                }
                if rule == "identical_batches" {
                    for &p in members.iter().take(25) {
                        record(&mut out, rule, p, at(day, 8), 8.0, "集体服务补录", None);
                    }
                } else {
                    let month = NaiveDate::from_ymd_opt(2025, 9, 1).expect("a date");
                    out.windows.push((c, month));
                    let projects = [
                        "文明交通劝导",
                        "社区环境清洁",
                        "关爱空巢老人上门服务",
                        "留守儿童课业辅导",
                        "助残服务",
                    ];
                    // Ordinary-looking records (varied projects, starts and lengths), only
                    // too many of them: a rush, not a bulk entry.
                    let starts = [(8, 0), (8, 30), (9, 0), (13, 0), (14, 0)];
                    for n in 0..150 {
                        let date =
                            NaiveDate::from_ymd_opt(2025, 9, 26 + (n / 30) as u32).expect("a date");
                        let p = members[n % 30];
                        let (hour, minute) = starts[(n / 5) % starts.len()];
                        let start = date.and_hms_opt(hour, minute, 0).expect("a start time");
                        record(
                            &mut out,
                            rule,
                            p,
                            start,
                            [5.0, 6.0, 7.0][n % 3],
                            projects[n % projects.len()],
                            None,
                        );
                    }
                }
            }
            _ => {
                while cursor < pool.len() && used[pool[cursor]] {
                    cursor += 3;
                }
                let Some(&p) = pool.get(cursor) else { continue };
                used[p] = true;
                cursor += 3;
                match rule {
                    "long_days" => {
                        record(&mut out, rule, p, at(day, 8), 8.0, "社区环境清洁", None);
                        record(&mut out, rule, p, at(day, 17), 6.0, "社区环境清洁", None);
                    }
                    "streaks" => {
                        let first = day.min(NaiveDate::from_ymd_opt(2025, 12, 10).expect("a date"));
                        for d in 0..10 {
                            record(
                                &mut out,
                                rule,
                                p,
                                at(first + Duration::days(d), 8),
                                8.0,
                                "文明交通劝导",
                                None,
                            );
                        }
                    }
                    "overlaps" => {
                        record(&mut out, rule, p, at(day, 9), 4.0, "文明交通劝导", None);
                        record(&mut out, rule, p, at(day, 11), 4.0, "社区环境清洁", None);
                    }
                    "late_entry" => {
                        let entered = day + Duration::days(120);
                        record(
                            &mut out,
                            rule,
                            p,
                            at(day, 9),
                            3.0,
                            "社区环境清洁",
                            Some(entered),
                        );
                    }
                    _ => {
                        // round_repeats: every record of the person 4 h, one a week.
                        for w in 0..35 {
                            let date = year + Duration::days(w * 10 + (item % 7) as i64);
                            if date.year() == 2025 {
                                record(&mut out, rule, p, at(date, 9), 4.0, "助残服务", None);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
