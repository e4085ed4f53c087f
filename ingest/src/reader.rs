//! Streaming row readers for `.csv` (any of UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030)
//! and Excel workbooks. Rows come out one at a time: a million-row file is never held whole.
//!
//! `.xlsx` is read by [`crate::xlsx_direct`] on both cores where the workbook is plain, and
//! otherwise (and from wherever that reader declines) with calamine's cell reader, not
//! `worksheet_range`, because the latter allocates the sheet's declared dimension, which exports
//! often set far beyond the data.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use calamine::{DataRef, Reader, Sheets, Xlsx};

use crate::xlsx_direct::{DirectBook, DirectCells, Next, SheetCell};
use chrono::{NaiveDate, NaiveDateTime};
use compact_str::CompactString;
use encoding_rs::Encoding;

/// One cell, as read. Text is not yet trimmed; dates from date-formatted cells are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(CompactString),
    Number(f64),
    Date(NaiveDate),
    /// A date-formatted cell with a time of day (开始时间/结束时间); midnight reads as `Date`.
    DateTime(NaiveDateTime),
    /// An Excel time-delta cell, in hours.
    Duration(f64),
    Bool(bool),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => crate::parse::text::is_blank(t),
            _ => false,
        }
    }

    /// The cell as display text (numbers without a spurious `.0`).
    pub fn as_text(&self) -> Option<String> {
        self.text().map(std::borrow::Cow::into_owned)
    }

    /// [`Cell::as_text`], borrowing a text cell's text when cleaning leaves it as it is.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow::Owned;
        match self {
            Cell::Empty => None,
            Cell::Text(t) => crate::parse::text::clean_borrowed(t),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(Owned(format!("{n:.0}"))),
            Cell::Number(n) => Some(Owned(n.to_string())),
            Cell::Date(d) => Some(Owned(d.format("%Y-%m-%d").to_string())),
            Cell::DateTime(t) => Some(Owned(t.format("%Y-%m-%d %H:%M:%S").to_string())),
            Cell::Duration(h) => Some(Owned(format!("{h}"))),
            Cell::Bool(b) => Some(Owned(b.to_string())),
            Cell::Error(e) => Some(Owned(e.clone())),
        }
    }
}

/// One row: its number as a spreadsheet program would show it (1-based) and its cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<Cell>,
}

pub use domain::sheet_label;

/// A file that cannot be read; the message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("无法打开文件 (cannot open file): {0}")]
    Open(String),
    #[error("文件为空 (file is empty)")]
    Empty,
    #[error("受密码保护的工作簿，请去掉密码后另存再导入 (workbook is password-protected: save a copy without a password)")]
    Password,
    #[error("不是有效的Excel文件，可能已损坏或被截断 (not a valid Excel file, or truncated): {0}")]
    BadWorkbook(String),
    #[error("无法识别文件编码：请在 Excel 中另存为 xlsx 或“CSV UTF-8”后重新导入（命令行也可用 --encoding gbk）(unrecognized text encoding: save as xlsx or UTF-8 CSV, or pass --encoding)")]
    UnknownEncoding,
    #[error("第{row}行含有不符合{encoding}编码的字节：请在 Excel 中另存为 xlsx 或“CSV UTF-8”后重新导入（命令行也可用 --encoding 指定编码）(row {row} has bytes invalid in {encoding}: save as xlsx or UTF-8 CSV, or pass the right --encoding)")]
    BadBytes { row: u64, encoding: &'static str },
    #[error("读取出错 (read error) at row {row}: {message}")]
    Corrupt { row: u64, message: String },
    #[error("不支持的文件类型 '{0}'，仅支持 .xlsx .xlsm .xls .xlsb .csv (unsupported file type)")]
    Unsupported(String),
    #[error("未知编码名 '{0}' (unknown encoding name; try utf-8, gbk, gb18030)")]
    EncodingName(String),
}

/// Counts bytes consumed, for a progress bar over a large csv.
pub type ByteCounter = Arc<AtomicU64>;

struct CountingReader<R> {
    inner: R,
    counter: ByteCounter,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Makes every blank line of a csv a record of one empty field, so that record numbers equal the
/// row numbers a spreadsheet shows: the csv parser drops blank lines without counting them.
struct BlankLinesAsRecords<R> {
    inner: R,
    delimiter: u8,
    in_quotes: bool,
    at_line_start: bool,
    /// Transformed bytes not yet handed out: `out[taken..]`.
    out: Vec<u8>,
    taken: usize,
    buf: Vec<u8>,
}

impl<R: Read> BlankLinesAsRecords<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        BlankLinesAsRecords {
            inner,
            delimiter,
            in_quotes: false,
            at_line_start: true,
            out: Vec::with_capacity(80 * 1024),
            taken: 0,
            buf: vec![0; 64 * 1024],
        }
    }
}

