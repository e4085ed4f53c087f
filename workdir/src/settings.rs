//! Changing `vbrief.toml` without a text editor (the web app's set-up and settings pages): each
//! change is applied to the file as it is, keeping its comments and key order (`toml_edit`),
//! validated with the same rules as every command (`domain::Config::parse`), and written only
//! when valid — atomically, with the previous file kept as a dated backup and every change
//! recorded in a log (when, what, old → new; settings hold no personal data).
//!
//! A save names the version of the file it was made from; when the file changed since (a CLI
//! user edited it), nothing is written and the caller is told so.

use std::path::{Path, PathBuf};

use domain::config::ConfigError;
use domain::{Config, SourceKind};
use serde::{Deserialize, Serialize};
use toml_edit::{DocumentMut, Item, Table, Value};

use crate::CONFIG_FILE;

/// Where backups and the change log are kept, inside the working folder.
pub const BACKUP_DIR: &str = ".vbrief-backups";
/// The change log (one JSON object per line), in [`BACKUP_DIR`].
pub const CHANGE_LOG: &str = "changes.jsonl";

/// vbrief.toml as read: its text (the defaults when the folder has none) and its version.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    pub text: String,
    /// A hash of the file's bytes (`none` when there is no file): what a save must match.
    pub version: String,
    pub exists: bool,
}

/// Reads the folder's vbrief.toml.
pub fn read(dir: &Path) -> SettingsFile {
    match std::fs::read(dir.join(CONFIG_FILE)) {
        Ok(bytes) => SettingsFile {
            version: blake3::hash(&bytes).to_hex()[..16].to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
            exists: true,
        },
        Err(_) => SettingsFile {
            text: domain::config::DEFAULT_CONFIG.to_string(),
            version: "none".into(),
            exists: false,
        },
    }
}

/// Which status list a word goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusList {
    /// `status.effective`: records with this word count.
    Effective,
    /// `status.not_effective`: records with this word do not count.
    NotEffective,
}

impl StatusList {
    fn key(self) -> &'static str {
        match self {
            StatusList::Effective => "effective",
            StatusList::NotEffective => "not_effective",
        }
    }
}

/// One change to the settings.
#[derive(Debug, Clone)]
pub enum Change {
    /// 城市名称 and 发文单位.
    /// The city's name and office; `province` (None: left as it is; may be empty) is what a
    /// Parquet export names as the province.
    City {
        name: String,
        office: String,
        province: Option<String>,
    },
    /// A target's value and where it comes from (`key`: registration_rate, per_capita_hours,
    /// organizations_min, organizations_aim, station_coverage).
    Target {
        key: String,
        value: f64,
        source: String,
    },
    /// The five star thresholds, in hours.
    StarThresholds(Vec<f64>),
    /// 台账中的写法 → 社区 (`None` removes the alias).
    Alias {
        written: String,
        community: Option<String>,
    },
    /// A status word moved into one list (and out of the other).
    StatusWord { word: String, list: StatusList },
    /// An office's header for a field of a kind (`None` removes the mapping).
    Header {
        kind: SourceKind,
        header: String,
        field: Option<String>,
    },
    /// A number of the screening's criteria or of the score's weights (`key` as in
    /// [`NUMBER_KEYS`]; `None` removes it: the default applies, a weight counts 0).
    Number { key: String, value: Option<f64> },
    /// The inspection date the screening looks before (`YYYY-MM-DD`; `None` removes it).
    InspectionDate(Option<String>),
}

/// The numbers [`Change::Number`] sets: the screening's criteria and the score's weights,
/// as vbrief.toml names them.
pub fn number_keys() -> Vec<String> {
    SCREENING_NUMBERS
        .iter()
        .map(|k| format!("screening.{k}"))
        .chain(
            domain::config::SCORE_COMPONENTS
                .iter()
                .map(|c| format!("score.weights.{c}")),
        )
        .collect()
}

/// The numbers of `[screening]` that are counts (of days or records).
const WHOLE_NUMBERS: [&str; 6] = [
    "streak_days",
    "batch_records",
    "late_entry_days",
    "month_end_days",
    "inspection_days",
    "round_repeat_records",
];

/// The numbers of `[screening]`.
pub const SCREENING_NUMBERS: [&str; 11] = [
    "long_day_hours",
    "streak_daily_hours",
    "streak_days",
    "batch_records",
    "batch_hours",
    "late_entry_days",
    "month_end_days",
    "inspection_days",
    "spike_ratio",
    "spike_min_hours",
    "round_repeat_records",
];

