//! The composite score: a local convention, not an official index (the briefing says so).
//! Each component is how far a unit has come toward its target, capped at 1; the score is
//! their weighted mean × 100. Weights live in vbrief.toml [score.weights].

use domain::Config;

use crate::results::IndicatorRow;

/// How each component (domain::config::SCORE_COMPONENTS) is read as attainment in 0..=1.
fn attainment(row: &IndicatorRow, component: &str, config: &Config) -> f64 {
    let t = &config.targets;
    let capped = |x: f64| x.clamp(0.0, 1.0);
    match component {
        "registration_rate" => row
            .registration_rate
            .map_or(0.0, |r| capped(r / t.registration_rate.value)),
        "per_capita_hours" => row
            .annualized_per_capita_hours
            .map_or(0.0, |h| capped(h / t.per_capita_hours.value)),
        "participation_rate" => row.participation_rate.map_or(0.0, capped),
        "category_coverage" => capped(row.category_coverage),
        "need_resolution_rate" => row.need_resolution_rate.map_or(0.0, capped),
        "organizations" => capped(row.organizations_per_community / t.organizations_aim.value),
        _ => 0.0,
    }
}

/// The score of a row, 0–100.
pub fn score(row: &IndicatorRow, config: &Config) -> f64 {
    let weights = &config.score.weights;
    let total: f64 = weights.values().sum();
    if total <= 0.0 {
        return 0.0;
    }
    weights
        .iter()
        .map(|(component, w)| w * attainment(row, component, config))
        .sum::<f64>()
        / total
        * 100.0
}

/// Ranks communities by score (highest first) within their district; ties share a rank.
pub fn rank_within_districts(rows: &mut [IndicatorRow]) {
    let mut by_district: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        if r.level == "community" {
            by_district.entry(r.district.clone()).or_default().push(i);
        }
    }
    for indices in by_district.values() {
        let mut sorted = indices.clone();
        sorted.sort_by(|&a, &b| {
            let (sa, sb) = (rows[a].score.unwrap_or(0.0), rows[b].score.unwrap_or(0.0));
            sb.total_cmp(&sa)
                .then_with(|| rows[a].community.cmp(&rows[b].community))
        });
        let mut rank = 0;
        let mut previous: Option<f64> = None;
        for (position, &i) in sorted.iter().enumerate() {
            let s = rows[i].score.unwrap_or(0.0);
            if previous != Some(s) {
                rank = position as i64 + 1;
                previous = Some(s);
            }
            rows[i].rank_in_district = Some(rank);
        }
    }
}
