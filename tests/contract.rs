//! docs/CONTRACT.md, the data contract, holds tables written from the code: the header
//! synonyms, identity documents, status words, quarantine reasons, indicator definitions,
//! targets, checks and output columns. This test writes them again and fails when the file
//! differs, so the contract cannot drift from what the code does. `VBRIEF_BLESS=1` rewrites
//! the file instead (then commit it).

use std::fmt::Write as _;
use std::path::Path;

use domain::{Config, SourceKind};

const CONTRACT: &str = "docs/CONTRACT.md";

/// A markdown table cell: pipes escaped, no line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn headers() -> String {
    let mut out = String::new();
    for kind in SourceKind::ALL {
        let required: Vec<String> = kind
            .required()
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|f| format!("`{}`", f.name()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        writeln!(
            out,
            "**{}** (`{}`) — required: {}\n",
            kind.label_zh(),
            kind.name(),
            cell(&required.join(", "))
        )
        .unwrap();
        out.push_str("| field | accepted headers |\n|---|---|\n");
        for (field, synonyms) in kind.fields() {
            writeln!(
                out,
                "| `{}` | {} |",
                field.name(),
                cell(&synonyms.join("、"))
            )
            .unwrap();
        }
        out.push('\n');
    }
    out
}

fn documents() -> String {
    let mut out = String::from("| document | also written as |\n|---|---|\n");
    for (name, spellings) in ingest::parse::document::known_documents() {
        let others: Vec<&str> = spellings.iter().copied().filter(|s| s != name).collect();
        writeln!(out, "| {name} | {} |", cell(&others.join("、"))).unwrap();
    }
    writeln!(
        out,
        "\nChecked as ID numbers: {}, and any other type naming a 身份证 or 居住证 (but not a \
         永久居留 card).",
        ingest::parse::document::RESIDENT_ID.join("、")
    )
    .unwrap();
    out
}

fn status() -> String {
    let s = Config::default().status;
    let mut out = String::from("| list | meaning | default words |\n|---|---|---|\n");
    for (key, meaning, words) in [
        (
            "effective",
            "a service record with this 状态/时长状态 counts",
            &s.effective,
        ),
        (
            "not_effective",
            "known words of records that do not count (listed as pending)",
            &s.not_effective,
        ),
        (
            "volunteer_excluded",
            "a volunteer with this 状态/账户状态 is not a registered person",
            &s.volunteer_excluded,
        ),
        (
            "verification_excluded",
            "a volunteer with this 认证状态 is not a registered person",
            &s.verification_excluded,
        ),
    ] {
        writeln!(out, "| `{key}` | {meaning} | {} |", words.join("、")).unwrap();
    }
    out
}

fn reasons() -> String {
    let mut out = String::from("| reason | short name | meaning |\n|---|---|---|\n");
    for (code, short, meaning) in domain::quality::REASONS {
        writeln!(out, "| `{code}` | {short} | {} |", cell(meaning)).unwrap();
    }
    out
}

fn indicators() -> String {
    let mut out = String::from("| indicator | definition | SQL |\n|---|---|---|\n");
    let mut columns = reports::indicator_files::columns();
    let more: Vec<String> = reports::indicator_files::PROGRESS_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !columns.contains(c))
        .collect();
    columns.extend(more);
    for column in columns {
        if column.ends_with("_prev") || column.ends_with("_yoy") {
            continue;
        }
        let Some((files, text)) = transforms::explain::definition(&column) else {
            continue;
        };
        writeln!(
            out,
            "| `{column}` | {} | {} |",
            cell(text),
            files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .unwrap();
    }
    out
}

fn targets() -> String {
    let config = Config::default();
    let mut out = String::from("| target | value | unit | source |\n|---|---|---|---|\n");
    let targets = serde_json::to_value(&config.targets).unwrap();
    for (key, t) in targets.as_object().unwrap() {
        writeln!(
            out,
            "| `{key}` | {} | {} | {} |",
            t["value"],
            cell(t["unit"].as_str().unwrap_or("")),
            cell(t["source"].as_str().unwrap_or(""))
        )
        .unwrap();
    }
    writeln!(
        out,
        "| `stars` | {} | 小时（累计有效时长）| {} |",
        config
            .stars
            .thresholds
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" / "),
        cell(&config.stars.source)
    )
    .unwrap();
    out
}

