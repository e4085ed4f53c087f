//! `briefing.pdf` with embedded typst: A4, an office-bulletin header, the same sections as the
//! HTML, charts as SVG, and the vendored CJK font embedded (subset by typst).

use std::path::PathBuf;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::briefing::Briefing;
use crate::charts::{Charts, CJK_FONT};

pub const TEMPLATE: &str = include_str!("../../templates/briefing.typ");

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("字体文件无法读取 (cannot read font) {path}: {detail}")]
    Font { path: String, detail: String },
    #[error("简报模板 templates/briefing.typ 出错 (the PDF template failed): {0}")]
    Template(String),
    #[error("PDF 生成失败 (PDF export failed): {0}")]
    Export(String),
}

/// PDF options from the command line.
#[derive(Debug, Clone, Default)]
pub struct PdfOptions {
    /// Write PDF/A-2b (archival).
    pub pdf_a: bool,
    /// Extra fonts (files) to make available besides the vendored one.
    pub fonts: Vec<PathBuf>,
}

struct BriefingWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    files: Vec<(FileId, Bytes)>,
    today: Option<Datetime>,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("a valid built-in virtual path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

fn load_fonts(extra: &[PathBuf]) -> Result<(Vec<Font>, FontBook), PdfError> {
    let mut fonts: Vec<Font> = Font::iter(Bytes::new(CJK_FONT)).collect();
    for path in extra {
        let data = std::fs::read(path).map_err(|e| PdfError::Font {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let found: Vec<Font> = Font::iter(Bytes::new(data)).collect();
        if found.is_empty() {
            return Err(PdfError::Font {
                path: path.display().to_string(),
                detail: "不是可用的字体文件 (not a usable font file)".into(),
            });
        }
        fonts.extend(found);
    }
    let mut book = FontBook::new();
    for font in &fonts {
        book.push(font.info().clone());
    }
    Ok((fonts, book))
}

impl World for BriefingWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .iter()
            .find(|(fid, _)| *fid == id)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// Renders the briefing to PDF bytes.
pub fn render(
    briefing: &Briefing,
    charts: &Charts,
    date: chrono::NaiveDate,
    options: &PdfOptions,
) -> Result<Vec<u8>, PdfError> {
    use chrono::Datelike;
    let (fonts, book) = load_fonts(&options.fonts)?;
    let json = serde_json::to_vec(briefing).map_err(|e| PdfError::Template(e.to_string()))?;
    let files = vec![
        (file_id("briefing.json"), Bytes::new(json)),
        (
            file_id("charts/registration.svg"),
            Bytes::from_string(charts.registration.clone()),
        ),
        (
            file_id("charts/hours.svg"),
            Bytes::from_string(charts.hours.clone()),
        ),
        (
            file_id("charts/trend.svg"),
            Bytes::from_string(charts.trend.clone()),
        ),
        (
            file_id("charts/stars.svg"),
            Bytes::from_string(charts.stars.clone()),
        ),
    ];
    let today = Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8);
    let world = BriefingWorld {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(book),
        fonts,
        main: Source::new(file_id("briefing.typ"), TEMPLATE.to_string()),
        files,
        today,
    };
    let compiled = typst::compile::<typst_layout::PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| {
        PdfError::Template(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let standards = if options.pdf_a {
        typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_2b])
            .map_err(|e| PdfError::Export(e.message().to_string()))?
    } else {
        typst_pdf::PdfStandards::default()
    };
    let pdf_options = typst_pdf::PdfOptions {
        standards,
        timestamp: today.map(typst_pdf::Timestamp::new_utc),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &pdf_options).map_err(|errors| {
        PdfError::Export(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
