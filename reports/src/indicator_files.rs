//! The output contract of docs/CONTRACT.md §6 for the figures: `indicators/community.csv`,
//! `street.csv`, `district.csv`, `city.csv` (UTF-8 with BOM, one row per unit) and
//! `indicators.json`. Rates are fractions with 4 decimals, hours have 2; empty = not defined.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::{write_csv_bom, ReportError};
use domain::Config;
use transforms::{IndicatorRow, Indicators};

pub const LEVELS: [&str; 4] = ["community", "street", "district", "city"];

/// Decimal places of a column in the CSVs (the JSON carries the same rounded numbers).
fn decimals(column: &str) -> usize {
    let base = column.trim_end_matches("_prev").trim_end_matches("_yoy");
    if base == "score" {
        1
    } else if base.ends_with("_rate")
        || base.ends_with("_coverage")
        || base.starts_with("share_")
        || base == "registration_target"
    {
        4
    } else {
        2
    }
}

fn cell(column: &str, value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => {
            format!("{:.*}", decimals(column), n.as_f64().unwrap_or(0.0))
        }
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn row_values(row: &IndicatorRow) -> serde_json::Map<String, Value> {
    match serde_json::to_value(row) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!("an IndicatorRow serializes to an object"),
    }
}

/// The column names, in order.
pub fn columns() -> Vec<String> {
    let empty = IndicatorRow::empty();
    row_values(&empty).keys().cloned().collect()
}

/// The columns of a combination of several cities: `province` and `city` after `level`.
pub fn columns_with_region() -> Vec<String> {
    let mut row = IndicatorRow::empty();
    row.province = "-".into();
    row.city = "-".into();
    row_values(&row).keys().cloned().collect()
}

/// The levels above the city, written when the figures have them (a combination of several
/// cities: `province.csv`; of several provinces: also `nation.csv`).
pub const LEVELS_ABOVE_CITY: [&str; 2] = ["province", "nation"];

