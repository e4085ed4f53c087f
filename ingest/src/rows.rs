//! Turning one row of one kind into a staged warehouse row, or a quarantine entry saying why not.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use duckdb::{params, Appender};

use crate::batch::{staging_schema, StagedChunk, StagedColumns, StagingSchema};
use crate::community::{CommunityIndex, Match};
use crate::config::Config;
use crate::header::ColumnMap;
use crate::identity::{record_key, Key128, PseudonymKey};
use crate::kind::{Field, SourceKind};
use crate::parse::date::{
    datetime_from_excel_serial, from_excel_serial, parse_date_text, parse_datetime_text, parse_year,
};
use crate::parse::document::{self, DocumentType};
use crate::parse::hours::parse_hours_text;
use crate::parse::id_number::{IdError, IdNumber};
use crate::parse::text::{clean, compact, compact_cow, mask_name, safe_excerpt};
use crate::reader::Cell;
use crate::staged_scan::ChunkFeed;
use crate::warehouse::table_of;

/// Why a row is quarantined.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub column: Option<String>,
    /// Stable code, e.g. `invalid_id`, `unknown_community`.
    pub reason: &'static str,
    /// What is wrong, in words (Chinese, then English), never with personal data.
    pub detail: String,
    pub candidates: String,
    pub masked_name: Option<String>,
}

/// Where one sheet's rows are staged: its kind's table (chunks, and rows one at a time) and
/// the quarantine.
pub struct Stage<'conn> {
    conn: &'conn duckdb::Connection,
    /// The sheet's kind's staging table (`stg_population` for the communities ledger), for
    /// rows appended one at a time (the communities ledger's).
    pub rows: Appender<'conn>,
    /// The same table, for prepared chunks.
    chunks: ChunkFeed,
    /// Its columns, for [`crate::batch::StagedColumns`].
    pub schema: StagingSchema,
    quarantine: Appender<'conn>,
}

/// Writes a row's values into its staging columns, in the table's column order (see
/// [`prepare_row`]). Only after every check of the row has passed: a row is written whole.
macro_rules! stage {
    ($out:expr; $($v:expr),* $(,)?) => {{
        $($out.put($v);)*
        $out.end_row();
    }};
}

impl<'conn> Stage<'conn> {
    pub fn new(conn: &'conn duckdb::Connection, kind: SourceKind) -> duckdb::Result<Stage<'conn>> {
        let table = format!("stg_{}", table_of(kind));
        let schema = staging_schema(conn, kind)?;
        Ok(Stage {
            conn,
            rows: conn.appender(&table)?,
            chunks: ChunkFeed::new(table, schema.clone()),
            schema,
            quarantine: conn.appender("stg_quarantine")?,
        })
    }

    /// Stages prepared rows (a batch of [`crate::batch::StagedColumns`], as chunks).
    pub fn append_chunks(&mut self, chunks: Vec<StagedChunk>) -> duckdb::Result<()> {
        self.chunks.push(self.conn, chunks)
    }

    pub fn flush(&mut self) -> duckdb::Result<()> {
        self.chunks.insert(self.conn)?;
        self.rows.flush()?;
        self.quarantine.flush()
    }

    pub fn quarantine(
        &mut self,
        file_id: i32,
        row: u64,
        kind: SourceKind,
        r: &Rejection,
        whose: &Whose,
    ) -> duckdb::Result<()> {
        debug_assert!(
            domain::quality::REASONS
                .iter()
                .any(|(c, _, _)| *c == r.reason),
            "quarantine reason {} is not in domain::quality::REASONS",
            r.reason
        );
        self.quarantine.append_row(params![
            file_id,
            row as i64,
            kind.name(),
            r.column,
            r.reason,
            r.detail,
            r.candidates,
            r.masked_name,
            whose.community_id,
            whose.community_text,
            whose.person_key.map(|k| k.to_hex())
        ])
    }
}

/// Whose a quarantined row is, as far as the row tells: the community that must fix it
/// (matched to the ledger when possible, else as written) and the person it is about.
#[derive(Debug, Clone, Default)]
pub struct Whose {
    pub community_id: Option<i32>,
    /// `区县/街道/社区` as written in the row (compacted), when the row names a community.
    pub community_text: Option<String>,
    pub person_key: Option<Key128>,
}

/// What a row processor needs besides the row.
pub struct RowContext<'a> {
    pub map: &'a ColumnMap,
    pub header_cells: &'a [String],
    pub key: &'a PseudonymKey,
    pub config: &'a Config,
    pub communities: &'a CommunityIndex,
    pub file_id: i32,
}

