//! What reports are told about the data's quality: counts per ingested sheet and per
//! quarantine reason (read from the warehouse by `ingest::warehouse::quality_summary`).

use serde::Serialize;

/// What the briefing's data-quality annex shows: every ingested sheet with its counts, and
/// quarantined rows by reason.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QualitySummary {
    pub files: Vec<FileSummary>,
    pub quarantine_by_reason: Vec<(String, i64)>,
    pub quarantined: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub sheet: String,
    pub kind: String,
    pub rows_read: i64,
    pub accepted: i64,
    pub quarantined: i64,
    pub skipped: i64,
}

/// Every reason a row can be quarantined for (`quarantine.reason`, a stable code): its short
/// name (as the briefing and the summary word it) and what it means. The ingest quarantines
/// with these codes only (checked when a row is staged, in debug builds); docs/CONTRACT.md §3.1
/// is written from this list.
pub const REASONS: [(&str, &str, &str); 15] = [
    ("invalid_id", "证件号码无效", "证件号码长度、出生日期或校验位错误，或被 Excel 存成科学计数法、末位 X 丢失"),
    ("missing_id", "缺少证件号码和志愿者编号", "证件号码和志愿者编号都为空"),
    (
        "unknown_document",
        "证件号不是有效身份证号，也不是已注册志愿者的其他证件",
        "导出没有证件类型列，号码不是有效的身份证号，也没有已注册志愿者用它作为其他证件（护照、通行证等）；该志愿者的注册信息导入后自动计入",
    ),
    (
        "ambiguous_document",
        "证件号对应多名已注册志愿者",
        "导出没有证件类型列，号码被多名已注册志愿者用作不同类型的证件，无法确定是谁",
    ),
    ("missing_value", "必填项为空", "必填的列为空"),
    ("bad_date", "日期无法识别或不存在", "日期无法识别，或日期不存在（如 2月30日）"),
    ("bad_hours", "时长无法识别", "服务时长无法识别"),
    ("bad_number", "数字无法识别", "人口、人数等数字无法识别"),
    ("hours_not_positive", "时长不大于0", "服务时长为 0 或负数"),
    ("hours_over_24", "单条时长超过24小时", "一条记录的服务时长超过 24 小时"),
    ("cell_error", "单元格为错误值", "单元格为错误值（如 #N/A、#VALUE!）"),
    ("unknown_community", "社区不在人口台账中", "社区不在人口台账中（附最接近的候选）"),
    ("ambiguous_community", "社区重名无法区分", "几个区县或街道有同名社区，行中没有足以区分的区县、街道（附候选）"),
    ("missing_community", "社区为空", "需要社区的行没有社区"),
    ("duplicate", "重复记录", "与另一行是同一人或同一记录，保留较早的一条（candidates 指向保留的行）"),
];

/// A reason code in its short words (`其他` for a code vbrief does not know).
pub fn reason_zh(code: &str) -> &'static str {
    REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("其他", |(_, zh, _)| zh)
}
