//! The briefing: HTML, PDF, Word and xlsx from one computation, agreeing with indicators.json.
//! Needs poppler-utils (pdftotext, pdffonts) and LibreOffice (soffice, to open the Word draft
//! as a reader does); `scripts/test` installs them, and the tests fail (never skip) when they
//! are missing.

mod common;

use std::process::Command;

use common::{has_number, sample_env, Env};
use scraper::{Html, Selector};

fn json(env: &Env, out: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(env.path().join(out).join("indicators/indicators.json")).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{FEFF}')).unwrap()
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Opens a .docx in LibreOffice headless and returns it converted to `format` (`txt`, `html`):
/// what a reader makes of the file, not what we meant to write. Each call has its own profile,
/// so tests running at once do not share LibreOffice's lock.
fn libreoffice(docx: &std::path::Path, format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let target = match format {
        "txt" => "txt:Text (encoded):UTF8",
        other => other,
    };
    let out = Command::new("soffice")
        .args([&profile, "--headless", "--convert-to", target, "--outdir"])
        .arg(dir.path())
        .arg(docx)
        .output()
        .unwrap_or_else(|e| {
            panic!("soffice is needed (apt-get install libreoffice-writer-nogui): {e}")
        });
    let stem = docx.file_stem().unwrap().to_str().unwrap();
    let converted = dir.path().join(format!("{stem}.{format}"));
    std::fs::read_to_string(&converted).unwrap_or_else(|e| {
        panic!(
            "LibreOffice did not convert {} to {format} ({e}): {}",
            docx.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn html_pdf_and_xlsx_show_the_figures_of_indicators_json() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&[
        "--period",
        "2025",
        "--out",
        "o",
        "--issue",
        "2025年第4期",
        "--date",
        "2026-01-15",
    ])
    .code(0);
    let out = env.path().join("o");
    let j = json(&env, "o");
    let city = &j["levels"]["city"][0];
    let rate = format!(
        "{:.2}%",
        city["registration_rate"].as_f64().unwrap() * 100.0
    );
    let per_capita = format!("{:.2} 小时", city["per_capita_hours"].as_f64().unwrap());
    let participation = format!(
        "{:.2}%",
        city["participation_rate"].as_f64().unwrap() * 100.0
    );

    // HTML, parsed.
    let html = std::fs::read_to_string(out.join("briefing.html")).unwrap();
    let doc = Html::parse_document(&html);
    let value = |key: &str| {
        let sel = Selector::parse(&format!(r#"[data-value="{key}"]"#)).unwrap();
        doc.select(&sel)
            .next()
            .unwrap_or_else(|| panic!("no headline {key}"))
            .text()
            .collect::<String>()
    };
    assert_eq!(value("registration_rate"), rate);
    assert_eq!(value("per_capita_hours"), per_capita);
    assert_eq!(value("participation_rate"), participation);
    // Self-contained: no external resources at all.
    for (tag, attr) in [("script", "src"), ("link", "href"), ("img", "src")] {
        let sel = Selector::parse(&format!("{tag}[{attr}]")).unwrap();
        assert_eq!(doc.select(&sel).count(), 0, "external {tag}");
    }
    assert!(
        !html.contains("http://") || html.matches("http://").all(|_| html.contains("www.w3.org")),
        "a network URL in the HTML"
    );
    let rows = Selector::parse("#units-table tbody tr").unwrap();
    assert_eq!(
        doc.select(&rows).count(),
        j["levels"]["district"].as_array().unwrap().len()
    );
    assert_eq!(doc.select(&Selector::parse("svg").unwrap()).count(), 4);

    // PDF: the same figures in the extracted text, the CJK font embedded.
    let pdf = out.join("briefing.pdf");
    // typst spaces CJK from Latin letters and digits; compare without white space.
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let text = squeeze(&tool("pdftotext", &[pdf.to_str().unwrap(), "-"]));
    for needle in [
        "志愿服务工作简报",
        "2025年第4期",
        "2026年1月15日",
        "主要指标与目标",
        "数据质量",
    ] {
        assert!(text.contains(&squeeze(needle)), "PDF text lacks {needle:?}");
    }
    for figure in [&rate, &per_capita, &participation] {
        assert!(
            has_number(&text, &squeeze(figure)),
            "PDF text lacks {figure:?}"
        );
    }
    assert!(!text.contains('\u{FFFD}'), "missing glyphs in the PDF");
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty(), "{fonts}");
    for line in &font_lines {
        assert!(
            line.contains(" yes yes "),
            "font not embedded and subset: {line}\n{fonts}"
        );
    }

    // xlsx: one sheet per level, Chinese headers, the same numbers.
    let mut wb = ingest::reader::Workbook::open(&out.join("indicators.xlsx"), None).unwrap();
    assert_eq!(wb.sheet_names(), vec!["社区", "街道", "区县", "全市"]);
    let rows: Vec<_> = wb.rows("全市").unwrap().map(|r| r.unwrap()).collect();
    let header: Vec<String> = rows[0]
        .cells
        .iter()
        .map(|c| c.as_text().unwrap_or_default())
        .collect();
    let col = header
        .iter()
        .position(|h| h == "注册率")
        .expect("注册率 column");
    match &rows[1].cells[col] {
        ingest::reader::Cell::Number(n) => {
            assert!((n - city["registration_rate"].as_f64().unwrap()).abs() < 1e-9)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn names_are_escaped_and_bad_fonts_named() {
    let env = Env::new();
    let evil = "<script>alert(1)</script>";
    env.csv(
        "ledger.csv",
        &[
            "区县,社区,常住人口",
            &format!("东区,{evil},1000"),
            "东区,=1+1,500",
        ],
    );
    env.csv(
        "vol.csv",
        &[
            "志愿者编号,注册时间,区县,社区",
            &format!("V1,2024-01-01,东区,{evil}"),
        ],
    );
    env.csv(
        "rec.csv",
        &["志愿者编号,服务日期,服务时长", "V1,2024-05-01,3"],
    );
    env.ingest(&[]).code(0);
    env.report(&["--period", "2024", "--out", "o", "--district", "东区"])
        .code(0);
    let html = std::fs::read_to_string(env.path().join("o/briefing.html")).unwrap();
    assert!(!html.contains(evil), "unescaped name in the HTML");
    assert!(html.contains("&lt;script&gt;alert(1)"));
    let doc = Html::parse_document(&html);
    // Shown as text: a table cell reads exactly the name.
    let cells = Selector::parse("td").unwrap();
    assert!(
        doc.select(&cells)
            .any(|td| td.text().collect::<String>().ends_with(evil)),
        "the name is not shown as text"
    );
    assert_eq!(
        doc.select(&Selector::parse("script").unwrap()).count(),
        1,
        "only our own sorting script"
    );
    let mut wb =
        ingest::reader::Workbook::open(&env.path().join("o/indicators.xlsx"), None).unwrap();
    let texts: Vec<String> = wb
        .rows("社区")
        .unwrap()
        .flat_map(|r| r.unwrap().cells)
        .filter_map(|c| match c {
            ingest::reader::Cell::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        texts.iter().any(|t| t == evil) && texts.iter().any(|t| t == "=1+1"),
        "{texts:?}"
    );

    let run = env
        .report(&[
            "--period",
            "2024",
            "--out",
            "p",
            "--font",
            "/nonexistent/字体.ttf",
        ])
        .code(1);
    assert!(
        run.stderr.contains("/nonexistent/字体.ttf"),
        "{}",
        run.stderr
    );
}

#[test]
fn html_runs_in_chromium_without_console_errors_and_pdf_a_is_marked() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&["--period", "2025-Q4", "--out", "o", "--pdf-a"])
        .code(0);
    let html = env.path().join("o/briefing.html");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", html.display()),
        ])
        .output()
        .expect("chromium is needed for this test (apt-get install chromium); .ci/run installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("units-table") && dom.contains("志愿服务工作简报"),
        "page did not load"
    );

    // PDF/A-2b: the XMP metadata says so.
    let pdf = std::fs::read(env.path().join("o/briefing.pdf")).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("<pdfaid:part>2</pdfaid:part>")
            && text.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "no PDF/A-2b identification in the PDF"
    );
}

/// `28,989`, written here independently of the code under test.
fn grouped(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_text_states_the_figures_of_indicators_json_in_html_pdf_and_docx() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&["--period", "2025", "--out", "o"]).code(0);
    let j = json(&env, "o");
    let city = &j["levels"]["city"][0];
    let int = |k: &str| city[k].as_i64().unwrap_or_else(|| panic!("{k}"));
    let num = |k: &str| city[k].as_f64().unwrap_or_else(|| panic!("{k}"));
    let hours = {
        let cents = (num("hours") * 100.0).round() as i64;
        format!("{}.{:02}", grouped(cents / 100), cents % 100)
    };
    let missed_registration = j["levels"]["community"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["meets_registration"] == serde_json::json!(false))
        .count();
    let no_station = j["levels"]["community"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["has_station"].as_i64() == Some(0))
        .count();
    let expected = [
        format!(
            "截至2025年12月31日，全市实名注册志愿者{}人，占常住人口的{:.2}%，低于15%的目标，还需注册{}人；较上年增加{}人",
            grouped(int("registered")),
            num("registration_rate") * 100.0,
            grouped(int("registration_gap")),
            grouped(int("registered") - int("registered_prev")),
        ),
        format!(
            "2025年，全市有效服务时长{hours}小时，注册志愿者人均{:.2}小时，低于年度目标25.00小时",
            num("per_capita_hours")
        ),
        format!(
            "期内参加服务的志愿者{}人，占注册人数的{:.2}%",
            grouped(int("active_volunteers")),
            num("participation_rate") * 100.0
        ),
        format!("现有志愿服务组织{}个", int("organizations")),
        format!(
            "累计登记群众需求{}项，已解决{}项",
            int("needs_collected"),
            int("needs_resolved")
        ),
        format!("注册率未达15%的社区{missed_registration}个"),
        format!("尚未建立志愿服务站的社区{no_station}个"),
    ];

    let html = std::fs::read_to_string(env.path().join("o/briefing.html")).unwrap();
    let doc = Html::parse_document(&html);
    let text: String = doc
        .select(&Selector::parse("#overview p.text").unwrap())
        .map(|p| p.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let pdf = env.path().join("o/briefing.pdf");
    let pdf_text = squeeze(&tool("pdftotext", &[pdf.to_str().unwrap(), "-"]));
    let docx_text = squeeze(&libreoffice(&env.path().join("o/briefing.docx"), "txt"));
    for sentence in &expected {
        assert!(
            docx_text.contains(&squeeze(sentence)),
            "the Word draft lacks {sentence}"
        );
        assert!(
            text.contains(sentence.as_str()),
            "HTML lacks {sentence}\n{text}"
        );
        assert!(
            pdf_text.contains(&squeeze(sentence)),
            "PDF lacks {sentence}"
        );
    }
}

#[test]
fn the_word_draft_opens_in_libreoffice_with_headings_tables_and_charts() {
    let env = sample_env();
    env.ingest(&[]).code(0);
    env.report(&[
        "--period",
        "2025",
        "--out",
        "o",
        "--issue",
        "2025年第4期",
        "--date",
        "2026-01-15",
    ])
    .code(0);
    let j = json(&env, "o");
    let docx = env.path().join("o/briefing.docx");
    let html = libreoffice(&docx, "html");
    let doc = Html::parse_document(&html);
    let texts = |selector: &str| -> Vec<String> {
        doc.select(&Selector::parse(selector).unwrap())
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<String>()
            })
            .collect()
    };
    // Real headings (Word's heading styles), in the PDF's order.
    let h1 = texts("h1");
    let sections = [
        "一、总体情况",
        "二、主要指标与目标",
        "三、各区县对比",
        "四、距目标较远的社区",
        "五、月度趋势",
        "六、星级志愿者",
        "七、组织与站点",
        "八、需求收集与解决",
        "附件一、数据质量",
        "附件二、指标说明与目标来源",
    ];
    assert_eq!(h1, sections, "first-level headings");
    let h2 = texts("h2");
    assert!(h2.contains(&"存在问题".to_string()), "{h2:?}");
    // Real tables: the units table has a row per district and the city as reference.
    let tables: Vec<_> = doc.select(&Selector::parse("table").unwrap()).collect();
    assert!(tables.len() >= 10, "{} tables", tables.len());
    let tr = Selector::parse("tr").unwrap();
    let td = Selector::parse("td").unwrap();
    let units = tables
        .iter()
        .find(|t| {
            t.select(&td)
                .next()
                .is_some_and(|c| c.text().collect::<String>().trim() == "区县")
        })
        .expect("the districts' table, headed 区县");
    let districts = j["levels"]["district"].as_array().unwrap();
    assert_eq!(units.select(&tr).count(), 1 + districts.len());
    let first: Vec<String> = units
        .select(&tr)
        .nth(1)
        .unwrap()
        .select(&td)
        .map(|c| c.text().collect::<String>().trim().to_string())
        .collect();
    let top = &districts[0];
    assert_eq!(first[0], top["district"].as_str().unwrap());
    assert_eq!(
        first[3],
        format!("{:.2}%", top["registration_rate"].as_f64().unwrap() * 100.0)
    );
    // The four charts as images, and the banner and footer text.
    assert_eq!(texts("img").len(), 4, "charts");
    let text: String = libreoffice(&docx, "txt").split_whitespace().collect();
    for needle in ["志愿服务工作简报", "2025年第4期", "2026年1月15日"] {
        assert!(text.contains(needle), "the Word draft lacks {needle}");
    }
}
