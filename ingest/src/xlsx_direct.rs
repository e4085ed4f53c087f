//! The common `.xlsx` read straight from its XML, on both cores.
//!
//! calamine reads a worksheet on one thread with a general XML parser: a city's 20 MB volunteers
//! export (115 MB of sheet XML) takes it about a second, the whole of that file's load. Exports
//! are plain: shared or inline strings, numbers, dates by style. This reader handles that subset
//! and nothing more. The decompressed sheet is cut at `</row>` into blocks, which two threads
//! tokenize (a cell in the usual shape in one pass over its bytes, [`plain_cell`]; anything else
//! tag by tag); the cells come out in file order with the values calamine 0.38 gives them (each
//! rule below names the calamine function it mirrors). A large shared-strings table is read in
//! two halves at once ([`shared_strings`]).
//!
//! Anything outside the subset *declines*: a formula, a `t="str"`, `"d"` or `"e"` cell, a cell
//! without `r`, a comment or CDATA among the rows, an entity or character reference it does not
//! know, a carriage return in text (XML's line-end rules), bytes that are not UTF-8, a name with a
//! namespace prefix where calamine would read it, a part calamine would find under another name.
//! A declined workbook is read by calamine; a sheet declined half-way is read by calamine from
//! there on, which skips the cells already given out. So what comes out is calamine's in every
//! case: `reader.rs`'s tests and the `xlsx_direct` fuzz target compare the two cell by cell.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use compact_str::CompactString;
use memchr::memmem;

use crate::reader::Cell;

/// A cell as read: its 0-based row and column, and its value.
pub(crate) type SheetCell = (u32, u32, Cell);

/// Why this reader handed (part of) a workbook to calamine: never an error a user sees, and
/// never personal data (a fixed phrase).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decline(pub(crate) &'static str);

type Result<T> = std::result::Result<T, Decline>;

/// calamine's `CellFormat`: how a number in a cell of that style reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Plain,
    DateTime,
    TimeDelta,
}

/// What the direct reader needs of a workbook, read once as it is opened (opaque outside
/// this crate).
#[derive(Debug)]
pub struct DirectBook {
    path: PathBuf,
    /// Each sheet's name and, for a worksheet, its part in the zip.
    sheets: Sheets,
    strings: Vec<CompactString>,
    /// By style (`s`), as calamine's `Xlsx::formats`.
    formats: Vec<NumberKind>,
    is_1904: bool,
}

impl DirectBook {
    /// Reads the parts of the workbook at `path` the direct reader needs: its sheets, shared
    /// strings and number formats. Declines a workbook laid out other than as Excel and the
    /// common export libraries write it.
    pub(crate) fn read(path: &Path) -> Result<DirectBook> {
        let file = File::open(path).map_err(|_| Decline("cannot open"))?;
        let mut zip =
            zip::ZipArchive::new(BufReader::new(file)).map_err(|_| Decline("not a zip"))?;
        let names = zip
            .file_names()
            .map(|name| name.map(|n| n.into_owned()))
            .collect::<std::result::Result<Vec<String>, _>>()
            .map_err(|_| Decline("zip entry name"))?;
        let names = part_names(names)?;
        let mut part = |name: &str| -> Result<Option<Vec<u8>>> {
            let Some(name) = names.get(&name.to_ascii_lowercase()) else {
                return Ok(None);
            };
            let mut entry = zip.by_name(name).map_err(|_| Decline("unreadable part"))?;
            // The declared size is only a hint (a crafted zip may claim any): 64 MB at most.
            let mut bytes = Vec::with_capacity(entry.size().min(64 << 20) as usize);
            entry
                .read_to_end(&mut bytes)
                .map_err(|_| Decline("unreadable part"))?;
            Ok(Some(bytes))
        };
        let root = part("_rels/.rels")?.ok_or(Decline("no package relationships"))?;
        if office_document(&root)?.as_deref() != Some("xl/workbook.xml") {
            return Err(Decline("workbook not at xl/workbook.xml"));
        }
        let rels =
            part("xl/_rels/workbook.xml.rels")?.ok_or(Decline("no workbook relationships"))?;
        let workbook = part("xl/workbook.xml")?.ok_or(Decline("no workbook"))?;
        for xml in [&root, &rels, &workbook] {
            well_formed(xml)?;
        }
        nothing_inside_defined_names(&workbook)?;
        let (sheets, is_1904) = sheets(&workbook, &relationships(&rels)?)?;
        let strings = match part("xl/sharedStrings.xml")? {
            Some(xml) => shared_strings(&xml)?,
            None => Vec::new(),
        };
        let formats = match part("xl/styles.xml")? {
            Some(xml) => {
                // calamine parses fonts, fills and borders too, and refuses a malformed one.
                well_formed(&xml)?;
                number_formats(&xml)?
            }
            None => Vec::new(),
        };
        // Each worksheet by the name its part has in the zip.
        let sheets = sheets
            .into_iter()
            .map(|(name, entry)| match entry {
                Some(entry) => names
                    .get(&entry.to_ascii_lowercase())
                    .map(|found| (name, Some(found.clone())))
                    .ok_or(Decline("worksheet part missing")),
                None => Ok((name, None)),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DirectBook {
            path: path.to_path_buf(),
            sheets,
            strings,
            formats,
            is_1904,
        })
    }

    /// The sheets' names, in workbook order (calamine's `sheet_names`).
    pub(crate) fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|(name, _)| name.clone()).collect()
    }

    /// The zip part of the worksheet named `sheet`, if it is one.
    pub(crate) fn worksheet(&self, sheet: &str) -> Option<&str> {
        self.sheets
            .iter()
            .find(|(name, _)| name == sheet)
            .and_then(|(_, entry)| entry.as_deref())
    }
}

/// The zip's part names by the key calamine finds them by (lower case), as calamine's
/// `build_zip_path_cache` and `cached_zip_path`. Names calamine would read otherwise (with a
/// backslash, or two differing only in case, where the last wins) are declined.
fn part_names(names: Vec<String>) -> Result<HashMap<String, String>> {
    let mut by_key = HashMap::with_capacity(names.len());
    for name in names {
        if name.contains('\\') {
            return Err(Decline("part name with a backslash"));
        }
        if by_key.insert(name.to_ascii_lowercase(), name).is_some() {
            return Err(Decline("part names differing only in case"));
        }
    }
    Ok(by_key)
}

/// One block's cells, and whether the block held the end of `sheetData`.
struct Block {
    cells: Vec<SheetCell>,
    ended: bool,
}

type BlockResult = Result<Block>;

/// The cells of one worksheet in file order, read on background threads.
pub(crate) struct DirectCells {
    blocks: Receiver<Receiver<BlockResult>>,
    current: std::vec::IntoIter<SheetCell>,
    ended: bool,
    /// Cells given out so far: calamine skips as many if the rest is read by it.
    pub(crate) given: u64,
    /// The decompressing and tokenizing threads, joined when the reader is dropped.
    threads: Vec<std::thread::JoinHandle<()>>,
    /// The workbook's path joined with the worksheet's part, naming this read in tests.
    #[cfg(test)]
    path: PathBuf,
}

/// What [`DirectCells::next`] has.
pub(crate) enum Next {
    Cell(SheetCell),
    End,
    /// The rest of the sheet is calamine's to read, from cell [`DirectCells::given`] on.
    Declined,
}

/// Blocks in flight: each holds up to [`MAX_BLOCK`] bytes of XML and its cells.
const BLOCKS_AHEAD: usize = 4;
/// The first block is small (planning reads a sheet's first rows only); later ones grow to this.
const MAX_BLOCK: usize = 4 << 20;
const FIRST_BLOCK: usize = 64 << 10;
/// A worksheet's part before its rows longer than this is declined.
const MAX_HEAD_BYTES: usize = 4 << 20;
/// A single row longer than this is declined rather than held.
const MAX_ROW_BYTES: usize = 64 << 20;
/// Threads that tokenize blocks.
const TOKENIZERS: usize = 2;

impl DirectCells {
    /// Starts reading worksheet part `entry` of `book`: one thread decompresses and cuts the
    /// XML, [`TOKENIZERS`] turn blocks into cells. They stop when this is dropped.
    ///
    /// Returns once the part has been read up to its rows, and None when it is not read there
    /// as calamine reads it (or no thread is to be had): calamine refuses some sheets there, so
    /// this must be known before any row is given out.
    pub(crate) fn start(book: Arc<DirectBook>, entry: &str) -> Option<DirectCells> {
        let (block_sender, blocks) = sync_channel::<Receiver<BlockResult>>(BLOCKS_AHEAD);
        let (job_sender, jobs) = sync_channel::<(Vec<u8>, SyncSender<BlockResult>)>(TOKENIZERS);
        let jobs = Arc::new(Mutex::new(jobs));
        #[cfg(test)]
        let path = book.path.join(entry);
        let mut threads = Vec::with_capacity(TOKENIZERS + 1);
        for _ in 0..TOKENIZERS {
            let (jobs, book) = (jobs.clone(), book.clone());
            let spawned = std::thread::Builder::new()
                .name("xlsx-tokenize".into())
                .spawn(move || loop {
                    let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((xml, done)) = job else { return };
                    // The receiver may be gone (the reader dropped): nothing to do then.
                    let _ = done.send(tokenize(&book, &xml));
                });
            threads.extend(spawned.ok());
        }
        let entry = entry.to_string();
        let (head_sender, head_read) = sync_channel::<()>(1);
        // With no thread to be had, the closure and its senders are dropped at once.
        let producer = std::thread::Builder::new()
            .name("xlsx-inflate".into())
            .spawn(move || produce(&book, &entry, &head_sender, &job_sender, &block_sender));
        threads.extend(producer.ok());
        let cells = DirectCells {
            blocks,
            current: Vec::new().into_iter(),
            ended: false,
            given: 0,
            threads,
            #[cfg(test)]
            path,
        };
        // The producer says so once the head is read, or drops the sender (`cells` is then
        // dropped too, and its threads joined).
        head_read.recv().ok().map(|()| cells)
    }

