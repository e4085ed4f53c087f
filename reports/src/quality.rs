//! The data-quality report of `vbrief check`: `quality.html` (one self-contained page: every
//! check's status, then the failing rows grouped by the community that must fix them),
//! `quality.csv` (one line per check), `quality_rows.csv` (every failing row, by community) and
//! `quality_by_community/<区县_街道_社区>.csv` (one file to send to each community).

use std::path::{Path, PathBuf};

use serde::Serialize;
use tera::{Context, Tera};
use transforms::quality::{CheckResult, CheckStatus, FailingRow, QualityReport, CHECKS};

use crate::format::percent;
use crate::{write_atomic, write_csv_bom, ReportError};

mod community_lists;

pub const TEMPLATE: &str = include_str!("../../templates/quality.html.tera");

/// Rows shown per community in the HTML, and in all; the CSVs always have every row.
pub const HTML_ROWS_PER_COMMUNITY: usize = 200;
pub const HTML_ROWS_TOTAL: usize = 20_000;

/// The per-community files' folder, inside the output folder.
pub const BY_COMMUNITY_DIR: &str = "quality_by_community";

#[derive(Debug, thiserror::Error)]
pub enum QualityOutputError {
    #[error(transparent)]
    Csv(#[from] ReportError),
    #[error("质量报告模板 templates/quality.html.tera 出错 (the HTML template failed): {0}")]
    Template(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// What the page shows, every number already formatted.
#[derive(Debug, Serialize)]
struct Page<'a> {
    title: String,
    period_label: &'a str,
    period: String,
    today: String,
    overall: &'static str,
    overall_class: &'static str,
    checks: Vec<CheckLine>,
    files: Vec<FileLine>,
    groups: Vec<Group>,
    rows_per_community: usize,
}

/// One check's result as every page shows it (quality.html, the briefing's annex, the web
/// app): every number already formatted.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub id: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub status: &'static str,
    /// `pass`, `warn`, `fail` or `na`, for styling.
    pub class: &'static str,
    pub checked: String,
    pub failing: String,
    pub share: String,
    pub thresholds: String,
    pub fix: &'static str,
}

impl CheckLine {
    pub fn of(c: &CheckResult) -> CheckLine {
        CheckLine {
            id: c.id,
            name: c.name_zh,
            name_en: c.name_en,
            status: c.status.label_zh(),
            class: status_class(c.status),
            checked: c.checked.to_string(),
            failing: c.failing.to_string(),
            share: percent(c.share),
            thresholds: format!(
                "> {:.2}% 警告，> {:.2}% 不通过",
                c.warn * 100.0,
                c.fail * 100.0
            ),
            fix: c.fix_zh,
        }
    }
}

#[derive(Debug, Serialize)]
struct FileLine {
    name: String,
    kind: String,
    read: i64,
    accepted: i64,
    quarantined: i64,
    skipped: i64,
}

#[derive(Debug, Serialize)]
struct Group {
    anchor: String,
    owner: String,
    csv: String,
    total: usize,
    by_check: Vec<(String, usize)>,
    rows: Vec<RowLine>,
    hidden: usize,
}

#[derive(Debug, Serialize)]
struct RowLine {
    check: &'static str,
    place: String,
    column: String,
    detail: String,
    masked_name: String,
}

fn check_name(id: &str) -> &'static str {
    CHECKS.iter().find(|c| c.id == id).map_or("", |c| c.name_zh)
}

/// The CSS class of a check status (`n/a` is not a class name).
pub fn status_class(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::NotApplicable => "na",
        other => other.code(),
    }
}

/// `区县/街道/社区` as a file name: separators and anything odd become `_`.
pub fn file_stem(owner: &str) -> String {
    let stem: String = owner
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    stem.trim_matches('_').to_string()
}