fn checks() -> String {
    let config = Config::default();
    let mut out = String::from(
        "| check | what it finds | warn above | fail above | what to do | SQL |\n|---|---|---|---|---|---|\n",
    );
    for c in transforms::quality::CHECKS {
        let t = config.quality.threshold(c.id);
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | `{}` |",
            c.id,
            c.name_zh,
            t.warn,
            t.fail,
            cell(c.fix_zh),
            c.file
        )
        .unwrap();
    }
    out
}

fn columns() -> String {
    let list = |cols: &[String]| {
        cols.iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let owned = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let mut out = String::new();
    writeln!(
        out,
        "- `indicators/*.csv`: {}\n",
        list(&reports::indicator_files::columns())
    )
    .unwrap();
    writeln!(
        out,
        "- `indicators/progress.csv`: {}\n",
        list(&owned(&reports::indicator_files::PROGRESS_COLUMNS))
    )
    .unwrap();
    writeln!(
        out,
        "- `quarantine.csv`: {}\n",
        list(&owned(&ingest::warehouse::QUARANTINE_COLUMNS))
    )
    .unwrap();
    writeln!(
        out,
        "- `quality_rows.csv` and `quality_by_community/*.csv`: {}",
        list(&owned(&reports::quality::ROW_HEADER))
    )
    .unwrap();
    out
}

/// The file with every generated block written anew.
fn regenerated(text: &str) -> String {
    let blocks: [(&str, String); 8] = [
        ("headers", headers()),
        ("documents", documents()),
        ("status", status()),
        ("reasons", reasons()),
        ("indicators", indicators()),
        ("targets", targets()),
        ("checks", checks()),
        ("columns", columns()),
    ];
    let mut out = text.to_string();
    for (name, body) in blocks {
        let begin = format!("<!-- BEGIN GENERATED {name} -->\n");
        let end = format!("<!-- END GENERATED {name} -->");
        let start = out
            .find(&begin)
            .unwrap_or_else(|| panic!("{CONTRACT} lacks the block {name}"))
            + begin.len();
        let stop = start
            + out[start..]
                .find(&end)
                .unwrap_or_else(|| panic!("{CONTRACT}: block {name} is not closed"));
        out.replace_range(start..stop, &body);
    }
    out
}

#[test]
fn the_contract_says_what_the_code_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(CONTRACT);
    let text = std::fs::read_to_string(&path).unwrap();
    let fresh = regenerated(&text);
    if std::env::var_os("VBRIEF_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        fresh == text,
        "{CONTRACT} is out of date with the code: run `VBRIEF_BLESS=1 cargo test --workspace \
         --test contract` and commit it"
    );
}

/// Every indicator a report writes has a definition (what `vbrief explain` and the contract
/// print), apart from the columns that only place a row.
#[test]
fn every_indicator_column_is_defined() {
    let placing = [
        "level",
        "district",
        "street",
        "community",
        "communities",
        "months_in_period",
    ];
    let undefined: Vec<String> = reports::indicator_files::columns()
        .into_iter()
        .filter(|c| !placing.contains(&c.as_str()))
        .filter(|c| transforms::explain::definition(c).is_none())
        .collect();
    assert!(
        undefined.is_empty(),
        "no definition in transforms::explain::definition: {undefined:?}"
    );
}

/// The code cites the contract by section, never a file the repository does not have.
#[test]
fn no_citation_of_a_missing_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offenders = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "fuzz" {
                    stack.push(path);
                }
                continue;
            }
            if !(name.ends_with(".rs") || name.ends_with(".sql") || name.ends_with(".md")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // (spelled in two parts so that this file does not name itself)
            let missing = ["DOMAIN", ".md"].concat();
            if text.contains(&missing) || text.contains(&["../", "shared"].concat()) {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}