impl<R: Read> Read for BlankLinesAsRecords<R> {
    fn read(&mut self, dest: &mut [u8]) -> std::io::Result<usize> {
        while self.taken == self.out.len() {
            self.out.clear();
            self.taken = 0;
            let n = self.inner.read(&mut self.buf)?;
            if n == 0 {
                return Ok(0);
            }
            // Only quotes and line ends matter: the bytes between them are copied as one slice
            // (a byte-by-byte loop here was 3 % of a city run's CPU).
            let mut rest = &self.buf[..n];
            while let Some(at) = memchr::memchr3(b'"', b'\r', b'\n', rest) {
                if at > 0 {
                    self.out.extend_from_slice(&rest[..at]);
                    self.at_line_start = false;
                }
                let b = rest[at];
                if b == b'"' {
                    self.in_quotes = !self.in_quotes;
                    self.at_line_start = false;
                } else if !self.in_quotes && self.at_line_start {
                    self.out.push(self.delimiter);
                    // `\r\n` is one line end: do not mark the line again at its `\n`.
                    self.at_line_start = false;
                }
                self.out.push(b);
                if b == b'\n' {
                    self.at_line_start = !self.in_quotes;
                }
                rest = &rest[at + 1..];
            }
            if !rest.is_empty() {
                self.out.extend_from_slice(rest);
                self.at_line_start = false;
            }
        }
        let n = dest.len().min(self.out.len() - self.taken);
        dest[..n].copy_from_slice(&self.out[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// An opened source file with one or more sheets.
pub enum Workbook {
    Csv {
        path: PathBuf,
        encoding: &'static Encoding,
        delimiter: u8,
        counter: ByteCounter,
    },
    Xlsx {
        path: PathBuf,
        /// calamine's workbook: opened with the file unless the direct reader reads it (then
        /// only if some sheet needs calamine after all; see [`calamine_book`]).
        book: CalamineSlot,
        /// Whether any worksheet may declare merged cells ([`xlsx_has_merged_cells`]): found
        /// as the workbook is opened and kept with it, since finding it decompresses every
        /// worksheet (planning reads each sheet's first rows, then loading reads the first
        /// sheet whole, from the same opened workbook).
        merged: bool,
        /// What [`crate::xlsx_direct`] needs to read its sheets, when it can (read as the
        /// workbook is opened, beside the search for merged cells).
        direct: Option<Arc<DirectBook>>,
    },
    Other(Box<Sheets<BufReader<File>>>),
}

const SNIFF_BYTES: usize = 64 * 1024;

impl Workbook {
    /// Opens a file by its extension. `encoding` overrides detection for text files.
    pub fn open(path: &Path, encoding: Option<&str>) -> Result<Workbook, ReadError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        let meta = std::fs::metadata(path).map_err(|e| ReadError::Open(io_reason(&e)))?;
        if meta.is_dir() {
            return Err(ReadError::Open("是一个文件夹 (is a directory)".into()));
        }
        if meta.len() == 0 {
            return Err(ReadError::Empty);
        }
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Self::open_csv(path, encoding),
            "xlsx" | "xlsm" => Self::open_xlsx(path),
            "xls" | "xlsb" | "ods" => {
                let sheets = calamine::open_workbook_auto(path).map_err(excel_error)?;
                Ok(Workbook::Other(Box::new(sheets)))
            }
            other => Err(ReadError::Unsupported(other.to_string())),
        }
    }

    fn open_xlsx(path: &Path) -> Result<Workbook, ReadError> {
        let mut head = [0u8; 8];
        let n = File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| ReadError::Open(io_reason(&e)))?;
        // An encrypted .xlsx is an OLE compound file, not a zip.
        if n >= 4 && head[..4] == [0xD0, 0xCF, 0x11, 0xE0] {
            return match calamine::open_workbook::<calamine::Xls<_>, _>(path) {
                Ok(_) => Err(ReadError::BadWorkbook(
                    "这是.xls格式的文件，请把扩展名改为.xls (this is an .xls file named .xlsx)"
                        .into(),
                )),
                Err(calamine::XlsError::Password) | Err(_) => Err(ReadError::Password),
            };
        }
        // The search for merged cells decompresses every worksheet; the direct reader parses
        // the shared strings, styles and sheet list: one core's work each, done side by side
        // (a city's 20 MB export: 0.07 and 0.17 s). calamine's own opening (0.29 s, most of it
        // the shared strings again) is left out when the direct reader reads the workbook; with
        // merged cells it follows the search on the same thread.
        let searched = || {
            let merged = {
                let _t = tracing::info_span!("xlsx.open.merged_cells").entered();
                // Any doubt answers yes (see `xlsx_has_merged_cells`).
                xlsx_has_merged_cells(path)
            };
            (merged, merged.then(|| open_calamine(path)))
        };
        let ((merged, opened), direct) = std::thread::scope(|scope| {
            let search = std::thread::Builder::new()
                .name("xlsx-open".into())
                .spawn_scoped(scope, searched);
            let direct = {
                let _t = tracing::info_span!("xlsx.open.direct").entered();
                DirectBook::read(path)
            };
            let searched = match search {
                Ok(search) => search.join().unwrap_or((true, None)),
                // No thread to be had: done here, after.
                Err(_) => searched(),
            };
            (searched, direct)
        });
        // A sheet with merged cells is filled from calamine's list of them, read as the sheet
        // is: the direct reader is not used there.
        let direct = match direct {
            Ok(direct) if !merged => Some(Arc::new(direct)),
            Ok(_) => None,
            Err(why) => {
                tracing::debug!(reason = why.0, "xlsx: read by calamine");
                None
            }
        };
        let book = match (&direct, opened) {
            (Some(_), _) => None,
            (None, Some(opened)) => Some(Box::new(opened?)),
            (None, None) => Some(Box::new(open_calamine(path)?)),
        };
        Ok(Workbook::Xlsx {
            path: path.to_path_buf(),
            book,
            merged,
            direct,
        })
    }

    fn open_csv(path: &Path, encoding: Option<&str>) -> Result<Workbook, ReadError> {
        let mut sniff = Vec::with_capacity(SNIFF_BYTES);
        File::open(path)
            .map_err(|e| ReadError::Open(io_reason(&e)))?
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut sniff)
            .map_err(|e| ReadError::Open(io_reason(&e)))?;
        let encoding = match encoding {
            Some(name) => Encoding::for_label(name.trim().as_bytes())
                .ok_or_else(|| ReadError::EncodingName(name.to_string()))?,
            None => detect_encoding(&sniff, sniff.len() < SNIFF_BYTES)?,
        };
        let (text, _, _) = encoding.decode(&sniff);
        let first_line = text.lines().next().unwrap_or("");
        let delimiter = [b',', b'\t', b';', b'|']
            .into_iter()
            .max_by_key(|d| first_line.matches(*d as char).count())
            .filter(|d| first_line.contains(*d as char))
            .unwrap_or(b',');
        Ok(Workbook::Csv {
            path: path.to_path_buf(),
            encoding,
            delimiter,
            counter: Arc::new(AtomicU64::new(0)),
        })
    }

