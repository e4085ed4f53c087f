//! 设置 and the first-run 设置向导: the settings an office changes — the city and the issuing
//! office, the targets with their sources, star thresholds, community aliases, status words,
//! header mappings, the screening's criteria and the score's weights — each form validated and saved by `workdir::settings` (the same rules
//! as every command; nothing written on error; a dated backup; the change log shown here).
//! After a save the worker recomputes the figures and checks.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use serde::Serialize;
use workdir::settings::{Change, SettingsError, StatusList};

use crate::auth::Session;
use crate::guard::csrf_refusal;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_page).post(settings_post))
        .route("/setup", get(setup_page).post(setup_post))
}

/// A form as sent (every field a string).
type Fields = HashMap<String, String>;

fn field<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields.get(name).map_or("", |v| v.trim())
}

/// A number as staff write it: `0.15`, `15%` (a fraction), `25`, `２５`. A percentage is
/// accepted only where the target is a fraction.
fn number(text: &str, fraction: bool) -> Option<f64> {
    let text = domain::text::to_half_width(text.trim());
    let (text, percent) = match text.strip_suffix('%') {
        Some(t) if fraction => (t.trim().to_string(), true),
        Some(_) => return None,
        None => (text, false),
    };
    let n: f64 = text.parse().ok().filter(|n: &f64| n.is_finite())?;
    Some(if percent { n / 100.0 } else { n })
}

/// The target keys that are fractions (shown and entered as percentages too).
fn is_fraction(key: &str) -> bool {
    matches!(key, "registration_rate" | "station_coverage")
}

/// One target as the forms show it.
#[derive(Serialize)]
struct TargetLine {
    key: &'static str,
    name: &'static str,
    value: String,
    unit: String,
    source: String,
    hint: &'static str,
}

fn target_name(key: &str) -> &'static str {
    match key {
        "registration_rate" => "注册率（注册志愿者占常住人口）",
        "per_capita_hours" => "注册志愿者年人均服务时长",
        "organizations_min" => "每个社区志愿服务组织数（下限）",
        "organizations_aim" => "每个社区志愿服务组织数（目标）",
        _ => "建有志愿服务站的社区比例",
    }
}

fn target_lines(config: &domain::Config, sent: Option<&Fields>) -> Vec<TargetLine> {
    let targets = serde_json::to_value(&config.targets).unwrap_or_default();
    domain::config::TARGET_KEYS
        .iter()
        .map(|key| {
            let t = &targets[*key];
            let value = t["value"].as_f64().unwrap_or(0.0);
            let shown = if is_fraction(key) {
                format!("{}%", (value * 10_000.0).round() / 100.0)
            } else {
                format!("{value}")
            };
            TargetLine {
                key,
                name: target_name(key),
                value: sent
                    .map(|f| field(f, &format!("value_{key}")).to_string())
                    .unwrap_or(shown),
                unit: t["unit"].as_str().unwrap_or("").to_string(),
                source: sent
                    .map(|f| field(f, &format!("source_{key}")).to_string())
                    .unwrap_or_else(|| t["source"].as_str().unwrap_or("").to_string()),
                hint: if is_fraction(key) {
                    "写成 15% 或 0.15"
                } else {
                    ""
                },
            }
        })
        .collect()
}

/// The screening's criteria as the settings page names them (keys of `[screening]`).
const SCREENING_LABELS: [(&str, &str); 11] = [
    ("long_day_hours", "一人一天有效时长超过（小时）"),
    ("streak_daily_hours", "连续多日：每天至少（小时）"),
    ("streak_days", "连续多日：至少连续（天）"),
    ("batch_records", "成批相同记录：至少（条）"),
    ("batch_hours", "成批相同记录：每条至少（小时）"),
    ("late_entry_days", "补录：录入晚于服务日期超过（天）"),
    ("month_end_days", "期限前突击：每月最后（天）"),
    ("inspection_days", "期限前突击：检查日前（天）"),
    ("spike_ratio", "期限前突击：时长占比达到平时的（倍）"),
    ("spike_min_hours", "期限前突击：该时段至少（小时）"),
    ("round_repeat_records", "时长全相同：一人期内至少（条）"),
];

