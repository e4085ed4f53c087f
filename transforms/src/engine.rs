//! The seam between the SQL and the engine that runs it.
//!
//! Every figure is defined once, in `transforms/sql/`, in the SQL that DuckDB and Spark SQL
//! share. An [`Engine`] runs those files (each statement leaves a temporary table behind) and
//! then hands the few small tables the Rust side reads (the indicator rows, a check's counts)
//! over as a local DuckDB connection, where the same reading code runs whatever engine
//! computed them:
//!
//! - DuckDB (the default): the warehouse connection itself; nothing is copied.
//! - Spark (`--engine spark`, [`crate::spark`]): the statements run on a Spark Connect server
//!   over the exported Parquet tables, and the tables read afterwards travel back as Arrow.
//!
//! The few real differences between the two SQL dialects are handled when a file is rendered
//! for an engine ([`render`]); see `transforms/sql/README.md` for the subset the files keep to.

use duckdb::Connection;

/// Which SQL dialect a file is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Spark,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A statement of a SQL file failed on the engine.
    #[error("{file} 第 {statement} 条语句 (statement {statement}): {message}")]
    Statement {
        file: String,
        statement: usize,
        message: String,
    },
    #[error(transparent)]
    DuckDb(#[from] duckdb::Error),
    /// Anything else the engine said (connection, transfer of results).
    #[error("{0}")]
    Engine(String),
}

/// Runs the shared SQL and gives its results back for reading.
pub trait Engine {
    fn dialect(&self) -> Dialect;

    /// Runs every statement of one SQL file (status words already written in, see
    /// [`crate::status::render`]); `file` names it in errors.
    fn run(&self, file: &str, sql: &str) -> Result<(), EngineError>;

    /// A DuckDB connection on which `tables`, left on the engine by the SQL run so far, can be
    /// read under the same names.
    fn fetch(&self, tables: &[&str]) -> Result<&Connection, EngineError>;
}

impl Engine for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    fn run(&self, file: &str, sql: &str) -> Result<(), EngineError> {
        // The file as it is, in one call: the shared SQL is DuckDB's own.
        self.execute_batch(sql).map_err(|e| EngineError::Statement {
            file: file.to_string(),
            statement: 0,
            message: one_line(&e.to_string()),
        })
    }

    fn fetch(&self, _tables: &[&str]) -> Result<&Connection, EngineError> {
        Ok(self)
    }
}

/// An error message on one line (engines answer with stack traces and query plans).
pub fn one_line(message: &str) -> String {
    let first = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut line: String = first.chars().take(400).collect();
    if first.chars().count() > 400 {
        line.push('…');
    }
    line
}

/// A statement of a SQL file as an engine runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Run as written.
    Sql(String),
    /// `CREATE OR REPLACE TEMP TABLE name AS query`, on Spark: the query's rows are computed
    /// at once and kept on the server (a local checkpoint), and the temporary view `name`
    /// reads those rows, not the query.
    Keep { name: String, query: String },
}

impl Statement {
    /// The SQL the engine is given: the statement, or the query of a kept table.
    pub fn sql(&self) -> &str {
        match self {
            Statement::Sql(sql) => sql,
            Statement::Keep { query, .. } => query,
        }
    }
}

/// The statements of a SQL file, rendered for `dialect`.
///
/// The files are written in the SQL both engines read. What differs is rewritten here, per
/// statement:
/// - `CREATE OR REPLACE TEMP TABLE t AS q` (DuckDB materializes it) is, on Spark, a
///   [`Statement::Keep`]: Spark has no temporary tables. A cached view (`CACHE TABLE t AS q`)
///   was tried first and is far slower: a view is a plan, so every statement was planned over
///   the whole chain of views before it, and matched against every cached one (08_indicators'
///   last statement took 13–16 s on the sample's 3.6 MB). A checkpoint cuts the chain: the
///   next statement plans over rows.
/// - `CREATE OR REPLACE TEMP VIEW` is the same on both.
/// - `DROP TABLE|VIEW [IF EXISTS] t` is left out on Spark: a view made by a file (`TEMP
///   VIEW`) is resolved again whenever it is read, so a statement built on it would stop
///   resolving once `t` is gone. The engine drops every view it made when it is done.
///
/// Statements are split on `;` outside quotes and comments; comments are dropped.
pub fn render(sql: &str, dialect: Dialect) -> Vec<Statement> {
    split_statements(sql)
        .iter()
        .flat_map(|s| render_statement(s, dialect))
        .collect()
}