/// `YYYY-MM-DD`, for keys.
fn day(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

impl RowContext<'_> {
    fn column_name(&self, field: Field) -> Option<String> {
        self.map
            .get(field)
            .and_then(|i| self.header_cells.get(i))
            .and_then(|h| clean(h))
    }

    fn cell<'c>(&self, cells: &'c [Cell], field: Field) -> Option<&'c Cell> {
        self.map
            .get(field)
            .and_then(|i| cells.get(i))
            .filter(|c| !c.is_blank())
    }

    fn reject(&self, field: Option<Field>, reason: &'static str, detail: String) -> Rejection {
        Rejection {
            column: field.and_then(|f| self.column_name(f)),
            reason,
            detail,
            candidates: String::new(),
            masked_name: None,
        }
    }

    fn cell_error(&self, field: Field, cell: &Cell) -> Option<Rejection> {
        match cell {
            Cell::Error(e) => Some(self.reject(
                Some(field),
                "cell_error",
                format!("单元格为错误值 {e} (the cell holds an Excel error)"),
            )),
            _ => None,
        }
    }

    /// Text of an optional field.
    pub fn text(&self, cells: &[Cell], field: Field) -> Option<String> {
        self.text_ref(cells, field).map(Cow::into_owned)
    }

    /// [`RowContext::text`], borrowed from the cell when cleaning leaves it as it is: what is
    /// only staged needs no copy of its own.
    pub fn text_ref<'c>(&self, cells: &'c [Cell], field: Field) -> Option<Cow<'c, str>> {
        match self.cell(cells, field)? {
            Cell::Error(_) => None,
            c => c.text(),
        }
    }

    fn required_text(&self, cells: &[Cell], field: Field, what: &str) -> Result<String, Rejection> {
        if let Some(c) = self.cell(cells, field) {
            if let Some(r) = self.cell_error(field, c) {
                return Err(r);
            }
        }
        self.text(cells, field).ok_or_else(|| {
            self.reject(
                Some(field),
                "missing_value",
                format!("{what}为空 ({what} is empty)"),
            )
        })
    }

    fn date(&self, cells: &[Cell], field: Field) -> Result<Option<NaiveDate>, Rejection> {
        let Some(cell) = self.cell(cells, field) else {
            return Ok(None);
        };
        if let Some(r) = self.cell_error(field, cell) {
            return Err(r);
        }
        let parsed = match cell {
            Cell::Date(d) => Ok(*d),
            Cell::DateTime(t) => Ok(t.date()),
            Cell::Number(n) => {
                let digits = format!("{n:.0}");
                if n.fract() == 0.0 && digits.len() == 8 {
                    parse_date_text(&digits).map_err(|e| e.0)
                } else {
                    from_excel_serial(*n).map_err(|e| e.0)
                }
            }
            Cell::Text(t) => parse_date_text(t).map_err(|e| e.0),
            other => Err(format!(
                "无法识别的日期 '{}' (unrecognized date)",
                safe_excerpt(&other.as_text().unwrap_or_default())
            )),
        };
        parsed
            .map(Some)
            .map_err(|detail| self.reject(Some(field), "bad_date", detail))
    }

    /// A date with its time of day (开始时间, 结束时间).
    fn datetime(&self, cells: &[Cell], field: Field) -> Result<Option<NaiveDateTime>, Rejection> {
        let Some(cell) = self.cell(cells, field) else {
            return Ok(None);
        };
        if let Some(r) = self.cell_error(field, cell) {
            return Err(r);
        }
        let parsed = match cell {
            Cell::Date(d) => Ok(d.and_hms_opt(0, 0, 0).expect("midnight")),
            Cell::DateTime(t) => Ok(*t),
            Cell::Number(n) => datetime_from_excel_serial(*n).map_err(|e| e.0),
            Cell::Text(t) => parse_datetime_text(t).map_err(|e| e.0),
            other => Err(format!(
                "无法识别的时间 '{}' (unrecognized date and time)",
                safe_excerpt(&other.as_text().unwrap_or_default())
            )),
        };
        parsed
            .map(Some)
            .map_err(|detail| self.reject(Some(field), "bad_date", detail))
    }

    fn required_date(
        &self,
        cells: &[Cell],
        field: Field,
        what: &str,
    ) -> Result<NaiveDate, Rejection> {
        self.date(cells, field)?.ok_or_else(|| {
            self.reject(
                Some(field),
                "missing_value",
                format!("{what}为空 ({what} is empty)"),
            )
        })
    }

    fn hours(&self, cells: &[Cell], field: Field) -> Result<Option<f64>, Rejection> {
        let Some(cell) = self.cell(cells, field) else {
            return Ok(None);
        };
        if let Some(r) = self.cell_error(field, cell) {
            return Err(r);
        }
        let parsed = match cell {
            Cell::Number(n) => Ok(*n),
            Cell::Duration(h) => Ok(*h),
            Cell::Text(t) => parse_hours_text(t).map_err(|e| e.0),
            other => Err(format!(
                "无法识别的时长 '{}' (unrecognized hours)",
                safe_excerpt(&other.as_text().unwrap_or_default())
            )),
        };
        parsed
            .map(Some)
            .map_err(|detail| self.reject(Some(field), "bad_hours", detail))
    }

    fn count(&self, cells: &[Cell], field: Field, what: &str) -> Result<Option<i64>, Rejection> {
        let Some(cell) = self.cell(cells, field) else {
            return Ok(None);
        };
        if let Some(r) = self.cell_error(field, cell) {
            return Err(r);
        }
        let text = cell.as_text().unwrap_or_default();
        let cleaned = compact(&text);
        let cleaned = cleaned
            .trim_end_matches(['人', '个', '名'])
            .replace(',', "");
        match cleaned.parse::<f64>() {
            // At most i32::MAX: members and participants are INTEGER columns (and no community
            // has more people than that).
            Ok(v) if v >= 0.0 && v.fract() == 0.0 && v <= f64::from(i32::MAX) => Ok(Some(v as i64)),
            _ => Err(self.reject(
                Some(field),
                "bad_number",
                format!(
                    "{what}应为非负整数，实际为 '{}' ({what} must be a whole number)",
                    safe_excerpt(&text)
                ),
            )),
        }
    }

    /// The row's community: from district/street/community columns, or from a region column
    /// (`服务区域` …) that holds a whole path or names the district the community is in.
    /// Separate columns win: a region column is read only for what they do not give.
    fn community(&self, cells: &[Cell]) -> Result<i32, Rejection> {
        let district = self.text_ref(cells, Field::District);
        let street = self.text_ref(cells, Field::Street);
        let name = self.text_ref(cells, Field::Community);
        let region = self.text_ref(cells, Field::Region);
        let (found, field, shown): (Match, Field, &str) = match (&name, &region) {
            (Some(name), Some(region)) if district.is_none() => (
                self.communities
                    .find_in_region(region, street.as_deref(), name),
                Field::Community,
                name,
            ),
            (None, Some(region)) => {
                let path: Vec<&str> = [district.as_deref(), street.as_deref(), Some(region)]
                    .into_iter()
                    .flatten()
                    .collect();
                (
                    self.communities.find_path(&path.join("/")),
                    Field::Region,
                    region,
                )
            }
            _ => (
                self.communities
                    .find(district.as_deref(), street.as_deref(), name.as_deref()),
                Field::Community,
                name.as_deref().unwrap_or_default(),
            ),
        };
        let field = if self.map.has(field) {
            field
        } else {
            Field::Region
        };
        match found {
            Match::Found(id) => Ok(id),
            Match::Missing => Err(self.reject(
                Some(field),
                "missing_community",
                "社区为空 (community is empty)".into(),
            )),
            Match::Unknown { candidates } => Err(Rejection {
                candidates: candidates.join("; "),
                ..self.reject(
                    Some(field),
                    "unknown_community",
                    format!(
                        "人口台账中没有社区 '{}'{}；若是旧称，请在设置的“社区别名”中添加 (community not in the communities ledger; an old name: add an alias in the settings)",
                        safe_excerpt(shown),
                        district.as_deref().map(|d| format!("（{}）", safe_excerpt(d))).unwrap_or_default()
                    ),
                )
            }),
            Match::Ambiguous { candidates } => Err(Rejection {
                candidates: candidates.join("; "),
                ..self.reject(
                    Some(field),
                    "ambiguous_community",
                    format!(
                        "社区 '{}' 在多个区县/街道都有，请补充区县或街道 (community name exists in several districts; the row must give its district or street)",
                        safe_excerpt(shown)
                    ),
                )
            }),
        }
    }

    /// Whose a rejected row is (only called for rejected rows: it re-reads a few cells).
    pub fn whose(&self, cells: &[Cell]) -> Whose {
        let parts: Vec<String> = [
            Field::Region,
            Field::District,
            Field::Street,
            Field::Community,
        ]
        .into_iter()
        .filter_map(|f| self.text_ref(cells, f).map(|t| compact_cow(t).into_owned()))
        .filter(|t| !t.is_empty())
        .collect();
        let names_community = self.map.has(Field::Community) || self.map.has(Field::Region);
        let community_id = if self.map.kind.needs_communities() && names_community {
            self.community(cells).ok()
        } else {
            None
        };
        let person_key = match self.map.kind {
            SourceKind::Volunteers | SourceKind::ServiceRecords => {
                self.person(cells).ok().map(|p| p.key)
            }
            _ => None,
        };
        Whose {
            community_id,
            community_text: (!parts.is_empty()).then(|| safe_excerpt(&parts.join("/"))),
            person_key,
        }
    }

    /// Whom a service record names: as [`RowContext::person`], except that a 证件号码 which is
    /// not a valid ID number, with no 证件类型 to say what it is, is looked up among the
    /// registered volunteers' other documents (docs/CONTRACT.md §3).
    fn record_person(&self, cells: &[Cell]) -> Result<RecordPerson, Rejection> {
        let typed = self
            .text(cells, Field::IdType)
            .and_then(|t| document::classify(&t))
            .is_some();
        if let (false, Some(Cell::Text(text))) = (typed, self.cell(cells, Field::IdNumber)) {
            // What `person` would find for a valid number, without parsing it a second time:
            // with no 证件类型 it parses the cleaned text, and cleaning (trim, half-width) only
            // does part of what the parse's own `compact` does, so the result is the same.
            let e = match IdNumber::parse(text) {
                Ok(id) => return Ok(RecordPerson::Known(self.person_with_id(&id))),
                Err(e) => e,
            };
            let number = document::normalize_number(text);
            let number = number.trim_start_matches('\'');
            // Documents have at most 20 characters: a longer cell is a broken ID cell.
            if e != IdError::Empty && !number.is_empty() && number.chars().count() <= 20 {
                let unmatched = if shaped_like_an_id(number) {
                    self.reject(Some(Field::IdNumber), "invalid_id", e.reason())
                } else {
                    self.reject(
                        Some(Field::IdNumber),
                        "unknown_document",
                        UNKNOWN_DOCUMENT.into(),
                    )
                };
                return Ok(RecordPerson::Lookup {
                    document_key: self.key.document_number_key(number),
                    unmatched,
                });
            }
        }
        self.person(cells).map(RecordPerson::Known)
    }

    fn person_with_id(&self, id: &IdNumber) -> Person {
        Person {
            key: self.key.person_from_id(id),
            from_no: false,
            birth_year: Some(id.birth_year()),
            gender: Some(id.gender()),
            document_key: None,
        }
    }

    /// The person key from 证件号码 (preferred) or 志愿者编号, with birth year and gender. With
    /// a 证件类型 other than a 居民身份证 (or a residence permit numbered like one), the number
    /// is keyed with its type and never checked against GB 11643.
    fn person(&self, cells: &[Cell]) -> Result<Person, Rejection> {
        if let Some(cell) = self.cell(cells, Field::IdNumber) {
            if let Some(r) = self.cell_error(Field::IdNumber, cell) {
                return Err(r);
            }
            let document = self
                .text(cells, Field::IdType)
                .and_then(|t| document::classify(&t));
            if let Some(DocumentType::Other(document_type)) = document {
                let number = document::normalize_number(&cell.as_text().unwrap_or_default());
                if number.is_empty() {
                    return Err(self.reject(
                        Some(Field::IdNumber),
                        "missing_id",
                        "证件号码为空 (document number is empty)".into(),
                    ));
                }
                return Ok(Person {
                    key: self.key.person_from_document(&document_type, &number),
                    from_no: false,
                    birth_year: None,
                    gender: None,
                    document_key: Some(self.key.document_number_key(&number)),
                });
            }
            let parsed = match cell {
                Cell::Number(n) => IdNumber::from_number(*n),
                other => IdNumber::parse(&other.as_text().unwrap_or_default()),
            };
            return match parsed {
                Ok(id) => Ok(self.person_with_id(&id)),
                Err(e) => Err(self.reject(Some(Field::IdNumber), "invalid_id", e.reason())),
            };
        }
        if let Some(no) = self.text_ref(cells, Field::VolunteerNo) {
            return Ok(Person {
                key: self.key.person_from_volunteer_no(&compact_cow(no)),
                from_no: true,
                birth_year: None,
                gender: None,
                document_key: None,
            });
        }
        Err(self.reject(
            Some(Field::IdNumber),
            "missing_id",
            "证件号码和志愿者编号都为空 (neither ID number nor volunteer number given)".into(),
        ))
    }
}

