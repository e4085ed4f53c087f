//! Charts as SVG strings (plotters' SVG backend, text kept as text so the browser and typst set
//! it in the CJK font). Colours differ in lightness, so they stay readable in greyscale print.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::briefing::{Briefing, StarLine, TrendLine, UnitLine};

/// The vendored CJK font (SIL OFL, see fonts/OFL.txt).
pub static CJK_FONT: &[u8] = include_bytes!("../fonts/NotoSansSC-Regular.otf");
const FAMILY: &str = "Noto Sans SC";

const DARK: RGBColor = RGBColor(0x2f, 0x4b, 0x7c);
const LIGHT: RGBColor = RGBColor(0xb0, 0xb8, 0xc4);
const MESH_LIGHT: RGBColor = RGBColor(0xf2, 0xf2, 0xf2);
const MESH_BOLD: RGBColor = RGBColor(0xd8, 0xd8, 0xd8);

#[derive(Debug, thiserror::Error)]
#[error("chart '{chart}' could not be drawn: {message}")]
pub struct ChartError {
    pub chart: &'static str,
    pub message: String,
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; it parsed when the crate's tests ran, so this cannot fail.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, CJK_FONT);
    });
}

/// The three charts of a briefing.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Charts {
    pub registration: String,
    pub hours: String,
    pub trend: String,
    pub stars: String,
}

pub fn draw_all(
    b: &Briefing,
    registration_target: f64,
    hours_target: f64,
) -> Result<Charts, ChartError> {
    Ok(Charts {
        registration: unit_bars(
            "registration",
            &b.units,
            |u| u.registration_rate_value * 100.0,
            registration_target * 100.0,
            "注册率（%）",
            &format!("{}注册率与目标", b.unit_kind),
        )?,
        hours: unit_bars(
            "hours",
            &b.units,
            |u| u.annualized_hours_value,
            hours_target,
            "年化人均服务时长（小时）",
            &format!("{}年化人均服务时长与目标", b.unit_kind),
        )?,
        trend: trend_lines(&b.trend)?,
        stars: star_bars(&b.stars)?,
    })
}

/// Turns any drawing error into a ChartError naming the chart.
fn err<E: std::fmt::Display>(chart: &'static str) -> impl Fn(E) -> ChartError {
    move |e| ChartError {
        chart,
        message: e.to_string(),
    }
}

/// Bars per unit with a horizontal target line.
fn unit_bars(
    chart: &'static str,
    units: &[UnitLine],
    value: impl Fn(&UnitLine) -> f64,
    target: f64,
    y_label: &str,
    caption: &str,
) -> Result<String, ChartError> {
    register_font();
    let units: Vec<&UnitLine> = units.iter().take(30).collect();
    let n = units.len().max(1);
    let max = units.iter().map(|u| value(u)).fold(target, f64::max) * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 340)).into_drawing_area();
        root.fill(&WHITE).map_err(err(chart))?;
        let mut c = ChartBuilder::on(&root)
            .caption(caption, (FAMILY, 18))
            .margin(10)
            .x_label_area_size(if n > 8 { 70 } else { 30 })
            .y_label_area_size(55)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..max.max(1.0))
            .map_err(err(chart))?;
        let labels: Vec<String> = units
            .iter()
            .map(|u| u.name.rsplit('/').next().unwrap_or(&u.name).to_string())
            .collect();
        // Past a few bars the names no longer fit side by side: they are turned to read
        // upwards, ending under their bar (drawn below, as plotters centres turned labels).
        let turned = n > 8;
        c.configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .x_labels(n)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) if !turned => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style((FAMILY, 12))
            .light_line_style(MESH_LIGHT)
            .bold_line_style(MESH_BOLD)
            .axis_desc_style((FAMILY, 13))
            .draw()
            .map_err(err(chart))?;
        c.draw_series(units.iter().enumerate().map(|(i, u)| {
            let v = value(u);
            let style = if v >= target {
                DARK.filled()
            } else {
                LIGHT.filled()
            };
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), v),
                ],
                style,
            );
            bar.set_margin(0, 0, 6, 6);
            bar
        }))
        .map_err(err(chart))?;
        c.draw_series(LineSeries::new(
            [
                (SegmentValue::Exact(0), target),
                (SegmentValue::Last, target),
            ],
            BLACK.stroke_width(2),
        ))
        .map_err(err(chart))?
        .label(format!("目标 {target}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
        c.configure_series_labels()
            .label_font((FAMILY, 12))
            .border_style(BLACK)
            .background_style(WHITE)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err(chart))?;
        if turned {
            let style = TextStyle::from((FAMILY, 12).into_font())
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center));
            for (i, label) in labels.iter().enumerate() {
                let (x, y) = c.backend_coord(&(SegmentValue::CenterOf(i), 0.0));
                root.draw(&Text::new(label.as_str(), (x, y + 6), style.clone()))
                    .map_err(err(chart))?;
            }
        }
        root.present().map_err(err(chart))?;
    }
    Ok(svg)
}