    /// This workbook read by calamine alone, as the direct reader's tests compare it.
    #[doc(hidden)]
    pub fn without_direct_reader(mut self) -> Result<Workbook, ReadError> {
        if let Workbook::Xlsx {
            path, book, direct, ..
        } = &mut self
        {
            *direct = None;
            calamine_book(book, path)?;
        }
        Ok(self)
    }

    /// The sheets to read: one unnamed sheet for a csv.
    pub fn sheet_names(&self) -> Vec<String> {
        match self {
            Workbook::Csv { .. } => vec![String::new()],
            Workbook::Xlsx {
                book: Some(book), ..
            } => book.sheet_names(),
            Workbook::Xlsx {
                direct: Some(direct),
                ..
            } => direct.sheet_names(),
            Workbook::Xlsx { .. } => Vec::new(),
            Workbook::Other(s) => s.sheet_names(),
        }
    }

    /// The detected or given text encoding, for the summary.
    pub fn encoding(&self) -> Option<&'static str> {
        match self {
            Workbook::Csv { encoding, .. } => Some(encoding.name()),
            _ => None,
        }
    }

    /// Bytes consumed so far (csv only), for progress.
    pub fn byte_counter(&self) -> Option<ByteCounter> {
        match self {
            Workbook::Csv { counter, .. } => Some(counter.clone()),
            _ => None,
        }
    }

    /// Streams the rows of one sheet, from row 1. Blank rows in the middle come out as empty
    /// rows so that every row number is accounted for.
    pub fn rows<'a>(
        &'a mut self,
        sheet: &str,
    ) -> Result<Box<dyn Iterator<Item = Result<Row, ReadError>> + Send + 'a>, ReadError> {
        match self {
            Workbook::Csv {
                path,
                encoding,
                delimiter,
                counter,
            } => {
                counter.store(0, Ordering::Relaxed);
                let file = File::open(&*path).map_err(|e| ReadError::Open(io_reason(&e)))?;
                let counting = CountingReader {
                    inner: BufReader::with_capacity(256 * 1024, file),
                    counter: counter.clone(),
                };
                let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding))
                    .bom_override(true)
                    .build(counting);
                let tracked = BlankLinesAsRecords::new(decoded, *delimiter);
                let reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(*delimiter)
                    .buffer_capacity(256 * 1024)
                    .from_reader(tracked);
                Ok(Box::new(CsvRows {
                    reader,
                    record: csv::ByteRecord::new(),
                    replacement: memchr::memmem::Finder::new("\u{FFFD}".as_bytes()),
                    encoding: encoding.name(),
                    next_number: 1,
                }))
            }
            Workbook::Xlsx {
                path,
                book,
                merged,
                direct,
            } => {
                let direct = direct
                    .as_ref()
                    .filter(|_| !*merged)
                    .and_then(|d| DirectCells::start(d.clone(), d.worksheet(sheet)?));
                let (cells, regions) = match direct {
                    // calamine is opened only if the direct reader declines.
                    Some(direct) => (
                        SheetCells {
                            direct: Some(direct),
                            calamine: None,
                            later: Some((book, path, sheet.to_string())),
                        },
                        None,
                    ),
                    None => {
                        let xlsx = calamine_book(book, path)?;
                        // Merged regions are listed after the cells: reading them is a second,
                        // streaming pass over the sheet's XML (nothing is held but the list),
                        // made only when the workbook has any.
                        let regions = if *merged {
                            xlsx.merge_cells_by_sheet_name(sheet).ok()
                        } else {
                            None
                        };
                        let cells = xlsx
                            .worksheet_cells_reader(sheet)
                            .map_err(|e| ReadError::BadWorkbook(e.to_string()))?;
                        let cells = SheetCells {
                            direct: None,
                            calamine: Some(cells),
                            later: None,
                        };
                        (cells, regions)
                    }
                };
                let mut fill = MergeFill::new(regions);
                let rows = XlsxRows {
                    cells,
                    pending: None,
                    building: None,
                    next_number: 1,
                    done: false,
                };
                Ok(Box::new(rows.map(move |r| fill.apply(r))))
            }
            Workbook::Other(sheets) => {
                let merges = match sheets.as_mut() {
                    Sheets::Xls(xls) => xls.merge_cells_by_sheet_name(sheet).ok(),
                    _ => None,
                };
                let mut fill = MergeFill::new(merges);
                let range = sheets.worksheet_range(sheet).map_err(excel_error)?;
                let start = range.start().map_or(0, |(r, _)| r as u64);
                let first_col = range.start().map_or(0, |(_, c)| c as usize);
                let rows: Vec<Row> = range
                    .rows()
                    .enumerate()
                    .map(|(i, cells)| {
                        let mut out = vec![Cell::Empty; first_col];
                        out.extend(cells.iter().map(data_to_cell));
                        Row {
                            number: start + i as u64 + 1,
                            cells: out,
                        }
                    })
                    .collect();
                let leading = (1..=start).map(|n| {
                    Ok(Row {
                        number: n,
                        cells: Vec::new(),
                    })
                });
                Ok(Box::new(
                    leading
                        .chain(rows.into_iter().map(Ok))
                        .map(move |r| fill.apply(r)),
                ))
            }
        }
    }
}

/// calamine's opening of the xlsx at `path`, its errors as [`Workbook::open`] reports them.
fn open_calamine(path: &Path) -> Result<Xlsx<BufReader<File>>, ReadError> {
    let _t = tracing::info_span!("xlsx.open.calamine").entered();
    match calamine::open_workbook::<Xlsx<_>, _>(path) {
        Ok(book) => Ok(book),
        Err(calamine::XlsxError::Password) => Err(ReadError::Password),
        Err(e) => Err(ReadError::BadWorkbook(e.to_string())),
    }
}

