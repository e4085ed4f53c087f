//! The source kinds of DOMAIN.md §2 and the header synonyms each accepts.

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
            SourceKind::Volunteers => &[&[IdNumber, VolunteerNo], &[Community], &[RegisteredOn]],
            SourceKind::ServiceRecords => &[&[IdNumber, VolunteerNo], &[ServedOn], &[Hours]],
            SourceKind::Organizations => &[&[OrgName], &[Community]],
            SourceKind::Activities => &[&[ActivityName], &[HeldOn], &[Community]],
            SourceKind::Stations => &[&[StationName], &[Community]],
            SourceKind::Needs => &[&[NeedContent], &[Community]],
            SourceKind::Trainings => &[&[TrainingName], &[HeldOn], &[Community]],
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
            "区域",
            "所属区",
            "所属旗区",
            "县区",
            "区(县)",
            "区县(旗区)",
            "所属区域",
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
        const NAME: &[&str] = &["姓名", "志愿者姓名", "真实姓名"];
        const PHONE: &[&str] = &["手机", "手机号", "手机号码", "联系电话", "联系方式"];
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
                (IdNumber, ID),
                (Phone, PHONE),
                (Gender, &["性别"]),
                (RegisteredOn, &["注册时间", "注册日期"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (Status, &["状态", "账号状态"]),
                (
                    ReportedHours,
                    &["服务时长", "累计服务时长", "志愿服务时长", "累计时长"],
                ),
            ],
            SourceKind::ServiceRecords => &[
                (RecordNo, &["记录编号", "时长编号"]),
                (VolunteerNo, VOLUNTEER_NO),
                (Name, NAME),
                (IdNumber, ID),
                (Phone, PHONE),
                (Project, &["项目名称", "服务项目", "活动名称"]),
                (ServedOn, &["服务日期", "活动日期", "日期"]),
                (Hours, &["服务时长", "时长", "认定时数", "时数"]),
                (Status, &["状态"]),
                (Organization, &["团体名称", "所属团体", "服务团体"]),
            ],
            SourceKind::Organizations => &[
                (OrgName, &["团体名称", "队伍名称", "组织名称"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (FoundedOn, &["成立日期", "成立时间"]),
                (Members, &["成员数", "正式成员", "人员规模"]),
                (Status, &["状态"]),
            ],
            SourceKind::Activities => &[
                (ActivityName, &["活动名称"]),
                (HeldOn, &["活动日期"]),
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
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
                (EstablishedOn, &["建站日期"]),
            ],
            SourceKind::Needs => &[
                (District, DISTRICT),
                (Street, STREET),
                (Community, COMMUNITY),
                (NeedContent, &["需求内容"]),
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
}
