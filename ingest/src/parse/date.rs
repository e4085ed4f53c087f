//! Dates in every shape the exports use: Excel date cells and serial numbers, `2024-05-01`,
//! `2024/5/1`, `2024.5.1`, `2024年5月1日`, `20240501`, each with or without a time.

use chrono::{NaiveDate, NaiveDateTime};

use super::text::compact;

/// Why a value is not a date; the message is shown to users next to file/sheet/row/column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(pub String);

/// Excel's day 0 for the 1900 date system (serial 1 = 1900-01-01, counting the phantom
/// 1900-02-29, hence the 30th of December).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid constant date")
}

/// Serial numbers outside this range are not plausible dates for this data (1950..2099).
const SERIAL_MIN: f64 = 18_264.0;
const SERIAL_MAX: f64 = 73_415.0;

/// Converts an Excel serial day number (1900 system) to a date.
pub fn from_excel_serial(serial: f64) -> Result<NaiveDate, DateError> {
    if !serial.is_finite() || !(SERIAL_MIN..=SERIAL_MAX).contains(&serial) {
        return Err(DateError(format!(
            "数字 {} 不是合理的Excel日期序号 (not a plausible Excel date serial)",
            domain::text::safe_excerpt(&serial.to_string())
        )));
    }
    Ok(excel_epoch() + chrono::Days::new(serial.floor() as u64))
}

/// Parses a date written as text.
pub fn parse_date_text(raw: &str) -> Result<NaiveDate, DateError> {
    let s = compact(without_time(&super::text::to_half_width(raw)));
    if s.is_empty() {
        return Err(DateError("日期为空 (date is empty)".into()));
    }
    // Drop a time part: `2024-05-01 08:30:00`, `2024-05-01T08:30`, `2024年5月1日8时`.
    // `compact` removed the space, so cut at 'T' or at the first ':' preceded by the hour.
    let date_part = date_prefix(&s);
    let groups: Vec<&str> = date_part
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let bad = || {
        DateError(format!(
            "无法识别的日期 '{}' (unrecognized date)",
            super::text::safe_excerpt(raw)
        ))
    };
    let (y, m, d) = match groups.as_slice() {
        [one] if one.len() == 8 => (
            one[0..4].parse::<i32>().map_err(|_| bad())?,
            one[4..6].parse::<u32>().map_err(|_| bad())?,
            one[6..8].parse::<u32>().map_err(|_| bad())?,
        ),
        [one] if (4..=5).contains(&one.len()) && !date_part.contains(['-', '/', '.', '年']) => {
            // A serial number stored as text.
            return from_excel_serial(one.parse::<f64>().map_err(|_| bad())?);
        }
        [y, m, d, ..] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        ),
        _ => return Err(bad()),
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| {
        DateError(format!(
            "日期不存在 '{}' (no such date)",
            super::text::safe_excerpt(raw)
        ))
    })
}

/// Cuts a time written after a space (`2024/5/1 8:30`, `2024年5月1日 8时`) before spaces are
/// removed, which would glue the day to the hour.
fn without_time(s: &str) -> &str {
    let s = s.trim();
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            let rest = s[i..].trim_start();
            let hour_len = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            let after = rest[hour_len..].chars().next();
            if (1..=2).contains(&hour_len) && matches!(after, Some(':') | Some('时') | Some('点'))
            {
                return &s[..i];
            }
        }
    }
    s
}

/// The part of a compacted date-time string that holds the date.
fn date_prefix(s: &str) -> &str {
    if let Some(pos) = s.find('T') {
        return &s[..pos];
    }
    if let Some(pos) = s.find('日') {
        return &s[..pos + '日'.len_utf8()];
    }
    if let Some(colon) = s.find(':') {
        // `2024-05-0108:30:00` after compaction: the hour is the two digits before the colon.
        let head = &s[..colon];
        let digits_at_end = head
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let cut = head.len() - digits_at_end.min(2);
        return &s[..cut];
    }
    s
}

/// An Excel serial with a fraction of a day: the date and the time of day.
pub fn datetime_from_excel_serial(serial: f64) -> Result<NaiveDateTime, DateError> {
    let date = from_excel_serial(serial)?;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as u32;
    Ok(
        date.and_hms_opt(0, 0, 0).expect("midnight")
            + chrono::Duration::seconds(i64::from(seconds)),
    )
}

