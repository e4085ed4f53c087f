//! `briefing.html`: one self-contained file (inline CSS, inline SVG, no network), rendered with
//! tera 1.x. tera escapes every value; only the charts, which we draw ourselves and whose text
//! plotters escapes, are inserted as markup.

use tera::{Context, Tera};

use crate::briefing::Briefing;
use crate::charts::Charts;

pub const TEMPLATE: &str = include_str!("../../templates/briefing.html.tera");

#[derive(Debug, thiserror::Error)]
#[error("简报模板 templates/briefing.html.tera 出错 (the HTML template failed): {0}")]
pub struct HtmlError(String);

pub fn render(briefing: &Briefing, charts: &Charts) -> Result<String, HtmlError> {
    let mut tera = Tera::default();
    // The `.html` name turns on tera's autoescaping.
    tera.add_raw_template("briefing.html", TEMPLATE)
        .map_err(|e| HtmlError(crate::error_chain(&e)))?;
    let mut context = Context::new();
    context.insert("b", briefing);
    context.insert("charts", charts);
    tera.render("briefing.html", &context)
        .map_err(|e| HtmlError(crate::error_chain(&e)))
}