    pub(crate) fn next(&mut self) -> Next {
        loop {
            if let Some(cell) = self.current.next() {
                self.given += 1;
                return Next::Cell(cell);
            }
            if self.ended {
                #[cfg(test)]
                DIRECT_READS
                    .lock()
                    .unwrap()
                    .insert(self.path.clone(), (self.given, None));
                return Next::End;
            }
            // A closed channel before the end: the producer could not go on (or had no thread).
            let block = self
                .blocks
                .recv()
                .ok()
                .and_then(|r| r.recv().ok())
                .unwrap_or(Err(Decline("stream ended early")));
            match block {
                Ok(block) => {
                    self.current = block.cells.into_iter();
                    self.ended = block.ended;
                }
                Err(decline) => {
                    #[cfg(test)]
                    DIRECT_READS
                        .lock()
                        .unwrap()
                        .insert(self.path.clone(), (self.given, Some(decline.0)));
                    tracing::debug!(
                        reason = decline.0,
                        cells = self.given,
                        "xlsx: the rest of the sheet read by calamine"
                    );
                    return Next::Declined;
                }
            }
        }
    }
}

impl Drop for DirectCells {
    /// Stops the threads and waits for them (a few milliseconds: the block each is on), so
    /// that none works on after the reader is gone (planning reads a sheet's first rows only).
    fn drop(&mut self) {
        // The producer's next send fails and it returns; the tokenizers' queue then closes.
        drop(std::mem::replace(&mut self.blocks, sync_channel(0).1));
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// How each workbook's last direct read ended: the cells given out, and why it declined if it
/// did.
#[cfg(test)]
pub(crate) type DirectReads =
    Mutex<std::collections::BTreeMap<PathBuf, (u64, Option<&'static str>)>>;
#[cfg(test)]
pub(crate) static DIRECT_READS: DirectReads = Mutex::new(std::collections::BTreeMap::new());

/// A worksheet part being decompressed, read through one buffer (not into each block's spare
/// room: each block is a new vector, and making its room readable meant zeroing it first, 2 %
/// of an xlsx ingest's samples).
struct Inflater<R> {
    xml: R,
    scratch: Vec<u8>,
    eof: bool,
}

impl<R: Read> Inflater<R> {
    fn new(xml: R) -> Inflater<R> {
        Inflater {
            xml,
            scratch: vec![0; 256 << 10],
            eof: false,
        }
    }

    /// Reads on until `pending` holds `want` bytes or the part ends.
    fn fill(&mut self, pending: &mut Vec<u8>, want: usize) -> Result<()> {
        pending.reserve(want.saturating_sub(pending.len()));
        while !self.eof && pending.len() < want {
            match self.xml.read(&mut self.scratch) {
                Ok(0) => self.eof = true,
                Ok(n) => pending.extend_from_slice(&self.scratch[..n]),
                Err(_) => return Err(Decline("unreadable part")),
            }
        }
        Ok(())
    }

    /// Reads the part before the rows (the worksheet's properties, dimension, views, columns)
    /// tag by tag up to `<sheetData>`, declining what calamine's reader might read otherwise
    /// or refuse there. The bytes after `<sheetData>`, or None for `<sheetData/>` (no rows).
    fn head(&mut self) -> Result<Option<Vec<u8>>> {
        let mut pending = Vec::with_capacity(FIRST_BLOCK * 2);
        let mut at = 0;
        let mut depth = 0usize;
        loop {
            let lt = memchr::memchr(b'<', &pending[at..]);
            let tag = lt.map(|lt| Tag::at(&pending, at + lt));
            match tag {
                Some(Ok((tag, next))) => {
                    // quick-xml refuses a bare `&` in text and an end tag with nothing open.
                    if lt.is_some_and(|lt| pending[at..at + lt].contains(&b'&')) {
                        return Err(Decline("entity before the rows"));
                    }
                    tag.kind.nest(&mut depth)?;
                    let (local, prefixed) = tag.local();
                    let readable = !prefixed && dimension(&tag);
                    if local == b"dimension" && tag.kind != Kind::End && !readable {
                        // calamine's reader refuses a dimension without a readable `ref`.
                        return Err(Decline("dimension"));
                    }
                    if local == b"sheetData" && tag.kind != Kind::End {
                        let head = &pending[..next];
                        if prefixed
                            || simdutf8::basic::from_utf8(head).is_err()
                            || !utf8_declared(head)
                        {
                            return Err(Decline("sheetData prefixed, or not UTF-8 before it"));
                        }
                        if tag.kind == Kind::Empty {
                            return Ok(None);
                        }
                        pending.drain(..next);
                        return Ok(Some(pending));
                    }
                    at = next;
                }
                // No markup yet, or a tag cut off by the end of what is read: read on.
                None | Some(Err(_)) if !self.eof && pending.len() <= MAX_HEAD_BYTES => {
                    let want = pending.len() + (64 << 10);
                    self.fill(&mut pending, want)?;
                }
                None => return Err(Decline("no sheetData")),
                Some(Err(why)) => return Err(why),
            }
        }
    }
}

/// Decompresses the worksheet and reads it up to `<sheetData>`, saying so on `head_read` (or
/// dropping it, when calamine is to read the sheet: see [`DirectCells::start`]); then sends the
/// rows in blocks cut after a `</row>`, each with the channel its cells will come back on, in
/// file order.
fn produce(
    book: &DirectBook,
    entry: &str,
    head_read: &SyncSender<()>,
    jobs: &SyncSender<(Vec<u8>, SyncSender<BlockResult>)>,
    blocks: &SyncSender<Receiver<BlockResult>>,
) {
    let send = |xml: Vec<u8>| -> bool {
        let (done, result) = sync_channel(1);
        blocks.send(result).is_ok() && jobs.send((xml, done)).is_ok()
    };
    let decline = |why: &'static str| {
        let (done, result) = sync_channel(1);
        let _ = done.send(Err(Decline(why)));
        let _ = blocks.send(result);
    };
    // Before the rows, nothing is sent: calamine reads the whole sheet.
    let calamine_reads =
        |why: Decline| tracing::debug!(reason = why.0, "xlsx: sheet read by calamine");
    let opened = File::open(&book.path)
        .map_err(|_| Decline("cannot open"))
        .and_then(|file| {
            zip::ZipArchive::new(BufReader::new(file)).map_err(|_| Decline("not a zip"))
        });
    let mut zip = match opened {
        Ok(zip) => zip,
        Err(why) => return calamine_reads(why),
    };
    let mut xml = match zip.by_name(entry) {
        Ok(xml) => Inflater::new(xml),
        Err(_) => return calamine_reads(Decline("unreadable part")),
    };
    let rows = match xml.head() {
        Ok(rows) => rows,
        Err(why) => return calamine_reads(why),
    };
    if head_read.send(()).is_err() {
        return;
    }
    let Some(mut pending) = rows else {
        // `<sheetData/>`: no rows.
        let (done, result) = sync_channel(1);
        let _ = done.send(Ok(Block {
            cells: Vec::new(),
            ended: true,
        }));
        let _ = blocks.send(result);
        return;
    };
    let mut target = FIRST_BLOCK;
    loop {
        if let Err(why) = xml.fill(&mut pending, target) {
            return decline(why.0);
        }
        if xml.eof {
            // The last block holds the end of sheetData (or the file is cut short, which the
            // reader declines for calamine to report).
            send(std::mem::take(&mut pending));
            return;
        }
        match memmem::rfind(&pending, b"</row>") {
            Some(at) => {
                target = (target * 4).min(MAX_BLOCK);
                // The next block starts with what follows the last `</row>`, in room for all of it.
                let mut next = Vec::with_capacity(target + (256 << 10));
                next.extend_from_slice(&pending[at + b"</row>".len()..]);
                pending.truncate(at + b"</row>".len());
                if !send(std::mem::replace(&mut pending, next)) {
                    return;
                }
            }
            None if pending.len() > MAX_ROW_BYTES => return decline("row too long"),
            // One row longer than the block: read on.
            None => target = pending.len() * 2,
        }
    }
}

/// Whether a `<dimension>` has a `ref` calamine's `get_dimension` reads without an error (one
/// or two cell references, the second not before the first).
fn dimension(tag: &Tag<'_>) -> bool {
    let Ok(Some(range)) = attr(tag.attrs, b"ref") else {
        return false;
    };
    let cells: Vec<_> = range.split(|&b| b == b':').map(position).collect();
    match cells[..] {
        [Ok(_)] => true,
        [Ok(start), Ok(end)] => end.0 >= start.0 && end.1 >= start.1,
        _ => false,
    }
}

/// Whether an XML declaration at the start of `head`, if any, names UTF-8 (the only encoding
/// this reader reads; the parts are UTF-8 in every workbook seen).
fn utf8_declared(head: &[u8]) -> bool {
    let Some(decl) = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .strip_prefix(b"<?xml")
    else {
        return true;
    };
    let decl = &decl[..memmem::find(decl, b"?>").unwrap_or(decl.len())];
    match memmem::find(decl, b"encoding") {
        None => true,
        Some(at) => {
            let value = &decl[at..];
            let value = value
                .split(|&b| b == b'"' || b == b'\'')
                .nth(1)
                .unwrap_or_default();
            value.eq_ignore_ascii_case(b"utf-8")
        }
    }
}

/// The cells of one block of whole rows (calamine's `XlsxCellReader::next_cell`).
fn tokenize(book: &DirectBook, xml: &[u8]) -> BlockResult {
    // quick-xml fails on bytes that are not UTF-8 anywhere, even in text calamine ignores.
    // A block is whole rows, so whole characters.
    if simdutf8::basic::from_utf8(xml).is_err() {
        return Err(Decline("not UTF-8"));
    }
    let mut cells = Vec::with_capacity(xml.len() / 40);
    let mut i = 0;
    loop {
        i = skip_space(xml, i);
        if i == xml.len() {
            return Ok(Block {
                cells,
                ended: false,
            });
        }
        let (tag, next) = Tag::at(xml, i)?;
        i = next;
        match (tag.kind, tag.name) {
            (Kind::End, b"sheetData") => return Ok(Block { cells, ended: true }),
            (Kind::Start | Kind::Empty, b"row") => {
                // calamine reads `r` (and fails on a bad one) though every cell here has its own.
                if let Some(r) = attr(tag.attrs, b"r")? {
                    row_number(r)?;
                }
                if tag.kind == Kind::Empty {
                    continue;
                }
                loop {
                    i = skip_space(xml, i);
                    if let Some((cell, next)) = plain_cell(book, xml, i) {
                        cells.push(cell);
                        i = next;
                        continue;
                    }
                    if xml[i..].starts_with(b"</row>") {
                        i += b"</row>".len();
                        break;
                    }
                    let (tag, next) = Tag::at(xml, i)?;
                    i = next;
                    match (tag.kind, tag.name) {
                        (Kind::End, b"row") => break,
                        (Kind::Start | Kind::Empty, b"c") => {
                            let (cell, next) = cell(book, xml, &tag, i)?;
                            cells.push(cell);
                            i = next;
                        }
                        _ => return Err(Decline("unexpected element in a row")),
                    }
                }
            }
            _ => return Err(Decline("unexpected element among rows")),
        }
    }
}

/// The cell at `xml[i..]` when it is written as exports write nearly every cell, and where it
/// ends: `<c r="B2" s="3" t="s"><v>12</v></c>` or `<c r="B2" s="3"/>`, with only `r`, `s` and
/// `t` (each at most once, double-quoted, one space apart), nothing between the elements, and a
/// value [`plain_value`] reads. For anything else, `None`: [`cell`] reads it (or declines), as it
/// would read this shape, with the same result. Most cells are read here without the general
/// tag and attribute parsing.
fn plain_cell(book: &DirectBook, xml: &[u8], i: usize) -> Option<(SheetCell, usize)> {
    const START: &[u8] = b"<c ";
    // One pass over the bytes, as short as the cell (a few dozen bytes): no search calls.
    let b = xml.get(i..)?.strip_prefix(START)?;
    let (mut r, mut s, mut t) = (None, None, None);
    let mut j = 0;
    let empty = loop {
        let slot = match b.get(j..j + 3)? {
            b"r=\"" => &mut r,
            b"s=\"" => &mut s,
            b"t=\"" => &mut t,
            _ => return None,
        };
        j += 3;
        let value = j;
        // A value of these three never holds `<`, `>`, `&` or `'` (how those read inside
        // quotes is the general reader's to mirror).
        loop {
            match *b.get(j)? {
                b'"' => break,
                b'<' | b'>' | b'&' | b'\'' => return None,
                _ => j += 1,
            }
        }
        if slot.replace(&b[value..j]).is_some() {
            return None;
        }
        j += 1;
        match *b.get(j)? {
            b' ' => j += 1,
            b'>' => {
                j += 1;
                break false;
            }
            b'/' if b.get(j + 1) == Some(&b'>') => {
                j += 2;
                break true;
            }
            _ => return None,
        }
    };
    let (row, col) = position(r?).ok()?;
    if !matches!(t, None | Some(b"n" | b"s" | b"b")) {
        return None;
    }
    let value = if empty {
        Cell::Empty
    } else {
        const V: &[u8] = b"<v>";
        const V_END: &[u8] = b"</v></c>";
        if b.get(j..j + V.len())? != V {
            return None;
        }
        j += V.len();
        let text = j;
        loop {
            match *b.get(j)? {
                b'<' => break,
                b'&' => return None,
                _ => j += 1,
            }
        }
        if b.get(j..j + V_END.len())? != V_END {
            return None;
        }
        let text = &b[text..j];
        j += V_END.len();
        plain_value(book, text, s, t).ok()?
    };
    Some(((row, col, value), i + START.len() + j))
}

/// One `<c>` whose start tag ends before `i`: its position and value, and where it ends.
fn cell(book: &DirectBook, xml: &[u8], tag: &Tag<'_>, mut i: usize) -> Result<(SheetCell, usize)> {
    let (mut r, mut s, mut t) = (None, None, None);
    for item in Attrs(tag.attrs) {
        let (key, value) = item?;
        let slot = match key {
            b"r" => &mut r,
            b"s" => &mut s,
            b"t" => &mut t,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Decline("repeated attribute"));
        }
    }
    let (row, col) = position(r.ok_or(Decline("cell without r"))?)?;
    let inline = match t {
        None | Some(b"n" | b"s" | b"b") => false,
        Some(b"inlineStr") => true,
        Some(_) => return Err(Decline("cell type outside the subset")),
    };
    let mut value = Cell::Empty;
    if tag.kind == Kind::Start {
        loop {
            let (child, next) = next_tag(xml, i)?;
            i = next;
            match (child.kind, child.name) {
                (Kind::End, b"c") => break,
                // `<v/>`: calamine reads the end as no value.
                (Kind::Empty, b"v") => value = Cell::Empty,
                (Kind::Start, b"v") => {
                    let (text, next) = element_text(xml, i, b"v")?;
                    if text.contains(&b'&') {
                        // Even where calamine ignores the value, its parser judges the reference.
                        return Err(Decline("entity in a value"));
                    }
                    i = next;
                    value = if inline {
                        // calamine ignores an inline string's `<v>`: its value is in `<is>`.
                        Cell::Empty
                    } else {
                        plain_value(book, text, s, t)?
                    };
                }
                (Kind::Empty, b"is") => value = Cell::Text(CompactString::default()),
                (Kind::Start, b"is") => {
                    let (text, next, left_open) = rich_text(xml, i, b"is")?;
                    if left_open > 0 {
                        return Err(Decline("element left open in a string"));
                    }
                    i = next;
                    value = Cell::Text(text.into());
                }
                _ => return Err(Decline("formula or other element in a cell")),
            }
        }
    }
    Ok(((row, col, value), i))
}

/// A `<v>`'s text as calamine's `read_v` reads it for types `n`, `s`, `b` and none.
fn plain_value(book: &DirectBook, text: &[u8], s: Option<&[u8]>, t: Option<&[u8]>) -> Result<Cell> {
    Ok(match t {
        Some(b"s") => {
            if text.is_empty() {
                return Ok(Cell::Empty);
            }
            let index = small_number(text).ok_or(Decline("shared string index"))?;
            Cell::Text(
                book.strings
                    .get(index)
                    .ok_or(Decline("shared string index out of range"))?
                    .clone(),
            )
        }
        Some(b"b") => {
            let text = std::str::from_utf8(text)
                .map_err(|_| Decline("boolean"))?
                .trim_matches(|c: char| c.is_ascii_whitespace());
            if text.is_empty() {
                Cell::Empty
            } else if text == "0" || text.eq_ignore_ascii_case("false") {
                Cell::Bool(false)
            } else if text == "1" || text.eq_ignore_ascii_case("true") {
                Cell::Bool(true)
            } else {
                return Err(Decline("boolean"));
            }
        }
        _ => {
            if text.is_empty() {
                return Ok(Cell::Empty);
            }
            let n = decimal(text).ok_or(Decline("number outside the plain syntax"))?;
            // calamine's `format_excel_f64_ref`: no style is General; an unknown one is too.
            let kind = match s {
                None => Some(NumberKind::Plain),
                Some(s) => {
                    let id = small_number(s).ok_or(Decline("style index"))?;
                    book.formats.get(id).copied()
                }
            };
            let kind = match kind {
                Some(NumberKind::DateTime) => calamine::ExcelDateTimeType::DateTime,
                Some(NumberKind::TimeDelta) => calamine::ExcelDateTimeType::TimeDelta,
                _ => return Ok(Cell::Number(n)),
            };
            crate::reader::excel_datetime(&calamine::ExcelDateTime::new(n, kind, book.is_1904))
        }
    })
}

/// Up to nine ASCII digits (larger indexes are declined, not read).
fn small_number(text: &[u8]) -> Option<usize> {
    if text.is_empty() || text.len() > 9 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
}

/// `-?digits(.digits)?([eE][+-]?digits)?`: the syntax on which calamine's parser and Rust's
/// agree (both round correctly); anything else is declined.
fn decimal(text: &[u8]) -> Option<f64> {
    let digits = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(text.first() == Some(&b'-'));
    let whole = digits(i);
    if whole == 0 {
        return None;
    }
    i += whole;
    if text.get(i) == Some(&b'.') {
        let fraction = digits(i + 1);
        if fraction == 0 {
            return None;
        }
        i += 1 + fraction;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent = digits(i);
        if exponent == 0 {
            return None;
        }
        i += exponent;
    }
    if i != text.len() {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A cell reference such as `AB12` as 0-based (row, column), as calamine's `get_row_column`;
/// references it could overflow on are declined.
fn position(r: &[u8]) -> Result<(u32, u32)> {
    let mut col = 0u32;
    let mut letters = 0;
    for &b in r {
        if !b.is_ascii_alphabetic() {
            break;
        }
        if letters == 3 {
            return Err(Decline("cell reference"));
        }
        col = col * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1;
        letters += 1;
    }
    if letters == 0 {
        return Err(Decline("cell reference"));
    }
    Ok((row_number(&r[letters..])?, col - 1))
}

/// A row number (1-based in the file) as a 0-based index.
fn row_number(digits: &[u8]) -> Result<u32> {
    small_number(digits)
        .filter(|_| digits.len() <= 7)
        .and_then(|n| u32::try_from(n).ok()?.checked_sub(1))
        .ok_or(Decline("row number"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `<name …>`
    Start,
    /// `<name …/>`, which calamine reads as a start and an end.
    Empty,
    /// `</name>`
    End,
    /// `<?…?>` or `<!--…-->`: skipped where calamine skips them, declined elsewhere.
    Skipped,
}

impl Kind {
    /// Counts the elements open (`depth`) past this tag. quick-xml refuses an end tag with
    /// nothing open (it does not compare names, so one end tag too many closes the root early):
    /// declined.
    fn nest(self, depth: &mut usize) -> Result<()> {
        match self {
            Kind::Start => *depth += 1,
            Kind::End => {
                *depth = depth
                    .checked_sub(1)
                    .ok_or(Decline("end tag, nothing open"))?
            }
            Kind::Empty | Kind::Skipped => {}
        }
        Ok(())
    }
}

struct Tag<'b> {
    kind: Kind,
    name: &'b [u8],
    attrs: &'b [u8],
}

impl<'b> Tag<'b> {
    /// The markup starting at `xml[i] == b'<'` and the index after it. Declines CDATA,
    /// declarations and names quick-xml would read otherwise; a name's namespace prefix is
    /// for the caller to judge ([`Tag::local`]).
    fn at(xml: &'b [u8], i: usize) -> Result<(Tag<'b>, usize)> {
        let rest = &xml[i..];
        if rest.first() != Some(&b'<') {
            return Err(Decline("markup expected"));
        }
        if rest.starts_with(b"<?") {
            // quick-xml ends it at the first `?>`, and refuses `<?>`.
            let end = memmem::find(&rest[1..], b"?>").ok_or(Decline("cut short"))?;
            if end == 0 {
                return Err(Decline("<?>"));
            }
            return Ok((Tag::skipped(), i + 1 + end + 2));
        }
        if rest.starts_with(b"<!--") {
            let end = memmem::find(&rest[4..], b"-->").ok_or(Decline("cut short"))?;
            return Ok((Tag::skipped(), i + 4 + end + 3));
        }
        if rest.starts_with(b"<!") {
            return Err(Decline("CDATA or declaration"));
        }
        let (kind, from) = if rest.get(1) == Some(&b'/') {
            (Kind::End, 2)
        } else {
            (Kind::Start, 1)
        };
        // quick-xml's name runs to white space (an end tag's to `>`): one that stops anywhere
        // else here (`</c x>`, `<v/x>`) is declined rather than read another way.
        let name_len = rest[from..]
            .iter()
            .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
            .count();
        let name = &rest[from..from + name_len];
        if name.is_empty() || name.iter().any(|b| matches!(b, b'<' | b'"' | b'\'' | b'=')) {
            return Err(Decline("element name"));
        }
        let after = &rest[from + name_len..];
        let well_ended = match kind {
            Kind::End => after.trim_ascii_start().first() == Some(&b'>'),
            _ => after.first() != Some(&b'/') || after.get(1) == Some(&b'>'),
        };
        if !well_ended {
            return Err(Decline("element name"));
        }
        // The tag ends at the first `>` outside quotes.
        let mut at = from + name_len;
        let mut quote = None;
        loop {
            let b = *rest.get(at).ok_or(Decline("cut short"))?;
            match (quote, b) {
                (None, b'>') => break,
                (None, b'"' | b'\'') => quote = Some(b),
                (Some(q), b) if b == q => quote = None,
                (None, b'<') => return Err(Decline("markup inside a tag")),
                _ => {}
            }
            at += 1;
        }
        let mut attrs = &rest[from + name_len..at];
        let kind = match (kind, attrs.last()) {
            (Kind::Start, Some(b'/')) => {
                attrs = &attrs[..attrs.len() - 1];
                Kind::Empty
            }
            (kind, _) => kind,
        };
        Ok((Tag { kind, name, attrs }, i + at + 1))
    }

    /// The name without its namespace prefix, and whether it had one. calamine matches most
    /// names without their prefix: a prefixed name it would match is declined here.
    fn local(&self) -> (&'b [u8], bool) {
        // quick-xml's local name follows the first colon.
        match memchr::memchr(b':', self.name) {
            Some(at) => (&self.name[at + 1..], true),
            None => (self.name, false),
        }
    }

    fn skipped() -> Tag<'static> {
        Tag {
            kind: Kind::Skipped,
            name: b"",
            attrs: b"",
        }
    }
}

/// A tag's attributes as (key, raw value), as calamine's `RawAttrIter`; malformed ones decline.
struct Attrs<'b>(&'b [u8]);

impl<'b> Iterator for Attrs<'b> {
    type Item = Result<(&'b [u8], &'b [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.0.trim_ascii_start();
        if s.is_empty() {
            return None;
        }
        let Some(eq) = memchr::memchr(b'=', s) else {
            self.0 = b"";
            return Some(Err(Decline("attribute without value")));
        };
        let key = s[..eq].trim_ascii_end();
        let rest = s[eq + 1..].trim_ascii_start();
        let quote = match rest.first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                self.0 = b"";
                return Some(Err(Decline("unquoted attribute")));
            }
        };
        let Some(end) = memchr::memchr(quote, &rest[1..]) else {
            self.0 = b"";
            return Some(Err(Decline("unterminated attribute")));
        };
        self.0 = &rest[1 + end + 1..];
        Some(Ok((key, &rest[1..1 + end])))
    }
}

/// The raw value of attribute `key`; a repeated one declines.
fn attr<'b>(attrs: &'b [u8], key: &[u8]) -> Result<Option<&'b [u8]>> {
    let mut found = None;
    for item in Attrs(attrs) {
        let (k, v) = item?;
        if k == key && found.replace(v).is_some() {
            return Err(Decline("repeated attribute"));
        }
    }
    Ok(found)
}

