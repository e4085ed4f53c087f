//! A small harness that runs the real `vbrief` binary in a temporary working folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rust_xlsxwriter::Workbook;

pub mod screening_city;
pub mod server;

pub const BIN: &str = env!("CARGO_BIN_EXE_vbrief");

/// A temporary working folder (initialized with `vbrief init`).
pub struct Env {
    pub dir: tempfile::TempDir,
}

/// The result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn code(self, expected: i32) -> Run {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    /// For each of `ends`, some line of stdout ends with it: a count or figure printed last on
    /// its line, so that "…: 1" is not found in "…: 17".
    #[track_caller]
    pub fn stdout_has_line_ends(self, ends: &[&str]) -> Run {
        for end in ends {
            assert!(
                self.stdout.lines().any(|l| l.ends_with(end)),
                "no line of stdout ends with {end:?}:\n{}",
                self.stdout
            );
        }
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// `text` holds `number` as a number of its own: not as the tail of a longer one ("2.08%" is
/// not found in "12.08%", nor after the "28,989" of a table cell run together with it).
pub fn has_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',')
    })
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env { dir };
        env.run(&["init", env.path().to_str().unwrap()]).code(0);
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn inbox(&self) -> PathBuf {
        self.path().join("inbox")
    }

    /// Runs vbrief with the arguments, in the working folder, with no key in the environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_vars(&[], args)
    }

    /// Like [`Env::run`], with these environment variables set for vbrief.
    pub fn run_with_vars(&self, vars: &[(&str, &str)], args: &[&str]) -> Run {
        Run::from(
            Command::new(BIN)
                .args(args)
                .current_dir(self.path())
                .env_remove("VBRIEF_KEY")
                .envs(vars.iter().copied())
                .output()
                .expect("run vbrief"),
        )
    }

    /// `vbrief report --workdir DIR ARGS...`
    pub fn report(&self, args: &[&str]) -> Run {
        let mut all = vec!["report", "--workdir", self.path().to_str().unwrap()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `vbrief run --workdir DIR ARGS...` (ingest the inbox, then report)
    pub fn ingest_and_report(&self, args: &[&str]) -> Run {
        let mut all = vec!["run", "--workdir", self.path().to_str().unwrap()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `vbrief check --workdir DIR ARGS...`
    pub fn check(&self, args: &[&str]) -> Run {
        let mut all = vec!["check", "--workdir", self.path().to_str().unwrap()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `vbrief ingest --json --workdir DIR ARGS...`
    pub fn ingest(&self, args: &[&str]) -> Run {
        let mut all = vec![
            "ingest",
            "--json",
            "--workdir",
            self.path().to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `vbrief export --format parquet` of the folder's warehouse into `DIR/name`, which it
    /// returns.
    pub fn export_parquet(&self, name: &str) -> PathBuf {
        let out = self.path().join(name);
        self.run(&[
            "export",
            "--workdir",
            self.path().to_str().unwrap(),
            "--format",
            "parquet",
            "--out",
            out.to_str().unwrap(),
        ])
        .code(0);
        out
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.inbox().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A UTF-8 csv (no BOM) from lines.
    pub fn csv(&self, name: &str, lines: &[&str]) -> PathBuf {
        self.write(name, lines.join("\n") + "\n")
    }

    /// A GBK csv from lines.
    pub fn gbk_csv(&self, name: &str, lines: &[&str]) -> PathBuf {
        let text = lines.join("\r\n") + "\r\n";
        let (bytes, _, bad) = encoding_rs::GBK.encode(&text);
        assert!(!bad);
        self.write(name, &bytes)
    }

    /// An xlsx whose rows are text cells, except cells starting with `#n:` (numbers),
    /// `#d:` (date cells, `#d:2024-05-01`) and `#t:` (date-time cells, `#t:2025-03-01 09:00:00`).
    pub fn xlsx(&self, name: &str, sheets: &[(&str, Vec<Vec<&str>>)]) -> PathBuf {
        let mut wb = Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let date_time = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        for (sheet, rows) in sheets {
            let ws = wb.add_worksheet();
            ws.set_name(*sheet).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let (r, c) = (r as u32, c as u16);
                    if let Some(n) = v.strip_prefix("#n:") {
                        ws.write_number(r, c, n.parse::<f64>().unwrap()).unwrap();
                    } else if let Some(t) = v.strip_prefix("#t:") {
                        let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str(t).unwrap();
                        ws.write_datetime_with_format(r, c, &dt, &date_time)
                            .unwrap();
                    } else if let Some(d) = v.strip_prefix("#d:") {
                        let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str(d).unwrap();
                        ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                    } else if !v.is_empty() {
                        ws.write_string(r, c, *v).unwrap();
                    }
                }
            }
        }
        let path = self.inbox().join(name);
        wb.save(&path).unwrap();
        path
    }

    /// The result cache's entries whose names start with `prefix` (`.vbrief-cache/`), sorted.
    pub fn cache_entries(&self, prefix: &str) -> Vec<PathBuf> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(self.path().join(".vbrief-cache"))
            .map(|dir| {
                dir.map(|e| e.unwrap().path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(prefix))
                    })
                    .collect()
            })
            .unwrap_or_default();
        entries.sort();
        entries
    }

    pub fn warehouse(&self) -> duckdb::Connection {
        let config = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap();
        duckdb::Connection::open_with_flags(self.path().join("warehouse.duckdb"), config).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.warehouse().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Quarantine rows as (file name, row, reason), sorted.
    pub fn quarantine(&self) -> Vec<(String, i64, String)> {
        query_rows(
            &self.warehouse(),
            "SELECT f.path, q.source_row, q.reason FROM quarantine q JOIN files f USING (file_id) ORDER BY 1, 2, 3",
            |r| Ok((file_name(&r.get::<_, String>(0)?), r.get(1)?, r.get(2)?)),
        )
    }
}

/// Every row of a query, mapped.
pub fn query_rows<T>(
    conn: &duckdb::Connection,
    sql: &str,
    map: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
) -> Vec<T> {
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([], map).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

/// The file name of a stored path (working folders differ from run to run).
pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A synthetic ID number with a valid check digit (region 99: no real person's number).
pub fn synth_id(body_tail: &str) -> String {
    let body = format!("990101{body_tail}");
    assert_eq!(body.len(), 17);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{body}{}", C[(sum % 11) as usize])
}

/// The per-sheet counts from a `--json` ingest, by file name.
pub fn counts(run: &Run, file: &str) -> serde_json::Value {
    let json = run.json();
    json["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("{file} not in summary:\n{}", run.stdout))
        .clone()
}

/// Asserts read, accepted, quarantined and total skipped of a sheet.
#[track_caller]
pub fn assert_counts(
    sheet: &serde_json::Value,
    read: u64,
    accepted: u64,
    quarantined: u64,
    skipped: u64,
) {
    let c = &sheet["counts"];
    let skipped_sum: u64 = [
        "skipped_blank",
        "skipped_title",
        "skipped_header",
        "skipped_total",
        "skipped_known",
    ]
    .iter()
    .map(|k| c[k].as_u64().unwrap())
    .sum();
    assert_eq!(
        (
            c["read"].as_u64().unwrap(),
            c["accepted"].as_u64().unwrap(),
            c["quarantined"].as_u64().unwrap(),
            skipped_sum
        ),
        (read, accepted, quarantined, skipped),
        "counts of {}: {c}",
        sheet["path"]
    );
}

/// The bundled sample data folder.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

pub fn manifest() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(samples().join("manifest.json")).unwrap())
        .unwrap()
}

/// A working folder holding the sample files and their config (not yet ingested).
pub fn sample_env() -> Env {
    let env = Env::new();
    for entry in std::fs::read_dir(samples()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path
            .extension()
            .is_some_and(|e| e == "xlsx" || e == "csv" || e == "xls")
        {
            std::fs::copy(&path, env.inbox().join(name)).unwrap();
        }
    }
    std::fs::copy(
        samples().join("vbrief.toml"),
        env.path().join("vbrief.toml"),
    )
    .unwrap();
    env
}

/// One level's indicator CSV (`OUT/indicators/LEVEL.csv`) as rows of column → text.
pub fn indicator_csv(
    env: &Env,
    out: &str,
    level: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    let path = env
        .path()
        .join(out)
        .join("indicators")
        .join(format!("{level}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .strip_prefix('\u{FEFF}')
        .expect("the CSV starts with a BOM");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The largest peak RSS (KiB) of the child processes this test binary has waited for.
#[allow(dead_code)]
pub fn peak_child_rss_kib() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss
}

/// A service-record csv of `rows` rows (about 71 bytes each) naming 1000 persons, with hours
/// 1, 2, 3, 4 in turn (2.5 a row on average).
pub fn write_service_records(path: &Path, rows: u32) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "记录编号,证件号码,项目名称,服务日期,服务时长,状态").unwrap();
    let ids: Vec<String> = (0..1000)
        .map(|i| synth_id(&format!("19800101{i:03}")))
        .collect();
    for i in 0..rows {
        writeln!(
            out,
            "R{i:08},{},社区志愿服务,2025-{:02}-{:02},{},已生效",
            ids[i as usize % 1000],
            i % 12 + 1,
            i % 28 + 1,
            i % 4 + 1
        )
        .unwrap();
    }
    out.flush().unwrap();
}
