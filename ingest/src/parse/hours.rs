//! Service hours: `2.5`, `2.5小时`, `2.5h`, `2小时30分`, `2时30分`, `150分钟`, `30分`.

use super::text::{compact, safe_excerpt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursError(pub String);

/// Parses hours written as text into decimal hours.
pub fn parse_hours_text(raw: &str) -> Result<f64, HoursError> {
    let s = compact(raw).to_lowercase();
    let bad = || {
        HoursError(format!(
            "无法识别的时长 '{}' (unrecognized hours)",
            safe_excerpt(raw)
        ))
    };
    if s.is_empty() {
        return Err(HoursError("时长为空 (hours are empty)".into()));
    }
    let mut hours = 0.0;
    let mut rest = s.as_str();
    let mut seen_unit = false;
    while !rest.is_empty() {
        let num_len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        if num_len == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let (factor, unit_len) = unit_of(rest);
        if unit_len == 0 && !rest.is_empty() {
            return Err(bad());
        }
        if unit_len == 0 && seen_unit {
            // `2小时30` — a bare number after hours means minutes.
            hours += value / 60.0;
        } else {
            hours += value * factor;
        }
        seen_unit |= unit_len > 0;
        rest = &rest[unit_len..];
    }
    if !hours.is_finite() {
        return Err(bad());
    }
    Ok(hours)
}

/// The multiplier to hours of the unit at the start of `s`, and the unit's byte length.
fn unit_of(s: &str) -> (f64, usize) {
    for (unit, factor) in [
        ("小时", 1.0),
        ("个小时", 1.0),
        ("hours", 1.0),
        ("hour", 1.0),
        ("hrs", 1.0),
        ("hr", 1.0),
        ("h", 1.0),
        ("时", 1.0),
        ("分钟", 1.0 / 60.0),
        ("分", 1.0 / 60.0),
        ("minutes", 1.0 / 60.0),
        ("min", 1.0 / 60.0),
        ("m", 1.0 / 60.0),
    ] {
        if s.starts_with(unit) {
            return (factor, unit.len());
        }
    }
    (1.0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_forms() {
        assert_eq!(parse_hours_text("2.5"), Ok(2.5));
        assert_eq!(parse_hours_text("2.5小时"), Ok(2.5));
        assert_eq!(parse_hours_text("2.5h"), Ok(2.5));
        assert_eq!(parse_hours_text("2小时30分"), Ok(2.5));
        assert_eq!(parse_hours_text("2时30分"), Ok(2.5));
        assert_eq!(parse_hours_text("150分钟"), Ok(2.5));
        assert_eq!(parse_hours_text("2 小时 30 分钟"), Ok(2.5));
        assert_eq!(parse_hours_text("３小时"), Ok(3.0));
        assert_eq!(parse_hours_text("-1"), Ok(-1.0));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_hours_text("两小时").is_err());
        assert!(parse_hours_text("").is_err());
        assert!(parse_hours_text("2..5").is_err());
        assert!(parse_hours_text("2天").is_err());
    }
}