/// The columns of quality_rows.csv and of each community's file.
pub const ROW_HEADER: [&str; 13] = [
    "district",
    "street",
    "community",
    "community_as_written",
    "check",
    "check_name",
    "status",
    "file",
    "sheet",
    "row",
    "column",
    "detail",
    "masked_name",
];

/// The Chinese header of each column of [`ROW_HEADER`].
const ROW_HEADER_ZH: [&str; 13] = [
    "区县",
    "街道",
    "社区",
    "台账中的写法",
    "检查项",
    "检查项名称",
    "结果",
    "文件",
    "工作表",
    "行",
    "列",
    "说明",
    "姓名（已掩码）",
];

/// A community's list of rows to fix (its CSV under [`BY_COMMUNITY_DIR`]) as an xlsx workbook
/// with Chinese headers: every cell text, a frozen header row, a filter. Past a sheet's rows
/// (the rows no community can be told for, on a province) it goes on in 问题行（2）….
pub fn rows_xlsx(csv_text: &str) -> Result<Vec<u8>, QualityOutputError> {
    rows_xlsx_in_sheets_of(csv_text, crate::xlsx::SHEET_DATA_ROWS)
}

fn rows_xlsx_in_sheets_of(
    csv_text: &str,
    sheet_rows: usize,
) -> Result<Vec<u8>, QualityOutputError> {
    use rust_xlsxwriter::Format;
    let failed = |e: &dyn std::fmt::Display| QualityOutputError::Template(e.to_string());
    let text = csv_text.trim_start_matches('\u{FEFF}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| failed(&e))?
        .iter()
        .map(|h| {
            ROW_HEADER
                .iter()
                .position(|c| *c == h)
                .map_or(h, |at| ROW_HEADER_ZH[at])
                .to_string()
        })
        .collect();
    let records = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(&e))?;
    let bold = Format::new().set_bold();
    let mut book = crate::xlsx::new_workbook();
    // These rows carry no grouping a reader needs kept whole: a part ends where the sheet is full.
    let parts = crate::xlsx::sheet_parts(records.len(), sheet_rows, |_, _| true);
    crate::xlsx::write_parts(
        &mut book,
        "问题行",
        parts,
        crate::xlsx::SheetMemory::Held,
        |sheet, part| write_rows_sheet(sheet, &header, &records[part], &bold),
    )
    .map_err(|e| failed(&e))?;
    book.save_to_buffer().map_err(|e| failed(&e))
}

/// One sheet of [`rows_xlsx`]: the Chinese header, the rows as text, a frozen header, a filter.
fn write_rows_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    header: &[String],
    records: &[csv::StringRecord],
    bold: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (i, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, h, bold)?;
    }
    for (row, record) in (1u32..).zip(records) {
        for (i, cell) in record.iter().enumerate() {
            // The CSV neutralized formulas with a leading ': in a cell that is text anyway.
            let cell = cell
                .strip_prefix('\'')
                .filter(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r']))
                .unwrap_or(cell);
            sheet.write_string(row, i as u16, cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    if !header.is_empty() {
        sheet.autofilter(
            0,
            0,
            (records.len() as u32).max(1),
            (header.len() - 1) as u16,
        )?;
    }
    Ok(())
}

/// A row's fields, in [`ROW_HEADER`]'s order; `number` is its row number written out.
fn row_fields<'a>(r: &'a FailingRow, number: &'a str) -> [&'a str; 13] {
    [
        &r.district,
        &r.street,
        &r.community,
        &r.community_as_written,
        r.check,
        check_name(r.check),
        r.status.code(),
        &r.file,
        &r.sheet,
        number,
        &r.column,
        &r.detail,
        &r.masked_name,
    ]
}

/// Turns a record into its CSV bytes, as every list of the check writes it: encoded once,
/// written to `quality_rows.csv` and to the community's list.
struct RecordEncoder {
    writer: csv::Writer<Line>,
}

/// What [`RecordEncoder`]'s writer writes into: one record at a time. A `RefCell`, because
/// `csv::Writer` lends its destination only as `&W` (`get_ref`) and the line is cleared before
/// each record.
#[derive(Default)]
struct Line(std::cell::RefCell<Vec<u8>>);

impl std::io::Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.get_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl RecordEncoder {
    fn new() -> RecordEncoder {
        RecordEncoder {
            writer: csv::Writer::from_writer(Line::default()),
        }
    }

    /// `fields` as one CSV line, until the next call.
    fn encode<I, T>(&mut self, fields: I) -> std::io::Result<std::cell::Ref<'_, Vec<u8>>>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer.get_ref().0.borrow_mut().clear();
        self.writer
            .write_record(fields)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.writer.flush()?;
        Ok(self.writer.get_ref().0.borrow())
    }

    /// A row's fields, each made safe to open in a spreadsheet.
    fn row(&mut self, fields: &[&str]) -> std::io::Result<std::cell::Ref<'_, Vec<u8>>> {
        self.encode(fields.iter().map(|f| domain::text::csv_safe(f.as_bytes())))
    }
}

