//! `briefing.docx`: the briefing as an editable Word draft with the sections, text and tables of
//! the PDF and the charts as images. Offices edit every draft before it goes upward, so this is
//! plain, well-formed Word: real heading styles (the navigation pane and a table of contents
//! find them), real tables, the text as paragraphs, no text boxes or fields beyond page numbers.
//!
//! Fonts follow GB/T 9704 as offices set their bulletins: 黑体 for first-level headings, 楷体
//! for second-level ones, 仿宋 for the text, a red 宋体 banner. They are named, not embedded:
//! Word and WPS on a Chinese desktop have them, and another reader substitutes its CJK font.

use docx_rs::{
    AlignmentType, BorderType, Docx, LineSpacing, NumPages, PageMargin, PageNum, Paragraph,
    ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Pic, Run, RunFonts, Shading,
    ShdType, SpecialIndentType, Style, StyleType, Tab, TabValueType, Table, TableCell,
    TableCellMargins, TableRow, VAlignType, WidthType,
};

use crate::briefing::{Briefing, UnitLine};
use crate::charts::{self, Charts};

const BODY_FONT: &str = "仿宋";
const HEADING_FONT: &str = "黑体";
const SUBHEADING_FONT: &str = "楷体";
const BANNER_FONT: &str = "宋体";
const LATIN_FONT: &str = "Times New Roman";
const RED: &str = "B00000";
const BLUE: &str = "2F4B7C";
const GREY: &str = "595959";
const HEADER_FILL: &str = "E8EBF0";

// A4 with the PDF's margins (2.1 cm left and right, 2 cm top and bottom), in twips.
const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
const MARGIN_X: i32 = 1191;
const MARGIN_Y: i32 = 1134;
const TEXT_WIDTH: usize = PAGE_WIDTH as usize - 2 * MARGIN_X as usize;
/// EMU per twip (Word measures images in EMU: 914,400 per inch, 1,440 twips per inch).
const EMU_PER_TWIP: u32 = 635;

// Font sizes in half-points: 四号 14 pt text, 三号 16 pt headings, 五号/小五 in tables.
const TEXT_SIZE: usize = 28;
const TABLE_SIZE: usize = 21;
const WIDE_TABLE_SIZE: usize = 18;
const NOTE_SIZE: usize = 18;

#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("Word 文档生成失败 (cannot write the Word document): {0}")]
    Pack(String),
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
}

/// Renders the briefing to the bytes of a .docx file.
pub fn render(b: &Briefing, charts: &Charts) -> Result<Vec<u8>, DocxError> {
    let doc = document(b);
    let doc = overview(doc, b);
    let doc = figures(doc, b, charts)?;
    let doc = progress(doc, b);
    let doc = trend_stars_and_facts(doc, b, charts)?;
    let doc = annexes(doc, b);
    let mut bytes = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut bytes)
        .map_err(|e| DocxError::Pack(e.to_string()))?;
    Ok(bytes.into_inner())
}

/// The page, styles, footer and document properties.
fn document(b: &Briefing) -> Docx {
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(MARGIN_Y)
                .bottom(MARGIN_Y)
                .left(MARGIN_X)
                .right(MARGIN_X)
                .header(567)
                .footer(567),
        )
        .default_fonts(fonts(BODY_FONT))
        .default_size(TEXT_SIZE)
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("heading 1")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .fonts(fonts(HEADING_FONT))
                .size(32)
                .outline_lvl(0)
                .line_spacing(LineSpacing::new().before(240).after(120)),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("heading 2")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .fonts(fonts(SUBHEADING_FONT))
                .size(TEXT_SIZE)
                .bold()
                .outline_lvl(1)
                .line_spacing(LineSpacing::new().before(120).after(60)),
        )
        // The page-number fields' runs carry no size of their own: they take the style's.
        .add_style(
            Style::new("Footer", StyleType::Paragraph)
                .name("footer")
                .based_on("Normal")
                .size(NOTE_SIZE)
                .color(GREY),
        )
        .footer(docx_rs::Footer::new().add_paragraph(footer(b)));
    if let Some(created) = created_at(&b.date) {
        doc = doc.created_at(&created).updated_at(&created);
    }
    doc
}

