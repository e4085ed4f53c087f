//! The shapes exports come in. `Classic` is the first list of docs/CONTRACT.md §2.1 (separate district,
//! street and community columns, a service date and hours). `V2` is the national system's 2.0
//! team-admin lists (docs/CONTRACT.md §2.2 "The national system's 2.0 lists"): 证件类型, coded gender,
//! 认证状态/账户状态, one region column holding the whole path, 开始时间/结束时间 and
//! 时长状态. The same facts are written either way, so the ground truth is the same and a
//! 2.0-shaped data set must give the same figures.

use chrono::{Duration, NaiveDate};

use crate::write::Value;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Shape {
    #[default]
    Classic,
    V2,
}

/// Separators the 2.0 region paths are written with, one per row in turn (none, `>`, `/`,
/// spaces, `-`, full-width `－`).
const SEPARATORS: [&str; 6] = ["", ">", "/", " ", "-", "－"];

/// The volunteers header of the 2.0 list.
pub const V2_VOLUNTEERS: [&str; 10] = [
    "志愿者编号",
    "志愿者姓名",
    "证件类型",
    "证件号码",
    "手机/电话",
    "性别",
    "注册日期",
    "认证状态",
    "账户状态",
    "服务区域",
];

/// A region path: with province and city on every other row, each row its own separator.
pub fn region_path(i: usize, district: &Value, street: &Value, community: &Value) -> Value {
    let text = |v: &Value| match v {
        Value::Text(t) => t.clone(),
        _ => String::new(),
    };
    let mut parts = Vec::new();
    if i.is_multiple_of(2) {
        parts.extend(["示例省".to_string(), "示例市".to_string()]);
    }
    parts.extend([text(district), text(street), text(community)]);
    parts.retain(|p| !p.is_empty());
    Value::text(parts.join(SEPARATORS[i % SEPARATORS.len()]))
}

/// The document the `i`th person registers with instead of the ID card, for one person in a
/// hundred (none of whom has a planted ID defect or a duplicate registration): a passport, a
/// Hong Kong/Macao permit, a Taiwan permit (8 digits) or a foreigner's permanent residence card
/// (18 characters starting with 9, whose last is not a GB 11643 check character: shaped like an
/// ID number, and not one).
pub fn other_document(i: usize) -> Option<(&'static str, String)> {
    if i % 100 != 41 {
        return None;
    }
    Some(match (i / 100) % 4 {
        0 => ("护照", format!("E{:08}", i % 100_000_000)),
        1 => ("港澳居民来往内地通行证", format!("H{:010}", i)),
        2 => ("台湾居民来往大陆通行证", format!("{:08}", i % 100_000_000)),
        _ => {
            let body = format!("93{:015}", i);
            let check = crate::check_char(&body);
            let wrong = if check == '0' { '1' } else { '0' };
            ("外国人永久居留身份证", format!("{body}{wrong}"))
        }
    })
}

