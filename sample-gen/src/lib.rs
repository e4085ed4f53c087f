//! The sample and benchmark data generator behind `vbrief gen`: a deterministic generator of exports for a fictional city (示例市), in the
//! shapes and with the defects real exports have. It writes the bundled `sample-data/` and, with
//! larger counts, data sets for benchmarks. `manifest.json` beside the files says how many of
//! each defect were planted, so tests can check that every row meets the right fate.

pub mod nation;
mod plant;
mod rng;
mod shape;
mod write;

pub use shape::Shape;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

use rng::Rng;

/// Why a data set could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("cannot create {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write manifest.json: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, GenError>;
use write::{write_csv, write_xlsx, CsvStream, Table, TextEncoding, Value};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenSpec {
    pub volunteers: usize,
    pub records: usize,
    pub seed: u64,
    /// Every file as csv (a province's exports: no sheet holds them).
    pub csv_only: bool,
    /// Where to write the clean ground truth, if anywhere (see [`truth`]).
    pub truth: Option<PathBuf>,
    /// The columns the volunteer, hour and team exports come in (the same facts either way).
    pub shape: Shape,
    /// Plant patterns of padded hours for about this share of the persons (2.0 shape only;
    /// see [`plant`]), with their ground truth in the truth's `screening.csv`. 0: none.
    pub plant_screening: f64,
}

impl GenSpec {
    /// The bundled sample: ~30,000 volunteers, two years of records.
    pub fn sample() -> GenSpec {
        GenSpec {
            volunteers: 30_000,
            records: 70_000,
            seed: 20_251_125,
            csv_only: false,
            truth: None,
            shape: Shape::Classic,
            plant_screening: 0.0,
        }
    }
}

/// How many rows of each kind, and of each planted defect, were written.
#[derive(Debug, Default, Serialize)]
pub struct Manifest {
    pub communities: usize,
    pub ledger_rows: usize,
    pub volunteer_rows: usize,
    pub persons: usize,
    pub planted_invalid_id: usize,
    pub planted_duplicate_registration: usize,
    pub planted_unknown_community: usize,
    pub planted_ambiguous_community: usize,
    pub record_rows: usize,
    pub planted_bad_date: usize,
    pub planted_hours_not_positive: usize,
    pub planted_hours_over_24: usize,
    pub planted_duplicate_record: usize,
    pub planted_overlap_record: usize,
    pub planted_unknown_person_record: usize,
    pub ineffective_records: usize,
    /// Records planted for the screening (`--plant-screening`); absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub planted_screening_records: usize,
    pub organizations: usize,
    pub activities: usize,
    pub stations: usize,
    pub needs: usize,
    pub trainings: usize,
    pub files: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

const DISTRICTS: [(&str, &[&str]); 4] = [
    (
        "青山区",
        &["青云街道", "翠屏街道", "松林街道", "石桥街道", "龙泉街道"],
    ),
    (
        "河东区",
        &["滨河街道", "东关街道", "柳营街道", "望江街道", "新市街道"],
    ),
    ("新港区", &["港湾街道", "海晏街道", "临港街道", "潮音街道"]),
    ("云岭县", &["云岭镇", "白沙镇", "清溪镇", "梅坪镇"]),
];

/// The community name that exists in two districts (must be told apart by district).
pub const SHARED_NAME: &str = "幸福社区";
/// An old name of a community, mapped by the alias in the sample's `vbrief.toml`.
pub const OLD_NAME: &str = "老城社区";
pub const OLD_NAME_TARGET: &str = "春园社区";
/// A community name in no ledger.
const UNKNOWN_NAME: &str = "幸福家园小区";

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "文", "红",
];
const PROJECTS: &[&str] = &[
    "关爱空巢老人上门服务",
    "留守儿童课业辅导",
    "文明交通劝导",
    "社区环境清洁",
    "义诊进社区",
    "普法宣传进万家",
    "邻里文艺汇演",
    "心理健康讲座",
    "助残帮扶",
    "垃圾分类宣传",
    "困难职工慰问",
    "农民工子女夏令营",
];
const ORG_SUFFIX: &[&str] = &[
    "志愿服务队",
    "爱心服务队",
    "巾帼志愿队",
    "党员先锋队",
    "青年志愿者协会",
];
const CATEGORIES: &[&str] = &[
    "家政服务",
    "文体活动",
    "心理疏导",
    "医疗保健",
    "法律服务",
    "教育培训",
    "文明劝导",
    "环境保护",
    "文艺活动",
    "健康义诊",
    "其他",
];
const TARGET_GROUPS: &[&str] = &[
    "空巢老人",
    "留守儿童",
    "残疾人",
    "困难职工",
    "农民工",
    "社区居民",
];
const NEEDS: &[&str] = &[
    "独居老人助餐",
    "儿童放学后托管",
    "残疾人出行陪护",
    "法律咨询",
    "家电维修",
    "心理陪伴",
    "楼道清理",
    "健康体检",
];
const TRAININGS: &[&str] = &[
    "志愿者通用培训",
    "应急救护培训",
    "心理疏导技能培训",
    "志愿服务项目管理",
    "文明实践骨干培训",
];

struct Community {
    district: &'static str,
    street: &'static str,
    /// The two digits after `99` in its volunteers' synthetic ID numbers.
    region: u32,
    name: String,
    population: [u64; 2],
    propensity: f64,
}