/// The banner, then 一、总体情况 with 存在问题 and 数据说明.
fn overview(mut doc: Docx, b: &Briefing) -> Docx {
    for p in banner(b) {
        doc = doc.add_paragraph(p);
    }

    doc = doc.add_paragraph(heading(1, "一、总体情况"));
    for p in &b.narrative.overview {
        doc = doc.add_paragraph(text(p));
    }
    doc = doc.add_paragraph(heading(2, "存在问题"));
    for p in &b.narrative.problems {
        doc = doc.add_paragraph(text(p));
    }
    if !b.narrative.data_notes.is_empty() {
        doc = doc.add_paragraph(heading(2, "数据说明"));
        for p in &b.narrative.data_notes {
            doc = doc.add_paragraph(text(p));
        }
    }
    doc
}

/// 二 to 四: the headline table, the units with their charts, the laggards.
fn figures(mut doc: Docx, b: &Briefing, charts: &Charts) -> Result<Docx, DocxError> {
    doc = doc
        .add_paragraph(heading(1, "二、主要指标与目标"))
        .add_table(headline_table(b));

    doc = doc
        .add_paragraph(heading(1, &format!("三、{}", b.units_title)))
        .add_paragraph(chart(&charts.registration, 1.0)?)
        .add_paragraph(chart(&charts.hours, 1.0)?);
    let mut units: Vec<Vec<String>> = b.units.iter().map(unit_row).collect();
    units.extend(b.reference.iter().map(unit_row));
    doc = doc
        .add_table(grid_table(
            &[5, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2],
            &[
                &b.unit_kind,
                "常住人口",
                "注册志愿者",
                "注册率",
                "人均时长",
                "年化人均",
                "参与率",
                "组织",
                "建站社区",
                "综合得分",
                "排名",
            ],
            units,
            1,
            WIDE_TABLE_SIZE,
        ))
        .add_paragraph(note("综合得分为本地惯例，非官方指数。"));

    doc = doc.add_paragraph(heading(1, "四、距目标较远的社区"));
    for g in &b.laggards {
        doc = doc.add_paragraph(heading(2, &g.target));
        if g.items.is_empty() {
            doc = doc.add_paragraph(text("全部达标。"));
        } else {
            let rows = g
                .items
                .iter()
                .map(|l| vec![l.name.clone(), l.value.clone(), l.need.clone()])
                .collect();
            doc = doc.add_table(grid_table(
                &[2, 1, 2],
                &["社区", "现状", "还需"],
                rows,
                1,
                TABLE_SIZE,
            ));
        }
    }
    Ok(doc)
}

/// 进度预警, for a period that is part of a year.
fn progress(mut doc: Docx, b: &Briefing) -> Docx {
    if let Some(progress) = &b.progress {
        doc = doc.add_paragraph(heading(1, &format!("{}、进度预警", b.sections.progress)));
        for p in &progress.lead {
            doc = doc.add_paragraph(text(p));
        }
        for g in &progress.groups {
            doc = doc.add_paragraph(heading(2, &g.target));
            if g.items.is_empty() {
                doc = doc.add_paragraph(text("按目前进度全部可以达标。"));
                continue;
            }
            let rows = g
                .items
                .iter()
                .map(|i| {
                    vec![
                        i.name.clone(),
                        i.now.clone(),
                        i.projected.clone(),
                        i.need.clone(),
                    ]
                })
                .collect();
            doc = doc.add_table(grid_table(
                &[4, 2, 2, 4],
                &["社区", &g.now_header, "年末预计", "每月还需"],
                rows,
                1,
                TABLE_SIZE,
            ));
            if !g.more.is_empty() {
                doc = doc.add_paragraph(note(&g.more));
            }
        }
        doc = doc.add_paragraph(note(&progress.note));
    }
    doc
}