/// The score's components as the settings page names them (keys of `[score.weights]`).
const WEIGHT_LABELS: [(&str, &str); 6] = [
    ("registration_rate", "注册率"),
    ("per_capita_hours", "人均服务时长"),
    ("participation_rate", "参与率"),
    ("category_coverage", "服务类别覆盖"),
    ("need_resolution_rate", "需求解决率"),
    ("organizations", "志愿服务组织"),
];

/// One number of a settings form: its field name, label and value as shown.
#[derive(Serialize)]
struct NumberLine {
    key: &'static str,
    label: &'static str,
    value: String,
}

/// The current value of a `[screening]` number or a weight (`None`: a weight not set).
fn current_number(config: &domain::Config, key: &str) -> Option<f64> {
    match key.strip_prefix("score.weights.") {
        Some(component) => config.score.weights.get(component).copied(),
        None => {
            let screening = serde_json::to_value(&config.screening).unwrap_or_default();
            screening[key.trim_start_matches("screening.")].as_f64()
        }
    }
}

fn number_lines(
    config: &domain::Config,
    table: &str,
    labels: &[(&'static str, &'static str)],
    sent: Option<&Fields>,
) -> Vec<NumberLine> {
    labels
        .iter()
        .map(|(key, label)| NumberLine {
            key,
            label,
            value: match sent {
                Some(f) => field(f, key).to_string(),
                None => current_number(config, &format!("{table}.{key}"))
                    .map(|v| format!("{v}"))
                    .unwrap_or_default(),
            },
        })
        .collect()
}

/// The changes a form of numbers asks for: each number that differs from the current one (an
/// empty field removes it: the default applies, a weight counts 0).
fn number_changes(
    config: &domain::Config,
    fields: &Fields,
    table: &str,
    labels: &[(&'static str, &'static str)],
    at: &str,
) -> Result<Vec<Change>, (String, String)> {
    let mut changes = Vec::new();
    for (key, label) in labels {
        // A field the form did not send is left as it is.
        let Some(text) = fields.get(*key).map(|t| t.trim()) else {
            continue;
        };
        let key = format!("{table}.{key}");
        let value = if text.is_empty() {
            None
        } else {
            Some(number(text, false).ok_or_else(|| {
                (
                    at.to_string(),
                    format!("“{label}”请填写数字 (a number, please)"),
                )
            })?)
        };
        let current = current_number(config, &key);
        let same = match (value, current) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-12,
            (None, None) => true,
            _ => false,
        };
        if !same {
            changes.push(Change::Number { key, value });
        }
    }
    Ok(changes)
}

/// The target changes a form asks for: a changed value needs a source of its own.
fn target_changes(
    config: &domain::Config,
    fields: &Fields,
) -> Result<Vec<Change>, (String, String)> {
    let targets = serde_json::to_value(&config.targets).unwrap_or_default();
    let mut changes = Vec::new();
    for key in domain::config::TARGET_KEYS {
        let (Some(text), Some(source)) = (
            fields.get(&format!("value_{key}")),
            fields.get(&format!("source_{key}")),
        ) else {
            continue;
        };
        let Some(value) = number(text, is_fraction(key)) else {
            return Err((
                format!("target_{key}"),
                "请填写数字 (a number, please)".into(),
            ));
        };
        let old = targets[key]["value"].as_f64().unwrap_or(f64::NAN);
        let old_source = targets[key]["source"].as_str().unwrap_or("");
        let source = source.trim();
        let value_changed = (value - old).abs() > 1e-12;
        if value_changed && (source.is_empty() || source == old_source) {
            return Err((
                format!("target_{key}"),
                "目标改了，请写明新目标的出处（文件名称、文号或会议决定）(a changed target needs its source)"
                    .into(),
            ));
        }
        if value_changed || source != old_source {
            changes.push(Change::Target {
                key: key.to_string(),
                value,
                source: source.to_string(),
            });
        }
    }
    Ok(changes)
}