/// One statement of a file (see [`render`]) as the statements `dialect` runs: none or one.
pub fn render_statement(statement: &str, dialect: Dialect) -> Option<Statement> {
    if dialect == Dialect::DuckDb {
        return Some(Statement::Sql(statement.to_string()));
    }
    let words: Vec<&str> = statement.split_whitespace().collect();
    let upper: Vec<String> = words.iter().take(7).map(|w| w.to_uppercase()).collect();
    let starts = |prefix: &[&str]| {
        upper.len() >= prefix.len() && prefix.iter().zip(&upper).all(|(p, u)| p == u)
    };
    if starts(&["CREATE", "OR", "REPLACE", "TEMP", "TABLE"]) && upper.get(6) == Some(&"AS".into()) {
        return Some(Statement::Keep {
            name: words[5].to_string(),
            query: after_words(statement, 7).to_string(),
        });
    }
    if starts(&["DROP", "TABLE"]) || starts(&["DROP", "VIEW"]) {
        return None;
    }
    Some(Statement::Sql(statement.to_string()))
}

/// The text of `statement` after its first `n` words.
fn after_words(statement: &str, n: usize) -> &str {
    let mut rest = statement.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// Splits SQL into statements on `;`, outside '…' strings, "…" identifiers and comments;
/// drops `--` comments and empty statements.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                current.push(c);
                for d in chars.by_ref() {
                    current.push(d);
                    // A doubled quote ('') closes and reopens: the same loop handles it.
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            ';' => {
                if !current.trim().is_empty() {
                    statements.push(current.trim().to_string());
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        statements.push(current.trim().to_string());
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_outside_strings_and_comments() {
        let sql = "-- a comment; with a semicolon\nSELECT 'a;b', \"c;d\" FROM t; -- end\n\nSELECT 'it''s; ok';";
        assert_eq!(
            split_statements(sql),
            vec!["SELECT 'a;b', \"c;d\" FROM t", "SELECT 'it''s; ok'"]
        );
    }

    #[test]
    fn temp_tables_are_kept_rows_on_spark() {
        let sql = "CREATE OR REPLACE TEMP TABLE persons AS\nSELECT 1 AS a;\nDROP TABLE qc_x;\nCREATE OR REPLACE TEMP VIEW v AS SELECT 2;\nDROP VIEW IF EXISTS v";
        let sql_of = |s: &str| Statement::Sql(s.to_string());
        assert_eq!(
            render(sql, Dialect::Spark),
            vec![
                Statement::Keep {
                    name: "persons".into(),
                    query: "SELECT 1 AS a".into()
                },
                sql_of("CREATE OR REPLACE TEMP VIEW v AS SELECT 2"),
            ]
        );
        assert_eq!(
            render(sql, Dialect::DuckDb),
            vec![
                sql_of("CREATE OR REPLACE TEMP TABLE persons AS\nSELECT 1 AS a"),
                sql_of("DROP TABLE qc_x"),
                sql_of("CREATE OR REPLACE TEMP VIEW v AS SELECT 2"),
                sql_of("DROP VIEW IF EXISTS v"),
            ]
        );
    }

    #[test]
    fn every_shared_file_renders_for_spark_without_duckdb_only_syntax() {
        let files = crate::indicators::SQL_FILES
            .iter()
            .copied()
            .chain([
                crate::progress::PROGRESS_SQL,
                crate::star_list::STAR_LIST_SQL,
                crate::quality::SETUP_SQL,
            ])
            .chain(crate::quality::CHECKS.iter().map(|c| (c.file, c.sql)))
            .chain(crate::screening::SQL_FILES)
            .chain([
                crate::indicators::YEARS_SQL,
                crate::status::STATUS_WORDS_SQL,
            ]);
        for (file, sql) in files {
            for statement in render(sql, Dialect::Spark) {
                let lower = statement.sql().to_lowercase();
                for duckdb_only in [
                    "::",
                    "arg_max(",
                    "arg_min(",
                    "grouping(",
                    "group by all",
                    "date_trunc(",
                    "strftime(",
                    "generate_series(",
                    "unnest(",
                    "temp table",
                    "insert into",
                    "as varchar",
                ] {
                    assert!(
                        !lower.contains(duckdb_only),
                        "{file}: `{duckdb_only}` is DuckDB-only: {statement:?}"
                    );
                }
            }
        }
    }
}
