//! Output writers for vbrief. Every CSV we write is UTF-8 with a BOM, so that Excel on a
//! Chinese Windows desktop opens it with the right characters.

pub mod briefing;
pub mod charts;
pub mod compare;
pub mod docx;
pub mod format;
pub mod html;
pub mod indicator_files;
pub mod narrative;
pub mod pdf;
pub mod progress;
pub mod quality;
pub mod screening;
pub mod star_list;
pub mod xlsx;

use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// Writes a file through a temporary beside it, so a reader never sees it half-written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Writes a CSV (UTF-8 with BOM) atomically: a reader never sees a half-written file. Text
/// cells that would start a formula are neutralized (`domain::text::csv_safe`).
pub fn write_csv_bom<I, R>(path: &Path, header: &[&str], rows: I) -> Result<(), ReportError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    let as_csv = |source| ReportError::Csv {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    file.write_all("\u{FEFF}".as_bytes()).map_err(io)?;
    let mut writer = csv::Writer::from_writer(file);
    writer.write_record(header).map_err(as_csv)?;
    for row in rows {
        let cells: Vec<Vec<u8>> = row
            .into_iter()
            .map(|cell| domain::text::csv_safe(cell.as_ref()).into_owned())
            .collect();
        writer.write_record(&cells).map_err(as_csv)?;
    }
    writer.flush().map_err(io)?;
    drop(writer);
    std::fs::rename(&tmp, path).map_err(io)
}

/// tera's errors keep the useful part in their sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Writes briefing.html, briefing.pdf, briefing.docx and indicators.xlsx under `out`; returns
/// their paths.
pub fn write_briefing(
    out: &Path,
    indicators: &transforms::Indicators,
    config: &domain::Config,
    quality: &domain::quality::QualitySummary,
    checks: &[transforms::quality::CheckResult],
    options: &briefing::BriefingOptions,
    pdf_options: &pdf::PdfOptions,
) -> Result<Vec<std::path::PathBuf>, BriefingError> {
    let phase = tracing::info_span!("report.charts").entered();
    let model = briefing::build(indicators, config, quality, checks, options);
    let charts = charts::draw_all(
        &model,
        config.targets.registration_rate.value,
        config.targets.per_capita_hours.value,
    )?;
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| BriefingError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    drop(phase);
    let phase = tracing::info_span!("report.html").entered();
    let html_path = out.join("briefing.html");
    let html = html::render(&model, &charts)?;
    write_atomic(&html_path, html.as_bytes()).map_err(io(&html_path))?;
    let date = options
        .date
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    drop(phase);
    let phase = tracing::info_span!("report.pdf").entered();
    let pdf_path = out.join("briefing.pdf");
    let bytes = pdf::render(&model, &charts, date, pdf_options)?;
    write_atomic(&pdf_path, &bytes).map_err(io(&pdf_path))?;
    drop(phase);
    let phase = tracing::info_span!("report.docx").entered();
    let docx_path = out.join("briefing.docx");
    let bytes = docx::render(&model, &charts)?;
    write_atomic(&docx_path, &bytes).map_err(io(&docx_path))?;
    drop(phase);
    let _t = tracing::info_span!("report.xlsx").entered();
    let xlsx_path = out.join("indicators.xlsx");
    xlsx::write(&xlsx_path, indicators).map_err(|e| BriefingError::Xlsx {
        path: xlsx_path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(vec![html_path, pdf_path, docx_path, xlsx_path])
}

#[derive(Debug, thiserror::Error)]
pub enum BriefingError {
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error(transparent)]
    Html(#[from] html::HtmlError),
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
    #[error(transparent)]
    Docx(#[from] docx::DocxError),
    #[error("cannot write {path}: {detail}")]
    Xlsx { path: String, detail: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_quoting() {
        let dir = std::env::temp_dir().join(format!("vbrief-reports-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        write_csv_bom(
            &path,
            &["community", "rate"],
            [vec!["幸福社区", "0.1532"], vec!["a,b", "1"]],
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "community,rate\n幸福社区,0.1532\n\"a,b\",1\n");
        std::fs::remove_dir_all(&dir).ok();
    }
}