/// An attribute's value with its entities resolved (calamine's `decode_attr`). Line ends and
/// tabs, which XML may normalize in attributes, decline.
fn attr_text(raw: &[u8]) -> Result<String> {
    if raw.iter().any(|&b| matches!(b, b'\r' | b'\n' | b'\t')) {
        return Err(Decline("white space in an attribute"));
    }
    let mut out = String::with_capacity(raw.len());
    push_text(raw, &mut out)?;
    Ok(out)
}

fn skip_space(xml: &[u8], mut i: usize) -> usize {
    while i < xml.len() && xml[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Appends XML text with its entity and character references resolved. A carriage return
/// (which XML turns into a line feed) and references outside XML's own set decline.
fn push_text(raw: &[u8], out: &mut String) -> Result<()> {
    let mut rest = raw;
    loop {
        let at = memchr::memchr2(b'&', b'\r', rest).unwrap_or(rest.len());
        out.push_str(std::str::from_utf8(&rest[..at]).map_err(|_| Decline("not UTF-8"))?);
        if at == rest.len() {
            return Ok(());
        }
        if rest[at] == b'\r' {
            return Err(Decline("carriage return in text"));
        }
        let end = memchr::memchr(b';', &rest[at..]).ok_or(Decline("entity"))?;
        let name = &rest[at + 1..at + end];
        match name {
            b"lt" => out.push('<'),
            b"gt" => out.push('>'),
            b"amp" => out.push('&'),
            b"apos" => out.push('\''),
            b"quot" => out.push('"'),
            _ => out.push(char_reference(name)?),
        }
        rest = &rest[at + end + 1..];
    }
}

/// `#123` or `#x7B`: characters XML allows (tab, line ends, from U+0020 on).
fn char_reference(name: &[u8]) -> Result<char> {
    let (digits, radix) = match name {
        [b'#', b'x', hex @ ..] => (hex, 16),
        [b'#', dec @ ..] => (dec, 10),
        _ => return Err(Decline("entity")),
    };
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(|b| b.is_ascii_hexdigit()) {
        return Err(Decline("character reference"));
    }
    let text = std::str::from_utf8(digits).map_err(|_| Decline("character reference"))?;
    let code = u32::from_str_radix(text, radix).map_err(|_| Decline("character reference"))?;
    // XML's `Char`: what any parser accepts.
    match (code, char::from_u32(code)) {
        (0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF, Some(c)) => Ok(c),
        _ => Err(Decline("character reference")),
    }
}

/// The next tag at or after `i`, past text calamine ignores there (between a cell's elements,
/// outside a string's `<t>`); a stray `&` in that text is left to calamine's parser to judge.
fn next_tag(xml: &[u8], i: usize) -> Result<(Tag<'_>, usize)> {
    let at = memchr::memchr(b'<', &xml[i..])
        .map(|at| i + at)
        .ok_or(Decline("cut short"))?;
    if xml[i..at].contains(&b'&') {
        return Err(Decline("entity in ignored text"));
    }
    Tag::at(xml, at)
}

/// The raw text of an element `name` (`<v>`, `<t>`) whose start tag ends before `i`, and the
/// index after its end tag; an element inside it declines.
fn element_text<'b>(xml: &'b [u8], i: usize, name: &[u8]) -> Result<(&'b [u8], usize)> {
    let end = memchr::memchr(b'<', &xml[i..])
        .map(|at| i + at)
        .ok_or(Decline("cut short"))?;
    let (close, next) = Tag::at(xml, end)?;
    if close.kind != Kind::End || close.name != name {
        return Err(Decline("element inside a value or string"));
    }
    Ok((&xml[i..end], next))
}

/// The text of an `<si>` or `<is>` whose start tag ends before `i`, and the index after its end
/// tag: calamine's `read_string_with_bufs`. Rich-text runs are joined, phonetic runs (`<rPh>`)
/// left out, each `<t>` trimmed of ASCII white space unless `xml:space="preserve"`, and Excel's
/// `_xHHHH_` escapes resolved.
///
/// Also how many elements the string leaves open for quick-xml, which does not compare end
/// tags' names: those open inside it, and the string itself when an empty `<si/>` closed it.
fn rich_text(xml: &[u8], mut i: usize, closing: &[u8]) -> Result<(String, usize, usize)> {
    let mut text: Option<String> = None;
    let mut phonetic = false;
    // Elements open inside: an end tag with none open (quick-xml's error, once past the
    // enclosing elements) is declined.
    let mut depth = 0usize;
    loop {
        let (tag, next) = next_tag(xml, i)?;
        i = next;
        if tag.local().1 {
            return Err(Decline("prefixed name in a string"));
        }
        // An empty element is a start and an end to calamine: `<si/>` inside closes the `<si>`.
        match (tag.kind, tag.name) {
            (Kind::End | Kind::Empty, name) if name == closing => {
                let left_open = depth + usize::from(tag.kind == Kind::Empty);
                return Ok((text.unwrap_or_default(), i, left_open));
            }
            (Kind::End, _) if depth == 0 => return Err(Decline("end tag with nothing open")),
            (Kind::Start, _) => depth += 1,
            (Kind::End, _) => depth -= 1,
            _ => {}
        }
        match (tag.kind, tag.name) {
            (Kind::Start | Kind::Empty, b"r") if text.is_none() => text = Some(String::new()),
            (Kind::Start, b"rPh") => phonetic = true,
            (Kind::End, b"rPh") => phonetic = false,
            (Kind::Start | Kind::Empty, b"t") if !phonetic => {
                let preserve = attr(tag.attrs, b"xml:space")? == Some(b"preserve");
                let mut value = String::new();
                if tag.kind == Kind::Start {
                    let (raw, next) = element_text(xml, i, b"t")?;
                    push_text(raw, &mut value)?;
                    i = next;
                    depth -= 1;
                }
                // Most strings need neither trimming nor unescaping: they are kept as read,
                // not copied again (a city's table holds hundreds of thousands).
                if !preserve {
                    let trimmed = value.trim_matches([' ', '\t', '\r', '\n']);
                    if trimmed.len() != value.len() {
                        value = trimmed.to_string();
                    }
                }
                let unescaped = match unescape_excel(&value) {
                    std::borrow::Cow::Owned(unescaped) => Some(unescaped),
                    std::borrow::Cow::Borrowed(_) => None,
                };
                let value = unescaped.unwrap_or(value);
                match &mut text {
                    Some(text) => text.push_str(&value),
                    None => text = Some(value),
                }
            }
            // `<rPh/>` is a start and an end: phonetic for nothing.
            _ => {}
        }
    }
}

/// Resolves Excel's `_xHHHH_` escapes (a UTF-16 code unit each; a pair for a character beyond
/// the BMP; a lone surrogate becomes U+FFFD): calamine's `unescape_xml`.
fn unescape_excel(text: &str) -> std::borrow::Cow<'_, str> {
    fn unit_at(text: &str, at: usize) -> Option<u16> {
        let b = text.as_bytes().get(at..at + 7)?;
        if b[0] != b'_'
            || b[1] != b'x'
            || b[6] != b'_'
            || !b[2..6].iter().all(u8::is_ascii_hexdigit)
        {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&b[2..6]).ok()?, 16).ok()
    }
    fn find(text: &str, mut from: usize) -> Option<(usize, u16)> {
        while let Some(offset) = text[from..].find('_') {
            let at = from + offset;
            if let Some(unit) = unit_at(text, at) {
                return Some((at, unit));
            }
            from = at + 1;
        }
        None
    }
    let Some((mut at, mut unit)) = find(text, 0) else {
        return std::borrow::Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    loop {
        out.push_str(&text[copied..at]);
        at += 7;
        match unit {
            0xD800..=0xDBFF => match unit_at(text, at) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    at += 7;
                }
                _ => out.push(char::REPLACEMENT_CHARACTER),
            },
            0xDC00..=0xDFFF => out.push(char::REPLACEMENT_CHARACTER),
            _ => out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
        copied = at;
        match find(text, at) {
            Some(next) => (at, unit) = next,
            None => break,
        }
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// The shared-strings table (calamine's `read_shared_strings`): every `<si>`, in order.
fn shared_strings(xml: &[u8]) -> Result<Vec<CompactString>> {
    if !utf8_declared(xml) || simdutf8::basic::from_utf8(xml).is_err() {
        return Err(Decline("encoding"));
    }
    if let Some(strings) = shared_strings_in_two(xml) {
        return strings;
    }
    let mut strings = Vec::new();
    strings_from(xml, 0, TableState::BEFORE, &mut strings, false)?;
    Ok(strings)
}

/// A large table (a city's volunteers export has 26 MB) read in two halves at once, cut before
/// an `<si>` near the middle: the first half read as the whole would be, up to the cut, and the
/// second from the cut on as the whole would go on from there. `None` when the table is small,
/// no thread is to be had, or the first half does not end between two strings of the table as a
/// plain table does (the cut fell inside a comment or an attribute, or the table is malformed):
/// then the whole is read in one pass, so what comes out, or the refusal, is the one pass's.
fn shared_strings_in_two(xml: &[u8]) -> Option<Result<Vec<CompactString>>> {
    const IN_TWO_FROM: usize = 1 << 20;
    if xml.len() < IN_TWO_FROM {
        return None;
    }
    let cut = string_start_from(xml, xml.len() / 2)?;
    std::thread::scope(|scope| {
        let second = std::thread::Builder::new()
            .name("xlsx-strings".into())
            .spawn_scoped(scope, || {
                let mut strings = Vec::new();
                strings_from(xml, cut, TableState::BETWEEN_STRINGS, &mut strings, false)
                    .map(|_| strings)
            })
            .ok()?;
        let mut strings = Vec::new();
        let first = strings_from(&xml[..cut], 0, TableState::BEFORE, &mut strings, true);
        let second = second.join().ok()?;
        if first != Ok((TableState::BETWEEN_STRINGS, TableEnd::NotReached)) {
            return None;
        }
        Some(second.map(|more| {
            strings.extend(more);
            strings
        }))
    })
}

/// The first `<si` tag at or after `from` (a name `si`, not `sid`).
fn string_start_from(xml: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += memmem::find(&xml[at..], b"<si")?;
        if matches!(
            xml.get(at + 3),
            Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r')
        ) {
            return Some(at);
        }
        at += 3;
    }
}

