//! `vbrief.toml`: the office, targets (value, unit, source), star thresholds, service categories
//! and community aliases. `vbrief init` writes [`DEFAULT_CONFIG`]; every key has a default so
//! that a partial file works, and unknown keys are errors (a typo must not be silently ignored).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file `vbrief init` writes, with comments for the analyst who edits it.
pub const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: `{key}` = {value}: {allowed}")]
    Invalid {
        path: String,
        key: String,
        value: String,
        allowed: String,
    },
}

/// Defaults come from each section's `Default`, not from parsing DEFAULT_CONFIG (serde's
/// `default` would recurse); a test checks that the two agree.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub city: City,
    pub targets: Targets,
    pub stars: Stars,
    pub categories: Categories,
    pub target_groups: TargetGroups,
    pub communities: Communities,
    pub score: Score,
    pub quality: Quality,
    pub status: Status,
    pub screening: Screening,
    /// `[headers.<kind>]`: an office's own header → canonical field (`"服务开始" = "served_on"`),
    /// on top of the synonyms vbrief knows (`domain::kind`).
    pub headers: BTreeMap<String, BTreeMap<String, String>>,
}

/// The thresholds of the screening of padded hours (`[screening]`, `vbrief screen`). Each rule
/// looks at the effective records of the period; the defaults and the reason for each are in
/// `domain/src/default_config.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Screening {
    /// Long days: one person's hours on one day above this.
    pub long_day_hours: f64,
    /// Streaks: at least this many hours a day …
    pub streak_daily_hours: f64,
    /// … on at least this many consecutive days.
    pub streak_days: u32,
    /// Identical batches: at least this many records with the same project and team, date,
    /// start, end and hours …
    pub batch_records: u32,
    /// … of at least this many hours each.
    pub batch_hours: f64,
    /// Late entry: entered more than this many days after the day served.
    pub late_entry_days: u32,
    /// Spikes: the last days of each month looked at …
    pub month_end_days: u32,
    /// … and, when an inspection date is set (`YYYY-MM-DD`), the days just before it.
    pub inspection_date: Option<String>,
    pub inspection_days: u32,
    /// A window is flagged when its share of the hours is this many times the community's
    /// usual share (its other months; before the window) …
    pub spike_ratio: f64,
    /// … and it holds at least this many hours.
    pub spike_min_hours: f64,
    /// Round repeats: a person with at least this many records in the period, all of the same
    /// hours.
    pub round_repeat_records: u32,
}

impl Default for Screening {
    fn default() -> Self {
        Screening {
            long_day_hours: 12.0,
            streak_daily_hours: 8.0,
            streak_days: 10,
            batch_records: 20,
            batch_hours: 6.0,
            late_entry_days: 90,
            month_end_days: 5,
            inspection_date: None,
            inspection_days: 14,
            spike_ratio: 3.0,
            spike_min_hours: 50.0,
            round_repeat_records: 30,
        }
    }
}

impl Screening {
    /// The inspection date, when one is set.
    pub fn inspection(&self) -> Option<chrono::NaiveDate> {
        self.inspection_date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

/// Which status words count (`[status]`). Words are compared after trimming.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Status {
    /// A service record whose 状态/时长状态 is one of these counts. Any other word does not, and
    /// the pending-records check lists it (with its count when vbrief does not know the word).
    pub effective: Vec<String>,
    /// Record statuses vbrief knows and does not count (申请中, 未签退, …): listed as pending.
    pub not_effective: Vec<String>,
    /// A volunteer whose 状态/账户状态 is one of these is not a registered person.
    pub volunteer_excluded: Vec<String>,
    /// A volunteer whose 认证状态 is one of these is not a registered person (the national
    /// figures count real-name-verified volunteers).
    pub verification_excluded: Vec<String>,
}

impl Default for Status {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        Status {
            effective: words(&["已生效"]),
            not_effective: words(&[
                "未生效",
                "待审核",
                "申请中",
                "未签退",
                "已拒绝",
                "已删除",
                "录入失败",
            ]),
            volunteer_excluded: words(&["注销", "停用"]),
            verification_excluded: words(&["审核中", "认证未通过", "未认证", "认证失败"]),
        }
    }
}