/// calamine's workbook in `slot`, opened now if the direct reader had left it unopened.
fn calamine_book<'a>(
    slot: &'a mut CalamineSlot,
    path: &Path,
) -> Result<&'a mut Xlsx<BufReader<File>>, ReadError> {
    if slot.is_none() {
        *slot = Some(Box::new(open_calamine(path)?));
    }
    Ok(slot.as_mut().expect("opened above"))
}

/// Picks the encoding of a text file from its first bytes.
fn detect_encoding(sniff: &[u8], whole_file: bool) -> Result<&'static Encoding, ReadError> {
    if let Some((enc, _)) = Encoding::for_bom(sniff) {
        return Ok(enc);
    }
    if sniff.contains(&0) {
        // UTF-16 without a BOM, or a binary file.
        return Err(ReadError::UnknownEncoding);
    }
    match std::str::from_utf8(sniff) {
        Ok(_) => return Ok(encoding_rs::UTF_8),
        // A multi-byte character cut by the sniff window is fine.
        Err(e) if e.error_len().is_none() && !whole_file => return Ok(encoding_rs::UTF_8),
        Err(_) => {}
    }
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(sniff.len() * 2);
    let (result, _) = decoder.decode_to_string_without_replacement(sniff, &mut out, whole_file);
    match result {
        encoding_rs::DecoderResult::Malformed(_, _) => Err(ReadError::UnknownEncoding),
        _ => Ok(encoding_rs::GB18030),
    }
}

struct CsvRows<R: Read> {
    reader: csv::Reader<R>,
    /// Read as bytes: the text is checked as UTF-8 once per record, with SIMD (`csv`'s own
    /// `StringRecord` check was a sixth of the reading thread).
    record: csv::ByteRecord,
    /// Finds U+FFFD, the decoder's mark of a byte invalid in the encoding.
    replacement: memchr::memmem::Finder<'static>,
    encoding: &'static str,
    next_number: u64,
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                // Blank lines are records too (see BlankLinesAsRecords): record n is row n.
                let number = self.next_number;
                self.next_number += 1;
                let bad_bytes = ReadError::BadBytes {
                    row: number,
                    encoding: self.encoding,
                };
                let bytes = self.record.as_slice();
                if self.replacement.find(bytes).is_some() {
                    return Some(Err(bad_bytes));
                }
                let Ok(text) = simdutf8::basic::from_utf8(bytes) else {
                    return Some(Err(bad_bytes));
                };
                // Fields end at ASCII bytes (delimiters, quotes, line ends), so each is whole
                // characters of `text`.
                let mut cells = Vec::with_capacity(self.record.len());
                for i in 0..self.record.len() {
                    let Some(field) = self.record.range(i).and_then(|r| text.get(r)) else {
                        return Some(Err(bad_bytes));
                    };
                    cells.push(if field.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(CompactString::from(field))
                    });
                }
                Some(Ok(Row { number, cells }))
            }
            Err(e) => Some(Err(ReadError::Corrupt {
                row: self.next_number,
                message: e.to_string(),
            })),
        }
    }
}

/// A worksheet's cells in file order: from the direct reader while it reads, then (or only)
/// from calamine's.
struct SheetCells<'a> {
    direct: Option<DirectCells>,
    calamine: Option<calamine::XlsxCellReader<'a, BufReader<File>>>,
    /// What calamine's reader is made from if the direct one declines: the workbook's slot,
    /// its path and the sheet's name.
    later: Option<(&'a mut CalamineSlot, &'a Path, String)>,
}

/// A workbook's calamine side, opened or not yet.
type CalamineSlot = Option<Box<Xlsx<BufReader<File>>>>;

impl SheetCells<'_> {
    fn next_cell(&mut self) -> Result<Option<SheetCell>, String> {
        if let Some(direct) = &mut self.direct {
            match direct.next() {
                Next::Cell(cell) => return Ok(Some(cell)),
                Next::End => return Ok(None),
                Next::Declined => {
                    let given = direct.given;
                    self.direct = None;
                    let (book, path, sheet) = self.later.take().ok_or("no workbook to read on")?;
                    let mut cells = calamine_book(book, path)
                        .map_err(|e| e.to_string())?
                        .worksheet_cells_reader(&sheet)
                        .map_err(|e| e.to_string())?;
                    // calamine reads the same cells: it skips those already given out.
                    for _ in 0..given {
                        if cells.next_cell().map_err(|e| e.to_string())?.is_none() {
                            break;
                        }
                    }
                    self.calamine = Some(cells);
                }
            }
        }
        let Some(calamine) = &mut self.calamine else {
            return Ok(None);
        };
        Ok(calamine
            .next_cell()
            .map_err(|e| e.to_string())?
            .map(|cell| {
                let (r, c) = cell.get_position();
                (r, c, data_ref_to_cell(cell.get_value()))
            }))
    }
}

struct XlsxRows<'a> {
    cells: SheetCells<'a>,
    /// A complete row waiting to be returned (after any blank rows before it).
    pending: Option<Row>,
    /// The row whose cells are still arriving.
    building: Option<Row>,
    next_number: u64,
    done: bool,
}

impl Iterator for XlsxRows<'_> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = &self.pending {
                if row.number > self.next_number {
                    // Rows absent from the file are blank rows: report them in order.
                    let number = self.next_number;
                    self.next_number += 1;
                    return Some(Ok(Row {
                        number,
                        cells: Vec::new(),
                    }));
                }
                let row = self.pending.take()?;
                self.next_number = row.number + 1;
                return Some(Ok(row));
            }
            if self.done {
                self.pending = Some(self.building.take()?);
                continue;
            }
            match self.cells.next_cell() {
                Ok(Some((r, c, value))) => {
                    let number = r as u64 + 1;
                    if matches!(value, Cell::Empty) {
                        // A formatted but empty cell (sheets formatted down to row 1048576):
                        // it makes no row, so no run of blank rows up to it either.
                        continue;
                    }
                    match &mut self.building {
                        Some(row) if row.number == number => put(&mut row.cells, c as usize, value),
                        Some(row) if row.number > number => {
                            self.done = true;
                            self.building = None;
                            return Some(Err(ReadError::Corrupt {
                                row: number,
                                message: "单元格顺序错乱 (cells out of order)".into(),
                            }));
                        }
                        _ => {
                            // As wide as the row before: rows of a list are alike.
                            let width = self.building.as_ref().map_or(0, |row| row.cells.len());
                            let mut cells = Vec::with_capacity(width);
                            put(&mut cells, c as usize, value);
                            self.pending = self.building.replace(Row { number, cells });
                        }
                    }
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    self.building = None;
                    return Some(Err(ReadError::Corrupt {
                        row: self.next_number,
                        message: e,
                    }));
                }
            }
        }
    }
}