/// The byte-order mark and the header line every list of failing rows begins with.
fn list_head(encoder: &mut RecordEncoder) -> std::io::Result<Vec<u8>> {
    let mut head = "\u{FEFF}".as_bytes().to_vec();
    head.extend_from_slice(&encoder.encode(ROW_HEADER)?);
    Ok(head)
}

/// A CSV written through a temporary beside it and renamed into place at the end.
struct CsvFile {
    path: PathBuf,
    tmp: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
}

impl CsvFile {
    /// The file, begun with `head` (already encoded).
    fn create(path: PathBuf, head: &[u8]) -> Result<CsvFile, QualityOutputError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut file = std::io::BufWriter::with_capacity(
            256 * 1024,
            std::fs::File::create(&tmp).map_err(io_error(&tmp))?,
        );
        std::io::Write::write_all(&mut file, head).map_err(io_error(&tmp))?;
        Ok(CsvFile { path, tmp, file })
    }

    /// One line, already encoded.
    fn write(&mut self, line: &[u8]) -> Result<(), QualityOutputError> {
        std::io::Write::write_all(&mut self.file, line).map_err(io_error(&self.tmp))
    }

    fn finish(mut self) -> Result<PathBuf, QualityOutputError> {
        std::io::Write::flush(&mut self.file).map_err(io_error(&self.tmp))?;
        drop(self.file);
        std::fs::rename(&self.tmp, &self.path).map_err(io_error(&self.path))?;
        Ok(self.path)
    }
}

/// The suffixes of the per-community folder while it is written, and of the last check's
/// while it is replaced.
const UNSEEN_SUFFIX: &str = ".new";
const REPLACED_SUFFIX: &str = ".old";

/// `out/quality_by_community<suffix>`.
fn unseen_dir(out: &Path, suffix: &str) -> PathBuf {
    out.join(format!("{BY_COMMUNITY_DIR}{suffix}"))
}

/// Moves the per-community folder just written into the place of the last check's, which
/// goes: two renames, so the folder is missing for no longer than between them. When the
/// second fails, the last check's folder is put back.
fn put_in_place(out: &Path) -> Result<(), QualityOutputError> {
    let (new, dir, old) = (
        unseen_dir(out, UNSEEN_SUFFIX),
        out.join(BY_COMMUNITY_DIR),
        unseen_dir(out, REPLACED_SUFFIX),
    );
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io_error(&old))?;
    }
    let replaced = dir.exists();
    if replaced {
        std::fs::rename(&dir, &old).map_err(io_error(&dir))?;
    }
    if let Err(e) = std::fs::rename(&new, &dir) {
        if replaced {
            std::fs::rename(&old, &dir).ok();
        }
        return Err(io_error(&dir)(e));
    }
    // The new lists are in place: a folder left behind goes with the next check.
    std::fs::remove_dir_all(&old).ok();
    Ok(())
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> QualityOutputError {
    let path = path.display().to_string();
    move |source| QualityOutputError::Io {
        path: path.clone(),
        source,
    }
}