/// A classic registration row (志愿者编号, 姓名, 证件号码, 手机号码, 性别, 注册时间, 区县, 街道,
/// 社区, 状态) in the 2.0 list's columns, with the person's other document when they have one.
pub fn v2_volunteer(
    i: usize,
    row: Vec<Value>,
    registered: NaiveDate,
    document: Option<&(&'static str, String)>,
) -> Vec<Value> {
    let mut cells = row.into_iter();
    let mut next = || cells.next().unwrap_or(Value::Empty);
    let (no, name, id, phone, gender) = (next(), next(), next(), next(), next());
    let (_registered, district, street, community, status) =
        (next(), next(), next(), next(), next());
    let gender = match &gender {
        Value::Text(g) if g == "男" => Value::text("1"),
        Value::Text(g) if g == "女" => Value::text("2"),
        other => other.clone(),
    };
    let account = match &status {
        Value::Text(s) if s == "注销" => "停用",
        _ => "启用",
    };
    let (id_type, id) = match document {
        Some((kind, number)) => (*kind, Value::text(number.clone())),
        None => ("居民身份证", id),
    };
    vec![
        no,
        name,
        Value::text(id_type),
        id,
        phone,
        gender,
        Value::text(format!("{registered} 10:{:02}:00", i % 60)),
        Value::text("认证通过"),
        Value::text(account),
        region_path(i, &district, &street, &community),
    ]
}

/// The hour-list headers of the 2.0 lists: the older export names people by 志愿者编号 and
/// has no hours column (hours are 结束时间 − 开始时间); the newer one (时长查询) by 证件号码
/// alone — no 证件类型, as the national system exports it — with 服务时长（小时）.
pub const V2_RECORDS_BY_NUMBER: [&str; 9] = [
    "时长编号",
    "志愿者编号",
    "志愿者姓名",
    "所属项目",
    "开始时间",
    "结束时间",
    "时长状态",
    "所属队伍",
    "录入日期",
];
pub const V2_RECORDS_BY_ID: [&str; 10] = [
    "时长编号",
    "证件号码",
    "志愿者姓名",
    "所属项目",
    "开始时间",
    "结束时间",
    "服务时长（小时）",
    "时长状态",
    "所属队伍",
    "录入日期",
];

/// A record's 开始时间 and 结束时间 from its date cell (as the classic export wrote it, odd
/// forms and planted bad dates included) and its hours cell, starting at 9 o'clock unless a
/// start is given; the entry date three days later unless one is given.
fn times(r: &V2Record<'_>) -> [Value; 3] {
    let day = match r.date_cell {
        Value::Date(d) => d.to_string(),
        Value::Text(t) => t.clone(),
        Value::Number(n) => format!("{n:.0}"),
        Value::Empty => String::new(),
    };
    let length = match r.hours_cell {
        Value::Number(h) => *h,
        _ => r.hours,
    };
    let begin = r
        .start
        .unwrap_or_else(|| r.date.and_hms_opt(9, 0, 0).expect("9 o'clock"));
    let start = format!("{day} {}", begin.format("%H:%M:%S"));
    let end = begin + Duration::seconds((length * 3600.0).round() as i64);
    let end = end.format("%Y-%m-%d %H:%M:%S").to_string();
    let entered = r
        .entered
        .unwrap_or(r.date + Duration::days(3))
        .format("%Y-%m-%d 18:00:00")
        .to_string();
    [Value::text(start), Value::text(end), Value::text(entered)]
}

/// 时长状态 of the 2.0 lists for a classic status word.
fn v2_status(status: &str) -> &'static str {
    match status {
        "已生效" => "已生效",
        "未生效" => "申请中",
        _ => "待审核",
    }
}

/// A record in the older 2.0 hour list (by 志愿者编号, no hours column).
pub struct V2Record<'a> {
    pub record_no: u64,
    pub person: Value,
    pub name: &'a str,
    pub project: &'a str,
    pub date: NaiveDate,
    pub date_cell: &'a Value,
    pub hours_cell: &'a Value,
    pub hours: f64,
    pub status: &'a str,
    pub org: &'a str,
    /// When it started (default: 9 o'clock on its date).
    pub start: Option<chrono::NaiveDateTime>,
    /// When it was entered (default: three days after its date).
    pub entered: Option<NaiveDate>,
}

impl V2Record<'_> {
    pub fn by_number(&self) -> Vec<Value> {
        let [start, end, entered] = times(self);
        vec![
            Value::Number(self.record_no as f64),
            self.person.clone(),
            Value::text(self.name),
            Value::text(self.project),
            start,
            end,
            Value::text(v2_status(self.status)),
            Value::text(self.org),
            entered,
        ]
    }

    pub fn by_id(&self) -> Vec<Value> {
        let [start, end, entered] = times(self);
        vec![
            Value::Number(self.record_no as f64),
            self.person.clone(),
            Value::text(self.name),
            Value::text(self.project),
            start,
            end,
            self.hours_cell.clone(),
            Value::text(v2_status(self.status)),
            Value::text(self.org),
            entered,
        ]
    }
}

/// The teams header of the 2.0 list.
pub const V2_TEAMS: [&str; 7] = [
    "队伍名称",
    "队伍类型",
    "服务区域",
    "注册时间",
    "队伍人数",
    "联系人",
    "状态",
];