/// The monthly trend, the star levels, organizations and stations, needs.
fn trend_stars_and_facts(mut doc: Docx, b: &Briefing, charts: &Charts) -> Result<Docx, DocxError> {
    let trend = b
        .trend
        .iter()
        .map(|t| {
            vec![
                t.month.clone(),
                t.hours.clone(),
                t.active_volunteers.clone(),
                t.hours_year_earlier.clone(),
                t.active_volunteers_year_earlier.clone(),
            ]
        })
        .collect();
    doc = doc
        .add_paragraph(heading(1, &format!("{}、月度趋势", b.sections.trend)))
        .add_paragraph(chart(&charts.trend, 1.0)?)
        .add_table(grid_table(
            &[2, 3, 3, 3, 3],
            &[
                "月份",
                "服务时长",
                "参与人数",
                "上年同期时长",
                "上年同期人数",
            ],
            trend,
            1,
            TABLE_SIZE,
        ))
        .add_paragraph(note(&b.trend_note));

    let stars = b
        .stars
        .iter()
        .map(|s| {
            vec![
                s.level.clone(),
                s.threshold.clone(),
                s.persons.clone(),
                s.new_persons.clone(),
            ]
        })
        .collect();
    doc = doc
        .add_paragraph(heading(1, &format!("{}、星级志愿者", b.sections.stars)))
        .add_paragraph(chart(&charts.stars, 0.6)?)
        .add_table(grid_table(
            &[1, 2, 2, 2],
            &["星级", "累计时长", "人数", "本期新增"],
            stars,
            1,
            TABLE_SIZE,
        ))
        .add_paragraph(note(&b.stars_note));

    doc = doc
        .add_paragraph(heading(1, &format!("{}、组织与站点", b.sections.coverage)))
        .add_table(grid_table(
            &[1, 2],
            &["项目", "情况"],
            facts(&b.coverage),
            1,
            TABLE_SIZE,
        ))
        .add_paragraph(heading(1, &format!("{}、需求收集与解决", b.sections.needs)))
        .add_table(grid_table(
            &[1, 2],
            &["项目", "情况"],
            facts(&b.needs),
            1,
            TABLE_SIZE,
        ));

    Ok(doc)
}

/// 附件一 (data quality) and 附件二 (definitions, targets, notes).
fn annexes(mut doc: Docx, b: &Briefing) -> Docx {
    let q = &b.quality;
    doc = doc
        .add_paragraph(heading(1, "附件一、数据质量").page_break_before(true))
        .add_table(grid_table(
            &[6, 2, 2, 2, 2],
            &["检查项", "结果", "检查行数", "问题行数", "占比"],
            q.checks
                .iter()
                .map(|c| {
                    vec![
                        c.name.to_string(),
                        c.status.to_string(),
                        c.checked.clone(),
                        c.failing.clone(),
                        c.share.clone(),
                    ]
                })
                .collect(),
            2,
            WIDE_TABLE_SIZE,
        ))
        .add_paragraph(note(
            "逐行问题清单（按社区分组）见网页版“数据质量”页（可按社区下载），或用 vbrief check 生成 quality.html、quality_rows.csv。",
        ))
        .add_paragraph(text(&format!(
            "隔离（未计入）的行共 {} 行，明细见 quarantine.csv。",
            q.quarantined
        )))
        .add_table(grid_table(
            &[2, 1],
            &["原因", "行数"],
            facts(&q.reasons),
            1,
            TABLE_SIZE,
        ))
        .add_paragraph(spacer())
        .add_table(grid_table(
            &[6, 2, 2, 2, 2, 2],
            &["文件", "类型", "读取", "接受", "隔离", "跳过"],
            q.files
                .iter()
                .map(|f| {
                    vec![
                        f.name.clone(),
                        f.kind.clone(),
                        f.read.clone(),
                        f.accepted.clone(),
                        f.quarantined.clone(),
                        f.skipped.clone(),
                    ]
                })
                .collect(),
            2,
            WIDE_TABLE_SIZE,
        ));

    doc = doc
        .add_paragraph(heading(1, "附件二、指标说明与目标来源"))
        .add_table(grid_table(
            &[1, 4],
            &["指标", "定义"],
            b.definitions
                .iter()
                .map(|d| vec![d.name.clone(), d.text.clone()])
                .collect(),
            2,
            WIDE_TABLE_SIZE,
        ))
        .add_paragraph(spacer())
        .add_table(grid_table(
            &[2, 2, 4],
            &["目标", "值", "来源"],
            b.targets
                .iter()
                .map(|t| vec![t.name.clone(), t.value.clone(), t.source.clone()])
                .collect(),
            3,
            WIDE_TABLE_SIZE,
        ));
    for n in &b.notes {
        doc = doc.add_paragraph(note(n));
    }

    doc
}

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(east_asia)
        .ascii(LATIN_FONT)
        .hi_ansi(LATIN_FONT)
}