/// Merged cells. A spreadsheet shows a merged region's value across the whole region, but the
/// file stores it in the top-left cell only: a 社区 cell merged down over the rows of that
/// community, or a header group 所属地区 merged over 区县/街道/社区. Filling the value into the
/// region's other (empty) cells reads the sheet the way a person sees it.
struct MergeFill {
    /// Regions by first row.
    regions: Vec<calamine::Dimensions>,
    next: usize,
    /// Regions covering the current row, with their top-left value.
    active: Vec<(calamine::Dimensions, Cell)>,
}

impl MergeFill {
    fn new(regions: Option<Vec<calamine::Dimensions>>) -> MergeFill {
        let mut regions = regions.unwrap_or_default();
        regions.retain(|d| d.start.0 <= d.end.0 && d.start.1 <= d.end.1);
        regions.sort_by_key(|d| d.start);
        MergeFill {
            regions,
            next: 0,
            active: Vec::new(),
        }
    }

    /// Rows arrive in order, every row number once.
    fn apply(&mut self, row: Result<Row, ReadError>) -> Result<Row, ReadError> {
        let mut row = row?;
        if self.regions.is_empty() {
            return Ok(row);
        }
        let r = (row.number - 1) as u32;
        self.active.retain(|(d, _)| d.end.0 >= r);
        while let Some(d) = self.regions.get(self.next).filter(|d| d.start.0 <= r) {
            let d = *d;
            self.next += 1;
            if d.start.0 == r {
                let value = row
                    .cells
                    .get(d.start.1 as usize)
                    .cloned()
                    .unwrap_or(Cell::Empty);
                if !value.is_blank() {
                    self.active.push((d, value));
                }
            }
        }
        for (d, value) in &self.active {
            let last = (d.end.1 as usize).min(MAX_COLUMNS - 1);
            for c in d.start.1 as usize..=last {
                if row.cells.get(c).is_none_or(Cell::is_blank) {
                    put(&mut row.cells, c, value.clone());
                }
            }
        }
        Ok(row)
    }
}

/// Cells past this column are ignored: no real export is wider, and a corrupt or hostile
/// file must not make us allocate a huge row.
const MAX_COLUMNS: usize = 1024;

fn put(cells: &mut Vec<Cell>, col: usize, value: Cell) {
    if col >= MAX_COLUMNS || matches!(value, Cell::Empty) {
        return;
    }
    // Cells mostly come in column order, each right after the last.
    match col.cmp(&cells.len()) {
        std::cmp::Ordering::Equal => cells.push(value),
        std::cmp::Ordering::Greater => {
            cells.resize(col, Cell::Empty);
            cells.push(value);
        }
        std::cmp::Ordering::Less => cells[col] = value,
    }
}

fn data_ref_to_cell(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.as_str().into()),
        DataRef::SharedString(s) => Cell::Text((*s).into()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => excel_datetime(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.as_str().into()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

fn data_to_cell(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.as_str().into()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => excel_datetime(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.as_str().into()),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

pub(crate) fn excel_datetime(dt: &calamine::ExcelDateTime) -> Cell {
    if dt.is_duration() {
        return Cell::Duration(dt.as_f64() * 24.0);
    }
    let (y, m, d, h, min, sec, _) = dt.to_ymd_hms_milli();
    match NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32) {
        Some(date) if (h, min, sec) == (0, 0, 0) => Cell::Date(date),
        Some(date) => date
            .and_hms_opt(u32::from(h), u32::from(min), u32::from(sec))
            .map_or(Cell::Date(date), Cell::DateTime),
        None => Cell::Number(dt.as_f64()),
    }
}

/// Whether any worksheet of the xlsx at `path` may declare merged cells. Most exports have
/// none, and a byte search over the decompressed sheets (no XML parsing) tells at a fraction
/// of the cost of the XML pass that would find them. Any doubt answers yes.
fn xlsx_has_merged_cells(path: &Path) -> bool {
    #[cfg(test)]
    {
        let mut scans = MERGED_CELL_SCANS.lock().unwrap();
        *scans.entry(path.to_path_buf()).or_default() += 1;
    }
    const NEEDLE: &[u8] = b"mergeCell";
    let Ok(file) = File::open(path) else {
        return true;
    };
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return true;
    };
    let finder = memchr::memmem::Finder::new(NEEDLE);
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else {
            return true;
        };
        let Ok(name) = entry.name().map(|n| n.to_ascii_lowercase()) else {
            return true;
        };
        if !(name.starts_with("xl/worksheets/") && name.ends_with(".xml")) {
            continue;
        }
        // The last bytes of each chunk are kept, so a needle split between two reads is found.
        let keep = NEEDLE.len() - 1;
        let mut filled = 0;
        loop {
            let n = match entry.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(_) => return true,
            };
            if n == 0 {
                break;
            }
            let end = filled + n;
            if finder.find(&buf[..end]).is_some() {
                return true;
            }
            let tail = end.min(keep);
            buf.copy_within(end - tail..end, 0);
            filled = tail;
        }
    }
    false
}