/// Where a read of the shared strings stands between two tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableState {
    /// Inside `<sst>`.
    in_table: bool,
    /// Elements open around the strings: an end tag with none open is quick-xml's error.
    depth: usize,
}

impl TableState {
    const BEFORE: TableState = TableState {
        in_table: false,
        depth: 0,
    };
    /// Inside `<sst>` and nothing else, as between two strings of a plain table.
    const BETWEEN_STRINGS: TableState = TableState {
        in_table: true,
        depth: 1,
    };
}

/// Whether a read of the shared strings reached the table's end.
#[derive(Debug, PartialEq, Eq)]
enum TableEnd {
    Reached,
    /// The part (`open_ended`: the slice given) ended first.
    NotReached,
}

/// Reads the strings of `xml` from `i` (where the read stands in `state`) into `strings`, to the
/// table's end. With `open_ended`, `xml` is the first part of a table and may end between two
/// tags; otherwise the part ending before the table does is refused, as by calamine.
fn strings_from(
    xml: &[u8],
    mut i: usize,
    mut state: TableState,
    strings: &mut Vec<CompactString>,
    open_ended: bool,
) -> Result<(TableState, TableEnd)> {
    // A bare `&` between the strings (real tables have white space there) is quick-xml's error.
    loop {
        if open_ended && memchr::memchr(b'<', &xml[i..]).is_none() {
            if xml[i..].contains(&b'&') {
                return Err(Decline("entity in ignored text"));
            }
            return Ok((state, TableEnd::NotReached));
        }
        let (tag, next) = next_tag(xml, i)?;
        i = next;
        if tag.local().1 {
            return Err(Decline("prefixed name in the shared strings"));
        }
        // A string reads through its own end.
        if !(tag.kind == Kind::Start && tag.name == b"si" && state.in_table) {
            tag.kind.nest(&mut state.depth)?;
        }
        match (tag.kind, tag.name) {
            (Kind::Start | Kind::Empty, b"sst") if !state.in_table => {
                // calamine reads `uniqueCount` from the table's attributes.
                for item in Attrs(tag.attrs) {
                    item?;
                }
                state.in_table = true;
                if tag.kind == Kind::Empty {
                    return Ok((state, TableEnd::Reached));
                }
            }
            (_, _) if !state.in_table => {}
            (Kind::Empty, b"si") => strings.push(CompactString::default()),
            (Kind::Start, b"si") => {
                let (text, next, left_open) = rich_text(xml, i, b"si")?;
                state.depth += left_open;
                strings.push(text.into());
                i = next;
            }
            // `<sst/>` inside is a start and an end to calamine: the table ends there.
            (Kind::End | Kind::Empty, b"sst") => return Ok((state, TableEnd::Reached)),
            _ => {}
        }
    }
}