/// Monthly effective hours: this period against the same months a year earlier.
fn trend_lines(trend: &[TrendLine]) -> Result<String, ChartError> {
    register_font();
    let chart = "trend";
    let n = trend.len().max(1);
    let max = trend
        .iter()
        .map(|t| t.hours_value.max(t.hours_year_earlier_value))
        .fold(1.0, f64::max)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(err(chart))?;
        let mut c = ChartBuilder::on(&root)
            .caption("月度有效服务时长（本期与上年同期）", (FAMILY, 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0..n.saturating_sub(1).max(1), 0f64..max)
            .map_err(err(chart))?;
        let months: Vec<String> = trend.iter().map(|t| t.month.clone()).collect();
        c.configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|i| {
                months
                    .get(*i)
                    .map(|m| m[5..].to_string() + "月")
                    .unwrap_or_default()
            })
            .y_desc("小时")
            .label_style((FAMILY, 12))
            .light_line_style(MESH_LIGHT)
            .bold_line_style(MESH_BOLD)
            .axis_desc_style((FAMILY, 13))
            .draw()
            .map_err(err(chart))?;
        c.draw_series(LineSeries::new(
            trend
                .iter()
                .enumerate()
                .map(|(i, t)| (i, t.hours_year_earlier_value)),
            LIGHT.stroke_width(3),
        ))
        .map_err(err(chart))?
        .label("上年同期")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], LIGHT.stroke_width(3)));
        c.draw_series(LineSeries::new(
            trend.iter().enumerate().map(|(i, t)| (i, t.hours_value)),
            DARK.stroke_width(3),
        ))
        .map_err(err(chart))?
        .label("本期")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], DARK.stroke_width(3)));
        c.draw_series(
            trend
                .iter()
                .enumerate()
                .map(|(i, t)| Circle::new((i, t.hours_value), 3, DARK.filled())),
        )
        .map_err(err(chart))?;
        c.configure_series_labels()
            .label_font((FAMILY, 12))
            .border_style(BLACK)
            .background_style(WHITE)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(err(chart))?;
        root.present().map_err(err(chart))?;
    }
    Ok(svg)
}

fn star_bars(stars: &[StarLine]) -> Result<String, ChartError> {
    register_font();
    let chart = "stars";
    let n = stars.len().max(1);
    let max = stars.iter().map(|s| s.persons_value).fold(1.0, f64::max) * 1.2;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(err(chart))?;
        let mut c = ChartBuilder::on(&root)
            .caption("星级志愿者（具备资格人数）", (FAMILY, 16))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(50)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..max)
            .map_err(err(chart))?;
        let labels: Vec<String> = stars.iter().map(|s| s.level.clone()).collect();
        c.configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc("人")
            .label_style((FAMILY, 12))
            .light_line_style(MESH_LIGHT)
            .bold_line_style(MESH_BOLD)
            .axis_desc_style((FAMILY, 13))
            .draw()
            .map_err(err(chart))?;
        c.draw_series(stars.iter().enumerate().map(|(i, s)| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), s.persons_value),
                ],
                DARK.filled(),
            );
            bar.set_margin(0, 0, 12, 12);
            bar
        }))
        .map_err(err(chart))?;
        root.present().map_err(err(chart))?;
    }
    Ok(svg)
}

/// A chart rendered to PNG, for the Word draft (Word and WPS do not all show SVG).
pub struct Png {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Renders a chart's SVG to PNG at `scale` times its size, its text set in the vendored font.
pub fn to_png(svg: &str, scale: f32) -> Result<Png, ChartError> {
    use resvg::{tiny_skia, usvg};
    static FONTS: std::sync::OnceLock<std::sync::Arc<usvg::fontdb::Database>> =
        std::sync::OnceLock::new();
    let fontdb = FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(CJK_FONT.to_vec());
        db.set_sans_serif_family(FAMILY);
        std::sync::Arc::new(db)
    });
    let options = usvg::Options {
        fontdb: fontdb.clone(),
        ..Default::default()
    };
    let png_err = |message: String| ChartError {
        chart: "png",
        message,
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| png_err(e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| png_err("empty chart".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| png_err("empty chart".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let bytes = pixmap.encode_png().map_err(|e| png_err(e.to_string()))?;
    Ok(Png {
        bytes,
        width: size.width(),
        height: size.height(),
    })
}