/// One line of the change log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEntry {
    /// Local time, `2026-12-06 14:03:22`.
    pub when: String,
    /// The setting, as `vbrief.toml` names it (`targets.per_capita_hours.value`).
    pub what: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("vbrief.toml 在打开本页之后已被修改（例如在命令行中），这次的修改没有保存。请刷新页面，看到最新的设置后再改。(vbrief.toml changed since this page was opened: nothing was saved)")]
    Conflict,
    /// A value the rules refuse: `key` is the setting (as in vbrief.toml), for showing the
    /// message beside its field.
    #[error("{message}")]
    Invalid { key: String, message: String },
    #[error("无法写入 {path} (cannot write): {detail}")]
    Write { path: String, detail: String },
}

impl SettingsError {
    fn invalid(key: &str, message: impl Into<String>) -> SettingsError {
        SettingsError::Invalid {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// Applies `changes` to the folder's vbrief.toml, if it is still at `version`. Returns what
/// changed (also appended to the change log); nothing when every change leaves a value as it
/// was. On any error nothing is written.
pub fn apply(
    dir: &Path,
    version: &str,
    changes: &[Change],
) -> Result<Vec<LogEntry>, SettingsError> {
    let file = read(dir);
    if file.version != version {
        return Err(SettingsError::Conflict);
    }
    let mut doc: DocumentMut = file.text.parse().map_err(|e: toml_edit::TomlError| {
        SettingsError::invalid("", format!("vbrief.toml 无法解析 (cannot parse): {e}"))
    })?;
    let when = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let mut log = Vec::new();
    for change in changes {
        for (what, old, new) in edit(&mut doc, change)? {
            if old != new {
                log.push(LogEntry {
                    when: when.clone(),
                    what,
                    old,
                    new,
                });
            }
        }
    }
    if log.is_empty() {
        return Ok(log);
    }
    let text = doc.to_string();
    Config::parse(&text, CONFIG_FILE).map_err(|e| match &e {
        ConfigError::Invalid { key, .. } => SettingsError::Invalid {
            key: key.clone(),
            message: e.to_string(),
        },
        other => SettingsError::invalid("", other.to_string()),
    })?;
    write(dir, &file, &text, &log)?;
    Ok(log)
}

/// The last `n` changes, newest first.
pub fn change_log(dir: &Path, n: usize) -> Vec<LogEntry> {
    let text = std::fs::read_to_string(dir.join(BACKUP_DIR).join(CHANGE_LOG)).unwrap_or_default();
    let mut entries: Vec<LogEntry> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    entries.reverse();
    entries.truncate(n);
    entries
}

/// The backup of the file as it was, the new file through a temporary beside it, the log.
fn write(
    dir: &Path,
    file: &SettingsFile,
    text: &str,
    log: &[LogEntry],
) -> Result<(), SettingsError> {
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| SettingsError::Write {
            path: path.clone(),
            detail: e.to_string(),
        }
    };
    let backups = dir.join(BACKUP_DIR);
    std::fs::create_dir_all(&backups).map_err(failed(&backups))?;
    if file.exists {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S%.3f");
        let backup = backups.join(format!("{CONFIG_FILE}.{stamp}"));
        std::fs::write(&backup, &file.text).map_err(failed(&backup))?;
    }
    let path = dir.join(CONFIG_FILE);
    let tmp: PathBuf = dir.join(format!("{CONFIG_FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(failed(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(failed(&path))?;
    let log_path = backups.join(CHANGE_LOG);
    let mut lines = String::new();
    for entry in log {
        lines.push_str(&serde_json::to_string(entry).unwrap_or_default());
        lines.push('\n');
    }
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .and_then(|mut f| f.write_all(lines.as_bytes()))
        .map_err(failed(&log_path))
}

/// (what, old, new) of each value a change sets.
type Edits = Vec<(String, String, String)>;

fn edit(doc: &mut DocumentMut, change: &Change) -> Result<Edits, SettingsError> {
    let mut edits = Edits::new();
    match change {
        Change::City {
            name,
            office,
            province,
        } => {
            for (key, text) in [("name", name), ("office", office)] {
                let text = text.trim();
                if text.is_empty() {
                    return Err(SettingsError::invalid(
                        &format!("city.{key}"),
                        "不能为空 (must not be empty)",
                    ));
                }
                let old = set(table(doc, &["city"]), key, Value::from(text));
                edits.push((format!("city.{key}"), old, text.to_string()));
            }
            if let Some(province) = province {
                let text = province.trim();
                let old = set(table(doc, &["city"]), "province", Value::from(text));
                edits.push(("city.province".to_string(), old, text.to_string()));
            }
        }
        Change::Target { key, value, source } => {
            if !domain::config::TARGET_KEYS.contains(&key.as_str()) {
                return Err(SettingsError::invalid(
                    &format!("targets.{key}"),
                    "没有这个目标 (no such target)",
                ));
            }
            if !value.is_finite() {
                return Err(SettingsError::invalid(
                    &format!("targets.{key}.value"),
                    "请填写数字 (a number, please)",
                ));
            }
            let t = table(doc, &["targets", key]);
            let old = set(t, "value", number(*value));
            edits.push((format!("targets.{key}.value"), old, shown(*value)));
            let source = source.trim();
            if source.is_empty() {
                return Err(SettingsError::invalid(
                    &format!("targets.{key}.source"),
                    "请写明目标的出处（文件名称或依据）(say where the target comes from)",
                ));
            }
            let old = set(t, "source", Value::from(source));
            edits.push((format!("targets.{key}.source"), old, source.to_string()));
        }
        Change::StarThresholds(hours) => {
            if hours.len() != 5 || hours.iter().any(|h| !h.is_finite()) {
                return Err(SettingsError::invalid(
                    "stars.thresholds",
                    "请填写五个数字：一星至五星的累计小时数 (five numbers, please)",
                ));
            }
            let array: toml_edit::Array = hours.iter().map(|h| number(*h)).collect();
            let old = set(table(doc, &["stars"]), "thresholds", Value::Array(array));
            let new = hours
                .iter()
                .map(|h| shown(*h))
                .collect::<Vec<_>>()
                .join(", ");
            edits.push(("stars.thresholds".into(), old, format!("[{new}]")));
        }
        Change::Alias { written, community } => {
            let written = written.trim();
            if written.is_empty() {
                return Err(SettingsError::invalid(
                    "communities.aliases",
                    "请填写台账中的写法 (the name as the ledger writes it)",
                ));
            }
            let t = table(doc, &["communities", "aliases"]);
            let what = format!("communities.aliases.\"{written}\"");
            match community.as_deref().map(str::trim) {
                Some("") => {
                    return Err(SettingsError::invalid(
                        "communities.aliases",
                        "请填写它对应的社区 (the community it means)",
                    ))
                }
                Some(c) => {
                    let old = set(t, written, Value::from(c));
                    edits.push((what, old, c.to_string()));
                }
                None => {
                    let old = t
                        .remove(written)
                        .map(|i| value_text(&i))
                        .unwrap_or_default();
                    edits.push((what, old, String::new()));
                }
            }
        }
        Change::StatusWord { word, list } => {
            let word = word.trim();
            if word.is_empty() {
                return Err(SettingsError::invalid("status", "状态词为空 (empty word)"));
            }
            let status = table(doc, &["status"]);
            let mut was = String::new();
            for other in [StatusList::Effective, StatusList::NotEffective] {
                if let Some(array) = status.get_mut(other.key()).and_then(Item::as_array_mut) {
                    let before = array.len();
                    array.retain(|v| v.as_str().map(str::trim) != Some(word));
                    if array.len() < before {
                        was = format!("status.{}", other.key());
                    }
                }
            }
            let target = status
                .entry(list.key())
                .or_insert_with(|| Item::Value(Value::Array(Default::default())));
            if let Some(array) = target.as_array_mut() {
                array.push(word);
            }
            edits.push((
                format!("status: {word}"),
                was,
                format!("status.{}", list.key()),
            ));
        }
        Change::Header {
            kind,
            header,
            field,
        } => {
            let header = header.trim();
            let key = format!("headers.{}", kind.name());
            if header.is_empty() {
                return Err(SettingsError::invalid(&key, "列名为空 (empty header)"));
            }
            let t = table(doc, &["headers", kind.name()]);
            let what = format!("headers.{}.\"{header}\"", kind.name());
            match field {
                Some(f) => {
                    let old = set(t, header, Value::from(f.as_str()));
                    edits.push((what, old, f.clone()));
                }
                None => {
                    let old = t.remove(header).map(|i| value_text(&i)).unwrap_or_default();
                    edits.push((what, old, String::new()));
                }
            }
        }
        Change::Number { key, value } => {
            if !number_keys().contains(key) {
                return Err(SettingsError::invalid(
                    key,
                    "没有这个设置 (no such setting)",
                ));
            }
            let (path, name) = key.rsplit_once('.').expect("keys have a table");
            let path: Vec<&str> = path.split('.').collect();
            match value {
                Some(v) if !v.is_finite() => {
                    return Err(SettingsError::invalid(key, "请填写数字 (a number, please)"))
                }
                Some(v) if WHOLE_NUMBERS.contains(&name) && (v.fract() != 0.0 || *v < 0.0) => {
                    return Err(SettingsError::invalid(
                        key,
                        "请填写整数 (a whole number, please)",
                    ))
                }
                Some(v) => {
                    let old = set(table(doc, &path), name, number(*v));
                    edits.push((key.clone(), old, shown(*v)));
                }
                None => {
                    let old = table(doc, &path)
                        .remove(name)
                        .map(|i| value_text(&i))
                        .unwrap_or_default();
                    edits.push((key.clone(), old, String::new()));
                }
            }
        }
        Change::InspectionDate(date) => {
            let key = "screening.inspection_date";
            let t = table(doc, &["screening"]);
            match date.as_deref().map(str::trim) {
                Some(d) if !d.is_empty() => {
                    let old = set(t, "inspection_date", Value::from(d));
                    edits.push((key.into(), old, d.to_string()));
                }
                _ => {
                    let old = t
                        .remove("inspection_date")
                        .map(|i| value_text(&i))
                        .unwrap_or_default();
                    edits.push((key.into(), old, String::new()));
                }
            }
        }
    }
    Ok(edits)
}

/// The table at `path`, created (as an implicit parent where it is one) when missing.
fn table<'d>(doc: &'d mut DocumentMut, path: &[&str]) -> &'d mut Table {
    let mut t = doc.as_table_mut();
    for (i, key) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let item = t.entry(key).or_insert_with(|| {
            let mut new = Table::new();
            new.set_implicit(!last);
            Item::Table(new)
        });
        if !item.is_table() {
            // An inline table (`x = { … }`) becomes a table of its own, keeping its entries.
            let inline = item.as_inline_table().cloned().unwrap_or_default();
            *item = Item::Table(inline.into_table());
        }
        t = item.as_table_mut().expect("made a table above");
    }
    t
}

/// Sets `key` in `table`, keeping the comment that followed the old value; returns the old
/// value as text (empty when there was none).
fn set(table: &mut Table, key: &str, mut new: Value) -> String {
    let old = table.get(key).map(value_text).unwrap_or_default();
    if let Some(Item::Value(v)) = table.get(key) {
        let suffix = v.decor().suffix().cloned();
        let prefix = v.decor().prefix().cloned();
        if let Some(s) = suffix {
            new.decor_mut().set_suffix(s);
        }
        if let Some(p) = prefix {
            new.decor_mut().set_prefix(p);
        }
    }
    table.insert(key, Item::Value(new));
    old
}

fn value_text(item: &Item) -> String {
    match item.as_value() {
        Some(Value::String(s)) => s.value().clone(),
        Some(v) => v.clone().decorated("", "").to_string(),
        None => String::new(),
    }
}

/// A number as TOML writes it: whole numbers without a decimal point.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

fn shown(x: f64) -> String {
    value_text(&Item::Value(number(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), domain::config::DEFAULT_CONFIG).unwrap();
        dir
    }

    #[test]
    fn a_change_keeps_comments_and_order_and_is_logged() {
        let dir = folder();
        let v = read(dir.path()).version;
        let log = apply(
            dir.path(),
            &v,
            &[
                Change::City {
                    name: "青山市".into(),
                    office: "青山市文明办".into(),
                    province: Some("青山省".into()),
                },
                Change::Target {
                    key: "per_capita_hours".into(),
                    value: 30.0,
                    source: "青山市实施方案（2026）".into(),
                },
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        assert!(
            text.contains("name = \"青山市\"            # 城市名称"),
            "{text}"
        );
        assert!(text.contains("value = 30"), "{text}");
        // Key order: [city] still comes before [targets…].
        assert!(text.find("[city]").unwrap() < text.find("[targets.registration_rate]").unwrap());
        let config = Config::parse(&text, "t").unwrap();
        assert_eq!(config.targets.per_capita_hours.value, 30.0);
        assert_eq!(config.city.office, "青山市文明办");
        assert_eq!(config.city.province, "青山省");
        let whats: Vec<&str> = log.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "city.name",
                "city.office",
                "city.province",
                "targets.per_capita_hours.value",
                "targets.per_capita_hours.source"
            ]
        );
        assert_eq!((log[3].old.as_str(), log[3].new.as_str()), ("25", "30"));
        assert_eq!(change_log(dir.path(), 10).len(), 5);
        let backups = std::fs::read_dir(dir.path().join(BACKUP_DIR))
            .unwrap()
            .count();
        assert_eq!(backups, 2, "the backup and the log");
    }

    #[test]
    fn screening_criteria_and_weights_are_set_and_removed() {
        let dir = folder();
        let v = read(dir.path()).version;
        apply(
            dir.path(),
            &v,
            &[
                Change::Number {
                    key: "screening.streak_days".into(),
                    value: Some(7.0),
                },
                Change::Number {
                    key: "score.weights.category_coverage".into(),
                    value: Some(0.1),
                },
                Change::Number {
                    key: "score.weights.participation_rate".into(),
                    value: None,
                },
                Change::InspectionDate(Some("2025-11-15".into())),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        let config = Config::parse(&text, "t").unwrap();
        assert_eq!(config.screening.streak_days, 7);
        assert_eq!(config.score.weights.get("category_coverage"), Some(&0.1));
        assert!(!config.score.weights.contains_key("participation_rate"));
        assert_eq!(
            config.screening.inspection_date.as_deref(),
            Some("2025-11-15")
        );
        // A whole number of days written as a fraction is refused by the rules.
        let v = read(dir.path()).version;
        let e = apply(
            dir.path(),
            &v,
            &[Change::Number {
                key: "screening.streak_days".into(),
                value: Some(7.5),
            }],
        )
        .unwrap_err();
        match e {
            SettingsError::Invalid { key, .. } => assert_eq!(key, "screening.streak_days"),
            other => panic!("{other}"),
        }
        let e = apply(
            dir.path(),
            &v,
            &[Change::InspectionDate(Some("11月15日".into()))],
        )
        .unwrap_err();
        match e {
            SettingsError::Invalid { key, .. } => assert_eq!(key, "screening.inspection_date"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn an_invalid_value_writes_nothing() {
        let dir = folder();
        let before = std::fs::read(dir.path().join(CONFIG_FILE)).unwrap();
        let v = read(dir.path()).version;
        let e = apply(
            dir.path(),
            &v,
            &[Change::Target {
                key: "registration_rate".into(),
                value: 15.0,
                source: "x".into(),
            }],
        )
        .unwrap_err();
        match e {
            SettingsError::Invalid { key, .. } => {
                assert_eq!(key, "targets.registration_rate.value")
            }
            other => panic!("{other}"),
        }
        assert_eq!(std::fs::read(dir.path().join(CONFIG_FILE)).unwrap(), before);
        assert!(!dir.path().join(BACKUP_DIR).exists());
    }

    #[test]
    fn a_file_changed_since_is_not_overwritten() {
        let dir = folder();
        let v = read(dir.path()).version;
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            format!("{}\n# edited by hand\n", domain::config::DEFAULT_CONFIG),
        )
        .unwrap();
        let e = apply(
            dir.path(),
            &v,
            &[Change::StarThresholds(vec![
                50.0, 100.0, 200.0, 400.0, 800.0,
            ])],
        )
        .unwrap_err();
        assert!(matches!(e, SettingsError::Conflict));
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        assert!(text.contains("# edited by hand"));
    }

    #[test]
    fn aliases_status_words_and_headers() {
        let dir = folder();
        let v = read(dir.path()).version;
        apply(
            dir.path(),
            &v,
            &[
                Change::Alias {
                    written: "老站前".into(),
                    community: Some("站前社区".into()),
                },
                Change::StatusWord {
                    word: "已作废".into(),
                    list: StatusList::NotEffective,
                },
                Change::Header {
                    kind: SourceKind::Communities,
                    header: "居委会名称".into(),
                    field: Some("community".into()),
                },
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        let config = Config::parse(&text, "t").unwrap();
        assert_eq!(config.communities.aliases["老站前"], "站前社区");
        assert!(config.status.not_effective.contains(&"已作废".to_string()));
        assert_eq!(
            config.header_mappings(SourceKind::Communities),
            vec![("居委会名称".to_string(), domain::kind::Field::Community)]
        );
        assert!(!text.contains("[headers]\n"), "{text}");
        // A field the kind does not have is refused by the config's own rules.
        let v = read(dir.path()).version;
        let e = apply(
            dir.path(),
            &v,
            &[Change::Header {
                kind: SourceKind::Stations,
                header: "时长".into(),
                field: Some("hours".into()),
            }],
        )
        .unwrap_err();
        assert!(matches!(e, SettingsError::Invalid { .. }), "{e}");
    }
}