/// How many times each workbook was searched for merged cells.
#[cfg(test)]
static MERGED_CELL_SCANS: std::sync::Mutex<std::collections::BTreeMap<PathBuf, usize>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn excel_error(e: calamine::Error) -> ReadError {
    match e {
        calamine::Error::Xls(calamine::XlsError::Password)
        | calamine::Error::Xlsx(calamine::XlsxError::Password) => ReadError::Password,
        other => ReadError::BadWorkbook(other.to_string()),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在 (no such file)".into(),
        std::io::ErrorKind::PermissionDenied => "没有读取权限 (permission denied)".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xlsx_direct::testing::{
        rows_both_ways, write_xlsx, write_xlsx_edited, SHARED, STYLES,
    };

    #[test]
    fn detects_encodings() {
        assert_eq!(
            detect_encoding("志愿者,社区".as_bytes(), true).unwrap(),
            encoding_rs::UTF_8
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("志愿者,社区");
        assert_eq!(detect_encoding(&gbk, true).unwrap(), encoding_rs::GB18030);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("社区".as_bytes());
        assert_eq!(detect_encoding(&bom, true).unwrap(), encoding_rs::UTF_8);
        assert!(detect_encoding(&[0x41, 0, 0x42, 0], true).is_err());
        // Latin-1 text is neither UTF-8 nor GB18030.
        assert!(detect_encoding(b"caf\xe9,na\xefve\n", true).is_err());
    }

    /// The rule [`BlankLinesAsRecords`] implements, byte by byte.
    fn blank_lines_as_records_reference(input: &[u8], delimiter: u8) -> Vec<u8> {
        let (mut in_quotes, mut at_line_start, mut out) = (false, true, Vec::new());
        for &b in input {
            match b {
                b'"' => {
                    in_quotes = !in_quotes;
                    at_line_start = false;
                }
                b'\r' | b'\n' if !in_quotes && at_line_start => {
                    out.push(delimiter);
                    at_line_start = false;
                }
                _ => {}
            }
            out.push(b);
            if b == b'\n' {
                at_line_start = !in_quotes;
            } else if b != b'\r' && b != b'"' {
                at_line_start = false;
            }
        }
        out
    }

    /// Hands out its bytes a few at a time, so that lines and quotes straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn blank_lines_as_records_agrees_with_the_byte_rule() {
        let alphabet: &[u8] = b"ab,\"\r\n\n";
        let mut state = 0x2545_f491_u64;
        for case in 0..2_000 {
            let len = case % 40;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(state >> 33) as usize % alphabet.len()]
                })
                .collect();
            for step in [1, 3, 64] {
                let mut reader = BlankLinesAsRecords::new(Trickle(&input, step), b',');
                reader.buf = vec![0; step];
                let mut got = Vec::new();
                reader.read_to_end(&mut got).unwrap();
                assert_eq!(
                    got,
                    blank_lines_as_records_reference(&input, b','),
                    "input {:?}, reads of {step}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    #[test]
    fn csv_quoted_fields_keep_their_delimiters_quotes_and_characters() {
        // Fields are cut from each record's checked text by byte ranges: a quoted field with
        // the delimiter, a doubled quote and line ends inside, in UTF-8 and in GBK.
        let dir = tempfile::tempdir().unwrap();
        let text = "社区,说明\r\n\"幸福,社区\",\"他说\"\"好\"\"\r\n第二行\"\r\n,\"\"\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        for (name, bytes) in [("utf8.csv", text.as_bytes()), ("gbk.csv", &gbk[..])] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let mut wb = Workbook::open(&path, None).unwrap();
            let rows: Vec<Row> = wb.rows("").unwrap().map(|r| r.unwrap()).collect();
            let cells: Vec<Vec<Cell>> = rows.into_iter().map(|r| r.cells).collect();
            let t = |s: &str| Cell::Text(s.into());
            assert_eq!(
                cells,
                vec![
                    vec![t("社区"), t("说明")],
                    vec![t("幸福,社区"), t("他说\"好\"\r\n第二行")],
                    vec![Cell::Empty, Cell::Empty],
                ],
                "{name}"
            );
        }
    }

    #[test]
    fn csv_rows_report_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(
            &path,
            "h1,h2\r\n\r\n\r\na,b\r\n\"two\n\nlines\",c\r\nd,e\r\n",
        )
        .unwrap();
        let mut wb = Workbook::open(&path, None).unwrap();
        let rows: Vec<Row> = wb.rows("").unwrap().map(|r| r.unwrap()).collect();
        let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6]);
        assert!(rows[1].cells.iter().all(Cell::is_blank));
        assert_eq!(rows[3].cells[1], Cell::Text("b".into()));
        assert_eq!(rows[4].cells[0], Cell::Text("two\n\nlines".into()));
        assert_eq!(rows[5].cells[0], Cell::Text("d".into()));
    }

    /// Planning reads a sheet's first rows and loading reads it whole from the same opened
    /// workbook: its worksheets are decompressed in search of merged cells once, not each time.
    #[test]
    fn an_xlsx_is_searched_for_merged_cells_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("志愿者.xlsx");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../sample-data/03_志愿者注册信息_其他区县.xlsx"),
            &path,
        )
        .unwrap();
        let scans = || MERGED_CELL_SCANS.lock().unwrap().get(&path).copied();
        let mut wb = Workbook::open(&path, None).unwrap();
        assert_eq!(scans(), Some(1));
        let sheet = wb.sheet_names()[0].clone();
        let top: Vec<Row> = wb
            .rows(&sheet)
            .unwrap()
            .take(5)
            .map(|r| r.unwrap())
            .collect();
        let all: Vec<Row> = wb.rows(&sheet).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(scans(), Some(1));
        assert!(all.len() > top.len());
        assert_eq!(
            all[..5].iter().map(|r| &r.cells).collect::<Vec<_>>(),
            top.iter().map(|r| &r.cells).collect::<Vec<_>>()
        );
    }

    /// How the direct reader's last read of the workbook's first (or `n`th) worksheet ended.
    fn direct_read(path: &Path, n: usize) -> Option<(u64, Option<&'static str>)> {
        crate::xlsx_direct::DIRECT_READS
            .lock()
            .unwrap()
            .get(&path.join(format!("xl/worksheets/sheet{n}.xml")))
            .copied()
    }

    #[test]
    fn the_direct_reader_reads_a_workbook_as_calamine_does() {
        let dir = tempfile::tempdir().unwrap();
        let rows = r#"<row r="1" spans="1:9" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c><c r="G1" t="s"><v>6</v></c><c r="H1" t="s"><v>7</v></c><c r="I1" t="s" s="2"><v>8</v></c></row>
<row r="2"><c r="A2" s="1"><v>45000</v></c><c r="B2" s="3"><v>45000.75</v></c><c r="C2" s="4"><v>45000.5</v></c><c r="D2" s="5"><v>1.25</v></c><c r="E2" s="6"><v>2.5</v></c><c r="F2" s="2"><v>3.14159</v></c><c r="G2"><v>-1.5E-3</v></c><c r="H2" s="40"><v>45000</v></c><c r="I2" t="n"><v>12345678901234567890</v></c></row>
<row r="3" ht="20" customHeight="1"><c r="A3" t="inlineStr"><is><t>内联 &amp; 文本</t></is></c><c r="B3" t="inlineStr"><is><r><t>富</t></r><r><t>强</t></r></is></c><c r="C3" t="inlineStr"><is/></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="b"><v>0</v></c><c r="F3" t="b"><v></v></c><c r="G3"><v></v></c><c r="H3" s="1"/><c r="I3" t="s"><v/></c></row>
<row r="4" spans="1:2"/>
<row r="7"><c r="a7" s="1"></c><c r="AA7" t="inlineStr"><is><t>宽</t></is><v>ignored</v></c><c r="AB7" t="n"> <v>7</v> </c></row>
<row r="8"><c r="A8" s="3"/></row>
<row r="9"><c r="B9" t="s"><v>8</v></c></row>"#;
        for date1904 in [false, true] {
            let path = dir.path().join(format!("plain-{date1904}.xlsx"));
            let second = r#"<row r="2"><c r="B2" t="s"><v>0</v></c></row>"#.to_string();
            write_xlsx(
                &path,
                &[("志愿者", rows.to_string()), ("第二页 &amp; 附表", second)],
                Some(SHARED),
                Some(STYLES),
                date1904,
            );
            let (direct, calamine) = rows_both_ways(&path);
            assert!(calamine.len() > 9, "{calamine:?}");
            assert_eq!(direct, calamine, "date1904 {date1904}");
            // The direct reader read both sheets to their end.
            assert_eq!(
                direct_read(&path, 1),
                Some((32, None)),
                "date1904 {date1904}"
            );
            assert_eq!(
                direct_read(&path, 2),
                Some((1, None)),
                "date1904 {date1904}"
            );
        }
    }

    #[test]
    fn the_direct_reader_reads_the_sample_workbooks_as_calamine_does() {
        let dir = tempfile::tempdir().unwrap();
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-data");
        let mut direct_files = 0;
        for entry in std::fs::read_dir(samples).unwrap() {
            let source = entry.unwrap().path();
            if source.extension().and_then(|e| e.to_str()) != Some("xlsx") {
                continue;
            }
            let path = dir.path().join(source.file_name().unwrap());
            std::fs::copy(&source, &path).unwrap();
            let (direct, calamine) = rows_both_ways(&path);
            assert_eq!(direct, calamine, "{}", path.display());
            if let Some((_, reason)) = direct_read(&path, 1) {
                assert_eq!(reason, None, "{}", path.display());
                direct_files += 1;
            }
        }
        // The volunteers and hours exports at least (ledgers with merged cells go to calamine).
        assert!(direct_files >= 3, "{direct_files}");
    }

    #[test]
    fn a_sheet_declined_half_way_is_read_on_by_calamine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("formula.xlsx");
        let mut rows = String::new();
        for r in 1..=6000 {
            rows.push_str(&format!(
                r#"<row r="{r}"><c r="A{r}" t="s"><v>{}</v></c><c r="B{r}" s="1"><v>{}</v></c>"#,
                r % 9,
                40000 + r
            ));
            if r == 4000 {
                rows.push_str(r#"<c r="C4000"><f>SUM(B1:B3999)</f><v>1</v></c>"#);
            }
            rows.push_str("</row>");
        }
        write_xlsx(
            &path,
            &[("Sheet1", rows)],
            Some(SHARED),
            Some(STYLES),
            false,
        );
        let (direct, calamine) = rows_both_ways(&path);
        assert_eq!(direct.len(), 6000);
        assert_eq!(direct, calamine);
        let (given, reason) = direct_read(&path, 1).unwrap();
        assert!(given > 0 && given < 8000, "{given}");
        assert!(reason.is_some());
    }

    #[test]
    fn a_broken_sheet_fails_as_calamine_fails() {
        let dir = tempfile::tempdir().unwrap();
        for (name, rows) in [
            (
                "order",
                r#"<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>"#,
            ),
            ("index", r#"<row r="1"><c r="A1" t="s"><v>99</v></c></row>"#),
            ("type", r#"<row r="1"><c r="A1" t="x"><v>1</v></c></row>"#),
        ] {
            let path = dir.path().join(format!("{name}.xlsx"));
            write_xlsx(
                &path,
                &[("Sheet1", rows.to_string())],
                Some(SHARED),
                None,
                false,
            );
            let (direct, calamine) = rows_both_ways(&path);
            assert!(calamine.iter().any(Result::is_err), "{name}: {calamine:?}");
            assert_eq!(direct, calamine, "{name}");
        }
    }

    /// calamine opens a workbook only when the direct reader cannot read it: what calamine
    /// refuses as it opens, or as it reads a sheet up to its rows, is still refused, and what
    /// it reads another way than the direct reader would is read its way.
    #[test]
    fn a_workbook_calamine_refuses_is_refused_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let rows =
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>45000</v></c></row>"#;
        const BOOK: &str = "xl/workbook.xml";
        const SHEET: &str = "xl/worksheets/sheet1.xml";
        // (case, part, text, its replacement, whether calamine refuses the workbook)
        let cases: [(&str, &str, &str, &str, bool); 12] = [
            ("state", BOOK, "<sheet name=", "<sheet state=\"bogus\" name=", true),
            ("type", "xl/_rels/workbook.xml.rels", "/worksheet\"", "/macrosheet\"", true),
            ("defined", BOOK, "</sheets>", "</sheets><definedNames><definedName name=\"a&amp;b&foo;\">S!$A$1</definedName></definedNames>", true),
            ("end tag", BOOK, "</sheets>", "</sheets></sheets>", true),
            ("font", "xl/styles.xml", "<sz val=\"11\"/>", "<sz val=11/>", true),
            ("styles cut", "xl/styles.xml", "</styleSheet>", "", true),
            ("ampersand", "xl/sharedStrings.xml", "<si><t>姓名", "&<si><t>姓名", true),
            ("dimension", SHEET, "<dimension ref=\"A1:Z9\"/>", "<dimension/>", true),
            ("head ampersand", SHEET, "<sheetViews>", "&<sheetViews>", true),
            ("head pi", SHEET, "<sheetViews>", "<?><sheetViews>", true),
            // Read, but not as the direct reader would: a sheet and the 1904 dates inside a
            // defined name (calamine skips what it holds); a name with two prefixes.
            ("ghost", BOOK, "</sheets>", "</sheets><definedNames><definedName name=\"x\"><sheet name=\"Ghost\" sheetId=\"9\" r:id=\"rId1\"/><workbookPr date1904=\"1\"/></definedName></definedNames>", false),
            ("prefixes", BOOK, "<workbookPr/>", "<workbookPr/><a:b:workbookPr xmlns:a=\"urn:a\" date1904=\"1\"/>", false),
        ];
        for (name, part, from, to, refused) in cases {
            let path = dir.path().join(format!("{name}.xlsx"));
            write_xlsx_edited(
                &path,
                &[("S", rows.to_string())],
                Some(SHARED),
                Some(STYLES),
                false,
                |n, text| {
                    if n == part {
                        assert!(text.contains(from), "{name}");
                        text.replace(from, to)
                    } else {
                        text
                    }
                },
            );
            let (direct, calamine) = rows_both_ways(&path);
            assert_eq!(
                calamine.iter().any(Result::is_err),
                refused,
                "{name}: {calamine:?}"
            );
            assert_eq!(direct, calamine, "{name}");
        }
    }

    /// Random sheets of every kind of cell the direct reader reads or declines, each read both
    /// ways: the same rows, values and errors.
    #[test]
    fn random_sheets_read_the_same_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        // Cells the direct reader reads, then cells it declines (calamine reads on from there).
        let read = [
            r#"t="s"><v>4</v>"#,
            r#"t="s"><v>0</v>"#,
            r#"t="s"><v>6</v>"#,
            r#"t="s"><v>3</v>"#,
            r#"s="1"><v>45123</v>"#,
            r#"s="4"><v>45123.5</v>"#,
            r#"s="5"><v>0.75</v>"#,
            r#"s="2"><v>1.5</v>"#,
            r#"><v>2e3</v>"#,
            r#"><v>-0</v>"#,
            r#"t="b"><v>1</v>"#,
            r#"t="b"><v>TRUE</v>"#,
            r#"t="inlineStr"><is><t> a&amp;b </t></is>"#,
            r#"t="inlineStr"><is><t>a&#xD;b</t></is>"#,
            r#"t="inlineStr"><is><t>_x0041_</t></is>"#,
            r#"s="1">"#,
            r#"><v/>"#,
            r#" s="99"><v>45123</v>"#,
        ];
        let declined = [
            r#"><v>.5</v>"#,
            r#"><v>1.</v>"#,
            r#"><v>+1</v>"#,
            r#"><v>inf</v>"#,
            r#"><v>abc</v>"#,
            r#"t="b"><v>2</v>"#,
            r#"t="e"><v>#N/A</v>"#,
            r#"t="str"><f>A1</f><v>x</v>"#,
            r#"t="d"><v>2024-01-01</v>"#,
            r#"t="inlineStr"><is><t>a&unknown;</t></is>"#,
            r#"t="inlineStr"><is><t>x<!--c-->y</t></is>"#,
            r#"t="inlineStr"><is><t><![CDATA[z]]></t></is>"#,
            r#"s="x"><v>1</v>"#,
        ];
        for case in 0..60 {
            let mut rows = String::new();
            let mut r = 0;
            for _ in 0..next(40) {
                r += 1 + next(3) * next(2);
                rows.push_str(&format!(r#"<row r="{r}">"#));
                let mut c = 0;
                for _ in 0..next(6) {
                    c += 1 + next(2);
                    let col = (b'A' + (c % 26) as u8) as char;
                    // Even cases only cells it reads; odd ones one in ten it declines.
                    let value = if case % 2 == 1 && next(10) == 0 {
                        declined[next(declined.len())]
                    } else {
                        read[next(read.len())]
                    };
                    rows.push_str(&format!(r#"<c r="{col}{r}" {value}</c>"#));
                    if value.ends_with('>') && next(4) == 0 {
                        rows.push(' ');
                    }
                }
                rows.push_str("</row>");
            }
            let path = dir.path().join(format!("random-{case}.xlsx"));
            write_xlsx(
                &path,
                &[("S", rows)],
                Some(SHARED),
                Some(STYLES),
                case % 4 == 1,
            );
            let (direct, calamine) = rows_both_ways(&path);
            assert_eq!(direct, calamine, "case {case}");
            if case % 2 == 0 {
                assert_eq!(direct_read(&path, 1).unwrap().1, None, "case {case}");
            }
        }
    }
}