/// Declines a workbook part with an element inside a `<definedName>`: calamine skips what a
/// defined name holds, and a `<sheet>` or `<workbookPr>` there must not count.
fn nothing_inside_defined_names(xml: &[u8]) -> Result<()> {
    let mut inside = false;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &xml[i..]) {
        let (tag, next) = Tag::at(xml, i + at)?;
        i = next;
        let is_defined_name = tag.local().0 == b"definedName";
        match tag.kind {
            Kind::Start | Kind::Empty if inside => {
                return Err(Decline("element inside a defined name"))
            }
            Kind::Start if is_defined_name => inside = true,
            Kind::End if inside => inside = false,
            _ => {}
        }
    }
    Ok(())
}

/// Each cell style's number kind (calamine's `read_styles`, the `numFmts` and `cellXfs` parts).
fn number_formats(xml: &[u8]) -> Result<Vec<NumberKind>> {
    if !utf8_declared(xml) {
        return Err(Decline("encoding"));
    }
    let mut codes: HashMap<Vec<u8>, String> = HashMap::new();
    let mut formats = Vec::new();
    let (mut in_codes, mut in_styles, mut in_style) = (false, false, false);
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &xml[i..]) {
        let (tag, next) = Tag::at(xml, i + at)?;
        i = next;
        let (kind, name) = (tag.kind, tag.name);
        if let (local, true) = tag.local() {
            if matches!(
                local,
                b"numFmts" | b"numFmt" | b"cellXfs" | b"xf" | b"styleSheet"
            ) {
                return Err(Decline("prefixed name in the styles"));
            }
            // Extensions (`x14:…`) hold nothing calamine reads here.
            continue;
        }
        // An empty element is a start and an end to calamine: it closes a section of its name.
        let ends = |section: &[u8]| matches!(kind, Kind::End | Kind::Empty) && name == section;
        if in_style {
            in_style = !ends(b"xf");
        } else if in_codes {
            if matches!(kind, Kind::Start | Kind::Empty) && name == b"numFmt" {
                let (id, code) = (
                    attr(tag.attrs, b"numFmtId")?,
                    attr(tag.attrs, b"formatCode")?,
                );
                if let (Some(id), Some(code)) = (id, code) {
                    codes.insert(id.to_vec(), attr_text(code)?);
                }
            }
            in_codes = !ends(b"numFmts");
        } else if in_styles {
            if matches!(kind, Kind::Start | Kind::Empty) && name == b"xf" {
                formats.push(match attr(tag.attrs, b"numFmtId")? {
                    None => NumberKind::Plain,
                    Some(id) => match codes.get(id) {
                        Some(code) => custom_number_kind(code),
                        None => builtin_number_kind(id),
                    },
                });
                in_style = kind == Kind::Start;
            }
            in_styles = !ends(b"cellXfs");
        } else {
            match (kind, name) {
                (Kind::Start, b"numFmts") => in_codes = true,
                (Kind::Start, b"cellXfs") => in_styles = true,
                (Kind::End | Kind::Empty, b"styleSheet") => return Ok(formats),
                // Fonts, fills and borders hold no number formats; calamine parses them apart.
                _ => {}
            }
        }
    }
    // calamine reads to `</styleSheet>` and refuses a part that ends before.
    Err(Decline("styles cut short"))
}