/// The document's creation date from the briefing's 印发日期 (`2026年1月5日`), so the same
/// briefing gives the same file.
fn created_at(date_zh: &str) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(date_zh, "%Y年%m月%d日").ok()?;
    Some(format!("{}T00:00:00Z", date.format("%Y-%m-%d")))
}

fn bottom_rule(p: Paragraph, eighths_of_a_point: usize) -> Paragraph {
    let mut p = p;
    p.property = p.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .val(BorderType::Single)
                .size(eighths_of_a_point)
                .space(1)
                .color(RED),
        ),
    );
    p
}

/// The red banner of an office bulletin: 志愿服务工作简报, 期号, a thick red rule, the office
/// and the date, a thin red rule; then the title and the scope line.
fn banner(b: &Briefing) -> Vec<Paragraph> {
    let banner = Paragraph::new().align(AlignmentType::Center).add_run(
        Run::new()
            .add_text("志愿服务工作简报")
            .fonts(fonts(BANNER_FONT))
            .size(56)
            .bold()
            .color(RED)
            .character_spacing(100),
    );
    let issue = bottom_rule(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text(&b.issue)),
        16,
    );
    let office = bottom_rule(
        Paragraph::new()
            .add_tab(Tab::new().val(TabValueType::Right).pos(TEXT_WIDTH))
            .add_run(Run::new().add_text(&b.office).add_tab().add_text(&b.date)),
        6,
    );
    let title = Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(240))
        .add_run(
            Run::new()
                .add_text(&b.title)
                .fonts(fonts(BANNER_FONT))
                .size(36)
                .bold(),
        );
    let scope = Paragraph::new().align(AlignmentType::Center).add_run(
        Run::new()
            .add_text(format!(
                "{} · 统计期间 {}（{}）",
                b.scope, b.period_label, b.period_range
            ))
            .size(NOTE_SIZE)
            .color(GREY),
    );
    vec![banner, issue, office, title, scope]
}

fn footer(b: &Briefing) -> Paragraph {
    let words = |s: String| Run::new().add_text(s);
    Paragraph::new()
        .style("Footer")
        .align(AlignmentType::Center)
        .add_run(words(format!("{} · {} · 第 ", b.office, b.title)))
        .add_page_num(PageNum::new())
        .add_run(words(" 页 / 共 ".into()))
        .add_num_pages(NumPages::new())
        .add_run(words(" 页".into()))
}

fn heading(level: usize, s: &str) -> Paragraph {
    Paragraph::new()
        .style(if level == 1 { "Heading1" } else { "Heading2" })
        .keep_next(true)
        .add_run(Run::new().add_text(s))
}

/// A paragraph of text, indented two characters as an office writes it (in characters for
/// Word and WPS, in twips for readers that ignore that).
fn text(s: &str) -> Paragraph {
    Paragraph::new()
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(2 * TEXT_SIZE as i32 * 10)),
            None,
            None,
        )
        .first_line_chars(200)
        .align(AlignmentType::Both)
        .line_spacing(LineSpacing::new().after(60))
        .add_run(Run::new().add_text(s))
}

fn note(s: &str) -> Paragraph {
    Paragraph::new()
        .line_spacing(LineSpacing::new().before(60).after(60))
        .add_run(Run::new().add_text(s).size(NOTE_SIZE).color(GREY))
}

fn spacer() -> Paragraph {
    Paragraph::new().add_run(Run::new().size(NOTE_SIZE))
}

/// A chart as a centred PNG, `share` of the text width wide.
fn chart(svg: &str, share: f64) -> Result<Paragraph, DocxError> {
    let png = charts::to_png(svg, 2.0)?;
    let width_twips = (TEXT_WIDTH as f64 * share).round() as u32;
    let height_twips = (width_twips as f64 * png.height as f64 / png.width as f64).round() as u32;
    let pic = Pic::new_with_dimensions(png.bytes, png.width, png.height)
        .size(width_twips * EMU_PER_TWIP, height_twips * EMU_PER_TWIP);
    Ok(Paragraph::new()
        .align(AlignmentType::Center)
        .keep_next(true)
        .add_run(Run::new().add_image(pic)))
}