struct Person {
    volunteer_no: String,
    name: String,
    id: String,
    phone: String,
    registered: NaiveDate,
    community: usize,
    cancelled: bool,
    /// In the 2.0 shape, about one person in a hundred registers with another document
    /// (证件类型, number) instead of the ID card; their hour records name the number alone.
    document: Option<(&'static str, String)>,
}

const fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn check_char(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    C[(sum % 11) as usize]
}

/// Volunteers per unit of the city: the sample is one unit (4 districts, 119 communities);
/// larger data sets repeat the pattern with new districts, so each community keeps a
/// realistic size (a few hundred volunteers, 700-2,700 residents).
const VOLUNTEERS_PER_UNIT: usize = 30_000;

/// Districts beyond the sample's four are named from these (an index gives a unique name).
const DISTRICT_FIRST: [&str; 40] = [
    "丰", "宁", "平", "兴", "华", "昌", "盛", "泰", "瑞", "祥", "嘉", "德", "顺", "和", "隆", "富",
    "广", "源", "明", "光", "清", "江", "海", "湖", "川", "峰", "岭", "溪", "阳", "云", "星", "月",
    "松", "柏", "桂", "兰", "竹", "梅", "荷", "菊",
];
const DISTRICT_SECOND: [&str; 20] = [
    "安", "乐", "远", "山", "水", "城", "原", "州", "台", "门", "林", "田", "丘", "滨", "湾", "桥",
    "泉", "塘", "浦", "洲",
];

/// A name to keep for the whole run: generated district and street names are few (at most a
/// few thousand) and used everywhere the fixed sample names are, as `&'static str`.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn communities(rng: &mut Rng, units: usize) -> Vec<Community> {
    let first = [
        "春", "秋", "东", "西", "南", "北", "金", "银", "玉", "青", "红", "白", "新", "和", "安",
        "康", "长", "永", "福", "乐",
    ];
    let second = [
        "园", "苑", "湖", "桥", "林", "泉", "山", "河", "城", "坊", "里", "湾",
    ];
    let mut names: Vec<String> = first
        .iter()
        .flat_map(|a| second.iter().map(move |b| format!("{a}{b}")))
        .collect();
    // Deterministic shuffle.
    for i in (1..names.len()).rev() {
        let j = rng.range(0, i as u64 + 1) as usize;
        names.swap(i, j);
    }
    names.retain(|n| n != "春园");
    names.insert(0, "春园".into());
    let mut out = Vec::new();
    for unit in 0..units {
        // The sample's unit takes stems in one sequence; later units restart the list in each
        // district (names are unique within a district) and leave out 春园, whose old name
        // the sample's alias maps in 青山区 only.
        let mut next = names.iter().skip(usize::from(unit > 0));
        for (d, (template, template_streets)) in DISTRICTS.iter().enumerate() {
            let ordinal = unit * DISTRICTS.len() + d;
            let is_county = template.ends_with('县');
            let district: &'static str = if unit == 0 {
                template
            } else {
                let i = ordinal - DISTRICTS.len();
                leak(format!(
                    "{}{}{}",
                    DISTRICT_FIRST[i % DISTRICT_FIRST.len()],
                    DISTRICT_SECOND[(i / DISTRICT_FIRST.len()) % DISTRICT_SECOND.len()],
                    if is_county { "县" } else { "区" }
                ))
            };
            // Region codes 01-08, then 10-98: 09 is kept for persons nobody registered.
            let region = if ordinal < 8 {
                ordinal as u32 + 1
            } else {
                10 + ((ordinal - 8) % 89) as u32
            };
            if unit > 0 {
                next = names.iter().skip(1);
            }
            for (s, template_street) in template_streets.iter().enumerate() {
                let street: &'static str = if unit == 0 {
                    template_street
                } else {
                    leak(format!(
                        "{}{}",
                        names[names.len() - 1 - s],
                        if is_county { "镇" } else { "街道" }
                    ))
                };
                let count = 6 + (d + s) % 2 + usize::from(d == 0 && s == 0);
                for c in 0..count {
                    let stem = next.next().expect("enough names");
                    let name = if unit == 0 && (d == 0 || d == 1) && s == 0 && c == 1 {
                        SHARED_NAME.to_string()
                    } else if is_county && c % 3 == 2 {
                        format!("{stem}村")
                    } else {
                        format!("{stem}社区")
                    };
                    let p2024 = rng.range(700, 2_600);
                    out.push(Community {
                        district,
                        street,
                        region,
                        name,
                        population: [p2024, p2024 + rng.range(0, 120)],
                        propensity: 0.05 + rng.unit() * 0.17,
                    });
                }
            }
        }
    }
    out
}

fn synth_id(rng: &mut Rng, region: u32, used: &mut HashSet<String>) -> (String, NaiveDate) {
    loop {
        // Region code 99xxxx is not a real one: every generated number is visibly synthetic.
        let birth = day(1950, 1, 1) + Duration::days(rng.range(0, 58 * 365) as i64);
        let body = format!(
            "99{:02}{:02}{}{:03}",
            region,
            rng.range(1, 99),
            birth.format("%Y%m%d"),
            rng.range(0, 1000)
        );
        let id = format!("{body}{}", check_char(&body));
        if used.insert(id.clone()) {
            return (id, birth);
        }
    }
}

/// More rows than this and a table is written as csv: one xlsx sheet holds 1,048,576 rows,
/// and an export that large comes as csv from the system anyway.
const XLSX_MAX_ROWS: usize = 1_000_000;

/// Where one generated table goes: an xlsx sheet (held in memory until written, as
/// rust_xlsxwriter needs), or a csv streamed row by row.
enum Sink {
    Xlsx {
        path: PathBuf,
        sheet: &'static str,
        table: Table,
    },
    Csv(Box<CsvStream>),
}

impl Sink {
    /// `stem` is the file name without extension; returns the sink and the file's name.
    fn new(
        out: &Path,
        stem: &str,
        sheet: &'static str,
        title: Option<&str>,
        header: Vec<String>,
        csv: Option<TextEncoding>,
    ) -> Result<(Sink, String)> {
        Ok(match csv {
            Some(encoding) => {
                let name = format!("{stem}.csv");
                let stream = CsvStream::create(&out.join(&name), encoding, title, &header)?;
                (Sink::Csv(Box::new(stream)), name)
            }
            None => {
                let name = format!("{stem}.xlsx");
                let table = Table {
                    title: title.map(String::from),
                    header,
                    rows: Vec::new(),
                    total: None,
                };
                (
                    Sink::Xlsx {
                        path: out.join(&name),
                        sheet,
                        table,
                    },
                    name,
                )
            }
        })
    }

    fn push(&mut self, row: Vec<Value>) -> Result<()> {
        match self {
            Sink::Xlsx { table, .. } => table.rows.push(row),
            Sink::Csv(stream) => stream.push(&row)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Xlsx { path, sheet, table } => write_xlsx(&path, &[(sheet, &table)]),
            Sink::Csv(stream) => stream.finish(),
        }
    }
}