/// Writes the quality report under an output folder. Failing rows arrive one at a time, sorted
/// by community ([`transforms::quality::run_checks_with_rows`]), and go straight to the CSVs
/// (quality_rows.csv here, the community's list through the lists' thread); only the first
/// rows of each community are kept, for the HTML page.
pub struct QualityWriter {
    out: PathBuf,
    rows: CsvFile,
    lists: community_lists::CommunityLists,
    encoder: RecordEncoder,
    groups: Vec<Group>,
    stems: std::collections::HashSet<String>,
    html_rows: usize,
}

impl QualityWriter {
    /// The per-community files are written into a new folder beside the one of the last check
    /// ([`UNSEEN_SUFFIX`]), which stays whole (the web app serves it meanwhile) until
    /// [`QualityWriter::finish`] puts the new one in its place: a community fixed since then
    /// keeps no old list, and one whose list is downloaded during the checks gets all of it.
    pub fn create(out: &Path) -> Result<QualityWriter, QualityOutputError> {
        std::fs::create_dir_all(out).map_err(io_error(out))?;
        let unseen = unseen_dir(out, UNSEEN_SUFFIX);
        if unseen.exists() {
            // Left by a check that stopped before its end.
            std::fs::remove_dir_all(&unseen).map_err(io_error(&unseen))?;
        }
        std::fs::create_dir_all(&unseen).map_err(io_error(&unseen))?;
        let rows_path = out.join("quality_rows.csv");
        let mut encoder = RecordEncoder::new();
        let head = list_head(&mut encoder).map_err(io_error(&rows_path))?;
        let lists = community_lists::CommunityLists::start(head.clone(), unseen)?;
        Ok(QualityWriter {
            out: out.to_path_buf(),
            rows: CsvFile::create(rows_path, &head)?,
            lists,
            encoder,
            groups: Vec::new(),
            stems: std::collections::HashSet::new(),
            html_rows: 0,
        })
    }

    /// Each community's CSV (its file name under [`BY_COMMUNITY_DIR`]), by owner
    /// (`区县/街道/社区`): names that clash as file names get a `_` added, so the owner's file is
    /// only known from here.
    pub fn community_files(&self) -> std::collections::BTreeMap<String, String> {
        self.groups
            .iter()
            .map(|g| {
                let name = g
                    .csv
                    .trim_start_matches(BY_COMMUNITY_DIR)
                    .trim_start_matches('/');
                (g.owner.clone(), name.to_string())
            })
            .collect()
    }

    /// One failing row (rows of one community arrive together).
    pub fn row(&mut self, r: &FailingRow) -> Result<(), QualityOutputError> {
        let number = r.row.map(|n| n.to_string()).unwrap_or_default();
        let fields = row_fields(r, &number);
        let line = self
            .encoder
            .row(&fields)
            .map_err(io_error(&self.rows.path))?;
        self.rows.write(&line)?;
        let owner = r.owner();
        if self.groups.last().is_none_or(|g| g.owner != owner) {
            let mut stem = file_stem(&owner);
            while !self.stems.insert(stem.clone()) {
                stem.push('_');
            }
            let csv_name = format!("{BY_COMMUNITY_DIR}/{stem}.csv");
            self.lists.open(format!("{stem}.csv"))?;
            self.groups.push(Group {
                anchor: format!("c{}", self.groups.len() + 1),
                owner,
                csv: csv_name,
                total: 0,
                by_check: Vec::new(),
                rows: Vec::new(),
                hidden: 0,
            });
        }
        self.lists.write(&line)?;
        let group = self.groups.last_mut().expect("a group was just opened");
        group.total += 1;
        let name = check_name(r.check);
        match group.by_check.iter_mut().find(|(n, _)| n == name) {
            Some((_, n)) => *n += 1,
            None => group.by_check.push((name.to_string(), 1)),
        }
        if group.rows.len() < HTML_ROWS_PER_COMMUNITY && self.html_rows < HTML_ROWS_TOTAL {
            self.html_rows += 1;
            group.rows.push(RowLine {
                check: name,
                place: match (r.file.is_empty(), r.row) {
                    (true, _) => "—".into(),
                    (false, Some(n)) => {
                        format!("{} 第{n}行", domain::sheet_label(&r.file, &r.sheet))
                    }
                    (false, None) => domain::sheet_label(&r.file, &r.sheet),
                },
                column: r.column.clone(),
                detail: r.detail.clone(),
                masked_name: r.masked_name.clone(),
            });
        } else {
            group.hidden += 1;
        }
        Ok(())
    }