struct Person {
    key: Key128,
    from_no: bool,
    birth_year: Option<i32>,
    gender: Option<&'static str>,
    /// For a document other than the ID card: the lookup key of its number alone, kept with
    /// the volunteer so that records naming the number without its type find the person.
    document_key: Option<Key128>,
}

/// Whom an hour record names.
enum RecordPerson {
    Known(Person),
    /// A 证件号码 that is not a valid ID number, in an export without 证件类型: perhaps a
    /// registered volunteer's passport or permit. The record is staged with the number's
    /// lookup key and the rejection it gets if no registered person holds that number
    /// (resolved at the merge: `warehouse::resolve_document_records`).
    Lookup {
        document_key: Key128,
        unmatched: Rejection,
    },
}

/// Whether a number that failed as an ID number still looks like one (15 to 18 digits, the
/// last perhaps X, or Excel's scientific notation): if nobody holds it as another document it
/// is a mistyped ID number (`invalid_id`), not an unknown document.
fn shaped_like_an_id(number: &str) -> bool {
    let digits = number.strip_suffix('X').unwrap_or(number);
    (number.contains('E') && number.contains('+'))
        || ((15..=18).contains(&number.len()) && digits.chars().all(|c| c.is_ascii_digit()))
}

/// Why a record whose number nobody holds is quarantined (`unknown_document`).
pub const UNKNOWN_DOCUMENT: &str = "证件号码不是有效的身份证号，也不是已注册志愿者使用的其他证件号；若是护照、通行证等，请导入该志愿者的注册信息（含证件类型），此行将自动计入 (not a valid ID number, nor another document of a registered volunteer)";

