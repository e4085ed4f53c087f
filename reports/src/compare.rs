//! The comparison of communities (对比): one table of every community of a district (or of the
//! city) for a period — registration and the people still needed, per-capita hours,
//! participation, organizations, the station, star counts and the change on the previous
//! period — each figure marked against its target, sortable by any column; a bar chart of one
//! indicator with its target line (SVG, drawn here); and the same table as xlsx. The figures
//! are the indicators' own (`transforms::compute`), formatted by `format`: no second definition.

use serde::Serialize;
use transforms::{IndicatorRow, Indicators};

use crate::format::{percent, two};

/// The columns, in order: (key, Chinese header).
pub const COLUMNS: [(&str, &str); 10] = [
    ("registered", "注册志愿者"),
    ("registration_rate", "注册率"),
    ("registration_gap", "还需注册（人）"),
    ("registered_change", "注册人数较上期"),
    ("per_capita_hours", "人均时长（小时）"),
    ("per_capita_hours_change", "人均时长较上期"),
    ("participation_rate", "参与率"),
    ("organizations", "志愿服务组织"),
    ("has_station", "志愿服务站"),
    ("stars", "星级志愿者（一至五星）"),
];

/// The indicators the chart can show: (key, title, unit).
pub const CHARTS: [(&str, &str, &str); 4] = [
    ("per_capita_hours", "人均服务时长", "小时"),
    ("registration_rate", "注册率", "%"),
    ("participation_rate", "参与率", "%"),
    ("organizations", "志愿服务组织", "个"),
];

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// 2025年, 2025年第三季度 …
    pub period: String,
    /// 全市 or the district's name.
    pub scope: String,
    pub columns: Vec<ColumnHead>,
    pub rows: Vec<CompareRow>,
    /// The scope's own row (the district, or the city).
    pub total: Option<CompareRow>,
    pub sort: String,
    pub descending: bool,
    /// How the targets are judged, in words.
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnHead {
    pub key: &'static str,
    pub label: &'static str,
    /// The target, as a reader needs it (`≥ 15%`), or empty.
    pub target: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    pub community_id: i32,
    pub district: String,
    pub street: String,
    pub community: String,
    pub cells: Vec<CompareCell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompareCell {
    pub text: String,
    /// `met`, `partly` (organizations: the minimum, not the aim), `missed`, or empty.
    pub class: &'static str,
    /// The value sorted on (None sorts last).
    #[serde(skip)]
    pub value: Option<f64>,
}

fn judged(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "",
    }
}

fn signed(x: Option<f64>, decimals: usize) -> String {
    match x {
        None => "—".into(),
        Some(v) if v > 0.0 => format!("+{v:.decimals$}"),
        Some(v) => format!("{v:.decimals$}"),
    }
}

fn cell(text: String, class: &'static str, value: Option<f64>) -> CompareCell {
    CompareCell { text, class, value }
}

/// The row's cells, in the order of [`COLUMNS`].
fn cells(r: &IndicatorRow) -> Vec<CompareCell> {
    let registered_change = r.registered_prev.map(|p| (r.registered - p) as f64);
    let per_capita_change = match (r.per_capita_hours, r.per_capita_hours_prev) {
        (Some(now), Some(before)) => Some(((now - before) * 100.0).round() / 100.0),
        _ => None,
    };
    let organizations = match (r.meets_organizations_aim, r.meets_organizations_min) {
        (Some(true), _) => "met",
        (_, Some(true)) => "partly",
        (_, Some(false)) => "missed",
        _ => "",
    };
    let stars = [r.star1, r.star2, r.star3, r.star4, r.star5];
    vec![
        cell(r.registered.to_string(), "", Some(r.registered as f64)),
        cell(
            percent(r.registration_rate),
            judged(r.meets_registration),
            r.registration_rate,
        ),
        cell(
            r.registration_gap.map_or("—".into(), |g| g.to_string()),
            "",
            r.registration_gap.map(|g| g as f64),
        ),
        cell(signed(registered_change, 0), "", registered_change),
        cell(
            two(r.per_capita_hours),
            judged(r.meets_per_capita_hours),
            r.per_capita_hours,
        ),
        cell(signed(per_capita_change, 2), "", per_capita_change),
        cell(percent(r.participation_rate), "", r.participation_rate),
        cell(
            r.organizations.to_string(),
            organizations,
            Some(r.organizations as f64),
        ),
        cell(
            if r.has_station > 0 { "有" } else { "无" }.into(),
            if r.has_station > 0 { "met" } else { "missed" },
            Some(r.has_station as f64),
        ),
        cell(
            stars
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join("/"),
            "",
            Some(stars.iter().sum::<i64>() as f64),
        ),
    ]
}