fn headline_table(b: &Briefing) -> Table {
    let rows = b
        .headline
        .iter()
        .map(|h| {
            let status = match h.met {
                Some(true) => Run::new()
                    .add_text(format!("✓ {}", h.status))
                    .bold()
                    .color(BLUE),
                Some(false) => Run::new().add_text(format!("× {}", h.status)).bold(),
                None => Run::new().add_text(&h.status),
            };
            vec![
                cell(&h.name, AlignmentType::Left, TABLE_SIZE),
                cell(&h.value, AlignmentType::Center, TABLE_SIZE),
                cell(&h.target, AlignmentType::Center, TABLE_SIZE),
                cell_with(status.size(TABLE_SIZE), AlignmentType::Center),
                cell(&h.detail, AlignmentType::Left, TABLE_SIZE),
            ]
        })
        .collect();
    table(
        &[3, 2, 2, 2, 5],
        &["指标", "本期", "目标", "判定", "说明"],
        rows,
        TABLE_SIZE,
    )
}

fn unit_row(u: &UnitLine) -> Vec<String> {
    vec![
        u.name.clone(),
        u.population.clone(),
        u.registered.clone(),
        u.registration_rate.clone(),
        u.per_capita_hours.clone(),
        u.annualized_per_capita_hours.clone(),
        u.participation_rate.clone(),
        u.organizations.clone(),
        u.stations.clone(),
        u.score.clone(),
        u.rank.clone(),
    ]
}

/// Name–value facts as table rows.
fn facts(facts: &[crate::briefing::Fact]) -> Vec<Vec<String>> {
    facts
        .iter()
        .map(|f| vec![f.name.clone(), f.value.clone()])
        .collect()
}

fn cell_with(run: Run, align: AlignmentType) -> TableCell {
    TableCell::new()
        .vertical_align(VAlignType::Center)
        .add_paragraph(Paragraph::new().align(align).add_run(run))
}

fn cell(s: &str, align: AlignmentType, size: usize) -> TableCell {
    cell_with(Run::new().add_text(s).size(size), align)
}

/// A table of text: the header row shaded, the first `name_cols` columns left-aligned and the
/// rest (numbers) right-aligned, as in the PDF.
fn grid_table(
    weights: &[usize],
    header: &[&str],
    rows: Vec<Vec<String>>,
    name_cols: usize,
    size: usize,
) -> Table {
    let rows = rows
        .into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, s)| {
                    let align = if i < name_cols {
                        AlignmentType::Left
                    } else {
                        AlignmentType::Right
                    };
                    cell(s, align, size)
                })
                .collect()
        })
        .collect();
    table(weights, header, rows, size)
}

/// The full-width table with a shaded header row and columns sized by `weights`.
fn table(weights: &[usize], header: &[&str], rows: Vec<Vec<TableCell>>, size: usize) -> Table {
    let total: usize = weights.iter().sum();
    let grid: Vec<usize> = weights.iter().map(|w| TEXT_WIDTH * w / total).collect();
    let head: Vec<TableCell> = header
        .iter()
        .map(|h| {
            cell(h, AlignmentType::Center, size)
                .shading(Shading::new().shd_type(ShdType::Clear).fill(HEADER_FILL))
        })
        .collect();
    let rows = std::iter::once(head)
        .chain(rows)
        .map(|cells| {
            // Each cell carries its column's width too: LibreOffice reads the cells', Word the grid.
            let cells = cells
                .into_iter()
                .zip(&grid)
                .map(|(c, w)| c.width(*w, WidthType::Dxa))
                .collect();
            TableRow::new(cells).cant_split()
        })
        .collect();
    Table::new(rows)
        .set_grid(grid)
        .width(TEXT_WIDTH, WidthType::Dxa)
        .margins(TableCellMargins::new().margin(30, 80, 30, 80))
}
