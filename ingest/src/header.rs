//! Finding the header row, mapping header synonyms to canonical fields, and telling which kind
//! of export a sheet is.

use std::collections::HashMap;

use crate::kind::{Field, SourceKind};
use crate::parse::text::compact;

/// How many rows at the top of a sheet may be titles before the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Normalizes a header cell: half-width, no spaces, no `*` or `(必填)` marks.
pub fn normalize(raw: &str) -> String {
    let compacted = compact(raw);
    // Trimmed as a slice, copied once at the end if anything went (every data row's first
    // cell passes through here, to tell a header repeated mid-file).
    let mut s = compacted.as_str();
    loop {
        let before = s.len();
        s = s.trim_matches('*');
        for mark in ["(必填)", "(必填项)", "(选填)", "【必填】", "[必填]"] {
            if let Some(stripped) = s.strip_suffix(mark) {
                s = stripped;
            }
        }
        if s.len() == before {
            break;
        }
    }
    if s.len() == compacted.len() {
        compacted
    } else {
        s.to_string()
    }
}

/// Drops a trailing unit in brackets: `服务时长(小时)` → `服务时长`.
fn without_unit(s: &str) -> Option<&str> {
    let open = s.rfind('(')?;
    (s.ends_with(')') && open > 0).then(|| &s[..open])
}

/// Columns of one sheet mapped to fields of one kind.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub kind: SourceKind,
    pub columns: HashMap<Field, usize>,
    /// Normalized header texts, kept to recognize a header repeated mid-file.
    pub header: Vec<String>,
    /// `columns` by `Field as usize`: rows look fields up a dozen times each, and hashing
    /// showed in the load profile.
    by_field: Vec<Option<usize>>,
}

impl ColumnMap {
    pub fn get(&self, field: Field) -> Option<usize> {
        self.by_field.get(field as usize).copied().flatten()
    }

    pub fn has(&self, field: Field) -> bool {
        self.get(field).is_some()
    }
}

/// Maps the header cells to the fields of `kind`. The first column wins when two match.
pub fn map_columns(kind: SourceKind, header: &[String]) -> ColumnMap {
    let normalized: Vec<String> = header.iter().map(|h| normalize(h)).collect();
    let mut columns = HashMap::new();
    for (index, name) in normalized.iter().enumerate() {
        let bare = without_unit(name);
        let field = kind.fields().iter().find_map(|(field, synonyms)| {
            let matches =
                synonyms.contains(&name.as_str()) || bare.is_some_and(|b| synonyms.contains(&b));
            (matches && !columns.contains_key(field)).then_some(*field)
        });
        if let Some(field) = field {
            columns.insert(field, index);
        }
    }
    let mut by_field = Vec::new();
    for (&field, &index) in &columns {
        let at = field as usize;
        if by_field.len() <= at {
            by_field.resize(at + 1, None);
        }
        by_field[at] = Some(index);
    }
    ColumnMap {
        kind,
        columns,
        header: normalized,
        by_field,
    }
}

/// How many cells of the row are known headers of any kind: the header row scores highest.
pub fn header_score(row: &[String]) -> usize {
    SourceKind::ALL
        .iter()
        .map(|&kind| map_columns(kind, row).columns.len())
        .max()
        .unwrap_or(0)
}

/// Whether every required field group has at least one column.
pub fn missing_required(map: &ColumnMap) -> Vec<&'static [Field]> {
    map.kind
        .required()
        .iter()
        .filter(|group| !group.iter().any(|f| map.has(*f)))
        .copied()
        .collect()
}