/// The clean ground truth: exactly the rows `vbrief ingest` should accept, in canonical form
/// (one person once, communities by their ledger names, dates ISO, hours as numbers, no
/// overlapping or duplicate records, no ID numbers). A plain SQL script over these files must
/// give the same per-community figures as vbrief gives from the messy exports
/// (`bench/baseline.sql`).
struct Truth {
    volunteers: csv::Writer<std::io::BufWriter<std::fs::File>>,
    records: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

impl Truth {
    fn create(dir: &Path, comms: &[Community]) -> Result<Truth> {
        std::fs::create_dir_all(dir).map_err(|source| GenError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
        let open = |name: &str, header: &[&str]| -> Result<_> {
            let path = dir.join(name);
            let file = std::fs::File::create(&path).map_err(|source| GenError::Create {
                path: path.to_path_buf(),
                source,
            })?;
            let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
            w.write_record(header)?;
            Ok(w)
        };
        let mut population = open(
            "population.csv",
            &["district", "street", "community", "year", "population"],
        )?;
        for (y, year) in [2024, 2025].iter().enumerate() {
            for c in comms {
                population.write_record([
                    c.district,
                    c.street,
                    &c.name,
                    &year.to_string(),
                    &c.population[y].to_string(),
                ])?;
            }
        }
        population.flush()?;
        Ok(Truth {
            volunteers: open(
                "volunteers.csv",
                &[
                    "volunteer_no",
                    "district",
                    "street",
                    "community",
                    "registered_on",
                    "status",
                ],
            )?,
            records: open(
                "records.csv",
                &["record_no", "volunteer_no", "served_on", "hours", "status"],
            )?,
        })
    }

    fn finish(mut self) -> Result<()> {
        self.volunteers.flush()?;
        self.records.flush()?;
        Ok(())
    }
}

/// Writes a small table as the xlsx sheet it is in the sample, or as csv (`--csv`); returns the
/// file's name.
fn write_table(
    out: &Path,
    stem: &str,
    sheet: &str,
    table: &Table,
    csv_only: bool,
) -> Result<String> {
    if csv_only {
        let name = format!("{stem}.csv");
        write_csv(&out.join(&name), table, TextEncoding::Utf8Bom)?;
        Ok(name)
    } else {
        let name = format!("{stem}.xlsx");
        write_xlsx(&out.join(&name), &[(sheet, table)])?;
        Ok(name)
    }
}

/// The first day the service records and the other ledgers cover (2024 and 2025).
const START: NaiveDate = day(2024, 1, 1);
/// How many days they cover.
const SPAN_DAYS: u64 = 731;
/// The first day of the 2025 export's own year.
const SPLIT: NaiveDate = day(2025, 1, 1);
/// The hours a generated record is drawn from (`draw_record`), in rising order.
const RECORD_HOURS: [f64; 12] = [1.5, 2.0, 2.5, 3.0, 3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 8.0, 8.0];
/// The most hours a generated record has.
const MAX_RECORD_HOURS: f64 = RECORD_HOURS[RECORD_HOURS.len() - 1];
/// The most hours the generator gives one person on one day (2.0 shape).
const DAY_HOURS_MAX: f64 = 10.0;
/// Start times of a day's first record (2.0 shape); records over 5 hours start by 9:30.
const DAY_STARTS: [(u32, u32); 8] = [
    (8, 0),
    (8, 30),
    (9, 0),
    (9, 0),
    (9, 30),
    (14, 0),
    (14, 30),
    (15, 0),
];

/// The 2025 export starts two weeks early: records from this day on are in both exports.
const OVERLAP_FROM: NaiveDate = day(2024, 12, 16);

/// Writes a data set into `out` (created if needed).
pub fn generate(spec: &GenSpec, out: &Path) -> Result<Manifest> {
    std::fs::create_dir_all(out).map_err(|source| GenError::Create {
        path: out.to_path_buf(),
        source,
    })?;
    let mut g = Generator::new(spec, out);
    g.write_population_ledger()?;
    g.open_truth()?;
    let persons = g.draw_persons();
    g.write_volunteers(&persons)?;
    let orgs_by_community = g.write_organizations()?;
    g.write_records(&persons, &orgs_by_community)?;
    g.write_other_ledgers()?;
    g.write_config_and_manifest()
}

/// What the steps of [`generate`] share. The steps draw from one `rng` in a fixed order:
/// reordering them, or the draws within them, changes every file after.
struct Generator<'a> {
    spec: &'a GenSpec,
    out: &'a Path,
    rng: Rng,
    m: Manifest,
    comms: Vec<Community>,
    truth: Option<Truth>,
    /// Every ID number given out, so none is given twice.
    used_ids: HashSet<String>,
}

/// One service record as drawn, with the cells it is written with (defects planted in them).
struct Record<'p> {
    person: &'p Person,
    record_no: u64,
    date: NaiveDate,
    hours: f64,
    status: &'static str,
    org: String,
    project: &'static str,
    date_cell: Value,
    hours_cell: Value,
    /// The volunteer number written: the person's, or (a planted defect) nobody's.
    volunteer: String,
    /// Whether ingest must accept the record (else it quarantines it).
    accepted: bool,
    /// In the two weeks both exports hold: no defects are planted there.
    in_overlap: bool,
    /// When it started (2.0 shape; the lists' default, 9 o'clock, when `None`).
    start: Option<NaiveDateTime>,
}