/// The data-quality checks' settings: when a check warns or fails, and tolerances.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Quality {
    /// Hours by which a volunteer's exported cumulative 服务时长 may differ from the sum of
    /// their service records before the check lists them.
    pub reported_hours_tolerance: f64,
    /// Per check: the share of failing rows above which it warns, and above which it fails.
    /// Checks not named keep their defaults ([`QUALITY_CHECKS`]).
    pub thresholds: BTreeMap<String, Threshold>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Warn when the failing share is above this (0 = any failing row warns).
    pub warn: f64,
    /// Fail when the failing share is above this.
    pub fail: f64,
}

/// Every data-quality check and its default thresholds (shares of the rows checked).
pub const QUALITY_CHECKS: [(&str, Threshold); 11] = [
    (
        "id_number",
        Threshold {
            warn: 0.0,
            fail: 0.01,
        },
    ),
    (
        "duplicate_person",
        Threshold {
            warn: 0.0,
            fail: 0.02,
        },
    ),
    (
        "community_match",
        Threshold {
            warn: 0.0,
            fail: 0.01,
        },
    ),
    (
        "date_range",
        Threshold {
            warn: 0.0,
            fail: 0.01,
        },
    ),
    (
        "daily_hours",
        Threshold {
            warn: 0.0,
            fail: 0.01,
        },
    ),
    (
        "unregistered_person",
        Threshold {
            warn: 0.0,
            fail: 0.05,
        },
    ),
    (
        "pending_records",
        Threshold {
            warn: 0.05,
            fail: 0.2,
        },
    ),
    (
        "population",
        Threshold {
            warn: 0.0,
            fail: 0.0,
        },
    ),
    (
        "reported_hours",
        Threshold {
            warn: 0.05,
            fail: 0.2,
        },
    ),
    (
        "inactive_months",
        Threshold {
            warn: 0.0,
            fail: 0.25,
        },
    ),
    (
        "bad_values",
        Threshold {
            warn: 0.0,
            fail: 0.01,
        },
    ),
];

impl Default for Quality {
    fn default() -> Self {
        Quality {
            reported_hours_tolerance: 1.0,
            thresholds: BTreeMap::new(),
        }
    }
}

impl Quality {
    /// The thresholds of one check: the configured ones, else the default.
    pub fn threshold(&self, check: &str) -> Threshold {
        self.thresholds.get(check).copied().unwrap_or_else(|| {
            QUALITY_CHECKS.iter().find(|(id, _)| *id == check).map_or(
                Threshold {
                    warn: 0.0,
                    fail: 0.0,
                },
                |(_, t)| *t,
            )
        })
    }
}

/// The composite score's weights (a local convention, shown as such in the briefing).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Score {
    pub weights: BTreeMap<String, f64>,
}

/// What a score weight may name.
pub const SCORE_COMPONENTS: [&str; 6] = [
    "registration_rate",
    "per_capita_hours",
    "participation_rate",
    "category_coverage",
    "need_resolution_rate",
    "organizations",
];

