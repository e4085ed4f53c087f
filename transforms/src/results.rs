//! The typed results of a computation: one row per unit with every indicator, and the
//! monthly trend. Plain data: the SQL fills them in (`indicators`), reports render them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::period::Period;

/// Effective hours and active volunteers of one month, for the city (district "") or one
/// district.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthPoint {
    pub district: String,
    /// First day of the month.
    pub month: NaiveDate,
    pub hours: f64,
    pub active_volunteers: i64,
}

/// One unit (community, street, district, city, province or the nation) and every indicator of the data contract
/// (docs/CONTRACT.md §4).
/// Rates are fractions rounded to 4 decimals, hours are rounded to 2. `None` = not defined
/// (e.g. a rate whose denominator is zero): an empty CSV cell, `null` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRow {
    pub level: String,
    /// The province and city of the unit: only in a combination of several cities' exports
    /// (empty, and not written, for one city).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub province: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub city: String,
    pub district: String,
    pub street: String,
    pub community: String,
    #[serde(skip)]
    pub community_id: i32,
    /// Communities in the unit (1 for a community).
    pub communities: i64,
    pub population: Option<i64>,
    /// The population figure is dated after the period's end (no earlier one exists).
    pub population_flagged: bool,
    pub registered: i64,
    pub registration_rate: Option<f64>,
    pub registration_target: f64,
    pub registration_gap: Option<i64>,
    pub meets_registration: Option<bool>,
    pub hours: f64,
    pub per_capita_hours: Option<f64>,
    /// The hours target pro-rated to the period (25 h a year × days / 365).
    pub per_capita_target: f64,
    pub annualized_per_capita_hours: Option<f64>,
    pub hours_gap: f64,
    pub meets_per_capita_hours: Option<bool>,
    pub active_volunteers: i64,
    pub participation_rate: Option<f64>,
    pub activities: i64,
    pub category_coverage: f64,
    pub active_months: i64,
    pub months_in_period: i64,
    pub organizations: i64,
    pub organizations_per_community: f64,
    pub meets_organizations_min: Option<bool>,
    pub meets_organizations_aim: Option<bool>,
    /// Community: 1 when it has a station, else 0. Above: communities with a station.
    pub has_station: i64,
    pub station_coverage: f64,
    pub needs_collected: i64,
    pub needs_resolved: i64,
    pub need_resolution_rate: Option<f64>,
    pub trainings: i64,
    pub training_participants: i64,
    pub star1: i64,
    pub star2: i64,
    pub star3: i64,
    pub star4: i64,
    pub star5: i64,
    pub communities_meeting_registration: i64,
    pub communities_meeting_per_capita_hours: i64,
    pub communities_meeting_organizations_min: i64,
    pub communities_meeting_organizations_aim: i64,
    pub communities_meeting_station: i64,
    pub share_meeting_registration: f64,
    pub share_meeting_per_capita_hours: f64,
    pub share_meeting_station: f64,
    /// Composite score 0–100 (a local convention, weights in vbrief.toml [score];
    /// transforms/sql/10_score.sql).
    pub score: Option<f64>,
    /// Rank by score among the communities of the same district (communities only).
    pub rank_in_district: Option<i64>,
    pub registered_prev: Option<i64>,
    pub registration_rate_prev: Option<f64>,
    pub hours_prev: Option<f64>,
    pub per_capita_hours_prev: Option<f64>,
    pub active_volunteers_prev: Option<i64>,
    pub registered_yoy: Option<i64>,
    pub registration_rate_yoy: Option<f64>,
    pub hours_yoy: Option<f64>,
    pub per_capita_hours_yoy: Option<f64>,
    pub active_volunteers_yoy: Option<i64>,
}

/// The result of one computation: the period, its comparison periods and every row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indicators {
    pub period: Period,
    pub period_label: String,
    pub previous_period: Period,
    pub year_earlier_period: Period,
    pub days: i64,
    /// The period ends after the last record in the warehouse (figures may be incomplete).
    pub extends_past_data: bool,
    pub rows: Vec<IndicatorRow>,
    /// Monthly trend of the period (months without activity are absent).
    pub monthly: Vec<MonthPoint>,
    /// The same for the period a year earlier.
    pub monthly_year_earlier: Vec<MonthPoint>,
}

impl Indicators {
    pub fn level(&self, level: &str) -> impl Iterator<Item = &IndicatorRow> {
        let level = level.to_string();
        self.rows.iter().filter(move |r| r.level == level)
    }

    pub fn city(&self) -> Option<&IndicatorRow> {
        self.level("city").next()
    }

    /// The level of the whole scope: `city` (one city), `province` (several cities of one
    /// province) or `nation` (several provinces).
    pub fn top_level(&self) -> &'static str {
        if self.level("nation").next().is_some() {
            "nation"
        } else if self.level("province").next().is_some() {
            "province"
        } else {
            "city"
        }
    }

    /// The row of the whole scope (see [`Indicators::top_level`]).
    pub fn top(&self) -> Option<&IndicatorRow> {
        self.level(self.top_level()).next()
    }
}

pub fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}