/// A date with an optional time (`2025-03-01 09:00:00`, `2025/3/1 9:00`, `2025-03-01T09:00`,
/// `2025年3月1日 9时30分`); no time reads as midnight.
pub fn parse_datetime_text(raw: &str) -> Result<NaiveDateTime, DateError> {
    let date = parse_date_text(raw)?;
    let half = super::text::to_half_width(raw);
    let s = half.trim();
    let bad = || {
        DateError(format!(
            "无法识别的时间 '{}' (unrecognized time of day)",
            super::text::safe_excerpt(raw)
        ))
    };
    // The time follows the date after a space, a `T` or `日`.
    let time = s
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || *c == 'T' || *c == '日')
        .map(|(at, c)| s[at + c.len_utf8()..].trim())
        .unwrap_or("");
    if time.is_empty() {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight"));
    }
    let groups: Vec<u32> = time
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(|g| g.parse::<u32>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let (h, m, sec) = match groups.as_slice() {
        [h] => (*h, 0, 0),
        [h, m] => (*h, *m, 0),
        [h, m, sec] | [h, m, sec, _] => (*h, *m, *sec),
        _ => return Err(bad()),
    };
    date.and_hms_opt(h, m, sec).ok_or_else(bad)
}

/// A 统计年份 (year) value: the figure holds for the whole year, so as_of is January 1st.
pub fn parse_year(raw: &str) -> Result<NaiveDate, DateError> {
    let s = compact(raw);
    let digits = s.trim_end_matches('年');
    let year: i32 = digits
        .parse::<f64>()
        .ok()
        .filter(|y| y.fract() == 0.0)
        .map(|y| y as i32)
        .ok_or_else(|| {
            DateError(format!(
                "无法识别的年份 '{}' (unrecognized year)",
                super::text::safe_excerpt(raw)
            ))
        })?;
    if !(1950..=2099).contains(&year) {
        return Err(DateError(format!(
            "年份 {year} 超出范围 (year out of range)"
        )));
    }
    Ok(NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_of_start_and_end_columns() {
        let t = |s: &str| parse_datetime_text(s).unwrap().to_string();
        assert_eq!(t("2025-03-01 09:00:00"), "2025-03-01 09:00:00");
        assert_eq!(t("2025/3/1 9:30"), "2025-03-01 09:30:00");
        assert_eq!(t("2025-03-01T18:05:09"), "2025-03-01 18:05:09");
        assert_eq!(t("2025年3月1日 9时30分"), "2025-03-01 09:30:00");
        assert_eq!(t("2025-03-01"), "2025-03-01 00:00:00");
        assert!(parse_datetime_text("2025-03-01 25:00").is_err());
        let serial = datetime_from_excel_serial(45717.375).unwrap();
        assert_eq!(serial.to_string(), "2025-03-01 09:00:00");
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_documented_shape() {
        for raw in [
            "2024-05-01",
            "2024/5/1",
            "2024.5.1",
            "2024年5月1日",
            "20240501",
            "2024-05-01 08:30:00",
            "2024/5/1 8:30",
            "2024-05-01T08:30:00",
            "2024年5月1日 8时30分",
            "２０２４－０５－０１",
            "45413",
        ] {
            assert_eq!(parse_date_text(raw), Ok(d(2024, 5, 1)), "{raw}");
        }
    }

    #[test]
    fn serials() {
        assert_eq!(from_excel_serial(45413.0), Ok(d(2024, 5, 1)));
        assert_eq!(from_excel_serial(45413.75), Ok(d(2024, 5, 1)));
        assert!(from_excel_serial(12.0).is_err());
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(parse_date_text("2024-02-30").is_err());
        assert!(parse_date_text("2024-13-01").is_err());
        assert!(parse_date_text("明天").is_err());
        assert!(parse_date_text("").is_err());
    }

    #[test]
    fn years() {
        assert_eq!(parse_year("2024"), Ok(d(2024, 1, 1)));
        assert_eq!(parse_year("2024年"), Ok(d(2024, 1, 1)));
        assert_eq!(parse_year("2024.0"), Ok(d(2024, 1, 1)));
        assert!(parse_year("24").is_err());
    }
}
