//! Reporting periods: a year `2025`, a quarter `2025-Q3`, a month `2025-07`, or a range
//! `2025-01-01..2025-06-30` (both ends included). `2025-ytd` (the year to date) depends on the
//! data, so it is resolved against the warehouse (`indicators::year_to_date_period`).

use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("无法识别的期间 '{0}' (unrecognized period): use 2025, 2025-Q3, 2025-07, 2025-ytd (年初至今 the year to date) or 2025-01-01..2025-06-30")]
pub struct PeriodError(pub String);

impl Period {
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let s = s.trim();
        let err = || PeriodError(s.to_string());
        let date = |t: &str| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| err());
        let in_range = |d: NaiveDate| (1950..=2100).contains(&d.year());
        if let Some((a, b)) = s.split_once("..") {
            let (start, end) = (date(a)?, date(b)?);
            if !in_range(start) || !in_range(end) {
                return Err(err());
            }
            return if start <= end {
                Ok(Period { start, end })
            } else {
                Err(err())
            };
        }
        let year = |t: &str| {
            t.parse::<i32>()
                .ok()
                .filter(|y| (1950..=2100).contains(y))
                .ok_or_else(err)
        };
        let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(err);
        let span = |start: NaiveDate, months: u32| -> Result<Period, PeriodError> {
            let next = start
                .checked_add_months(Months::new(months))
                .ok_or_else(err)?;
            Ok(Period {
                start,
                end: next.pred_opt().ok_or_else(err)?,
            })
        };
        match s.split_once('-') {
            None => span(first_of(year(s)?, 1)?, 12),
            Some((y, q)) if q.len() == 2 && (q.starts_with('Q') || q.starts_with('q')) => {
                let quarter: u32 = q[1..]
                    .parse()
                    .ok()
                    .filter(|q| (1..=4).contains(q))
                    .ok_or_else(err)?;
                span(first_of(year(y)?, quarter * 3 - 2)?, 3)
            }
            Some((y, m)) if m.len() <= 2 => {
                let month: u32 = m
                    .parse()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(err)?;
                span(first_of(year(y)?, month)?, 1)
            }
            _ => Err(err()),
        }
    }

    /// The year of `2025-ytd` (年初至今, the year to date; any case), else None.
    pub fn ytd_year(s: &str) -> Option<i32> {
        let (year, tail) = s.trim().split_once('-')?;
        if !tail.eq_ignore_ascii_case("ytd") {
            return None;
        }
        year.parse().ok().filter(|y| (1950..=2100).contains(y))
    }

    /// 1 January to the end of a later month of the same year, that is not itself a quarter
    /// or a month: how `2025-ytd` resolves (2025-01-01..2025-06-30, "2025年1—6月").
    pub fn is_year_to_date(&self) -> bool {
        let (s, e) = (self.start, self.end);
        s.month() == 1
            && s.day() == 1
            && s.year() == e.year()
            && e.succ_opt().is_some_and(|n| n.day() == 1)
            && self.label().contains('_')
    }

    /// Number of days, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// A label for file names and titles: `2025`, `2025-Q3`, `2025-07` or `2025-01-01_2025-06-30`.
    pub fn label(&self) -> String {
        let (s, e) = (self.start, self.end);
        let whole_months = s.day() == 1 && e.succ_opt().is_some_and(|n| n.day() == 1);
        if whole_months && s.month() == 1 && e.month() == 12 && s.year() == e.year() {
            format!("{}", s.year())
        } else if whole_months
            && s.year() == e.year()
            && (s.month() - 1) % 3 == 0
            && e.month() == s.month() + 2
        {
            format!("{}-Q{}", s.year(), (s.month() - 1) / 3 + 1)
        } else if whole_months && s.year() == e.year() && s.month() == e.month() {
            format!("{}-{:02}", s.year(), s.month())
        } else {
            format!("{}_{}", s.format("%Y-%m-%d"), e.format("%Y-%m-%d"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn year_to_date_is_named_and_recognised() {
        assert_eq!(Period::ytd_year("2025-ytd"), Some(2025));
        assert_eq!(Period::ytd_year(" 2025-YTD "), Some(2025));
        assert_eq!(Period::ytd_year("2025-07"), None);
        assert_eq!(Period::ytd_year("ytd"), None);
        assert!(Period::parse("2025-01-01..2025-06-30")
            .unwrap()
            .is_year_to_date());
        for not in [
            "2025",
            "2025-Q1",
            "2025-01",
            "2025-01-01..2025-06-29",
            "2025-02-01..2025-06-30",
        ] {
            assert!(!Period::parse(not).unwrap().is_year_to_date(), "{not}");
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Period::parse("2025").unwrap(),
            Period {
                start: d(2025, 1, 1),
                end: d(2025, 12, 31)
            }
        );
        assert_eq!(
            Period::parse("2025-Q3").unwrap(),
            Period {
                start: d(2025, 7, 1),
                end: d(2025, 9, 30)
            }
        );
        assert_eq!(
            Period::parse("2024-02").unwrap(),
            Period {
                start: d(2024, 2, 1),
                end: d(2024, 2, 29)
            }
        );
        assert_eq!(
            Period::parse("2025-01-01..2025-06-30").unwrap(),
            Period {
                start: d(2025, 1, 1),
                end: d(2025, 6, 30)
            }
        );
        assert_eq!(Period::parse("2024").unwrap().days(), 366);
        for bad in [
            "-262143-01-01..-262143-01-02",
            "1900-01-01..1900-12-31",
            "",
            "25",
            "2025-Q5",
            "2025-13",
            "2025-06-30..2025-01-01",
            "abc",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_round_trip() {
        for s in ["2025", "2025-Q3", "2025-07"] {
            assert_eq!(Period::parse(s).unwrap().label(), s);
        }
        assert_eq!(
            Period::parse("2025-01-01..2025-06-30").unwrap().label(),
            "2025-01-01_2025-06-30"
        );
    }
}
