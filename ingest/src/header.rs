//! Finding the header row, mapping header synonyms to canonical fields, and telling which kind
//! of export a sheet is.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::config::Config;
use crate::kind::{Field, SourceKind};
use crate::parse::text::compact_cow;

/// How many rows at the top of a sheet may be titles before the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Normalizes a header cell: half-width, no spaces, no `*` or `(必填)` marks.
pub fn normalize(raw: &str) -> String {
    normalize_borrowed(raw).into_owned()
}

/// [`normalize`], borrowing `raw` when nothing in it changes: every data row's first cell
/// passes through here, to tell a header repeated mid-file, and is most often left as it is.
pub fn normalize_borrowed(raw: &str) -> Cow<'_, str> {
    let compacted = compact_cow(Cow::Borrowed(raw));
    let mut s: &str = &compacted;
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
        Cow::Owned(s.to_string())
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

    /// The non-empty headers no field was mapped to (vbrief does not read those columns).
    pub fn unused(&self) -> Vec<String> {
        self.header
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.columns.values().any(|c| c == i))
            .map(|(_, h)| h.clone())
            .collect()
    }
}

/// The vbrief.toml lines that would map the sheet's unused headers closest to each missing
/// required field (`"服务开始" = "start_time"`), for the error message: staff can paste them.
pub fn suggested_mappings(map: &ColumnMap) -> Vec<String> {
    suggested_fields(map)
        .into_iter()
        .map(|(header, field)| format!("\"{header}\" = \"{}\"", field.name()))
        .collect()
}

/// The sheet's unused header closest to each missing required field, with that field.
pub fn suggested_fields(map: &ColumnMap) -> Vec<(String, Field)> {
    let unused = map.unused();
    let mut lines = Vec::new();
    let mut taken: Vec<&str> = Vec::new();
    for group in missing_required(map) {
        let best = group
            .iter()
            .flat_map(|field| {
                let synonyms = field.synonyms(map.kind);
                unused.iter().map(move |h| {
                    let score = synonyms.iter().map(|s| similarity(h, s)).max().unwrap_or(0);
                    (score, h.as_str(), *field)
                })
            })
            .filter(|(score, h, _)| *score > 0 && !taken.contains(h))
            .max_by_key(|(score, _, _)| *score);
        if let Some((_, header, field)) = best {
            taken.push(header);
            lines.push((header.to_string(), field));
        }
    }
    lines
}

/// How alike two headers are: the characters they share (`服务开始` ~ `开始时间`: 2).
fn similarity(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut used = vec![false; b.len()];
    let mut shared = 0;
    for c in a.chars() {
        if let Some(i) = (0..b.len()).find(|&i| !used[i] && b[i] == c) {
            used[i] = true;
            shared += 1;
        }
    }
    shared
}

/// The headers vbrief knows: the built-in synonyms of `domain::kind`, and an office's own
/// `[headers.<kind>]` mappings from vbrief.toml, which win over the synonyms.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Per kind: (normalized header, field).
    extra: HashMap<SourceKind, Vec<(String, Field)>>,
}

impl Vocabulary {
    pub fn from_config(config: &Config) -> Vocabulary {
        let extra = SourceKind::ALL
            .into_iter()
            .map(|kind| {
                let mappings = config
                    .header_mappings(kind)
                    .into_iter()
                    .map(|(header, field)| (normalize(&header), field))
                    .collect();
                (kind, mappings)
            })
            .collect();
        Vocabulary { extra }
    }