/// Why a record whose number several persons hold is quarantined (`ambiguous_document`).
pub const AMBIGUOUS_DOCUMENT: &str = "证件号码被多名已注册志愿者用作不同类型的证件，无法确定是谁；请在导出中加上证件类型列 (several registered volunteers hold this number as different documents)";

/// A row of the communities ledger, before its community gets an id.
pub struct LedgerRow {
    pub district: String,
    pub street: String,
    pub community: String,
    pub population: i64,
    pub as_of: Option<NaiveDate>,
}

/// Reads a communities-ledger row.
pub fn ledger_row(ctx: &RowContext<'_>, cells: &[Cell]) -> Result<LedgerRow, Rejection> {
    let community = ctx.required_text(cells, Field::Community, "社区")?;
    let population = ctx
        .count(cells, Field::Population, "常住人口")?
        .ok_or_else(|| {
            ctx.reject(
                Some(Field::Population),
                "missing_value",
                "常住人口为空 (population is empty)".into(),
            )
        })?;
    let as_of = match ctx.date(cells, Field::AsOfDate)? {
        Some(d) => Some(d),
        None => match ctx.cell(cells, Field::AsOfYear) {
            Some(c) => Some(
                parse_year(&c.as_text().unwrap_or_default())
                    .map_err(|e| ctx.reject(Some(Field::AsOfYear), "bad_date", e.0))?,
            ),
            None => None,
        },
    };
    Ok(LedgerRow {
        district: ctx.text(cells, Field::District).unwrap_or_default(),
        street: ctx.text(cells, Field::Street).unwrap_or_default(),
        community,
        population,
        as_of,
    })
}