/// Where an error of a setting is shown (the form field's name).
fn error_field(key: &str) -> String {
    if let Some(rest) = key.strip_prefix("targets.") {
        return format!("target_{}", rest.split('.').next().unwrap_or(""));
    }
    for (prefix, field) in [
        ("stars", "stars"),
        ("communities", "alias"),
        ("status", "status"),
        ("headers", "header"),
        ("screening", "screening"),
        ("score", "weights"),
        ("city.name", "city_name"),
        ("city.office", "city_office"),
        ("city.province", "city_province"),
        ("city", "city_name"),
    ] {
        if key.starts_with(prefix) {
            return field.to_string();
        }
    }
    "page".to_string()
}

/// Applies the changes off the async threads; the errors by form field.
async fn save(app: &AppState, version: &str, changes: Vec<Change>) -> Result<usize, (String, String)> {
    let dir = app.jobs.workdir().to_path_buf();
    let version = version.to_string();
    let result =
        tokio::task::spawn_blocking(move || workdir::settings::apply(&dir, &version, &changes))
            .await
            .unwrap_or_else(|e| {
                Err(SettingsError::Write {
                    path: workdir::CONFIG_FILE.into(),
                    detail: e.to_string(),
                })
            });
    match result {
        Ok(log) => {
            if !log.is_empty() {
                app.jobs.settings_saved();
                // Figures, checks and cached results follow the new settings.
                app.jobs.refresh();
            }
            Ok(log.len())
        }
        Err(SettingsError::Invalid { key, message }) => Err((error_field(&key), message)),
        Err(e) => Err(("page".into(), e.to_string())),
    }
}

/// A kind and its fields, for the header-mapping form.
#[derive(Serialize)]
struct KindFields {
    kind: &'static str,
    label: &'static str,
    fields: Vec<(&'static str, &'static str)>,
}