impl Default for Score {
    fn default() -> Self {
        Score {
            weights: [
                ("registration_rate", 0.4),
                ("per_capita_hours", 0.4),
                ("participation_rate", 0.2),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct City {
    /// 城市名称, e.g. 示例市
    pub name: String,
    /// 发文单位, e.g. 示例市文明办
    pub office: String,
    /// 所属省份, e.g. 示例省: written into a Parquet export, for the province level of a
    /// national rollup (empty: the export names no province).
    #[serde(default)]
    pub province: String,
}

/// The targets of `[targets.*]`, as vbrief.toml names them.
pub const TARGET_KEYS: [&str; 5] = [
    "registration_rate",
    "per_capita_hours",
    "organizations_min",
    "organizations_aim",
    "station_coverage",
];

/// One target: its value, unit and where it comes from (shown in the briefing's notes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub value: f64,
    pub unit: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    /// Registered volunteers / resident population (fraction).
    pub registration_rate: Target,
    /// Effective service hours per registered volunteer per year.
    pub per_capita_hours: Target,
    /// Minimum organizations per community.
    pub organizations_min: Target,
    /// The aim for organizations per community.
    pub organizations_aim: Target,
    /// Communities that must have a service station (fraction of communities).
    pub station_coverage: Target,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stars {
    /// Cumulative effective hours for star levels 1..5.
    pub thresholds: Vec<f64>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Categories {
    /// The standard service categories used for coverage.
    pub standard: Vec<String>,
    /// Other names found in ledgers → a standard category.
    pub aliases: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TargetGroups {
    pub key: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Communities {
    /// Old or informal community names → the ledger's name. The value may be a full path
    /// `区县/街道/社区` (or `区县/社区`) to pick one of several communities with that name.
    pub aliases: BTreeMap<String, String>,
}

impl Default for City {
    fn default() -> Self {
        City {
            name: "示例市".into(),
            office: "示例市文明办".into(),
            province: String::new(),
        }
    }
}

impl Default for Targets {
    fn default() -> Self {
        let t = |value: f64, unit: &str, source: &str| Target {
            value,
            unit: unit.into(),
            source: source.into(),
        };
        Targets {
            registration_rate: t(
                0.15,
                "比例 (fraction of resident population)",
                SOURCE_WEINAN,
            ),
            per_capita_hours: t(
                25.0,
                "小时/人·年 (hours per registered volunteer per year)",
                SOURCE_WEINAN,
            ),
            organizations_min: t(1.0, "个/社区 (organizations per community)", SOURCE_WEINAN),
            organizations_aim: t(2.0, "个/社区 (organizations per community)", SOURCE_WEINAN),
            station_coverage: t(
                1.0,
                "比例 (share of communities with a station)",
                SOURCE_WEINAN,
            ),
        }
    }
}

const SOURCE_WEINAN: &str = "渭南市社区志愿服务内容和工作流程（社区志愿服务站全覆盖；每个社区1至2支志愿服务组织；注册志愿者占常住人口15%以上；注册志愿者年人均服务时间25小时以上）";

impl Default for Stars {
    fn default() -> Self {
        Stars {
            thresholds: vec![100.0, 300.0, 600.0, 1000.0, 1500.0],
            source: "中山市社区志愿服务行动方案；云南省社区志愿服务实施方案（星级志愿者100/300/600/1000/1500小时）".into(),
        }
    }
}

impl Default for Categories {
    fn default() -> Self {
        Categories {
            standard: [
                "家政服务",
                "文体活动",
                "心理疏导",
                "医疗保健",
                "法律服务",
                "教育培训",
                "文明劝导",
                "环境保护",
            ]
            .map(String::from)
            .to_vec(),
            aliases: BTreeMap::new(),
        }
    }
}

impl Default for TargetGroups {
    fn default() -> Self {
        TargetGroups {
            key: ["空巢老人", "留守儿童", "残疾人", "困难职工", "农民工"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Builds the error for one invalid key: (key, value as written, what is allowed).
type Invalid<'a> = dyn Fn(&str, String, &str) -> ConfigError + 'a;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses and validates config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &str) -> Result<(), ConfigError> {
        let invalid = |key: &str, value: String, allowed: &str| ConfigError::Invalid {
            path: path.to_string(),
            key: key.to_string(),
            value,
            allowed: allowed.to_string(),
        };
        self.validate_targets(&invalid)?;
        self.validate_categories_and_score(&invalid)?;
        self.validate_quality_and_aliases(&invalid)?;
        self.validate_screening(&invalid)?;
        self.validate_status_and_headers(&invalid)
    }

    /// Screening thresholds are positive; an inspection date is a date.
    fn validate_screening(&self, invalid: &Invalid<'_>) -> Result<(), ConfigError> {
        let s = &self.screening;
        for (key, v) in [
            ("screening.long_day_hours", s.long_day_hours),
            ("screening.streak_daily_hours", s.streak_daily_hours),
            ("screening.batch_hours", s.batch_hours),
            ("screening.spike_ratio", s.spike_ratio),
            ("screening.spike_min_hours", s.spike_min_hours),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(invalid(
                    key,
                    v.to_string(),
                    "须为大于 0 的数 (must be a number above 0)",
                ));
            }
        }
        for (key, v, least) in [
            ("screening.streak_days", s.streak_days, 2),
            ("screening.batch_records", s.batch_records, 2),
            ("screening.round_repeat_records", s.round_repeat_records, 2),
            ("screening.month_end_days", s.month_end_days, 1),
            ("screening.inspection_days", s.inspection_days, 1),
        ] {
            if v < least {
                return Err(invalid(
                    key,
                    v.to_string(),
                    &format!(
                        "须为不小于 {least} 的整数 (must be a whole number of at least {least})"
                    ),
                ));
            }
        }
        if s.month_end_days > 27 {
            return Err(invalid(
                "screening.month_end_days",
                s.month_end_days.to_string(),
                "最多 27 天 (must be at most 27: days at the end of a month)",
            ));
        }
        if let Some(d) = s
            .inspection_date
            .as_deref()
            .filter(|d| !d.trim().is_empty())
        {
            if s.inspection().is_none() {
                return Err(invalid(
                    "screening.inspection_date",
                    format!("\"{d}\""),
                    "须为日期，写成 2025-11-15 的样子，或不填 (must be a date written YYYY-MM-DD, e.g. \"2025-11-15\", or empty)",
                ));
            }
        }
        Ok(())
    }

    /// Status lists are non-empty words, a word is not both effective and not; every
    /// `[headers.<kind>]` names a kind and each of its values a field of that kind.
    fn validate_status_and_headers(&self, invalid: &Invalid<'_>) -> Result<(), ConfigError> {
        if self.status.effective.iter().all(|w| w.trim().is_empty()) {
            return Err(invalid(
                "status.effective",
                format!("{:?}", self.status.effective),
                "至少要有一个计入时长的状态词，如“已生效” (must list at least one status word that counts, e.g. [\"已生效\"])",
            ));
        }
        for word in &self.status.effective {
            if self
                .status
                .not_effective
                .iter()
                .any(|w| w.trim() == word.trim())
            {
                return Err(invalid(
                    "status.not_effective",
                    format!("\"{word}\""),
                    "同时在“计入”中：一个状态词要么计入，要么不计入 (is also in status.effective; a word either counts or does not)",
                ));
            }
        }
        for (kind_name, mapping) in &self.headers {
            let kind = crate::kind::SourceKind::ALL
                .into_iter()
                .find(|k| k.name() == kind_name.as_str())
                .ok_or_else(|| {
                    invalid(
                        &format!("headers.{kind_name}"),
                        "{…}".into(),
                        &format!(
                            "is not a kind; use one of: {}",
                            crate::kind::SourceKind::ALL.map(|k| k.name()).join(", ")
                        ),
                    )
                })?;
            for (header, field) in mapping {
                if crate::kind::Field::of_kind(kind, field).is_none() {
                    return Err(invalid(
                        &format!("headers.{kind_name}.\"{header}\""),
                        format!("\"{field}\""),
                        &format!(
                            "is not a field of {kind_name}; use one of: {}",
                            kind.fields()
                                .iter()
                                .map(|(f, _)| f.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The office's own header mappings for `kind`: (header, field).
    pub fn header_mappings(
        &self,
        kind: crate::kind::SourceKind,
    ) -> Vec<(String, crate::kind::Field)> {
        self.headers
            .get(kind.name())
            .map(|m| {
                m.iter()
                    .filter_map(|(h, f)| {
                        crate::kind::Field::of_kind(kind, f).map(|f| (h.clone(), f))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Targets are positive (rates are fractions); star thresholds increase.
    fn validate_targets(&self, invalid: &Invalid<'_>) -> Result<(), ConfigError> {
        let t = &self.targets;
        let fraction = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(invalid(
                    key,
                    v.to_string(),
                    "须大于 0、不超过 100%，如 15% 或 0.15 (must be a fraction above 0 and at most 1, e.g. 0.15 for 15%)",
                ))
            }
        };
        fraction("targets.registration_rate.value", t.registration_rate.value)?;
        fraction("targets.station_coverage.value", t.station_coverage.value)?;
        for (key, v) in [
            ("targets.per_capita_hours.value", t.per_capita_hours.value),
            ("targets.organizations_min.value", t.organizations_min.value),
            ("targets.organizations_aim.value", t.organizations_aim.value),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(invalid(
                    key,
                    v.to_string(),
                    "须为正数 (must be a positive number)",
                ));
            }
        }
        if t.organizations_aim.value < t.organizations_min.value {
            return Err(invalid(
                "targets.organizations_aim.value",
                t.organizations_aim.value.to_string(),
                "不能低于组织数下限 (must not be below targets.organizations_min.value)",
            ));
        }
        let th = &self.stars.thresholds;
        if th.len() != 5
            || th.iter().any(|v| !v.is_finite() || *v <= 0.0)
            || th.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(invalid(
                "stars.thresholds",
                format!("{th:?}"),
                "须为 5 个递增的正数（小时），如 100、300、600、1000、1500 (must be 5 increasing positive hour values, e.g. [100, 300, 600, 1000, 1500])",
            ));
        }
        Ok(())
    }

    /// Category aliases name a standard category; score weights name components.
    fn validate_categories_and_score(&self, invalid: &Invalid<'_>) -> Result<(), ConfigError> {
        if self.categories.standard.is_empty() {
            return Err(invalid(
                "categories.standard",
                "[]".into(),
                "must list at least one category",
            ));
        }
        for (alias, target) in &self.categories.aliases {
            if !self.categories.standard.contains(target) {
                return Err(invalid(
                    &format!("categories.aliases.\"{alias}\""),
                    format!("\"{target}\""),
                    &format!(
                        "must be one of categories.standard: {}",
                        self.categories.standard.join("、")
                    ),
                ));
            }
        }
        for (component, weight) in &self.score.weights {
            if !SCORE_COMPONENTS.contains(&component.as_str()) {
                return Err(invalid(
                    &format!("score.weights.{component}"),
                    weight.to_string(),
                    &format!(
                        "is not a score component; use one of: {}",
                        SCORE_COMPONENTS.join(", ")
                    ),
                ));
            }
            if !(weight.is_finite() && *weight >= 0.0) {
                return Err(invalid(
                    &format!("score.weights.{component}"),
                    weight.to_string(),
                    "须为不小于 0 的数 (must be a number ≥ 0)",
                ));
            }
        }
        if self.score.weights.values().sum::<f64>() <= 0.0 {
            return Err(invalid(
                "score.weights",
                "{}".into(),
                "至少要有一项权重大于 0 (needs at least one weight above 0)",
            ));
        }
        Ok(())
    }

    /// Quality thresholds name checks and are shares; community aliases are paths.
    fn validate_quality_and_aliases(&self, invalid: &Invalid<'_>) -> Result<(), ConfigError> {
        let q = &self.quality;
        if !(q.reported_hours_tolerance.is_finite() && q.reported_hours_tolerance >= 0.0) {
            return Err(invalid(
                "quality.reported_hours_tolerance",
                q.reported_hours_tolerance.to_string(),
                "must be a number of hours ≥ 0",
            ));
        }
        for (check, t) in &q.thresholds {
            let key = format!("quality.thresholds.{check}");
            if !QUALITY_CHECKS.iter().any(|(id, _)| id == check) {
                return Err(invalid(
                    &key,
                    format!("{{ warn = {}, fail = {} }}", t.warn, t.fail),
                    &format!(
                        "is not a check; use one of: {}",
                        QUALITY_CHECKS.map(|(id, _)| id).join(", ")
                    ),
                ));
            }
            let share = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
            if !(share(t.warn) && share(t.fail) && t.warn <= t.fail) {
                return Err(invalid(
                    &key,
                    format!("{{ warn = {}, fail = {} }}", t.warn, t.fail),
                    "warn and fail must be shares between 0 and 1, with warn ≤ fail (e.g. { warn = 0, fail = 0.01 })",
                ));
            }
        }
        for (alias, target) in &self.communities.aliases {
            if target.trim().is_empty() || target.split('/').count() > 3 {
                return Err(invalid(
                    &format!("communities.aliases.\"{alias}\""),
                    format!("\"{target}\""),
                    "须为社区名称，或写成 区县/街道/社区、区县/社区 (must be a community name, or a path 区县/街道/社区 or 区县/社区)",
                ));
            }
        }
        Ok(())
    }

    /// The standard category a ledger's category text stands for, if any.
    pub fn standard_category(&self, raw: &str) -> Option<String> {
        let c = crate::text::compact(raw);
        if self.categories.standard.contains(&c) {
            return Some(c);
        }
        self.categories
            .aliases
            .iter()
            .find(|(alias, _)| crate::text::compact(alias) == c)
            .map(|(_, target)| target.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_equals_built_in_defaults() {
        let parsed = Config::parse(DEFAULT_CONFIG, "vbrief.toml").unwrap();
        assert_eq!(parsed.targets.registration_rate.value, 0.15);
        assert_eq!(
            parsed.stars.thresholds,
            vec![100.0, 300.0, 600.0, 1000.0, 1500.0]
        );
        assert_eq!(parsed.categories.standard.len(), 8);
        let empty = Config::parse("", "vbrief.toml").unwrap();
        assert_eq!(empty.targets, parsed.targets);
        assert_eq!(empty.stars.thresholds, parsed.stars.thresholds);
        assert_eq!(empty.categories.standard, parsed.categories.standard);
        assert_eq!(empty.city.office, parsed.city.office);
        assert_eq!(empty.quality.reported_hours_tolerance, 1.0);
        assert_eq!(empty.status, parsed.status);
        for (id, default) in QUALITY_CHECKS {
            assert_eq!(parsed.quality.threshold(id), default, "{id}");
        }
    }

    #[test]
    fn header_mappings_name_a_kind_and_one_of_its_fields() {
        let c = Config::parse(
            "[headers.service_records]\n\"服务开始\" = \"start_time\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(
            c.header_mappings(crate::kind::SourceKind::ServiceRecords),
            vec![("服务开始".to_string(), crate::kind::Field::StartTime)]
        );
        let e = Config::parse("[headers.recordz]\n\"a\" = \"hours\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("headers.recordz") && e.contains("service_records"),
            "{e}"
        );
        let e = Config::parse("[headers.stations]\n\"时长\" = \"hours\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("headers.stations.\"时长\"") && e.contains("station_name"),
            "{e}"
        );
        let e = Config::parse(
            "[status]\neffective = [\"已生效\"]\nnot_effective = [\"已生效\"]\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("status.not_effective"), "{e}");
    }

    #[test]
    fn quality_thresholds() {
        let c = Config::parse(
            "[quality.thresholds]\nid_number = { warn = 0.01, fail = 0.1 }\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.quality.threshold("id_number").fail, 0.1);
        assert_eq!(c.quality.threshold("population").fail, 0.0);
        let e = Config::parse(
            "[quality.thresholds]\nid_numbers = { warn = 0, fail = 0.1 }\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("quality.thresholds.id_numbers") && e.contains("id_number"),
            "{e}"
        );
        let e = Config::parse(
            "[quality.thresholds]\nid_number = { warn = 0.5, fail = 0.1 }\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("warn ≤ fail"), "{e}");
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::parse(
            "[targets.registration_rate]\nvalue = 15\nunit = \"%\"\nsource = \"x\"\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("targets.registration_rate.value") && e.contains("fraction"),
            "{e}"
        );
        let e = Config::parse(
            "[stars]\nthresholds = [300, 100, 600, 1000, 1500]\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("stars.thresholds"), "{e}");
        let e = Config::parse("[city]\nnmae = \"x\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("nmae") && e.contains("name"), "{e}");
        let e = Config::parse("[categories.aliases]\n\"文艺\" = \"唱歌\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("categories.aliases") && e.contains("文体活动"),
            "{e}"
        );
    }

    #[test]
    fn category_aliases() {
        let c = Config::parse(
            "[categories.aliases]\n\"文艺演出\" = \"文体活动\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.standard_category("文艺演出").as_deref(), Some("文体活动"));
        assert_eq!(
            c.standard_category(" 法律服务 ").as_deref(),
            Some("法律服务")
        );
        assert_eq!(c.standard_category("其他"), None);
    }
}