impl<'a> Generator<'a> {
    /// Draws the city's communities; writes nothing yet.
    fn new(spec: &'a GenSpec, out: &'a Path) -> Generator<'a> {
        let mut rng = Rng::new(spec.seed);
        let mut m = Manifest::default();
        let comms = communities(
            &mut rng,
            spec.volunteers.div_ceil(VOLUNTEERS_PER_UNIT).max(1),
        );
        m.communities = comms.len();
        Generator {
            spec,
            out,
            rng,
            m,
            comms,
            truth: None,
            used_ids: HashSet::new(),
        }
    }

    /// Writes `01_人口台账`: xlsx with a title row, two years, and a 合计 row.
    fn write_population_ledger(&mut self) -> Result<()> {
        let mut ledger = Table {
            title: Some("示例市社区常住人口台账（示例数据，非真实数据）".into()),
            header: ["区县", "街道", "社区", "常住人口", "统计年份"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
            total: None,
        };
        for (y, year) in [2024, 2025].iter().enumerate() {
            for c in &self.comms {
                ledger.rows.push(vec![
                    Value::text(c.district),
                    Value::text(c.street),
                    Value::text(c.name.clone()),
                    Value::Number(c.population[y] as f64),
                    Value::Number(*year as f64),
                ]);
            }
        }
        let total_pop: u64 = self.comms.iter().map(|c| c.population[1]).sum();
        ledger.total = Some(vec![
            Value::text("合计"),
            Value::Empty,
            Value::Empty,
            Value::Number(total_pop as f64),
            Value::Empty,
        ]);
        self.m.ledger_rows = ledger.rows.len();
        self.m.files.push(write_table(
            self.out,
            "01_人口台账",
            "人口台账",
            &ledger,
            self.spec.csv_only,
        )?);
        Ok(())
    }

    /// Creates the ground truth's directory, if one is asked for, and writes its
    /// `population.csv` (the other two files fill as the exports are written).
    fn open_truth(&mut self) -> Result<()> {
        self.truth = match &self.spec.truth {
            Some(dir) => Some(Truth::create(dir, &self.comms)?),
            None => None,
        };
        Ok(())
    }

    /// Draws the persons, spread by each community's propensity to register; writes nothing.
    fn draw_persons(&mut self) -> Vec<Person> {
        let Generator {
            spec,
            rng,
            comms,
            used_ids,
            m,
            ..
        } = self;
        let weights: Vec<f64> = comms
            .iter()
            .map(|c| c.population[1] as f64 * c.propensity)
            .collect();
        let total_weight: f64 = weights.iter().sum();
        let mut persons: Vec<Person> = Vec::with_capacity(spec.volunteers);
        let mut cumulative = 0.0;
        let cdf: Vec<f64> = weights
            .iter()
            .map(|w| {
                cumulative += w / total_weight;
                cumulative
            })
            .collect();
        for i in 0..spec.volunteers {
            let u = rng.unit();
            // The first community whose cumulative share exceeds u (binary search: the cdf rises).
            let community = cdf.partition_point(|&c| c <= u).min(comms.len() - 1);
            let (id, _) = synth_id(rng, comms[community].region, used_ids);
            let given: String = (0..rng.range(1, 3)).map(|_| *rng.pick(GIVEN)).collect();
            // Registrations lean recent: the square of a uniform draw puts more near the end.
            let back = (rng.unit().powi(2) * 3_650.0) as i64;
            persons.push(Person {
                volunteer_no: format!("SL{:08}", i + 1),
                name: format!("{}{given}", rng.pick(SURNAMES)),
                id,
                phone: format!("13{:09}", rng.range(0, 1_000_000_000)),
                registered: day(2025, 12, 31) - Duration::days(back),
                community,
                cancelled: rng.chance(0.02),
                document: (spec.shape == Shape::V2)
                    .then(|| shape::other_document(i))
                    .flatten(),
            });
        }
        m.persons = persons.len();
        persons
    }

    /// Writes `02_志愿者注册信息_青山区` (a GBK csv) and `03_志愿者注册信息_其他区县` (an xlsx
    /// with a title row, or csv), and the accepted registrations to the truth's
    /// `volunteers.csv`.
    fn write_volunteers(&mut self, persons: &[Person]) -> Result<()> {
        let header: Vec<String> = [
            "志愿者编号",
            "姓名",
            "证件号码",
            "手机号码",
            "性别",
            "注册时间",
            "所属区县",
            "所属街道",
            "所属社区",
            "状态",
        ]
        .map(String::from)
        .to_vec();
        let header = match self.spec.shape {
            Shape::Classic => header,
            Shape::V2 => shape::V2_VOLUNTEERS.map(String::from).to_vec(),
        };
        let mut xlsx_header = header.clone();
        if self.spec.shape == Shape::Classic {
            xlsx_header[2] = "*证件号码（必填）".into();
        }
        let (mut qingshan, qingshan_file) = Sink::new(
            self.out,
            "02_志愿者注册信息_青山区",
            "志愿者",
            None,
            header,
            Some(TextEncoding::Gbk),
        )?;
        let (mut others, others_file) = Sink::new(
            self.out,
            "03_志愿者注册信息_其他区县",
            "志愿者",
            Some("示例市志愿者注册信息导出（示例数据）"),
            xlsx_header,
            (self.spec.csv_only || self.spec.volunteers > XLSX_MAX_ROWS)
                .then_some(TextEncoding::Utf8Bom),
        )?;
        for (i, p) in persons.iter().enumerate() {
            let (row, in_csv, accepted) = self.registration_row(i, p);
            let row = match self.spec.shape {
                Shape::Classic => row,
                Shape::V2 => shape::v2_volunteer(i, row, p.registered, p.document.as_ref()),
            };
            if in_csv {
                qingshan.push(row)?;
            } else {
                others.push(row)?;
            }
            self.m.volunteer_rows += 1;
            if let Some(t) = self.truth.as_mut().filter(|_| accepted) {
                let c = &self.comms[p.community];
                t.volunteers.write_record([
                    p.volunteer_no.as_str(),
                    c.district,
                    c.street,
                    &c.name,
                    &p.registered.format("%Y-%m-%d").to_string(),
                    if p.cancelled { "注销" } else { "正常" },
                ])?;
            }
        }
        self.push_duplicate_registrations(persons, &mut qingshan, &mut others)?;
        qingshan.finish()?;
        self.m.files.push(qingshan_file);
        others.finish()?;
        self.m.files.push(others_file);
        Ok(())
    }

    /// The registration row of the `i`th person, with the defects planted in it; whether it
    /// goes to the 青山区 csv; whether ingest must accept it (else it quarantines it).
    fn registration_row(&mut self, i: usize, p: &Person) -> (Vec<Value>, bool, bool) {
        let m = &mut self.m;
        let c = &self.comms[p.community];
        let in_csv = c.district == DISTRICTS[0].0;
        let gender = if p.id.as_bytes()[16] % 2 == 1 {
            "男"
        } else {
            "女"
        };
        let mut id_cell = Value::text(p.id.clone());
        let mut district = Value::text(c.district);
        let mut street = Value::text(c.street);
        let mut name = Value::text(c.name.clone());
        let mut accepted = true;
        match i % 200 {
            0 => {
                accepted = false;
                // A wrong check digit.
                let last = if p.id.ends_with('0') { '1' } else { '0' };
                id_cell = Value::text(format!("{}{last}", &p.id[..17]));
                m.planted_invalid_id += 1;
            }
            1 => {
                id_cell = Value::text(format!("{} {} {}", &p.id[..6], &p.id[6..14], &p.id[14..]));
            }
            2 => {
                let full: String =
                    p.id.chars()
                        .map(|ch| char::from_u32(ch as u32 + 0xFEE0).unwrap_or(ch))
                        .collect();
                id_cell = Value::text(full);
            }
            3 => {
                id_cell = Value::text(p.id.to_lowercase());
            }
            4 => {
                name = Value::text(format!("{}居委会", c.name));
            }
            5 if !in_csv => {
                accepted = false;
                name = Value::text(UNKNOWN_NAME);
                m.planted_unknown_community += 1;
            }
            _ => {}
        }
        if c.name == SHARED_NAME && i.is_multiple_of(5) && i % 200 > 5 {
            accepted = false;
            district = Value::Empty;
            street = Value::Empty;
            m.planted_ambiguous_community += 1;
        }
        if c.name == OLD_NAME_TARGET && i.is_multiple_of(2) {
            name = Value::text(OLD_NAME);
        }
        let registered = if in_csv {
            Value::text(format!(
                "{}/{}/{}",
                p.registered.year(),
                p.registered.month(),
                p.registered.day()
            ))
        } else {
            Value::Date(p.registered)
        };
        let row = vec![
            Value::text(p.volunteer_no.clone()),
            Value::text(p.name.clone()),
            id_cell,
            Value::text(p.phone.clone()),
            Value::text(gender),
            registered,
            district,
            street,
            name,
            Value::text(if p.cancelled { "注销" } else { "正常" }),
        ];
        (row, in_csv, accepted)
    }

    /// Writes the duplicate registrations into the two volunteer files: the same ID
    /// registered again later under a new number.
    fn push_duplicate_registrations(
        &mut self,
        persons: &[Person],
        qingshan: &mut Sink,
        others: &mut Sink,
    ) -> Result<()> {
        for (n, p) in persons
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 100 == 7)
            .map(|(_, p)| p)
            .enumerate()
        {
            let c = &self.comms[p.community];
            let later = p.registered + Duration::days(30 + n as i64 % 300);
            let row = vec![
                Value::text(format!("SL9{:07}", n + 1)),
                Value::text(p.name.clone()),
                Value::text(p.id.clone()),
                Value::text(p.phone.clone()),
                Value::Empty,
                Value::text(later.format("%Y-%m-%d").to_string()),
                Value::text(c.district),
                Value::text(c.street),
                Value::text(c.name.clone()),
                Value::text("正常"),
            ];
            let row = match self.spec.shape {
                Shape::Classic => row,
                Shape::V2 => shape::v2_volunteer(n, row, later, p.document.as_ref()),
            };
            if c.district == DISTRICTS[0].0 {
                qingshan.push(row)?;
            } else {
                others.push(row)?;
            }
            self.m.volunteer_rows += 1;
            self.m.planted_duplicate_registration += 1;
        }
        Ok(())
    }

    /// Writes `06_志愿服务组织.csv`, the organizations per community; returns their names
    /// by community.
    fn write_organizations(&mut self) -> Result<Vec<Vec<String>>> {
        let rng = &mut self.rng;
        let mut orgs_by_community: Vec<Vec<String>> = vec![Vec::new(); self.comms.len()];
        let mut org_rows = Vec::new();
        for (ci, c) in self.comms.iter().enumerate() {
            let n = [0, 1, 1, 1, 2, 2, 3][rng.range(0, 7) as usize];
            for k in 0..n {
                let stem = c.name.trim_end_matches("社区").trim_end_matches('村');
                let name = format!("{stem}{}", ORG_SUFFIX[(ci + k) % ORG_SUFFIX.len()]);
                let founded = day(2012, 1, 1) + Duration::days(rng.range(0, 14 * 365) as i64);
                let ended = rng.chance(0.06);
                orgs_by_community[ci].push(name.clone());
                let members = Value::Number(rng.range(8, 90) as f64);
                let status = Value::text(if ended { "解散" } else { "正常" });
                org_rows.push(match self.spec.shape {
                    Shape::Classic => vec![
                        Value::text(name),
                        Value::text(c.district),
                        Value::text(c.street),
                        Value::text(c.name.clone()),
                        Value::text(founded.format("%Y-%m-%d").to_string()),
                        members,
                        status,
                    ],
                    Shape::V2 => vec![
                        Value::text(name),
                        Value::text("社区志愿服务队"),
                        shape::region_path(
                            org_rows.len(),
                            &Value::text(c.district),
                            &Value::text(c.street),
                            &Value::text(c.name.clone()),
                        ),
                        Value::text(founded.format("%Y-%m-%d 08:30:00").to_string()),
                        members,
                        Value::text("社区联络员"),
                        status,
                    ],
                });
            }
        }
        self.m.organizations = org_rows.len();
        let f = "06_志愿服务组织.csv";
        write_csv(
            &self.out.join(f),
            &Table {
                title: None,
                header: match self.spec.shape {
                    Shape::Classic => [
                        "团体名称",
                        "所属区县",
                        "所属街道",
                        "所属社区",
                        "成立日期",
                        "成员数",
                        "状态",
                    ]
                    .map(String::from)
                    .to_vec(),
                    Shape::V2 => shape::V2_TEAMS.map(String::from).to_vec(),
                },
                rows: org_rows,
                total: None,
            },
            TextEncoding::Utf8Bom,
        )?;
        self.m.files.push(f.into());
        Ok(orgs_by_community)
    }

    /// Writes the service records over 2024-2025, `04_服务时长记录_2024` and
    /// `05_服务时长记录_2025`, and the accepted ones to the truth's `records.csv`; then
    /// closes the truth.
    fn write_records(
        &mut self,
        persons: &[Person],
        orgs_by_community: &[Vec<String>],
    ) -> Result<()> {
        let weighted = record_weights(persons);
        let [(mut rec2024, file2024), (mut rec2025, file2025)] = self.open_record_sinks()?;
        let mut produced = 0;
        let mut serial = 0u64;
        // The 2.0 lists carry start and end times: a person's records of one day follow each
        // other, and a day holds at most DAY_HOURS_MAX (a second record only after a short
        // morning one), as real records do; the screening's rules must not find the generated
        // city padded. The hours and the end of each (person, day) drawn so far.
        let mut days: HashMap<(usize, NaiveDate), (f64, NaiveDateTime)> = HashMap::new();
        let timed = self.spec.shape == Shape::V2;
        while produced < self.spec.records && !weighted.is_empty() {
            serial += 1;
            let pi = *self.rng.pick(&weighted);
            let p = &persons[pi];
            let date = START + Duration::days(self.rng.range(0, SPAN_DAYS) as i64);
            if date < p.registered {
                continue;
            }
            let earlier = if timed {
                days.get(&(pi, date)).copied()
            } else {
                None
            };
            if let Some((used, end)) = earlier {
                if used + MAX_RECORD_HOURS > DAY_HOURS_MAX || end.hour() >= 13 {
                    continue;
                }
            }
            produced += 1;
            let mut r = self.draw_record(p, date, serial, orgs_by_community);
            if timed {
                let (used, start) = match earlier {
                    // An hour after the earlier record ends.
                    Some((used, end)) => (used, end + Duration::hours(1)),
                    None => {
                        let (hour, minute) = *self.rng.pick(&DAY_STARTS);
                        let hour = if r.hours > 5.0 { hour.min(9) } else { hour };
                        (
                            0.0,
                            date.and_hms_opt(hour, minute, 0).expect("a start time"),
                        )
                    }
                };
                let end = start + Duration::minutes((r.hours * 60.0).round() as i64);
                r.start = Some(start);
                days.insert((pi, date), (used + r.hours, end));
            }
            self.plant_record_defect(&mut r, produced);
            self.write_truth_record(&r)?;
            self.push_record(r, produced, &mut rec2024, &mut rec2025)?;
        }
        if self.spec.plant_screening > 0.0 {
            let planted = plant::plan(
                self.spec.plant_screening,
                persons,
                &self.comms,
                orgs_by_community,
            );
            self.push_planted(&planted, persons, &mut rec2025)?;
        }
        rec2024.finish()?;
        self.m.files.push(file2024);
        rec2025.finish()?;
        self.m.files.push(file2025);
        if let Some(t) = self.truth.take() {
            t.finish()?;
        }
        Ok(())
    }

    /// Creates the two record files (xlsx, or csv when asked or too many rows) with their
    /// headers.
    fn open_record_sinks(&self) -> Result<[(Sink, String); 2]> {
        let records_csv = self.spec.csv_only || self.spec.records > XLSX_MAX_ROWS;
        let rec2024 = Sink::new(
            self.out,
            "04_服务时长记录_2024",
            "2024年",
            None,
            match self.spec.shape {
                Shape::Classic => [
                    "记录编号",
                    "志愿者编号",
                    "姓名",
                    "项目名称",
                    "服务日期",
                    "服务时长(小时)",
                    "状态",
                    "团体名称",
                ]
                .map(String::from)
                .to_vec(),
                Shape::V2 => shape::V2_RECORDS_BY_NUMBER.map(String::from).to_vec(),
            },
            // As csv, the older export is GBK and the newer UTF-8: both occur.
            records_csv.then_some(TextEncoding::Gbk),
        )?;
        let rec2025 = Sink::new(
            self.out,
            "05_服务时长记录_2025",
            "2025年",
            Some("示例市志愿服务时长记录（2024-12-16至2025-12-31，示例数据）"),
            match self.spec.shape {
                Shape::Classic => [
                    "时长编号",
                    "身份证号",
                    "志愿者姓名",
                    "服务项目",
                    "活动日期",
                    "认定时数",
                    "状态",
                    "服务团体",
                ]
                .map(String::from)
                .to_vec(),
                Shape::V2 => shape::V2_RECORDS_BY_ID.map(String::from).to_vec(),
            },
            records_csv.then_some(TextEncoding::Utf8Bom),
        )?;
        Ok([rec2024, rec2025])
    }

    /// Draws the rest of one record of person `p` on `date`: hours, status and project.
    fn draw_record<'p>(
        &mut self,
        p: &'p Person,
        date: NaiveDate,
        serial: u64,
        orgs_by_community: &[Vec<String>],
    ) -> Record<'p> {
        let hours = *self.rng.pick(&RECORD_HOURS);
        let status = match self.rng.range(0, 100) {
            0..=1 => "未生效",
            2 => "待审核",
            _ => "已生效",
        };
        if status != "已生效" {
            self.m.ineffective_records += 1;
        }
        let org = orgs_by_community[p.community]
            .first()
            .cloned()
            .unwrap_or_default();
        let project = *self.rng.pick(PROJECTS);
        Record {
            person: p,
            record_no: 24_000_000 + serial,
            date,
            hours,
            status,
            org,
            project,
            date_cell: Value::Date(date),
            hours_cell: Value::Number(hours),
            volunteer: p.volunteer_no.clone(),
            accepted: true,
            in_overlap: date >= OVERLAP_FROM && date < SPLIT,
            start: None,
        }
    }

    /// Plants the `produced`th record's defect or odd format, if it has one. Defects are
    /// planted outside the overlap window, so each is written exactly once.
    fn plant_record_defect(&mut self, r: &mut Record, produced: usize) {
        let m = &mut self.m;
        let date = r.date;
        match if r.in_overlap { 999 } else { produced % 1000 } {
            11 => {
                r.date_cell = Value::text(format!("{}-02-30", date.year()));
                m.planted_bad_date += 1;
                r.accepted = false;
            }
            22 => {
                r.hours_cell = Value::Number(0.0);
                m.planted_hours_not_positive += 1;
                r.accepted = false;
            }
            33 => {
                r.hours_cell = Value::Number(30.0);
                m.planted_hours_over_24 += 1;
                r.accepted = false;
            }
            44 => {
                r.volunteer = format!("SL7{:07}", produced);
                m.planted_unknown_person_record += 1;
            }
            n if n % 7 == 1 => {
                r.date_cell = Value::text(format!(
                    "{}年{}月{}日",
                    date.year(),
                    date.month(),
                    date.day()
                ))
            }
            n if n % 7 == 2 => {
                r.date_cell =
                    Value::Number(format!("{}", date.format("%Y%m%d")).parse().unwrap_or(0.0))
            }
            n if n % 7 == 3 && r.hours.fract() != 0.0 => {
                r.hours_cell = Value::text(format!("{}小时30分", r.hours.floor()))
            }
            _ => {}
        }
    }

    /// Writes the record to the truth's `records.csv`, if there is a truth and ingest must
    /// accept the record.
    fn write_truth_record(&mut self, r: &Record) -> Result<()> {
        if let Some(t) = self.truth.as_mut().filter(|_| r.accepted) {
            // A record of a person nobody registered: in 2024 by the number written, in 2025
            // by an ID number of nobody, i.e. no volunteer at all.
            let whose = if r.volunteer != r.person.volunteer_no && r.date >= SPLIT {
                ""
            } else {
                r.volunteer.as_str()
            };
            t.records.write_record([
                r.record_no.to_string().as_str(),
                whose,
                &r.date.format("%Y-%m-%d").to_string(),
                &r.hours.to_string(),
                r.status,
            ])?;
        }
        Ok(())
    }

    /// Writes the planted records into the 2025 export (2.0 shape: by document number, with
    /// start times and entry dates), into the truth's `records.csv` like any accepted record,
    /// and what was planted into the truth's `screening.csv`.
    fn push_planted(
        &mut self,
        planted: &plant::Planted,
        persons: &[Person],
        rec2025: &mut Sink,
    ) -> Result<()> {
        let mut screening = match &self.spec.truth {
            Some(dir) => {
                let path = dir.join("screening.csv");
                let file = std::fs::File::create(&path).map_err(|source| GenError::Create {
                    path: path.clone(),
                    source,
                })?;
                let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
                w.write_record([
                    "rule",
                    "record_no",
                    "district",
                    "street",
                    "community",
                    "month",
                ])?;
                Some(w)
            }
            None => None,
        };
        for r in &planted.records {
            let p = &persons[r.person];
            let person = match &p.document {
                Some((_, number)) => number.clone(),
                None => p.id.clone(),
            };
            let date_cell = Value::Date(r.date);
            let hours_cell = Value::Number(r.hours);
            let row = shape::V2Record {
                record_no: r.record_no,
                person: Value::text(person),
                name: &p.name,
                project: &r.project,
                date: r.date,
                date_cell: &date_cell,
                hours_cell: &hours_cell,
                hours: r.hours,
                status: "已生效",
                org: &r.org,
                start: Some(r.start),
                entered: Some(r.entered),
            }
            .by_id();
            rec2025.push(row)?;
            self.m.record_rows += 1;
            self.m.planted_screening_records += 1;
            if let Some(t) = self.truth.as_mut() {
                t.records.write_record([
                    r.record_no.to_string().as_str(),
                    p.volunteer_no.as_str(),
                    &r.date.format("%Y-%m-%d").to_string(),
                    &r.hours.to_string(),
                    "已生效",
                ])?;
            }
            if let Some(w) = screening.as_mut() {
                let c = &self.comms[p.community];
                w.write_record([
                    r.rule,
                    &r.record_no.to_string(),
                    c.district,
                    c.street,
                    &c.name,
                    "",
                ])?;
            }
        }
        if let Some(w) = screening.as_mut() {
            for (community, month) in &planted.windows {
                let c = &self.comms[*community];
                w.write_record([
                    "spikes_window",
                    "",
                    c.district,
                    c.street,
                    &c.name,
                    &month.format("%Y-%m").to_string(),
                ])?;
            }
            w.flush()?;
        }
        Ok(())
    }

    /// Writes the record into the export(s) of its year: a 2024 record from the overlap
    /// window into both, the `produced`th now and then twice (a planted duplicate).
    fn push_record(
        &mut self,
        r: Record,
        produced: usize,
        rec2024: &mut Sink,
        rec2025: &mut Sink,
    ) -> Result<()> {
        let Record {
            person: p,
            record_no,
            date,
            hours: r_hours,
            status,
            org,
            project,
            date_cell,
            hours_cell,
            volunteer,
            in_overlap,
            start,
            ..
        } = r;
        let m = &mut self.m;
        // The 2.0 hour list has no 证件类型: a person registered with another document is
        // named by its number alone.
        let id = match &p.document {
            Some((_, number)) => number.clone(),
            None => p.id.clone(),
        };
        let shape = self.spec.shape;
        let v2 = |person: Value| shape::V2Record {
            record_no,
            person,
            name: &p.name,
            project,
            date,
            date_cell: &date_cell,
            hours_cell: &hours_cell,
            hours: r_hours,
            status,
            org: &org,
            start,
            entered: None,
        };
        // In the classic shape both exports have the same columns, the person in the second.
        let classic = |person: String| {
            vec![
                Value::Number(record_no as f64),
                Value::text(person),
                Value::text(p.name.clone()),
                Value::text(project),
                date_cell.clone(),
                hours_cell.clone(),
                Value::text(status),
                Value::text(org.clone()),
            ]
        };
        // The 2024 export names people by 志愿者编号, the 2025 export by ID number.
        let by_number = |vol: String| match shape {
            Shape::Classic => classic(vol),
            Shape::V2 => v2(Value::text(vol)).by_number(),
        };
        let by_id = |person: String| match shape {
            Shape::Classic => classic(person),
            Shape::V2 => v2(Value::text(person)).by_id(),
        };
        if date < SPLIT {
            let row = by_number(volunteer.clone());
            if produced % 1000 == 55 && !in_overlap {
                rec2024.push(row.clone())?;
                m.record_rows += 1;
                m.planted_duplicate_record += 1;
            }
            if date >= OVERLAP_FROM {
                // The 2025 export starts two weeks early: the same records again, keyed by ID.
                m.record_rows += 1;
                rec2025.push(by_id(id.clone()))?;
                m.planted_overlap_record += 1;
            }
            rec2024.push(row)?;
            m.record_rows += 1;
        } else {
            // The 2025 export names people by ID: an unknown person is a valid ID of nobody
            // registered (region 9909.., which no generated volunteer has).
            let person_cell = if volunteer == p.volunteer_no {
                id.clone()
            } else {
                synth_id(&mut self.rng, 9, &mut self.used_ids).0
            };
            rec2025.push(by_id(person_cell))?;
            self.m.record_rows += 1;
        }
        Ok(())
    }

    /// Writes 活动台账, 站点台账, 需求台账 and 培训台账 (`07` to `10`), drawn community by
    /// community.
    fn write_other_ledgers(&mut self) -> Result<()> {
        let mut l = Ledgers::default();
        for c in &self.comms {
            l.draw_activities(&mut self.rng, c);
            l.draw_station(&mut self.rng, c);
            l.draw_needs(&mut self.rng, c);
            l.draw_trainings(&mut self.rng, c);
        }
        self.m.activities = l.activities.len();
        self.m.stations = l.stations.len();
        self.m.needs = l.needs.len();
        self.m.trainings = l.trainings.len();
        let (out, csv_only) = (self.out, self.spec.csv_only);
        let table = Table {
            title: Some("示例市社区志愿服务活动台账".into()),
            header: [
                "活动名称",
                "活动日期",
                "区县",
                "街道",
                "社区",
                "服务类别",
                "服务对象",
                "参与人数",
                "服务时长",
            ]
            .map(String::from)
            .to_vec(),
            rows: l.activities,
            total: None,
        };
        self.m.files.push(write_table(
            out,
            "07_活动台账",
            "活动台账",
            &table,
            csv_only,
        )?);
        let f = "08_站点台账.csv";
        write_csv(
            &out.join(f),
            &Table {
                title: None,
                header: ["区县", "街道", "社区", "站点名称", "建站日期"]
                    .map(String::from)
                    .to_vec(),
                rows: l.stations,
                total: None,
            },
            TextEncoding::Utf8,
        )?;
        self.m.files.push(f.into());
        let table = Table {
            title: None,
            header: [
                "区县",
                "街道",
                "社区",
                "需求内容",
                "服务对象",
                "登记日期",
                "状态",
                "解决日期",
            ]
            .map(String::from)
            .to_vec(),
            rows: l.needs,
            total: None,
        };
        self.m.files.push(write_table(
            out,
            "09_需求台账",
            "需求台账",
            &table,
            csv_only,
        )?);
        let f = "10_培训台账.csv";
        write_csv(
            &out.join(f),
            &Table {
                title: None,
                header: ["培训名称", "培训日期", "区县", "街道", "社区", "参训人数"]
                    .map(String::from)
                    .to_vec(),
                rows: l.trainings,
                total: None,
            },
            TextEncoding::Utf8Bom,
        )?;
        self.m.files.push(f.into());
        Ok(())
    }

    /// Writes `vbrief.toml` (the sample's configuration: the alias that maps the old
    /// community name) and `manifest.json`; returns the manifest.
    fn write_config_and_manifest(self) -> Result<Manifest> {
        let config = format!(
            "{}\n\"{OLD_NAME}\" = \"{}/{OLD_NAME_TARGET}\"\n",
            domain::config::DEFAULT_CONFIG.trim_end(),
            self.comms
                .iter()
                .find(|c| c.name == OLD_NAME_TARGET)
                .map_or("", |c| c.district),
        );
        std::fs::write(self.out.join("vbrief.toml"), config)?;
        std::fs::write(
            self.out.join("manifest.json"),
            serde_json::to_string_pretty(&self.m)? + "\n",
        )?;
        Ok(self.m)
    }
}