/// A row written to its staging columns.
pub struct StagedRow {
    /// For a record that names a document number to be looked up at the merge: the
    /// quarantine entry it keeps if no registered person holds the number (staged with it, and
    /// removed at the merge when the number is found).
    pub unless_found: Option<Rejection>,
}

/// Writes the values of a row of any kind but the communities ledger to `out` (its staging
/// table's columns), or says why it goes to quarantine (then nothing is written). Pure (no
/// warehouse access): rows are prepared on several threads while the loading thread appends.
pub fn prepare_row(
    ctx: &RowContext<'_>,
    row: u64,
    cells: &[Cell],
    out: &mut StagedColumns,
) -> Result<StagedRow, Rejection> {
    let f = ctx.file_id;
    let r = row as i64;
    match ctx.map.kind {
        SourceKind::Communities => unreachable!("ledger rows are staged by the pipeline"),
        SourceKind::Volunteers => prepare_volunteer(ctx, cells, f, r, out),
        SourceKind::ServiceRecords => return prepare_service_record(ctx, cells, f, r, out),
        SourceKind::Organizations => prepare_organization(ctx, cells, f, r, out),
        SourceKind::Activities => prepare_activity(ctx, cells, f, r, out),
        SourceKind::Stations => prepare_station(ctx, cells, f, r, out),
        SourceKind::Needs => prepare_need(ctx, cells, f, r, out),
        SourceKind::Trainings => prepare_training(ctx, cells, f, r, out),
    }?;
    Ok(StagedRow { unless_found: None })
}