    /// Closes the CSVs and writes quality.csv and quality.html; returns the paths written (the
    /// per-community files as their folder).
    pub fn finish(
        mut self,
        report: &QualityReport,
        files: &domain::quality::QualitySummary,
        city: &str,
    ) -> Result<Vec<PathBuf>, QualityOutputError> {
        self.lists.close()?;
        let rows_path = self.rows.finish()?;
        let summary_path = self.out.join("quality.csv");
        write_csv_bom(
            &summary_path,
            &[
                "check",
                "check_name",
                "status",
                "checked",
                "failing",
                "share",
                "warn_above",
                "fail_above",
                "what_to_do",
                "sql_file",
            ],
            report.checks.iter().map(|c| {
                vec![
                    c.id.to_string(),
                    c.name_zh.to_string(),
                    c.status.code().to_string(),
                    c.checked.to_string(),
                    c.failing.to_string(),
                    c.share.map(|s| format!("{s:.4}")).unwrap_or_default(),
                    c.warn.to_string(),
                    c.fail.to_string(),
                    c.fix_zh.to_string(),
                    format!("transforms/sql/{}", c.sql_file),
                ]
            }),
        )?;
        let worst = report.worst();
        let page = Page {
            title: format!("{city}志愿服务数据质量检查"),
            period_label: &report.period_label,
            period: format!("{} 至 {}", report.period.start, report.period.end),
            today: report.today.to_string(),
            overall: worst.label_zh(),
            overall_class: worst.code(),
            checks: report.checks.iter().map(CheckLine::of).collect(),
            files: files
                .files
                .iter()
                .map(|f| FileLine {
                    name: domain::sheet_label(&f.path, &f.sheet),
                    kind: f.kind.clone(),
                    read: f.rows_read,
                    accepted: f.accepted,
                    quarantined: f.quarantined,
                    skipped: f.skipped,
                })
                .collect(),
            groups: std::mem::take(&mut self.groups),
            rows_per_community: HTML_ROWS_PER_COMMUNITY,
        };
        let mut tera = Tera::default();
        tera.add_raw_template("quality.html", TEMPLATE)
            .map_err(|e| QualityOutputError::Template(crate::error_chain(&e)))?;
        let mut context = Context::new();
        context.insert("q", &page);
        let html = tera
            .render("quality.html", &context)
            .map_err(|e| QualityOutputError::Template(crate::error_chain(&e)))?;
        let html_path = self.out.join("quality.html");
        write_atomic(&html_path, html.as_bytes()).map_err(io_error(&html_path))?;
        // Last, so that a check failing before it leaves the last lists whole.
        put_in_place(&self.out)?;
        Ok(vec![
            html_path,
            summary_path,
            rows_path,
            self.out.join(BY_COMMUNITY_DIR),
        ])
    }
}

#[cfg(test)]
mod tests {