/// Writes the four CSVs and the JSON under `out`, returning the paths written.
pub fn write(
    out: &Path,
    indicators: &Indicators,
    config: &Config,
) -> Result<Vec<PathBuf>, ReportError> {
    let dir = out.join("indicators");
    std::fs::create_dir_all(&dir).map_err(|source| ReportError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let regional = indicators.top_level() != "city";
    let header = if regional {
        columns_with_region()
    } else {
        columns()
    };
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut written = Vec::new();
    let mut levels = serde_json::Map::new();
    let above = LEVELS_ABOVE_CITY
        .into_iter()
        .filter(|l| indicators.level(l).next().is_some());
    for level in LEVELS.into_iter().chain(above) {
        let rows: Vec<&IndicatorRow> = indicators.level(level).collect();
        let path = dir.join(format!("{level}.csv"));
        write_csv_bom(
            &path,
            &header_refs,
            rows.iter().map(|r| {
                let values = row_values(r);
                header
                    .iter()
                    .map(|c| cell(c, values.get(c).unwrap_or(&Value::Null)))
                    .collect::<Vec<String>>()
            }),
        )?;
        written.push(path);
        levels.insert(
            level.to_string(),
            Value::Array(
                rows.iter()
                    .map(|r| {
                        let mut values = row_values(r);
                        // One city's figures name no province or city (an export's rows do
                        // carry its city): the same document as from the warehouse.
                        if !regional {
                            values.remove("province");
                            values.remove("city");
                        }
                        Value::Object(values)
                    })
                    .collect(),
            ),
        );
    }
    let document = json!({
        "city": config.city.name,
        "office": config.city.office,
        "period": indicators.period_label,
        "start": indicators.period.start,
        "end": indicators.period.end,
        "days": indicators.days,
        "previous_period": indicators.previous_period,
        "year_earlier_period": indicators.year_earlier_period,
        "extends_past_data": indicators.extends_past_data,
        "targets": config.targets,
        "stars": config.stars,
        "standard_categories": config.categories.standard,
        "score": {
            "weights": config.score.weights,
            "note": "综合得分为本地惯例，非官方指数 (the composite score is a local convention, not an official index)",
        },
        "sql_files": transforms::SQL_FILES.iter().map(|(name, _)| format!("transforms/sql/{name}")).collect::<Vec<_>>(),
        "levels": levels,
    });
    let path = dir.join("indicators.json");
    let text = serde_json::to_string_pretty(&document).map_err(|e| ReportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    crate::write_atomic(&path, ("\u{FEFF}".to_string() + &text + "\n").as_bytes()).map_err(
        |source| ReportError::Io {
            path: path.display().to_string(),
            source,
        },
    )?;
    written.push(path);
    Ok(written)
}

/// `indicators/progress.csv`: every unit's pace toward the year's targets (see
/// transforms/sql/progress.sql), for a period that is part of a year.
pub const PROGRESS_FILE: &str = "progress.csv";

/// The columns of indicators/progress.csv.
pub const PROGRESS_COLUMNS: [&str; 19] = [
    "level",
    "district",
    "street",
    "community",
    "population",
    "registered",
    "registered_at_start",
    "registration_rate",
    "projected_registration_rate",
    "registration_target",
    "registrations_needed",
    "registrations_needed_per_month",
    "hours",
    "per_capita_hours_ytd",
    "projected_per_capita_hours",
    "per_capita_target_year",
    "hours_needed_per_month",
    "misses_registration",
    "misses_per_capita_hours",
];

pub fn write_progress(
    path: &Path,
    progress: &transforms::progress::Progress,
) -> Result<(), ReportError> {
    // A combination of several cities: `province, city` after `level`, as in the other CSVs.
    let regional = progress
        .rows
        .iter()
        .any(|r| r.level == "province" || r.level == "nation");
    let mut columns: Vec<&str> = PROGRESS_COLUMNS.to_vec();
    if regional {
        columns.splice(1..1, ["province", "city"]);
    }
    let rows = progress.rows.iter().map(|row| {
        let values = match serde_json::to_value(row) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("a ProgressRow serializes to an object"),
        };
        columns
            .iter()
            .map(|c| cell(c, values.get(*c).unwrap_or(&Value::Null)))
            .collect::<Vec<_>>()
    });
    write_csv_bom(path, &columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_by_column() {
        assert_eq!(decimals("registration_rate"), 4);
        assert_eq!(decimals("registration_rate_yoy"), 4);
        assert_eq!(decimals("category_coverage"), 4);
        assert_eq!(decimals("per_capita_hours_prev"), 2);
        assert_eq!(decimals("hours"), 2);
        assert_eq!(decimals("score"), 1);
        assert_eq!(cell("hours", &json!(12.5)), "12.50");
        assert_eq!(cell("registration_rate", &json!(0.15)), "0.1500");
        assert_eq!(cell("registered", &json!(12)), "12");
        assert_eq!(cell("registration_rate", &Value::Null), "");
    }

    #[test]
    fn contract_columns_are_present() {
        let cols = columns();
        for name in [
            "district",
            "street",
            "community",
            "population",
            "registered",
            "registration_rate",
            "registration_gap",
            "hours",
            "per_capita_hours",
            "annualized_per_capita_hours",
            "active_volunteers",
            "participation_rate",
            "activities",
            "category_coverage",
            "active_months",
            "organizations",
            "has_station",
            "needs_collected",
            "needs_resolved",
            "need_resolution_rate",
            "trainings",
            "training_participants",
            "star1",
            "star2",
            "star3",
            "star4",
            "star5",
            "registered_prev",
            "registration_rate_yoy",
            "hours_prev",
            "per_capita_hours_yoy",
            "active_volunteers_prev",
        ] {
            assert!(
                cols.iter().any(|c| c == name),
                "{name} missing from {cols:?}"
            );
        }
    }

    #[test]
    fn progress_csv_has_every_field_of_a_progress_row() {
        let row = transforms::progress::ProgressRow {
            level: "city".into(),
            province: String::new(),
            city: String::new(),
            district: String::new(),
            street: String::new(),
            community: String::new(),
            population: None,
            registered: 0,
            registered_at_start: 0,
            registration_rate: None,
            projected_registration_rate: None,
            registration_target: 0.15,
            registrations_needed: None,
            registrations_needed_per_month: None,
            hours: 0.0,
            per_capita_hours_ytd: None,
            projected_per_capita_hours: None,
            per_capita_target_year: 25.0,
            hours_needed_per_month: None,
            misses_registration: None,
            misses_per_capita_hours: None,
        };
        let fields: Vec<String> = match serde_json::to_value(&row).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => unreachable!(),
        };
        assert_eq!(fields, PROGRESS_COLUMNS);
    }
}