    fn extra(&self, kind: SourceKind) -> &[(String, Field)] {
        self.extra.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Maps the header cells to the fields of `kind`. The first column wins when two match.
    pub fn map(&self, kind: SourceKind, header: &[String]) -> ColumnMap {
        let normalized: Vec<String> = header.iter().map(|h| normalize(h)).collect();
        let mut columns = HashMap::new();
        let extra = self.extra(kind);
        // The office's own mappings first: they name exactly the column they mean.
        for (index, name) in normalized.iter().enumerate() {
            if let Some((_, field)) = extra.iter().find(|(h, _)| h == name) {
                columns.entry(*field).or_insert(index);
            }
        }
        for (index, name) in normalized.iter().enumerate() {
            if columns.values().any(|&i| i == index) {
                continue;
            }
            let bare = without_unit(name);
            let field = kind.fields().iter().find_map(|(field, synonyms)| {
                let matches = synonyms.contains(&name.as_str())
                    || bare.is_some_and(|b| synonyms.contains(&b));
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
    pub fn score(&self, row: &[String]) -> usize {
        SourceKind::ALL
            .iter()
            .map(|&kind| self.map(kind, row).columns.len())
            .max()
            .unwrap_or(0)
    }
}

/// [`Vocabulary::map`] with the built-in synonyms only.
pub fn map_columns(kind: SourceKind, header: &[String]) -> ColumnMap {
    Vocabulary::default().map(kind, header)
}

/// [`Vocabulary::score`] with the built-in synonyms only.
pub fn header_score(row: &[String]) -> usize {
    Vocabulary::default().score(row)
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
    detect_kind_with(&Vocabulary::default(), header)
}

/// [`detect_kind`] with an office's own header mappings.
pub fn detect_kind_with(vocabulary: &Vocabulary, header: &[String]) -> Option<SourceKind> {
    let map = |k| vocabulary.map(k, header);
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
        // A cell that is already normal (a data value, most often) is not copied.
        assert!(matches!(
            normalize_borrowed("证件号码"),
            Cow::Borrowed("证件号码")
        ));
        assert!(matches!(
            normalize_borrowed("24000001"),
            Cow::Borrowed("24000001")
        ));
        assert_eq!(normalize_borrowed("**服务时长(必填)*"), "服务时长");
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
    fn detects_the_2_0_lists_by_their_headers_alone() {
        let volunteers = row(&[
            "志愿者姓名",
            "证件类型",
            "证件号码",
            "手机/电话",
            "性别",
            "注册日期",
            "认证状态",
            "账户状态",
            "总服务时长（小时）",
            "服务区域",
        ]);
        assert_eq!(detect_kind(&volunteers), Some(SourceKind::Volunteers));
        let map = map_columns(SourceKind::Volunteers, &volunteers);
        assert_eq!(map.get(Field::ReportedHours), Some(8));
        assert_eq!(map.get(Field::Region), Some(9));
        assert_eq!(map.get(Field::Phone), Some(3));
        assert!(map.unused().is_empty(), "{:?}", map.unused());
        let records = row(&[
            "志愿者姓名",
            "证件类型",
            "证件号码",
            "所属项目",
            "所属队伍",
            "岗位",
            "开始时间",
            "结束时间",
            "服务时长（小时）",
            "录入方式",
            "时长状态",
            "录入日期",
        ]);
        assert_eq!(detect_kind(&records), Some(SourceKind::ServiceRecords));
        let map = map_columns(SourceKind::ServiceRecords, &records);
        assert_eq!(
            map.get(Field::ServedOn),
            None,
            "录入日期 is not the date served"
        );
        assert_eq!(map.get(Field::StartTime), Some(6));
        assert_eq!(map.get(Field::Status), Some(10));
        assert_eq!(
            map.get(Field::EnteredOn),
            Some(11),
            "录入日期 is when it was typed in"
        );
        assert_eq!(map.unused(), vec!["岗位", "录入方式"]);
        let teams = row(&[
            "队伍名称",
            "队伍类型",
            "服务区域",
            "注册时间",
            "队伍人数",
            "联系人",
            "联系电话",
        ]);
        assert_eq!(detect_kind(&teams), Some(SourceKind::Organizations));
    }

    #[test]
    fn an_office_mapping_rescues_unknown_headers_and_suggestions_name_them() {
        let header = row(&["身份标识", "服务开始", "服务结束", "项目"]);
        assert_eq!(detect_kind(&header), None);
        let map = map_columns(SourceKind::ServiceRecords, &header);
        assert_eq!(
            suggested_mappings(&map),
            vec![
                "\"身份标识\" = \"id_number\"".to_string(),
                "\"服务开始\" = \"start_time\"".to_string(),
                "\"服务结束\" = \"end_time\"".to_string(),
            ]
        );
        let config = Config::parse(
            "[headers.service_records]\n\"身份标识\" = \"id_number\"\n\"服务开始\" = \"start_time\"\n\"服务结束\" = \"end_time\"\n",
            "t.toml",
        )
        .unwrap();
        let vocabulary = Vocabulary::from_config(&config);
        assert_eq!(
            detect_kind_with(&vocabulary, &header),
            Some(SourceKind::ServiceRecords)
        );
    }

    #[test]
    fn title_rows_score_low() {
        assert!(header_score(&row(&["示例市志愿者注册信息（示例数据）"])) < 2);
        assert!(header_score(&row(&["姓名", "身份证号", "注册时间"])) >= 2);
    }
}