/// Which persons serve, as a list to draw from with each person as often as they are
/// likely to serve: most volunteers serve a little, a few a lot.
fn record_weights(persons: &[Person]) -> Vec<usize> {
    let active: Vec<usize> = (0..persons.len())
        .filter(|&i| !persons[i].cancelled && i % 10 < 6)
        .collect();
    // A few model communities (every 20th) serve far more, so some reach the 25 h target.
    let model = |community: usize| community % 20 == 3;
    let mut weighted = Vec::new();
    for &i in &active {
        let base = 1 + i % 7 + 12 * usize::from(i % 97 == 0);
        let times = if model(persons[i].community) {
            base * 8
        } else {
            base
        };
        for _ in 0..times {
            weighted.push(i);
        }
    }
    weighted
}

/// The rows of 活动台账, 站点台账, 需求台账 and 培训台账, as they are drawn.
#[derive(Default)]
struct Ledgers {
    activities: Vec<Vec<Value>>,
    stations: Vec<Vec<Value>>,
    needs: Vec<Vec<Value>>,
    trainings: Vec<Vec<Value>>,
    // Ledger rows with the same community, date and name would be duplicates: keep them unique.
    activity_keys: HashSet<(&'static str, String, NaiveDate, String)>,
    need_keys: HashSet<(&'static str, String, NaiveDate, &'static str)>,
}

/// A community as a ledger names it: now and then by its residents' committee (居委会).
fn community_cell(rng: &mut Rng, c: &Community) -> String {
    if rng.chance(0.1) {
        format!("{}居委会", c.name)
    } else {
        c.name.clone()
    }
}

impl Ledgers {
    /// Draws community `c`'s rows of 活动台账.
    fn draw_activities(&mut self, rng: &mut Rng, c: &Community) {
        for _ in 0..rng.range(4, 40) {
            let date = START + Duration::days(rng.range(0, SPAN_DAYS) as i64);
            let name = format!("{}{}", c.name.trim_end_matches("社区"), rng.pick(PROJECTS));
            if !self
                .activity_keys
                .insert((c.district, c.name.clone(), date, name.clone()))
            {
                continue;
            }
            self.activities.push(vec![
                Value::text(name),
                Value::Date(date),
                Value::text(c.district),
                Value::text(c.street),
                Value::text(community_cell(rng, c)),
                Value::text(*rng.pick(CATEGORIES)),
                Value::text(*rng.pick(TARGET_GROUPS)),
                Value::Number(rng.range(5, 60) as f64),
                Value::Number(rng.range(1, 5) as f64),
            ]);
        }
    }