/// Tells the kind of a sheet from its header, by the columns only that kind has.
pub fn detect_kind(header: &[String]) -> Option<SourceKind> {
    let map = |k| map_columns(k, header);
    let complete = |k| missing_required(&map(k)).is_empty();
    let communities = map(SourceKind::Communities);
    if communities.has(Field::Population) && complete(SourceKind::Communities) {
        return Some(SourceKind::Communities);
    }
    for (kind, signature) in [
        (SourceKind::Stations, Field::StationName),
        (SourceKind::Needs, Field::NeedContent),
        (SourceKind::Trainings, Field::TrainingName),
    ] {
        if map(kind).has(signature) && complete(kind) {
            return Some(kind);
        }
    }
    let records = map(SourceKind::ServiceRecords);
    let identifies_person = records.has(Field::IdNumber) || records.has(Field::VolunteerNo);
    if identifies_person {
        let volunteers = map(SourceKind::Volunteers);
        if volunteers.has(Field::RegisteredOn) && complete(SourceKind::Volunteers) {
            return Some(SourceKind::Volunteers);
        }
        if complete(SourceKind::ServiceRecords) {
            return Some(SourceKind::ServiceRecords);
        }
        return None;
    }
    let activities = map(SourceKind::Activities);
    if complete(SourceKind::Activities)
        && (activities.has(Field::Participants)
            || activities.has(Field::Category)
            || activities.has(Field::TargetGroup))
    {
        return Some(SourceKind::Activities);
    }
    let organizations = map(SourceKind::Organizations);
    if complete(SourceKind::Organizations)
        && (organizations.has(Field::FoundedOn)
            || organizations.has(Field::Members)
            || organizations.has(Field::Status))
    {
        return Some(SourceKind::Organizations);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalizes_marks() {
        assert_eq!(normalize(" *证件号码（必填） "), "证件号码");
        assert_eq!(normalize("身份证号*"), "身份证号");
        assert_eq!(normalize("社　区"), "社区");
    }

    #[test]
    fn detects_each_kind() {
        let cases = [
            (
                row(&["区县", "街道", "社区", "常住人口", "统计年份"]),
                SourceKind::Communities,
            ),
            (
                row(&[
                    "序号",
                    "志愿者编号",
                    "姓名",
                    "身份证号",
                    "手机号码",
                    "注册时间",
                    "所属社区",
                ]),
                SourceKind::Volunteers,
            ),
            (
                row(&[
                    "记录编号",
                    "证件号码",
                    "项目名称",
                    "服务日期",
                    "服务时长(小时)",
                    "状态",
                ]),
                SourceKind::ServiceRecords,
            ),
            (
                row(&["志愿者编号", "活动名称", "活动日期", "时长"]),
                SourceKind::ServiceRecords,
            ),
            (
                row(&["团体名称", "所属社区", "成立日期", "成员数", "状态"]),
                SourceKind::Organizations,
            ),
            (
                row(&[
                    "活动名称",
                    "活动日期",
                    "社区",
                    "服务类别",
                    "服务对象",
                    "参与人数",
                    "服务时长",
                ]),
                SourceKind::Activities,
            ),
            (row(&["社区", "站点名称", "建站日期"]), SourceKind::Stations),
            (
                row(&[
                    "社区",
                    "需求内容",
                    "服务对象",
                    "登记日期",
                    "状态",
                    "解决日期",
                ]),
                SourceKind::Needs,
            ),
            (
                row(&["培训名称", "培训日期", "社区", "参训人数"]),
                SourceKind::Trainings,
            ),
        ];
        for (header, kind) in cases {
            assert_eq!(detect_kind(&header), Some(kind), "{header:?}");
        }
        assert_eq!(detect_kind(&row(&["编号", "备注"])), None);
    }

    #[test]
    fn maps_units_and_first_match() {
        let map = map_columns(
            SourceKind::ServiceRecords,
            &row(&["服务时长(小时)", "时长", "日期"]),
        );
        assert_eq!(map.get(Field::Hours), Some(0));
        assert_eq!(map.get(Field::ServedOn), Some(2));
    }

    #[test]
    fn lookup_by_field_agrees_with_the_map() {
        let header = row(&[
            "记录编号",
            "志愿者编号",
            "证件号码",
            "服务日期",
            "服务时长",
            "状态",
        ]);
        for kind in SourceKind::ALL {
            let map = map_columns(kind, &header);
            for (field, _) in kind.fields() {
                assert_eq!(
                    map.get(*field),
                    map.columns.get(field).copied(),
                    "{field:?}"
                );
                assert_eq!(map.has(*field), map.columns.contains_key(field));
            }
        }
        let records = map_columns(SourceKind::ServiceRecords, &header);
        assert_eq!(records.get(Field::Status), Some(5));
        assert_eq!(records.get(Field::Community), None);
    }

    #[test]
    fn title_rows_score_low() {
        assert!(header_score(&row(&["示例市志愿者注册信息（示例数据）"])) < 2);
        assert!(header_score(&row(&["姓名", "身份证号", "注册时间"])) >= 2);
    }
}