fn kinds() -> Vec<KindFields> {
    domain::SourceKind::ALL
        .into_iter()
        .map(|k| KindFields {
            kind: k.name(),
            label: k.label_zh(),
            fields: k
                .fields()
                .iter()
                .filter(|(f, _)| *f != domain::kind::Field::Phone)
                .map(|(f, _)| (f.name(), f.label_zh(k)))
                .collect(),
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct SavedQuery {
    saved: Option<usize>,
}

async fn settings_page(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<SavedQuery>,
) -> Response {
    render_settings(&app, &session, None, q.saved, None)
}

fn render_settings(
    app: &AppState,
    session: &Session,
    error: Option<(String, String)>,
    saved: Option<usize>,
    sent: Option<&Fields>,
) -> Response {
    let mut c = super::page(app, session, "settings");
    let dir = app.jobs.workdir();
    let file = workdir::settings::read(dir);
    let config = match workdir::Workspace::open(dir) {
        Ok(ws) => ws.config().clone(),
        Err(e) => {
            c.insert("load_error", &e.to_string());
            domain::Config::default()
        }
    };
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    if let Some((at, message)) = error {
        errors.insert(at, message);
    }
    let sent_targets = sent.filter(|f| field(f, "action") == "targets");
    c.insert("targets", &target_lines(&config, sent_targets));
    c.insert("config", &config);
    c.insert("version", &file.version);
    c.insert("toml", &file.text);
    c.insert("errors", &errors);
    c.insert("saved", &saved);
    c.insert("log", &workdir::settings::change_log(dir, 30));
    c.insert("kinds", &kinds());
    let headers: Vec<(String, String, String)> = config
        .headers
        .iter()
        .flat_map(|(kind, map)| {
            map.iter()
                .map(move |(header, f)| (kind.clone(), header.clone(), f.clone()))
        })
        .collect();
    c.insert("headers", &headers);
    let view = app.jobs.view();
    let unknown: Vec<_> = view
        .status_words
        .iter()
        .filter(|w| w.list == "unknown")
        .collect();
    c.insert("unknown_words", &unknown);
    c.insert("stars", &config.stars.thresholds);
    let sent_as = |action: &str| sent.filter(|f| field(f, "action") == action);
    c.insert(
        "screening",
        &number_lines(&config, "screening", &SCREENING_LABELS, sent_as("screening")),
    );
    c.insert(
        "inspection_date",
        &match sent_as("screening") {
            Some(f) => field(f, "inspection_date").to_string(),
            None => config.screening.inspection_date.clone().unwrap_or_default(),
        },
    );
    c.insert(
        "weights",
        &number_lines(&config, "score.weights", &WEIGHT_LABELS, sent_as("weights")),
    );
    c.insert(
        "sent",
        &sent.cloned().unwrap_or_default(),
    );
    if !c.contains_key("load_error") {
        c.insert("load_error", "");
    }
    let mut response = app.pages.render("settings.html", &c);
    if !errors.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// The changes one settings form asks for.
fn changes_of(config: &domain::Config, fields: &Fields) -> Result<Vec<Change>, (String, String)> {
    let action = field(fields, "action");
    let need = |name: &str, at: &str, what: &str| -> Result<String, (String, String)> {
        let v = field(fields, name);
        if v.is_empty() {
            Err((at.to_string(), format!("请填写{what}")))
        } else {
            Ok(v.to_string())
        }
    };
    Ok(match action {
        "city" => vec![Change::City {
            name: need("city_name", "city_name", "城市名称")?,
            office: need("city_office", "city_office", "发文单位")?,
            province: Some(field(fields, "city_province").to_string()),
        }],
        "targets" => target_changes(config, fields)?,
        "stars" => {
            let mut hours = Vec::new();
            for i in 1..=5 {
                let Some(h) = number(field(fields, &format!("star{i}")), false) else {
                    return Err((
                        "stars".into(),
                        format!("{i} 星的门槛请填写数字 (a number, please)"),
                    ));
                };
                hours.push(h);
            }
            vec![Change::StarThresholds(hours)]
        }
        "screening" => {
            let mut changes =
                number_changes(config, fields, "screening", &SCREENING_LABELS, "screening")?;
            let date = field(fields, "inspection_date");
            if fields.contains_key("inspection_date")
                && date != config.screening.inspection_date.as_deref().unwrap_or("") {
                changes.push(Change::InspectionDate(
                    (!date.is_empty()).then(|| date.to_string()),
                ));
            }
            changes
        }
        "weights" => number_changes(config, fields, "score.weights", &WEIGHT_LABELS, "weights")?,
        "alias_add" => vec![Change::Alias {
            written: need("written", "alias", "台账中的写法")?,
            community: Some(need("community", "alias", "对应的社区")?),
        }],
        "alias_remove" => vec![Change::Alias {
            written: need("written", "alias", "台账中的写法")?,
            community: None,
        }],
        "status" => vec![Change::StatusWord {
            word: need("word", "status", "状态词")?,
            list: match field(fields, "list") {
                "effective" => StatusList::Effective,
                _ => StatusList::NotEffective,
            },
        }],
        "header_add" | "header_remove" => {
            let kind = domain::SourceKind::from_name(field(fields, "kind"))
                .ok_or(("header".to_string(), "请选择文件类型".to_string()))?;
            vec![Change::Header {
                kind,
                header: need("header", "header", "列名")?,
                field: if action == "header_add" {
                    Some(need("field", "header", "它对应的字段")?)
                } else {
                    None
                },
            }]
        }
        _ => return Err(("page".into(), "未知的表单 (unknown form)".into())),
    })
}

async fn settings_post(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refusal) = csrf_refusal(&session, field(&fields, "csrf")) {
        return refusal;
    }
    let config = match workdir::Workspace::open(app.jobs.workdir()) {
        Ok(ws) => ws.config().clone(),
        Err(e) => return render_settings(&app, &session, Some(("page".into(), e.to_string())), None, Some(&fields)),
    };
    let changes = match changes_of(&config, &fields) {
        Ok(c) => c,
        Err(e) => return render_settings(&app, &session, Some(e), None, Some(&fields)),
    };
    match save(&app, field(&fields, "version"), changes).await {
        Ok(n) => Redirect::to(&format!("/settings?saved={n}")).into_response(),
        Err(e) => render_settings(&app, &session, Some(e), None, Some(&fields)),
    }
}

async fn setup_page(State(app): State<AppState>, Extension(session): Extension<Session>) -> Response {
    render_setup(&app, &session, None, None)
}

fn render_setup(
    app: &AppState,
    session: &Session,
    error: Option<(String, String)>,
    sent: Option<&Fields>,
) -> Response {
    let mut c = super::page(app, session, "overview");
    let dir = app.jobs.workdir();
    let config = workdir::Workspace::open(dir)
        .map(|ws| ws.config().clone())
        .unwrap_or_default();
    let default_city = domain::config::City::default();
    let value = |name: &str, current: &str, default: &str| -> String {
        match sent {
            Some(f) => field(f, name).to_string(),
            // A default is shown as a placeholder, not a value to keep.
            None if current == default => String::new(),
            None => current.to_string(),
        }
    };
    c.insert("city_name", &value("city_name", &config.city.name, &default_city.name));
    c.insert(
        "city_office",
        &value("city_office", &config.city.office, &default_city.office),
    );
    c.insert("targets", &target_lines(&config, sent));
    c.insert("version", &workdir::settings::read(dir).version);
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    if let Some((at, message)) = error {
        errors.insert(at, message);
    }
    c.insert("errors", &errors);
    let mut response = app.pages.render("setup.html", &c);
    if !errors.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

async fn setup_post(
    State(app): State<AppState>,
    Extension(session): Extension<Session>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refusal) = csrf_refusal(&session, field(&fields, "csrf")) {
        return refusal;
    }
    let config = workdir::Workspace::open(app.jobs.workdir())
        .map(|ws| ws.config().clone())
        .unwrap_or_default();
    let default_city = domain::config::City::default();
    let mut changes = Vec::new();
    for (name, what) in [("city_name", "城市名称"), ("city_office", "发文单位")] {
        let v = field(&fields, name);
        let default = if name == "city_name" {
            &default_city.name
        } else {
            &default_city.office
        };
        if v.is_empty() || v == default {
            return render_setup(
                &app,
                &session,
                Some((name.to_string(), format!("请填写本地的{what}（不是示例值）"))),
                Some(&fields),
            );
        }
    }
    changes.push(Change::City {
        name: field(&fields, "city_name").to_string(),
        office: field(&fields, "city_office").to_string(),
        province: None,
    });
    match target_changes(&config, &fields) {
        Ok(t) => changes.extend(t),
        Err(e) => return render_setup(&app, &session, Some(e), Some(&fields)),
    }
    match save(&app, field(&fields, "version"), changes).await {
        Ok(_) => Redirect::to("/?setup=done").into_response(),
        Err(e) => render_setup(&app, &session, Some(e), Some(&fields)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_staff_write_them() {
        assert_eq!(number("15%", true), Some(0.15));
        assert_eq!(number("0.15", true), Some(0.15));
        assert_eq!(number("２５", false), Some(25.0));
        assert_eq!(number(" 30 ", false), Some(30.0));
        assert_eq!(number("abc", false), None);
        assert_eq!(number("", false), None);
    }

    #[test]
    fn errors_are_shown_beside_their_field() {
        assert_eq!(error_field("targets.registration_rate.value"), "target_registration_rate");
        assert_eq!(error_field("stars.thresholds"), "stars");
        assert_eq!(error_field("communities.aliases.\"x\""), "alias");
        assert_eq!(error_field("headers.recordz"), "header");
        assert_eq!(error_field("city.office"), "city_office");
        assert_eq!(error_field(""), "page");
    }
}