/// Whether a custom number format shows a date, a time or a duration: calamine 0.38's
/// `detect_custom_number_format` (MIT licence, © Johann Tuffe), kept as it is so that the
/// direct reader reads every style as calamine does.
fn custom_number_kind(format: &str) -> NumberKind {
    let mut escaped = false;
    let mut is_quote = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for s in format.chars() {
        match (s, escaped, is_quote, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => is_quote = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => is_quote = true,
            (';', ..) => return NumberKind::Plain,
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return NumberKind::TimeDelta,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return NumberKind::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return NumberKind::DateTime
            }
            _ => {
                if hms && s.eq_ignore_ascii_case(&prev) {
                } else {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    NumberKind::Plain
}

/// calamine 0.38's `builtin_format_by_id`: the built-in formats that show dates and times.
fn builtin_number_kind(id: &[u8]) -> NumberKind {
    match id {
        b"14" | b"15" | b"16" | b"17" | b"18" | b"19" | b"20" | b"21" | b"22" | b"45" | b"47" => {
            NumberKind::DateTime
        }
        b"27" | b"28" | b"29" | b"30" | b"31" | b"32" | b"33" | b"34" | b"35" | b"36" | b"50"
        | b"51" | b"52" | b"53" | b"54" | b"55" | b"56" | b"57" | b"58" => NumberKind::DateTime,
        b"46" => NumberKind::TimeDelta,
        _ => NumberKind::Plain,
    }
}

/// The target of the package's office-document relationship (calamine keeps the last one).
fn office_document(xml: &[u8]) -> Result<Option<String>> {
    let mut target = None;
    each_start(xml, b"Relationships", true, b"Relationship", |attrs| {
        let kind = attr(attrs, b"Type")?;
        if kind.is_some_and(|k| k.ends_with(b"/relationships/officeDocument")) {
            if let Some(t) = attr(attrs, b"Target")? {
                let t = attr_text(t)?;
                target = Some(t.strip_prefix('/').map(str::to_string).unwrap_or(t));
            }
        }
        Ok(())
    })?;
    Ok(target)
}

/// Relationship id → (target, type), raw as calamine keeps them.
type Relationships = HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)>;

/// The workbook's relationships.
fn relationships(xml: &[u8]) -> Result<Relationships> {
    let mut map = HashMap::new();
    each_start(xml, b"Relationships", false, b"Relationship", |attrs| {
        if let Some(id) = attr(attrs, b"Id")? {
            let target = attr(attrs, b"Target")?.unwrap_or_default().to_vec();
            let kind = attr(attrs, b"Type")?.unwrap_or_default().to_vec();
            map.insert(id.to_vec(), (target, kind));
        }
        Ok(())
    })?;
    Ok(map)
}

/// The sheets in workbook order, each with its worksheet part, and whether dates count from
/// 1904 (calamine's `read_workbook`; what it refuses is declined, for calamine to refuse).
fn sheets(xml: &[u8], relationships: &Relationships) -> Result<(Sheets, bool)> {
    let mut sheets = Vec::new();
    let mut is_1904 = false;
    // `<x15:workbookPr>` (in extensions) shares the name and calamine reads it too.
    each_start(xml, b"workbook", false, b"workbookPr", |attrs| {
        if let Some(v) = attr(attrs, b"date1904")? {
            is_1904 = v == b"1" || v == b"true";
        }
        Ok(())
    })?;
    each_start(xml, b"workbook", false, b"sheet", |attrs| {
        let (mut name, mut id) = (String::new(), None);
        for item in Attrs(attrs) {
            let (key, value) = item?;
            match key {
                b"name" => name = attr_text(value)?,
                b"state" if !matches!(value, b"visible" | b"hidden" | b"veryHidden") => {
                    return Err(Decline("sheet state"))
                }
                key if key == b"id" || key.ends_with(b":id") => id = Some(value),
                _ => {}
            }
        }
        let (target, kind) = relationships
            .get(id.unwrap_or_default())
            .ok_or(Decline("sheet relationship"))?;
        let target = std::str::from_utf8(target).map_err(|_| Decline("sheet part"))?;
        if target.contains('&') || target.contains('\\') || target.contains("..") {
            return Err(Decline("sheet part"));
        }
        let entry = target
            .strip_prefix('/')
            .map(str::to_string)
            .unwrap_or_else(|| format!("xl/{target}"));
        let worksheet = match kind.rsplit(|&b| b == b'/').next() {
            Some(b"worksheet") => true,
            Some(b"chartsheet" | b"dialogsheet") => false,
            _ => return Err(Decline("sheet type")),
        };
        sheets.push((name, worksheet.then_some(entry)));
        Ok(())
    })?;
    Ok((sheets, is_1904))
}

/// Each sheet's name and, for a worksheet, its part in the zip.
type Sheets = Vec<(String, Option<String>)>;

/// Whether a small part is one calamine's opening reads without an error, as far as this reader
/// can tell: UTF-8, every tag's attributes well formed, every reference in text and attributes
/// one XML knows. (calamine parses all of the workbook, its relationships and its styles as it
/// opens; the direct reader reads only some of them, and declines whatever calamine might
/// refuse.)
fn well_formed(xml: &[u8]) -> Result<()> {
    if simdutf8::basic::from_utf8(xml).is_err() {
        return Err(Decline("not UTF-8"));
    }
    let mut scratch = String::new();
    let mut references = |text: &[u8]| -> Result<()> {
        // Only the references matter here: line ends in ignored text are fine.
        let mut rest = text;
        while let Some(at) = memchr::memchr(b'&', rest) {
            let end = memchr::memchr(b';', &rest[at..]).ok_or(Decline("entity"))?;
            scratch.clear();
            push_text(&rest[at..at + end + 1], &mut scratch)?;
            rest = &rest[at + end + 1..];
        }
        Ok(())
    };
    // Elements open ([`Kind::nest`]); anything left open at the end is declined as well.
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &xml[i..]) {
        references(&xml[i..i + at])?;
        let (tag, next) = Tag::at(xml, i + at)?;
        for item in Attrs(tag.attrs) {
            references(item?.1)?;
        }
        tag.kind.nest(&mut depth)?;
        i = next;
    }
    references(&xml[i..])?;
    if depth != 0 {
        return Err(Decline("element left open"));
    }
    Ok(())
}

/// Calls `each` with the attributes of every start (or empty) tag named `name` up to the end of
/// element `root`, and, with `after_root`, only after `root` starts (as calamine reads the
/// package's relationships).
fn each_start(
    xml: &[u8],
    root: &[u8],
    after_root: bool,
    name: &[u8],
    mut each: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    if !utf8_declared(xml) {
        return Err(Decline("encoding"));
    }
    let mut inside = !after_root;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &xml[i..]) {
        let (tag, next) = Tag::at(xml, i + at)?;
        i = next;
        let (local, prefixed) = tag.local();
        if prefixed && (local == root || (local == name && name != b"workbookPr")) {
            return Err(Decline("prefixed name"));
        }
        if !inside {
            inside = matches!(tag.kind, Kind::Start | Kind::Empty) && local == root;
            if tag.kind == Kind::Empty && inside {
                return Ok(());
            }
            continue;
        }
        if matches!(tag.kind, Kind::End | Kind::Empty) && local == root {
            return Ok(());
        }
        if matches!(tag.kind, Kind::Start | Kind::Empty) && local == name {
            each(tag.attrs)?;
        }
    }
    Err(Decline("part cut short"))
}