    /// Past a sheet's rows the list goes on in 问题行（2）, with the Chinese header again.
    #[test]
    fn rows_past_a_sheet_go_on_in_a_numbered_sheet() {
        use calamine::{Reader, Xlsx};
        let csv = "district,community,row\n青山区,一社区,1\n青山区,一社区,2\n青山区,二社区,3\n";
        let bytes = rows_xlsx_in_sheets_of(csv, 2).unwrap();
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["问题行", "问题行（2）"]);
        let cells = |wb: &mut Xlsx<_>, sheet: &str| -> Vec<Vec<String>> {
            let range = wb.worksheet_range(sheet).unwrap();
            range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect()
        };
        let first = cells(&mut wb, "问题行");
        let second = cells(&mut wb, "问题行（2）");
        assert_eq!(first[0], second[0], "each sheet has the header");
        assert_eq!(first[0][0], ROW_HEADER_ZH[0]);
        assert_eq!(first.len(), 3);
        assert_eq!(second[1], ["青山区", "二社区", "3"]);
    }

    use super::*;

    #[test]
    fn file_stems() {
        assert_eq!(
            file_stem("青山区/石桥街道/红坊社区"),
            "青山区_石桥街道_红坊社区"
        );
        assert_eq!(
            file_stem("社区不明 (community unknown)"),
            "社区不明__community_unknown"
        );
        assert_eq!(file_stem("../x"), "x");
    }

    /// Two communities whose names differ only in their brackets share a file stem: each
    /// still gets its own file, and `community_files` says which (the web app relies on it).
    #[test]
    fn clashing_stems_get_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = QualityWriter::create(dir.path()).unwrap();
        let row = |community: &str| failing(community, community);
        writer.row(&row("幸福里(南)")).unwrap();
        writer.row(&row("幸福里（南）")).unwrap();
        let files = writer.community_files();
        let half = &files["东区/一街道/幸福里(南)"];
        let full = &files["东区/一街道/幸福里（南）"];
        assert_ne!(half, full);
        assert_eq!(half, "东区_一街道_幸福里_南.csv");
        drop(writer.rows.finish());
        writer.lists.close().unwrap();
        put_in_place(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(BY_COMMUNITY_DIR).join(full)).unwrap();
        assert!(
            text.contains("幸福里（南）") && !text.contains("幸福里(南)"),
            "{text}"
        );
    }

    fn failing(community: &str, detail: &str) -> FailingRow {
        FailingRow {
            check: "population",
            status: CheckStatus::Warn,
            district: "东区".into(),
            street: "一街道".into(),
            community: community.into(),
            community_as_written: String::new(),
            file: "a.csv".into(),
            sheet: String::new(),
            row: Some(2),
            column: String::new(),
            detail: detail.into(),
            masked_name: String::new(),
        }
    }

    /// Each community's list is the header and that community's lines of quality_rows.csv,
    /// byte for byte and in their order: the lists are written on a thread of their own, sent
    /// in chunks (here a community of ~290 KB, lines to quote, and many small communities).
    #[test]
    fn each_list_is_its_communitys_lines_of_the_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = Vec::new();
        for c in 0..150 {
            let count = if c == 3 { 2_000 } else { c % 4 + 1 };
            for i in 0..count {
                let detail = format!("第{i}行, \"说明\"\n{}", "很长的说明".repeat(c % 6));
                rows.push(failing(&format!("社区{c:03}"), &detail));
            }
        }
        check_with(dir.path(), &rows);
        let whole = std::fs::read(dir.path().join("quality_rows.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(&whole[..]);
        reader.byte_headers().unwrap();
        let head_end = reader.position().byte() as usize;
        assert!(head_end > 3);
        let mut lines: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
        let mut record = csv::ByteRecord::new();
        let mut start = head_end;
        while reader.read_byte_record(&mut record).unwrap() {
            let end = reader.position().byte() as usize;
            let community = String::from_utf8(record[2].to_vec()).unwrap();
            lines
                .entry(community)
                .or_default()
                .extend_from_slice(&whole[start..end]);
            start = end;
        }
        assert_eq!(start, whole.len());
        assert_eq!(lines.len(), 150);
        assert!(
            lines["社区003"].len() > 4 * 64 * 1024,
            "a list of several chunks"
        );
        for (community, own) in &lines {
            let list = dir
                .path()
                .join(BY_COMMUNITY_DIR)
                .join(format!("东区_一街道_{community}.csv"));
            let list = std::fs::read(list).unwrap();
            assert_eq!(
                &list[..head_end],
                &whole[..head_end],
                "{community}: the header"
            );
            assert!(list[head_end..] == own[..], "{community}: its lines");
        }
    }

    /// A list that cannot be written fails the check, naming the file, and nothing hangs.
    #[test]
    fn a_list_that_cannot_be_written_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = QualityWriter::create(dir.path()).unwrap();
        std::fs::remove_dir_all(unseen_dir(dir.path(), UNSEEN_SUFFIX)).unwrap();
        let mut first_error = None;
        for c in 0..50 {
            if let Err(e) = writer.row(&failing(&format!("社区{c}"), "一行")) {
                first_error = Some(e);
                break;
            }
        }
        let error = match first_error {
            Some(e) => e,
            None => writer.lists.close().unwrap_err(),
        };
        let text = error.to_string();
        assert!(
            text.contains(&format!("{BY_COMMUNITY_DIR}{UNSEEN_SUFFIX}")),
            "{text}"
        );
        // Said once, the error is not forgotten: the lists are never taken as whole.
        let again = writer.lists.close().unwrap_err().to_string();
        assert!(
            again.contains(&format!("{BY_COMMUNITY_DIR}{UNSEEN_SUFFIX}")),
            "{again}"
        );
    }

    /// A check's files written to the end, with `rows` as its failing rows.
    fn check_with(out: &Path, rows: &[FailingRow]) {
        let mut writer = QualityWriter::create(out).unwrap();
        for row in rows {
            writer.row(row).unwrap();
        }
        let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let report = QualityReport {
            period_label: "2025年".into(),
            period: transforms::Period {
                start: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                end: day,
            },
            today: day,
            checks: Vec::new(),
        };
        writer
            .finish(&report, &Default::default(), "示例市")
            .unwrap();
    }

    fn community_files(out: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(out.join(BY_COMMUNITY_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The lists of the last check stay whole while a new check writes its own (the web app
    /// serves them meanwhile), and a community fixed since then keeps no old list.
    #[test]
    fn each_check_replaces_the_lists_whole() {
        let dir = tempfile::tempdir().unwrap();
        check_with(
            dir.path(),
            &[failing("甲社区", "旧的一行"), failing("乙社区", "旧的一行")],
        );
        assert_eq!(
            community_files(dir.path()),
            ["东区_一街道_乙社区.csv", "东区_一街道_甲社区.csv"]
        );
        // A check that stops half-way (its writer dropped) leaves the last lists as they were.
        let mut stopped = QualityWriter::create(dir.path()).unwrap();
        stopped.row(&failing("甲社区", "新的一行")).unwrap();
        drop(stopped);
        let first = dir
            .path()
            .join(BY_COMMUNITY_DIR)
            .join("东区_一街道_甲社区.csv");
        assert!(std::fs::read_to_string(&first)
            .unwrap()
            .contains("旧的一行"));
        assert_eq!(community_files(dir.path()).len(), 2);
        // The next check to end puts its own lists in their place: 乙社区 has none now.
        check_with(dir.path(), &[failing("甲社区", "新的一行")]);
        assert_eq!(community_files(dir.path()), ["东区_一街道_甲社区.csv"]);
        let text = std::fs::read_to_string(&first).unwrap();
        assert!(
            text.contains("新的一行") && !text.contains("旧的一行"),
            "{text}"
        );
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(BY_COMMUNITY_DIR))
            .collect();
        assert_eq!(left, [BY_COMMUNITY_DIR], "no folder is left beside it");
    }
}
