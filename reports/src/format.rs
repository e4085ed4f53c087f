//! How numbers, periods and reasons are written, once for every output: the briefing (HTML,
//! PDF, Word, xlsx), its text, the quality report, the CLI's tables and the web app's pages.
//! A leaf module: it depends on nothing else in this crate.

use chrono::Datelike as _;
use transforms::Period;

/// A share as a percentage with two decimals (`15.32%`); `—` when it is not defined.
pub fn percent(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.2}%", v * 100.0))
}

/// A value with two decimals (`12.50`); `—` when it is not defined.
pub fn two(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.2}"))
}

/// A count as it is (`76367`), for tables.
pub fn int(x: i64) -> String {
    x.to_string()
}

/// `76,367`: counts in running text are grouped by thousands, as in a printed bulletin.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Hours with two decimals, grouped: `12,345.50`.
pub fn hours(h: f64) -> String {
    let cents = (h * 100.0).round() as i64;
    format!("{}.{:02}", grouped(cents / 100), (cents % 100).abs())
}

/// The period as an office writes it: 2025年, 2025年第三季度, 2025年7月, 2025年1—6月 (a year to
/// date), or a date range.
pub fn period_zh(period: &Period) -> String {
    let label = period.label();
    let quarters = ["一", "二", "三", "四"];
    if label.len() == 4 {
        format!("{label}年")
    } else if let Some((y, q)) = label.split_once("-Q") {
        let q: usize = q.parse().unwrap_or(1);
        format!("{y}年第{}季度", quarters[q.clamp(1, 4) - 1])
    } else if label.len() == 7 {
        let (y, m) = label.split_at(4);
        format!(
            "{y}年{}月",
            m.trim_start_matches('-').trim_start_matches('0')
        )
    } else if period.is_year_to_date() {
        let e = period.end;
        format!("{}年1—{}月", e.year(), e.month())
    } else {
        let (s, e) = (period.start, period.end);
        format!(
            "{}至{}",
            s.format("%Y年%-m月%-d日"),
            e.format("%Y年%-m月%-d日")
        )
    }
}

/// A quarantine reason code (`quarantine.reason`) in words (docs/CONTRACT.md §3.1).
pub fn reason_zh(code: &str) -> &'static str {
    domain::quality::reason_zh(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(percent(Some(0.15324)), "15.32%");
        assert_eq!(percent(None), "—");
        assert_eq!(two(Some(2.5)), "2.50");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-1234), "-1,234");
        assert_eq!(grouped(999), "999");
        assert_eq!(hours(12_345.5), "12,345.50");
    }

    #[test]
    fn periods() {
        let p = |s: &str| Period::parse(s).unwrap();
        assert_eq!(period_zh(&p("2025")), "2025年");
        assert_eq!(period_zh(&p("2025-Q3")), "2025年第三季度");
        assert_eq!(period_zh(&p("2025-07")), "2025年7月");
        assert_eq!(
            period_zh(&p("2025-01-05..2025-02-10")),
            "2025年1月5日至2025年2月10日"
        );
    }
}