/// The block tokenizer and the string reader on arbitrary bytes: never a panic (for the fuzz
/// target; a workbook's rows are compared with calamine's in `reader.rs`'s tests).
#[doc(hidden)]
pub fn tokenize_any(xml: &[u8]) {
    let book = DirectBook {
        path: PathBuf::new(),
        sheets: Vec::new(),
        strings: vec!["a".into(), "b".into()],
        formats: vec![
            NumberKind::Plain,
            NumberKind::DateTime,
            NumberKind::TimeDelta,
        ],
        is_1904: false,
    };
    let _ = tokenize(&book, xml);
    let _ = shared_strings(xml);
    let _ = number_formats(xml);
    let _ = unescape_excel(&String::from_utf8_lossy(xml));
}

/// Workbooks written as Excel lays them out, and a sheet read both ways: for this crate's tests
/// and the `xlsx_direct` fuzz target, which compare the direct reader with calamine.
#[doc(hidden)]
pub mod testing {
    use std::path::Path;

    use crate::reader::{Cell, Workbook};

    /// A sheet's rows as read: (row number, cells), or the error's message.
    pub type Rows = Vec<Result<(u64, Vec<Cell>), String>>;

    /// Every row of every sheet, errors as their messages: the direct reader's and calamine's.
    pub fn rows_both_ways(path: &Path) -> (Rows, Rows) {
        let read = |wb: Result<Workbook, crate::reader::ReadError>| {
            let mut wb = match wb {
                Ok(wb) => wb,
                Err(e) => return vec![Err(e.to_string())],
            };
            let mut out = Vec::new();
            for sheet in wb.sheet_names() {
                match wb.rows(&sheet) {
                    Ok(rows) => out.extend(
                        rows.map(|r| r.map(|r| (r.number, r.cells)).map_err(|e| e.to_string())),
                    ),
                    Err(e) => out.push(Err(e.to_string())),
                }
            }
            out
        };
        let direct = read(Workbook::open(path, None));
        let calamine = read(Workbook::open(path, None).and_then(Workbook::without_direct_reader));
        (direct, calamine)
    }

    /// Writes an xlsx as Excel lays one out, stored uncompressed: `sheets` are (name, the rows
    /// inside `<sheetData>`).
    pub fn write_xlsx(
        path: &Path,
        sheets: &[(&str, String)],
        shared: Option<&str>,
        styles: Option<&str>,
        date1904: bool,
    ) {
        write_xlsx_edited(path, sheets, shared, styles, date1904, |_, text| text);
    }