/// A volunteer registration (志愿者注册信息).
fn prepare_volunteer(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<(), Rejection> {
    let masked = ctx.text_ref(cells, Field::Name).and_then(|n| mask_name(&n));
    let with_name = |mut e: Rejection| {
        e.masked_name = masked.clone();
        e
    };
    let person = ctx.person(cells).map_err(with_name)?;
    let registered = ctx
        .required_date(cells, Field::RegisteredOn, "注册时间")
        .map_err(with_name)?;
    let community = ctx.community(cells).map_err(with_name)?;
    let reported = ctx.hours(cells, Field::ReportedHours).unwrap_or(None);
    // The 2.0 lists code gender as 1/2 (GB/T 2261.1).
    let gender = ctx
        .text(cells, Field::Gender)
        .map(|g| match g.as_str() {
            "1" => "男".to_string(),
            "2" => "女".to_string(),
            _ => g,
        })
        .or(person.gender.map(String::from));
    let status = if ctx.map.has(Field::Status) {
        Some(ctx.text_ref(cells, Field::Status).unwrap_or_default())
    } else {
        None
    };
    stage!(out;
        person.key,
        ctx.text_ref(cells, Field::VolunteerNo).map(compact_cow),
        masked,
        gender,
        person.birth_year,
        registered,
        community,
        status,
        reported,
        f,
        r,
        ctx.text_ref(cells, Field::Verification),
        person.document_key
    );
    Ok(())
}

/// A service-hour record (服务时长记录).
fn prepare_service_record(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<StagedRow, Rejection> {
    let (person, document_key, unless_found) = match ctx.record_person(cells)? {
        RecordPerson::Known(p) => (Some(p), None, None),
        RecordPerson::Lookup {
            document_key,
            unmatched,
        } => (None, Some(document_key), Some(unmatched)),
    };
    let Served {
        on: served,
        hours,
        start,
        end,
    } = served_and_hours(ctx, cells)?;
    if hours <= 0.0 {
        return Err(ctx.reject(
            Some(Field::Hours),
            "hours_not_positive",
            format!(
                "服务时长 {} 不大于0 (hours must be positive)",
                safe_excerpt(&hours.to_string())
            ),
        ));
    }
    if hours > 24.0 {
        return Err(ctx.reject(
            Some(Field::Hours),
            "hours_over_24",
            format!(
                "单条记录服务时长 {} 超过24小时 (more than 24 hours in one record)",
                safe_excerpt(&hours.to_string())
            ),
        ));
    }
    let status = if ctx.map.has(Field::Status) {
        Some(ctx.text_ref(cells, Field::Status).unwrap_or_default())
    } else {
        None
    };
    let record_no = ctx.text_ref(cells, Field::RecordNo).map(compact_cow);
    // The identity key: from the record number when there is one (the other form needs the
    // person, which may be linked only at merge time: `warehouse::key_service_records`).
    let k = record_no.as_deref().map(record_key);
    // 录入日期 is kept for the screening only: one that cannot be read is left empty, never a
    // reason to refuse the record.
    let entered = ctx.date(cells, Field::EnteredOn).ok().flatten();
    // The staging table's last column, `document_key`, is staging only (see
    // `warehouse::create_staging`).
    stage!(out;
        k,
        record_no,
        person.as_ref().map(|p| p.key),
        person.as_ref().is_some_and(|p| p.from_no),
        ctx.text_ref(cells, Field::VolunteerNo).map(compact_cow),
        ctx.text_ref(cells, Field::Project),
        served,
        hours,
        status,
        ctx.text_ref(cells, Field::Organization),
        f,
        r,
        start,
        end,
        entered,
        document_key
    );
    Ok(StagedRow { unless_found })
}

/// When a record was served: its date, hours, and its start and end when the export gives them.
struct Served {
    on: NaiveDate,
    hours: f64,
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
}

/// The date a record was served and its hours. The date: 服务日期 (or 服务时间, 活动日期,
/// 日期), else the date of 开始时间; never 录入日期 or 审核时间, which say when it was typed in.
/// The hours: the hours column (服务时长, 录入时长, 认定时长 …), else 结束时间 − 开始时间,
/// rounded to 0.01 h. The start and end are kept as given (for the screening of overlaps); an
/// end time that cannot be read beside an hours column is left empty, as before.
fn served_and_hours(ctx: &RowContext<'_>, cells: &[Cell]) -> Result<Served, Rejection> {
    let start = ctx.datetime(cells, Field::StartTime)?;
    let served = match ctx.date(cells, Field::ServedOn)? {
        Some(d) => d,
        None => start.map(|t| t.date()).ok_or_else(|| {
            let field = if ctx.map.has(Field::ServedOn) {
                Field::ServedOn
            } else {
                Field::StartTime
            };
            ctx.reject(
                Some(field),
                "missing_value",
                "服务日期为空 (服务日期 is empty)".into(),
            )
        })?,
    };
    if let Some(hours) = ctx.hours(cells, Field::Hours)? {
        let end = ctx.datetime(cells, Field::EndTime).ok().flatten();
        return Ok(Served {
            on: served,
            hours,
            start,
            end,
        });
    }
    let end = ctx.datetime(cells, Field::EndTime)?;
    match (start, end) {
        (Some(start), Some(end)) => {
            let seconds = (end - start).num_seconds();
            if seconds <= 0 {
                return Err(ctx.reject(
                    Some(Field::EndTime),
                    "hours_not_positive",
                    "结束时间不晚于开始时间 (end time is not after the start time)".into(),
                ));
            }
            Ok(Served {
                on: served,
                hours: (seconds as f64 / 36.0).round() / 100.0,
                start: Some(start),
                end: Some(end),
            })
        }
        _ => {
            let field = if ctx.map.has(Field::Hours) {
                Field::Hours
            } else {
                Field::EndTime
            };
            let detail = if ctx.map.has(Field::EndTime) {
                "服务时长为空，且没有开始和结束时间可以计算 (hours are empty and there are no start and end times to compute them)"
            } else {
                "服务时长为空 (hours are empty)"
            };
            Err(ctx.reject(Some(field), "missing_value", detail.into()))
        }
    }
}

/// A volunteer organization (志愿服务组织).
fn prepare_organization(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<(), Rejection> {
    let name = ctx.required_text(cells, Field::OrgName, "团体名称")?;
    let community = ctx.community(cells)?;
    let founded = ctx.date(cells, Field::FoundedOn)?;
    let members = ctx.count(cells, Field::Members, "成员数")?;
    stage!(out;
        format!("{community}|{}", compact(&name)),
        name,
        community,
        founded,
        members,
        ctx.text_ref(cells, Field::Status),
        f,
        r
    );
    Ok(())
}

/// An activity of the activities ledger (活动台账).
fn prepare_activity(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<(), Rejection> {
    let name = ctx.required_text(cells, Field::ActivityName, "活动名称")?;
    let held = ctx.required_date(cells, Field::HeldOn, "活动日期")?;
    let community = ctx.community(cells)?;
    let category_raw = ctx.text(cells, Field::Category);
    let category = category_raw
        .as_deref()
        .and_then(|c| ctx.config.standard_category(c));
    let participants = ctx.count(cells, Field::Participants, "参与人数")?;
    let hours = ctx.hours(cells, Field::Hours)?;
    stage!(out;
        format!("{community}|{}|{}", day(held), compact(&name)),
        name,
        held,
        community,
        category,
        category_raw,
        ctx.text_ref(cells, Field::TargetGroup),
        participants,
        hours,
        f,
        r
    );
    Ok(())
}

/// A service station (站点台账).
fn prepare_station(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<(), Rejection> {
    let name = ctx.required_text(cells, Field::StationName, "站点名称")?;
    let community = ctx.community(cells)?;
    let established = ctx.date(cells, Field::EstablishedOn)?;
    stage!(out;
        format!("{community}|{}", compact(&name)),
        community,
        name,
        established,
        f,
        r
    );
    Ok(())
}

/// A need of the needs ledger (需求台账).
fn prepare_need(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<(), Rejection> {
    let content = ctx.required_text(cells, Field::NeedContent, "需求内容")?;
    let community = ctx.community(cells)?;
    let collected = ctx.date(cells, Field::CollectedOn)?;
    let resolved = ctx.date(cells, Field::ResolvedOn)?;
    stage!(out;
        format!(
            "{community}|{}|{}",
            collected.map(day).unwrap_or_default(),
            compact(&content)
        ),
        community,
        content,
        ctx.text_ref(cells, Field::TargetGroup),
        collected,
        ctx.text_ref(cells, Field::Status),
        resolved,
        f,
        r
    );
    Ok(())
}

/// A training (培训台账).
fn prepare_training(
    ctx: &RowContext<'_>,
    cells: &[Cell],
    f: i32,
    r: i64,
    out: &mut StagedColumns,
) -> Result<(), Rejection> {
    let name = ctx.required_text(cells, Field::TrainingName, "培训名称")?;
    let held = ctx.required_date(cells, Field::HeldOn, "培训日期")?;
    let community = ctx.community(cells)?;
    let participants = ctx.count(cells, Field::Participants, "参训人数")?;
    stage!(out;
        format!("{community}|{}|{}", day(held), compact(&name)),
        name,
        held,
        community,
        participants,
        f,
        r
    );
    Ok(())
}
