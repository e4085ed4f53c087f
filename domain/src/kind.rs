//! The source kinds of docs/CONTRACT.md §2 and the header synonyms each accepts.

use std::fmt;

/// What an export holds. Detected from its headers, or given with `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// 人口台账: population per community. Loaded first: everything else is matched to it.
    Communities,
    /// 志愿者注册信息
    Volunteers,
    /// 服务时长记录
    ServiceRecords,
    /// 志愿服务组织/团体
    Organizations,
    /// 活动台账
    Activities,
    /// 站点台账
    Stations,
    /// 需求台账
    Needs,
    /// 培训台账
    Trainings,
}

impl SourceKind {
    pub const ALL: [SourceKind; 8] = [
        SourceKind::Communities,
        SourceKind::Volunteers,
        SourceKind::ServiceRecords,
        SourceKind::Organizations,
        SourceKind::Activities,
        SourceKind::Stations,
        SourceKind::Needs,
        SourceKind::Trainings,
    ];

    /// The name used on the command line, in tables and in quarantine.csv.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Communities => "communities",
            SourceKind::Volunteers => "volunteers",
            SourceKind::ServiceRecords => "service_records",
            SourceKind::Organizations => "organizations",
            SourceKind::Activities => "activities",
            SourceKind::Stations => "stations",
            SourceKind::Needs => "needs",
            SourceKind::Trainings => "trainings",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SourceKind::Communities => "人口台账",
            SourceKind::Volunteers => "志愿者注册信息",
            SourceKind::ServiceRecords => "服务时长记录",
            SourceKind::Organizations => "志愿服务组织",
            SourceKind::Activities => "活动台账",
            SourceKind::Stations => "站点台账",
            SourceKind::Needs => "需求台账",
            SourceKind::Trainings => "培训台账",
        }
    }

    pub fn from_name(s: &str) -> Option<SourceKind> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        SourceKind::ALL.into_iter().find(|k| {
            k.name() == s
                || (s == "records" && *k == SourceKind::ServiceRecords)
                || (s == "population" && *k == SourceKind::Communities)
        })
    }

    /// Whether rows of this kind name a community that must be matched to the ledger.
    pub fn needs_communities(self) -> bool {
        !matches!(self, SourceKind::Communities | SourceKind::ServiceRecords)
    }

    /// The fields a file of this kind must have (any one of each inner group).
    pub fn required(self) -> &'static [&'static [Field]] {
        use Field::*;
        match self {
            SourceKind::Communities => &[&[Community], &[Population]],
            SourceKind::Volunteers => &[
                &[IdNumber, VolunteerNo],
                &[Community, Region],
                &[RegisteredOn],
            ],
            // The date served: 服务日期 or the date of 开始时间; the hours: a hours column or
            // 结束时间 − 开始时间 (see `ingest::rows`).
            SourceKind::ServiceRecords => &[
                &[IdNumber, VolunteerNo],
                &[ServedOn, StartTime],
                &[Hours, EndTime],
            ],
            SourceKind::Organizations => &[&[OrgName], &[Community, Region]],
            SourceKind::Activities => &[&[ActivityName], &[HeldOn], &[Community, Region]],
            SourceKind::Stations => &[&[StationName], &[Community, Region]],
            SourceKind::Needs => &[&[NeedContent], &[Community, Region]],
            SourceKind::Trainings => &[&[TrainingName], &[HeldOn], &[Community, Region]],
        }
    }

    /// The accepted headers of each field of this kind (after `ingest::header::normalize`).
    ///
    /// Long because it is the synonym table itself, one line per field: one place to read
    /// and extend every header vbrief knows.
    pub fn fields(self) -> &'static [(Field, &'static [&'static str])] {
        use Field::*;
        const DISTRICT: &[&str] = &[
            "所属区县",
            "区县",
            "旗区",
            "所属区",
            "所属旗区",
            "县区",
            "区(县)",
            "区县(旗区)",
        ];
        // A region column may hold a district alone or a whole path (province … community);
        // `ingest::community` matches it by its parts.
        const REGION: &[&str] = &[
            "服务区域",
            "所属区域",
            "所在区域",
            "区域",
            "所在地区",
            "所属地区",
        ];
        const STREET: &[&str] = &[
            "所属街道",
            "街道",
            "镇街",
            "乡镇街道",
            "乡镇",
            "街道(乡镇)",
            "所属镇街",
            "所属乡镇街道",
            "街道办事处",
        ];
        const COMMUNITY: &[&str] = &[
            "所属社区",
            "社区",
            "所在社区",
            "村社区",
            "社区名称",
            "村(社区)",
            "社区(村)",
            "所属村社区",
            "村居",
        ];
        const ID: &[&str] = &[
            "证件号码",
            "身份证号",
            "身份证号码",
            "证件号",
            "公民身份号码",
        ];
        const ID_TYPE: &[&str] = &["证件类型", "证件类别"];
        const NAME: &[&str] = &["姓名", "志愿者姓名", "真实姓名"];
        const PHONE: &[&str] = &[
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "联系方式",
            "手机/电话",
            "手机号/电话",
            "电话",
        ];
        const VOLUNTEER_NO: &[&str] = &["志愿者编号"];
        match self {
            SourceKind::Communities => &[
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (Population, &["常住人口", "常住人口数", "常住人口(人)"]),
                (AsOfDate, &["统计日期", "统计时间"]),
                (AsOfYear, &["统计年份", "年份"]),
            ],
            SourceKind::Volunteers => &[
                (VolunteerNo, VOLUNTEER_NO),
                (Name, NAME),
                (IdType, ID_TYPE),
                (IdNumber, ID),
                (Phone, PHONE),
                (Gender, &["性别"]),
                (RegisteredOn, &["注册时间", "注册日期"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (Region, REGION),
                (Status, &["状态", "账号状态", "账户状态"]),
                (Verification, &["认证状态", "实名认证状态", "实名认证"]),
                (
                    ReportedHours,
                    &[
                        "服务时长",
                        "累计服务时长",
                        "志愿服务时长",
                        "累计时长",
                        "总服务时长",
                        "总时长",
                    ],
                ),
            ],
            SourceKind::ServiceRecords => &[
                (RecordNo, &["记录编号", "时长编号", "时长记录编号"]),
                (VolunteerNo, VOLUNTEER_NO),
                (Name, NAME),
                (IdType, ID_TYPE),
                (IdNumber, ID),
                (Phone, PHONE),
                (Project, &["项目名称", "服务项目", "活动名称", "所属项目"]),
                // 录入日期/录入时间/发起申请时间/审核时间 say when a record was typed in or
                // approved, never when it was served: deliberately not here (录入日期 is its
                // own field, EnteredOn, read by the screening of late entries).
                (ServedOn, &["服务日期", "服务时间", "活动日期", "日期"]),
                (StartTime, &["开始时间", "服务开始时间", "签到时间"]),
                (EndTime, &["结束时间", "服务结束时间", "签退时间"]),
                (
                    Hours,
                    &[
                        "服务时长",
                        "时长",
                        "认定时数",
                        "时数",
                        "录入时长",
                        "认定时长",
                    ],
                ),
                (Status, &["状态", "时长状态"]),
                (
                    Organization,
                    &["团体名称", "所属团体", "服务团体", "所属队伍", "队伍名称"],
                ),
                (EnteredOn, &["录入日期", "录入时间"]),
            ],
            SourceKind::Organizations => &[
                (OrgName, &["团体名称", "队伍名称", "组织名称"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (Region, REGION),
                (FoundedOn, &["成立日期", "成立时间", "注册日期", "注册时间"]),
                (Members, &["成员数", "正式成员", "人员规模", "队伍人数"]),
                (Status, &["状态", "队伍状态"]),
            ],
            SourceKind::Activities => &[
                (ActivityName, &["活动名称"]),
                (HeldOn, &["活动日期"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (Region, REGION),
                (Category, &["服务类别"]),
                (TargetGroup, &["服务对象"]),
                (Participants, &["参与人数"]),
                (Hours, &["服务时长"]),
            ],
            SourceKind::Stations => &[
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (StationName, &["站点名称"]),
                (Region, REGION),
                (EstablishedOn, &["建站日期"]),
            ],
            SourceKind::Needs => &[
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (NeedContent, &["需求内容"]),
                (Region, REGION),
                (TargetGroup, &["服务对象"]),
                (CollectedOn, &["登记日期"]),
                (Status, &["状态"]),
                (ResolvedOn, &["解决日期"]),
            ],
            SourceKind::Trainings => &[
                (TrainingName, &["培训名称"]),
                (HeldOn, &["培训日期"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (Region, REGION),
                (Participants, &["参训人数"]),
            ],
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label_zh(), self.name())
    }
}

/// A canonical column, whatever the export called it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    District,
    Street,
    Community,
    /// A region column: a district alone, or a whole path (province … community).
    Region,
    /// 证件类型: 居民身份证, 护照, 通行证 …
    IdType,
    /// 认证状态 of a volunteer (认证通过, 审核中, 认证未通过).
    Verification,
    /// 开始时间 / 结束时间 of a service record (date and time).
    StartTime,
    EndTime,
    VolunteerNo,
    Name,
    IdNumber,
    Phone,
    Gender,
    RegisteredOn,
    Status,
    ReportedHours,
    RecordNo,
    Project,
    ServedOn,
    Hours,
    Organization,
    OrgName,
    FoundedOn,
    Members,
    ActivityName,
    HeldOn,
    Category,
    TargetGroup,
    Participants,
    Population,
    AsOfDate,
    AsOfYear,
    StationName,
    EstablishedOn,
    NeedContent,
    CollectedOn,
    ResolvedOn,
    TrainingName,
    /// 录入日期 of a service record: when it was typed in (not when it was served).
    EnteredOn,
}

impl Field {
    pub const ALL: [Field; 39] = [
        Field::District,
        Field::Street,
        Field::Community,
        Field::Region,
        Field::IdType,
        Field::Verification,
        Field::StartTime,
        Field::EndTime,
        Field::VolunteerNo,
        Field::Name,
        Field::IdNumber,
        Field::Phone,
        Field::Gender,
        Field::RegisteredOn,
        Field::Status,
        Field::ReportedHours,
        Field::RecordNo,
        Field::Project,
        Field::ServedOn,
        Field::Hours,
        Field::Organization,
        Field::OrgName,
        Field::FoundedOn,
        Field::Members,
        Field::ActivityName,
        Field::HeldOn,
        Field::Category,
        Field::TargetGroup,
        Field::Participants,
        Field::Population,
        Field::AsOfDate,
        Field::AsOfYear,
        Field::StationName,
        Field::EstablishedOn,
        Field::NeedContent,
        Field::CollectedOn,
        Field::ResolvedOn,
        Field::TrainingName,
        Field::EnteredOn,
    ];

    /// The name used in `[headers.<kind>]` of vbrief.toml (docs/CONTRACT.md §2.1's canonical field).
    pub fn name(self) -> &'static str {
        match self {
            Field::District => "district",
            Field::Street => "street",
            Field::Community => "community",
            Field::Region => "region",
            Field::IdType => "id_type",
            Field::Verification => "verification",
            Field::StartTime => "start_time",
            Field::EndTime => "end_time",
            Field::VolunteerNo => "volunteer_no",
            Field::Name => "name",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Gender => "gender",
            Field::RegisteredOn => "registered_on",
            Field::Status => "status",
            Field::ReportedHours => "reported_hours",
            Field::RecordNo => "record_no",
            Field::Project => "project",
            Field::ServedOn => "served_on",
            Field::Hours => "hours",
            Field::Organization => "organization",
            Field::OrgName => "org_name",
            Field::FoundedOn => "founded_on",
            Field::Members => "members",
            Field::ActivityName => "activity_name",
            Field::HeldOn => "held_on",
            Field::Category => "category",
            Field::TargetGroup => "target_group",
            Field::Participants => "participants",
            Field::Population => "population",
            Field::AsOfDate => "as_of",
            Field::AsOfYear => "as_of_year",
            Field::StationName => "station_name",
            Field::EstablishedOn => "established_on",
            Field::NeedContent => "need_content",
            Field::CollectedOn => "collected_on",
            Field::ResolvedOn => "resolved_on",
            Field::TrainingName => "training_name",
            Field::EnteredOn => "entered_on",
        }
    }

    /// The field of `kind` named `name` in vbrief.toml, if that kind has it.
    pub fn of_kind(kind: SourceKind, name: &str) -> Option<Field> {
        kind.fields()
            .iter()
            .map(|(f, _)| *f)
            .find(|f| f.name() == name.trim())
    }

    /// The headers `kind` accepts for this field (none when the kind has no such field).
    pub fn synonyms(self, kind: SourceKind) -> &'static [&'static str] {
        kind.fields()
            .iter()
            .find(|(f, _)| *f == self)
            .map_or(&[], |(_, synonyms)| *synonyms)
    }

    /// The first accepted header of this field in `kind`, to show in messages.
    pub fn label_zh(self, kind: SourceKind) -> &'static str {
        self.synonyms(kind).first().copied().unwrap_or("?")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_distinct_name_and_all_lists_each_once() {
        let names: std::collections::BTreeSet<_> = Field::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Field::ALL.len());
        for kind in SourceKind::ALL {
            for (field, _) in kind.fields() {
                assert!(Field::ALL.contains(field), "{field:?}");
                assert_eq!(Field::of_kind(kind, field.name()), Some(*field));
            }
        }
        assert_eq!(Field::of_kind(SourceKind::Stations, "hours"), None);
    }
}