    /// [`write_xlsx`] with each part's text passed through `edit` (part name, text).
    pub fn write_xlsx_edited(
        path: &Path,
        sheets: &[(&str, String)],
        shared: Option<&str>,
        styles: Option<&str>,
        date1904: bool,
        edit: impl Fn(&str, String) -> String,
    ) {
        use std::io::Write;
        const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut put = |name: &str, text: String| {
            let text = edit(name, text);
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        };
        put(
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        );
        let mut rels = String::new();
        let mut list = String::new();
        for (i, (name, rows)) in sheets.iter().enumerate() {
            let n = i + 1;
            rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
            list.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
            ));
            put(
                &format!("xl/worksheets/sheet{n}.xml"),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:Z9"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>{rows}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#
                ),
            );
        }
        // The optional parts: (name and relationship type, root element with its text).
        let optional = [
            ("sharedStrings", shared.map(|s| format!(r#"<sst xmlns="{MAIN}">{s}</sst>"#))),
            ("styles", styles.map(|s| format!(r#"<styleSheet xmlns="{MAIN}" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">{s}</styleSheet>"#))),
        ];
        for (part, root) in optional {
            if let Some(root) = root {
                rels.push_str(&format!(
                    r#"<Relationship Id="rId{part}" Type="{REL}/{part}" Target="{part}.xml"/>"#
                ));
                put(
                    &format!("xl/{part}.xml"),
                    format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{root}"#),
                );
            }
        }
        put(
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        );
        let pr = if date1904 {
            r#"<workbookPr date1904="1"/>"#
        } else {
            "<workbookPr/>"
        };
        put(
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}<sheets>{list}</sheets></workbook>"#
            ),
        );
        zip.finish().unwrap();
    }

    pub const STYLES: &str = r#"<numFmts count="3"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="0.00_ "/><numFmt numFmtId="178" formatCode="[h]:mm"/></numFmts><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0"/></cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" xfId="0"/><xf numFmtId="176" fontId="0" applyNumberFormat="1"><alignment horizontal="center"/></xf><xf numFmtId="177"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="46"/><xf numFmtId="178"/></cellXfs><extLst><ext uri="{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:slicerStyles defaultSlicerStyle="SlicerStyleLight1"/></ext></extLst>"#;

    pub const SHARED: &str = r#"<si><t>姓名</t></si><si><t xml:space="preserve"> 幸福社区 </t></si><si><t>  trimmed  </t></si><si/><si><r><t>富强</t></r><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve"> 民主</t></r><rPh sb="0" eb="2"><t>fuqiang</t></rPh><phoneticPr fontId="1"/></si><si><t>a&amp;b&lt;c&gt;&quot;&apos;&#10;&#x4E2D;</t></si><si><t>_x000D__x005F_x0041_ _xD83D__xDE00_ _xD83D_</t></si><si><t></t></si><si><t>110101199003071234</t></si>"#;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> DirectBook {
        DirectBook {
            path: PathBuf::new(),
            sheets: Vec::new(),
            strings: vec!["社区".into(), "".into()],
            formats: vec![NumberKind::Plain, NumberKind::DateTime],
            is_1904: false,
        }
    }

    #[test]
    fn a_block_of_plain_rows_reads_cell_by_cell() {
        let xml = r#"<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>45000.5</v></c><c r="C1" s="0"/></row>
<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> 幸福 &amp; 安康 </t></is></c><c r="b2" t="b"><v>1</v></c><c r="C2"><v>-1.5E3</v></c></row></sheetData><mergeCells/>"#.as_bytes();
        let block = tokenize(&book(), xml).unwrap();
        assert!(block.ended);
        let t = |s: &str| Cell::Text(s.into());
        let date = chrono::NaiveDate::from_ymd_opt(2023, 3, 15).unwrap();
        assert_eq!(
            block.cells,
            vec![
                (0, 0, t("社区")),
                (0, 1, Cell::DateTime(date.and_hms_opt(12, 0, 0).unwrap())),
                (0, 2, Cell::Empty),
                (1, 0, t(" 幸福 & 安康 ")),
                (1, 1, Cell::Bool(true)),
                (1, 2, Cell::Number(-1500.0)),
            ]
        );
    }

    #[test]
    fn a_cell_in_the_common_shape_reads_as_the_general_reader_reads_it() {
        // The general reader: the start tag, then the cell (what `tokenize` did for every cell).
        let general = |xml: &[u8]| {
            let (tag, next) = Tag::at(xml, 0)?;
            cell(&book(), xml, &tag, next)
        };
        let common: &[&[u8]] = &[
            br#"<c r="A1" t="s"><v>0</v></c>"#,
            br#"<c r="B12" s="1"><v>45000.5</v></c>"#,
            br#"<c t="n" s="0" r="AB3"><v>-1.5E3</v></c>"#,
            br#"<c r="C2" s="1"/>"#,
            br#"<c r="c2" t="b"><v>1</v></c>"#,
            br#"<c r="D4"><v></v></c>"#,
            br#"<c r="D4" s="9"><v>7</v></c>"#,
        ];
        for &xml in common {
            let fast = plain_cell(&book(), xml, 0);
            assert!(fast.is_some(), "{}", String::from_utf8_lossy(xml));
            assert_eq!(fast, general(xml).ok(), "{}", String::from_utf8_lossy(xml));
        }
        // Anything else is left to the general reader, which reads or declines it.
        let other: &[&[u8]] = &[
            br#"<c r="A1" t="inlineStr"><is><t>x</t></is></c>"#,
            br#"<c r="A1" t="str"><v>x</v></c>"#,
            br#"<c r="A1"><f>B1</f><v>1</v></c>"#,
            br#"<c r="A1" cm="1"><v>1</v></c>"#,
            br#"<c r='A1'><v>1</v></c>"#,
            br#"<c  r="A1"><v>1</v></c>"#,
            br#"<c r ="A1"><v>1</v></c>"#,
            br#"<c r="A1" r="A2"><v>1</v></c>"#,
            br#"<c r="A>1"><v>1</v></c>"#,
            br#"<c r="A1" s=">"><v>1</v></c>"#,
            br#"<c r="A1" s="<"><v>1</v></c>"#,
            br#"<c r="A1"/ >"#,
            br#"<c r="A1"><v>1</v ></c>"#,
            br#"<c r="A1"><v>1</v> </c>"#,
            br#"<c r="A1"> <v>1</v></c>"#,
            br#"<c r="A1"><v>1&amp;</v></c>"#,
            br#"<c r="A1" t="s"><v>7</v></c>"#,
            br#"<c r="A1"><v>1 </v></c>"#,
            br#"<c r="1A"><v>1</v></c>"#,
            br#"<c s="1"><v>1</v></c>"#,
            br#"<c r="A1"></c>"#,
            br#"<c r="A1"><v>1</v></c"#,
        ];
        for &xml in other {
            assert_eq!(
                plain_cell(&book(), xml, 0),
                None,
                "{}",
                String::from_utf8_lossy(xml)
            );
        }
    }

    #[test]
    fn what_is_outside_the_subset_declines() {
        for xml in [
            &br#"<row r="1"><c r="A1"><f>SUM(B1)</f><v>1</v></c></row>"#[..],
            br#"<row r="1"><c r="A1" t="str"><v>x</v></c></row>"#,
            br#"<row r="1"><c><v>1</v></c></row>"#,
            br#"<row r="1"><c r="A1"><v>1 </v></c></row>"#,
            br#"<row r="1"><c r="A1" t="s"><v>7</v></c></row>"#,
            br#"<row r="1"><!-- </row> --></row>"#,
            br#"<row r="1"><c r="A1" t="inlineStr"><is><t>a&nbsp;b</t></is></c></row>"#,
            br#"<row r="1"><c r="A1" t="inlineStr"><is><t>a"#,
            br#"<x:row r="1"></x:row>"#,
            // Names and end tags quick-xml reads otherwise.
            br#"<row r="1"><c r="A1"><v>1</v></c x></row><row r="2"><c r="A2"><v>2</v></c></row>"#,
            br#"<row r="1"><c r="A1"><v/x>5</v></c></row>"#,
            br#"<row r="1"><c r="A1"><v>5</v ></c></row></sheetData x>"#,
            // A reference calamine's parser judges even where the value is ignored.
            br#"<row r="1"><c r="A1" t="inlineStr"><v>a & b</v><is><t>x</t></is></c></row>"#,
            b"<row r=\"1\" spans=\"\xFF\"><c r=\"A1\"><v>1</v></c></row>",
            // An end tag with nothing open; an empty `<is/>` closing the string early.
            br#"<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></x></is></c></row>"#,
            br#"<row r="1"><c r="A1" t="inlineStr"><is><t>a</t><is/><t>b</t></is></c></row>"#,
            br#"<row r="1"><?></row>"#,
        ] {
            assert!(
                tokenize(&book(), xml).is_err(),
                "{}",
                String::from_utf8_lossy(xml)
            );
        }
    }

    #[test]
    fn strings_follow_calamines_rules() {
        let sst = r#"<?xml version="1.0" encoding="UTF-8"?>
<sst count="5" uniqueCount="5"><si><t> a </t></si><si/><si><r><t>富</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 强 </t></r><rPh sb="0" eb="1"><t>fu</t></rPh></si><si><t>_x000D_&#10;_x005F_x0041_</t></si><si><t>_xD83D__xDE00_</t></si></sst>"#.as_bytes();
        assert_eq!(
            shared_strings(sst).unwrap(),
            vec!["a", "", "富 强 ", "\r\n_x0041_", "😀"]
        );
        assert!(shared_strings(b"<sst><si><t>a\r\nb</t></si></sst>").is_err());
        assert!(shared_strings(br#"<sst><si><t>a</t x></si><si><t>b</t></si></sst>"#).is_err());
        // An empty element is a start and an end: `<si/>` inside closes the string there, and
        // `<sst/>` inside ends the table.
        assert_eq!(
            shared_strings(br#"<sst><si><t>a</t><si/><t>b</t></si><si><t>c</t></si></sst>"#)
                .unwrap(),
            vec!["a", "c"]
        );
        assert_eq!(
            shared_strings(br#"<sst><si><t>a</t></si><sst/><si><t>b</t></si></sst>"#).unwrap(),
            vec!["a"]
        );
    }

    #[test]
    fn a_large_table_read_in_two_halves_reads_as_in_one_pass() {
        let one_pass = |xml: &[u8]| {
            let mut strings = Vec::new();
            strings_from(xml, 0, TableState::BEFORE, &mut strings, false).map(|_| strings)
        };
        let table = |middle: &str| {
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sst count=\"1\" uniqueCount=\"1\">",
            );
            for n in 0..40_000 {
                xml.push_str(match n % 4 {
                    0 => "<si><t>幸福社区</t></si>",
                    1 => "<si><r><t>富</t></r><r><rPr><b/></rPr><t xml:space=\"preserve\"> 强 </t></r><rPh sb=\"0\" eb=\"1\"><t>fu</t></rPh></si>",
                    2 => "<si><t>a&amp;b_x000D_</t></si>\n",
                    _ => "<si/>",
                });
                if n == 20_000 {
                    xml.push_str(middle);
                }
            }
            xml.push_str("</sst>");
            assert!(xml.len() > 1 << 20);
            xml.into_bytes()
        };
        // The cut falls near string 20,000; `middle` puts something across it.
        let plain = table("");
        let read = shared_strings(&plain).unwrap();
        assert_eq!(read.len(), 40_000);
        assert_eq!(Some(Ok(read.clone())), shared_strings_in_two(&plain));
        assert_eq!(Ok(read), one_pass(&plain));
        let across_the_cut = |s: &str| format!("{s}{}", "<si><t>x</t></si>".repeat(2_000));
        for middle in [
            // Strings inside a comment; an attribute holding `<si>`; a string closed early by
            // an empty `<si/>` inside it.
            across_the_cut("<!-- ") + " -->",
            format!("<x a=\"{}\"/>", across_the_cut("")),
            // Strings inside another element: read as strings, the element closed after them.
            across_the_cut("<x>") + "</x>",
            "<si><t>a</t><si/><t>b</t></si>".repeat(2_000),
            // Refused: an end tag with nothing open, before or after the cut; `<sst/>` inside.
            "</x>".into(),
            "<sst/>".into(),
            "&".into(),
        ] {
            let xml = table(&middle);
            let (read, expected) = (shared_strings(&xml), one_pass(&xml));
            // A summary on failure: the tables are long.
            let summary =
                |r: &Result<Vec<CompactString>>| r.as_ref().map(|s| s.len()).map_err(|e| e.0);
            assert!(
                read == expected,
                "{middle:.40}: {:?} against {:?}",
                summary(&read),
                summary(&expected)
            );
        }
        let late = String::from_utf8(plain.clone())
            .unwrap()
            .replace("</sst>", "</x></sst>");
        assert!(shared_strings(late.as_bytes()).is_err());
    }

    #[test]
    fn parts_calamine_would_find_otherwise_decline() {
        let names = |list: &[&str]| part_names(list.iter().map(|n| n.to_string()).collect());
        let found = names(&["xl/Styles.xml", "xl/workbook.xml"]).unwrap();
        assert_eq!(found["xl/styles.xml"], "xl/Styles.xml");
        assert!(names(&["xl/styles.xml", "xl/Styles.xml"]).is_err());
        assert!(names(&["xl\\styles.xml"]).is_err());
    }

    #[test]
    fn styles_give_each_cell_format_its_kind() {
        let styles = r#"<styleSheet><numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="0.00_ "/></numFmts>
<cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="176"><alignment/></xf><xf numFmtId="177"/><xf numFmtId="46"/><xf/></cellXfs></styleSheet>"#.as_bytes();
        assert_eq!(
            number_formats(styles).unwrap(),
            vec![
                NumberKind::Plain,
                NumberKind::DateTime,
                NumberKind::Plain,
                NumberKind::TimeDelta,
                NumberKind::Plain
            ]
        );
        // A nested `<cellXfs/>` ends the list, as it does for calamine.
        let nested = br#"<styleSheet><cellXfs><xf numFmtId="14"/><cellXfs/><xf numFmtId="14"/></cellXfs></styleSheet>"#;
        assert_eq!(number_formats(nested).unwrap(), vec![NumberKind::DateTime]);
    }
}