    /// Draws community `c`'s row of 站点台账, if it has a station.
    fn draw_station(&mut self, rng: &mut Rng, c: &Community) {
        if rng.chance(0.88) {
            let est = day(2015, 1, 1) + Duration::days(rng.range(0, 11 * 365) as i64);
            self.stations.push(vec![
                Value::text(c.district),
                Value::text(c.street),
                Value::text(community_cell(rng, c)),
                Value::text(format!("{}志愿服务站", c.name)),
                Value::text(format!("{}年{}月{}日", est.year(), est.month(), est.day())),
            ]);
        }
    }

    /// Draws community `c`'s rows of 需求台账 (dates as Excel serial numbers).
    fn draw_needs(&mut self, rng: &mut Rng, c: &Community) {
        for _ in 0..rng.range(0, 14) {
            let collected = START + Duration::days(rng.range(0, SPAN_DAYS) as i64);
            let need = *rng.pick(NEEDS);
            if !self
                .need_keys
                .insert((c.district, c.name.clone(), collected, need))
            {
                continue;
            }
            let (status, resolved) = match rng.range(0, 20) {
                0..=11 => (
                    "已解决",
                    Some(collected + Duration::days(rng.range(1, 60) as i64)),
                ),
                12..=16 => ("办理中", None),
                _ => ("未解决", None),
            };
            let serial = |d: NaiveDate| Value::Number((d - day(1899, 12, 30)).num_days() as f64);
            self.needs.push(vec![
                Value::text(c.district),
                Value::text(c.street),
                Value::text(community_cell(rng, c)),
                Value::text(need),
                Value::text(*rng.pick(TARGET_GROUPS)),
                serial(collected),
                Value::text(status),
                resolved.map_or(Value::Empty, serial),
            ]);
        }
    }

    /// Draws community `c`'s rows of 培训台账.
    fn draw_trainings(&mut self, rng: &mut Rng, c: &Community) {
        for _ in 0..rng.range(0, 4) {
            let date = START + Duration::days(rng.range(0, SPAN_DAYS) as i64);
            self.trainings.push(vec![
                Value::text(*rng.pick(TRAININGS)),
                Value::text(date.format("%Y%m%d").to_string()),
                Value::text(c.district),
                Value::text(c.street),
                Value::text(c.name.clone()),
                Value::Number(rng.range(10, 80) as f64),
            ]);
        }
    }
}