fn row(r: &IndicatorRow) -> CompareRow {
    CompareRow {
        community_id: r.community_id,
        district: r.district.clone(),
        street: r.street.clone(),
        community: r.community.clone(),
        cells: cells(r),
    }
}

/// The comparison of the communities of `district` (its name as the figures write it), or of
/// the whole city, sorted by the column `sort` (default: per-capita hours, highest first).
pub fn build(
    indicators: &Indicators,
    config: &domain::Config,
    district: Option<&str>,
    sort: &str,
    descending: bool,
) -> Comparison {
    let in_scope = |r: &&IndicatorRow| district.is_none_or(|d| r.district == d);
    let mut rows: Vec<CompareRow> = indicators
        .level("community")
        .filter(in_scope)
        .map(row)
        .collect();
    let sort = if COLUMNS.iter().any(|(k, _)| *k == sort) {
        sort
    } else {
        "per_capita_hours"
    };
    let at = COLUMNS.iter().position(|(k, _)| *k == sort).unwrap_or(0);
    rows.sort_by(|a, b| {
        let (x, y) = (a.cells[at].value, b.cells[at].value);
        let order = match (x, y) {
            (Some(x), Some(y)) => {
                if descending {
                    y.total_cmp(&x)
                } else {
                    x.total_cmp(&y)
                }
            }
            // Undefined values last, whichever the direction.
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        order
            .then_with(|| a.district.cmp(&b.district))
            .then_with(|| a.street.cmp(&b.street))
            .then_with(|| a.community.cmp(&b.community))
    });
    let total = match district {
        Some(d) => indicators.level("district").find(|r| r.district == d),
        None => indicators.city(),
    }
    .map(row);
    let t = &config.targets;
    let per_capita = indicators
        .city()
        .map_or(t.per_capita_hours.value, |c| c.per_capita_target);
    let target = |key: &str| -> String {
        match key {
            "registration_rate" => format!("≥ {}", percent(Some(t.registration_rate.value))),
            "per_capita_hours" => format!("≥ {per_capita:.2}"),
            "organizations" => format!(
                "{}–{} 个",
                t.organizations_min.value, t.organizations_aim.value
            ),
            "has_station" => "每个社区".into(),
            _ => String::new(),
        }
    };
    Comparison {
        period: crate::format::period_zh(&indicators.period),
        scope: district.map_or("全市".to_string(), String::from),
        columns: COLUMNS
            .iter()
            .map(|(key, label)| ColumnHead {
                key,
                label,
                target: target(key),
            })
            .collect(),
        rows,
        total,
        sort: sort.to_string(),
        descending,
        note: format!(
            "绿色为达到目标，红色为未达到；组织数黄色为达到下限 {} 个、未达到目标 {} 个。人均时长目标按期长折算（全年 {} 小时）。较上期：{}。",
            t.organizations_min.value,
            t.organizations_aim.value,
            t.per_capita_hours.value,
            crate::format::period_zh(&indicators.previous_period)
        ),
    }
}

/// A bar per community of the chart's indicator (`CHARTS`), in the table's order, with the
/// target as a line. The SVG is written here, every text escaped; it scales to the page.
pub fn chart_svg(c: &Comparison, indicators: &Indicators, indicator: &str) -> String {
    let (key, title, unit) = CHARTS
        .iter()
        .find(|(k, _, _)| *k == indicator)
        .copied()
        .unwrap_or(CHARTS[0]);
    let by_id: std::collections::HashMap<i32, &IndicatorRow> = indicators
        .level("community")
        .map(|r| (r.community_id, r))
        .collect();
    let value = |r: &IndicatorRow| -> Option<f64> {
        match key {
            "registration_rate" => r.registration_rate.map(|v| v * 100.0),
            "participation_rate" => r.participation_rate.map(|v| v * 100.0),
            "organizations" => Some(r.organizations as f64),
            _ => r.per_capita_hours,
        }
    };
    let target = indicators.city().and_then(|city| match key {
        "registration_rate" => Some(city.registration_target * 100.0),
        "per_capita_hours" => Some(city.per_capita_target),
        "organizations" => None,
        _ => None,
    });
    let bars: Vec<(String, Option<f64>)> = c
        .rows
        .iter()
        .filter_map(|row| by_id.get(&row.community_id))
        .map(|r| (r.community.clone(), value(r)))
        .collect();
    let max = bars
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(target)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    let (label_w, plot_w, row_h, top) = (130.0, 560.0, 18.0, 34.0);
    let height = top + row_h * bars.len() as f64 + 24.0;
    let width = label_w + plot_w + 70.0;
    let x = |v: f64| label_w + v / max * plot_w;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" class=\"chart\" role=\"img\" aria-label=\"{title}\">\
         <text x=\"{label_w}\" y=\"18\" class=\"chart-title\">{title}（{unit}）</text>"
    );
    for (i, (name, v)) in bars.iter().enumerate() {
        let y = top + i as f64 * row_h;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"chart-label\">{}</text>",
            label_w - 6.0,
            y + row_h * 0.7,
            escape(name)
        ));
        match v {
            Some(v) => {
                let met = target.is_none_or(|t| *v >= t - 1e-9);
                svg.push_str(&format!(
                    "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"{}\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">{:.2}</text>",
                    y + 2.0,
                    (x(*v) - label_w).max(0.5),
                    row_h - 4.0,
                    if met { "bar-met" } else { "bar-missed" },
                    x(*v) + 4.0,
                    y + row_h * 0.7,
                    v
                ));
            }
            None => svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">—</text>",
                label_w + 4.0,
                y + row_h * 0.7
            )),
        }
    }
    if let Some(t) = target {
        let tx = x(t);
        svg.push_str(&format!(
            "<line x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"target-line\"/>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"chart-label\">目标 {t:.2}</text>",
            top - 6.0,
            top + row_h * bars.len() as f64,
            top + row_h * bars.len() as f64 + 16.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The table as an xlsx workbook (text as text, numbers as numbers, a frozen header).
pub fn xlsx(c: &Comparison) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::Format;
    let mut book = crate::xlsx::new_workbook();
    let sheet = book.add_worksheet();
    sheet.set_name("社区对比")?;
    let bold = Format::new().set_bold();
    let title = format!("{} {} 社区对比", c.period, c.scope);
    sheet.write_string_with_format(0, 0, &title, &bold)?;
    let header: Vec<&str> = ["区县", "街道", "社区"]
        .into_iter()
        .chain(c.columns.iter().map(|h| h.label))
        .collect();
    for (i, h) in header.iter().enumerate() {
        sheet.write_string_with_format(1, i as u16, *h, &bold)?;
    }
    let mut line = 2;
    for r in c.rows.iter().chain(c.total.iter()) {
        let place = if r.community.is_empty() {
            [r.district.as_str(), "", "合计"]
        } else {
            [r.district.as_str(), r.street.as_str(), r.community.as_str()]
        };
        for (i, text) in place.iter().enumerate() {
            sheet.write_string(line, i as u16, *text)?;
        }
        for (i, cell) in r.cells.iter().enumerate() {
            let col = (i + 3) as u16;
            let numeric = cell
                .text
                .trim_end_matches('%')
                .trim_start_matches('+')
                .parse::<f64>();
            match numeric {
                Ok(n) if cell.text.ends_with('%') => {
                    sheet.write_number_with_format(
                        line,
                        col,
                        n / 100.0,
                        &Format::new().set_num_format("0.00%"),
                    )?;
                }
                Ok(n) => {
                    sheet.write_number(line, col, n)?;
                }
                Err(_) => {
                    sheet.write_string(line, col, &cell.text)?;
                }
            }
        }
        line += 1;
    }
    sheet.write_string(line + 1, 0, &c.note)?;
    sheet.set_freeze_panes(2, 3)?;
    sheet.autofilter(1, 0, line - 1, (header.len() - 1) as u16)?;
    sheet.set_column_width(2, 14)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(district: &str, community: &str, id: i32, per_capita: Option<f64>) -> IndicatorRow {
        IndicatorRow {
            level: "community".into(),
            district: district.into(),
            street: "一街道".into(),
            community: community.into(),
            community_id: id,
            communities: 1,
            registered: 100,
            registration_rate: Some(0.12),
            meets_registration: Some(false),
            per_capita_hours: per_capita,
            meets_per_capita_hours: per_capita.map(|p| p >= 25.0),
            per_capita_hours_prev: Some(20.0),
            registered_prev: Some(90),
            organizations: 1,
            meets_organizations_min: Some(true),
            meets_organizations_aim: Some(false),
            ..IndicatorRow::empty()
        }
    }

    fn indicators(rows: Vec<IndicatorRow>) -> Indicators {
        let p = transforms::Period::parse("2025").unwrap();
        Indicators {
            period: p,
            period_label: "2025".into(),
            previous_period: transforms::Period::parse("2024").unwrap(),
            year_earlier_period: transforms::Period::parse("2024").unwrap(),
            days: 365,
            extends_past_data: false,
            rows,
            monthly: Vec::new(),
            monthly_year_earlier: Vec::new(),
        }
    }

    #[test]
    fn sorted_by_any_column_with_undefined_values_last() {
        let ind = indicators(vec![
            unit("东区", "甲社区", 1, Some(10.0)),
            unit("东区", "乙社区", 2, Some(30.0)),
            unit("东区", "丙社区", 3, None),
            unit("西区", "丁社区", 4, Some(50.0)),
        ]);
        let config = domain::Config::default();
        let c = build(&ind, &config, Some("东区"), "per_capita_hours", true);
        let names: Vec<&str> = c.rows.iter().map(|r| r.community.as_str()).collect();
        assert_eq!(names, ["乙社区", "甲社区", "丙社区"]);
        let c = build(&ind, &config, Some("东区"), "per_capita_hours", false);
        let names: Vec<&str> = c.rows.iter().map(|r| r.community.as_str()).collect();
        assert_eq!(names, ["甲社区", "乙社区", "丙社区"]);
        let at = COLUMNS
            .iter()
            .position(|(k, _)| *k == "per_capita_hours")
            .unwrap();
        assert_eq!(c.rows[1].cells[at].class, "met");
        assert_eq!(c.rows[0].cells[at].class, "missed");
        let change = COLUMNS
            .iter()
            .position(|(k, _)| *k == "per_capita_hours_change")
            .unwrap();
        assert_eq!(c.rows[1].cells[change].text, "+10.00");
        let orgs = COLUMNS
            .iter()
            .position(|(k, _)| *k == "organizations")
            .unwrap();
        assert_eq!(c.rows[0].cells[orgs].class, "partly");
        // The whole city, and a column that does not exist sorts by per-capita hours.
        let all = build(&ind, &config, None, "nonsense", true);
        assert_eq!(all.rows.len(), 4);
        assert_eq!(all.sort, "per_capita_hours");
    }

    #[test]
    fn the_chart_escapes_names_and_draws_the_target() {
        let city = IndicatorRow {
            level: "city".into(),
            per_capita_target: 25.0,
            registration_target: 0.15,
            ..IndicatorRow::empty()
        };
        let ind = indicators(vec![unit("东区", "<b>&社区", 1, Some(10.0)), city]);
        let config = domain::Config::default();
        let c = build(&ind, &config, None, "per_capita_hours", true);
        let svg = chart_svg(&c, &ind, "per_capita_hours");
        assert!(svg.contains("&lt;b&gt;&amp;社区"), "{svg}");
        assert!(
            svg.contains("目标 25.00") && svg.contains("bar-missed"),
            "{svg}"
        );
        assert!(!svg.contains("<b>"));
        let bytes = xlsx(&c).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
