//! The Spark engine (`vbrief report --engine spark --remote sc://HOST:15002 --data DIR`):
//! the same SQL files, rendered for Spark SQL ([`crate::engine::render`]), run on a Spark
//! Connect server over the exported Parquet ([`crate::dataset`]), through the official Rust
//! client (`apache-spark-connect`).
//!
//! The SQL's temporary tables stay on Spark (kept rows: local checkpoints under temporary
//! views, see [`crate::engine::render`]). Only the small tables the Rust
//! side reads (the indicator rows, a check's two counts, the star list…) come back, as Arrow:
//! the client speaks Arrow 58 and DuckDB Arrow 60, so they cross as Arrow IPC bytes and are
//! appended to a local in-memory DuckDB, where the reading code of the DuckDB engine runs
//! unchanged.

// The client's `SparkError` is large (184 bytes), and it is the client's type: its results
// are handed on as they come.
#![allow(clippy::result_large_err)]

use std::path::Path;

use duckdb::arrow::array::RecordBatch;
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::Connection;
use spark_connect::SparkSession;

use crate::dataset::{Dataset, MANIFEST_FILE};
use crate::engine::{
    one_line, render_statement, split_statements, Dialect, Engine, EngineError, Statement,
};

pub struct SparkEngine {
    session: SparkSession,
    /// Where fetched tables are read.
    local: Connection,
    /// The session's `spark.sql.constraintPropagation.enabled`, restored after each checkpoint
    /// (see [`SparkEngine::run_statement`]).
    constraint_propagation: String,
    /// The temporary views made so far, dropped at the end with the rows they keep.
    views: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

/// `remote` as it may be shown (in an error, a log): the value of a `token` parameter is
/// replaced by `***`. `sc://host:port/;use_ssl=true;token=SECRET` names its server and
/// how, never the secret.
pub fn shown_remote(remote: &str) -> String {
    let mut parts = remote.split(';');
    let mut shown = parts.next().unwrap_or("").to_string();
    for param in parts {
        shown.push(';');
        match param.split_once('=') {
            Some((key, _)) if key.trim().eq_ignore_ascii_case("token") => {
                shown.push_str(key);
                shown.push_str("=***");
            }
            _ => shown.push_str(param),
        }
    }
    shown
}

/// Spark's switch for inferring constraints (and from them filters) along a plan.
const CONSTRAINT_PROPAGATION: &str = "spark.sql.constraintPropagation.enabled";

/// `sc://host:port[/;params]` → a TCP connection attempt with a short timeout.
fn preflight(remote: &str) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let rest = remote.trim_start_matches("sc://");
    let authority = rest.split(['/', ';']).next().unwrap_or("");
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:15002")
    };
    let addrs: Vec<_> = with_port
        .to_socket_addrs()
        .map_err(|e| format!("{with_port}: {e}"))?
        .collect();
    let mut last = format!("{with_port}: no address");
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

/// A Spark error in one line: its class and the first line of the server's message (the
/// rest is the query plan).
fn spark_message(e: &spark_connect::SparkError) -> String {
    // A statement that runs longer than the server's reattachable stream lasts (2 minutes by
    // default) has its answer stream ended by the server for the client to resume it; the
    // Rust client (4.2.0) does not resume, and a checkpoint then reads as having no result.
    if e.message.contains("no CheckpointCommandResult") {
        return format!(
            "Spark Connect 服务器在语句完成前结束了应答流（默认 2 分钟），本客户端不会续接：请在 Connect 服务器上设置 \
             {STREAM_DURATION}=0 后重试 (the server ended the answer stream of a statement that ran past its \
             stream duration, and this client does not reattach: start the Connect server with \
             --conf {STREAM_DURATION}=0)"
        );
    }
    let first = e
        .message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let line = match e.get_error_class() {
        Some(class) if !first.contains(class.as_str()) => format!("[{class}] {first}"),
        _ if first.is_empty() => e.to_string(),
        _ => first.to_string(),
    };
    one_line(&line)
}

/// The Connect server's limit on one answer stream (scripts/spark sets it to 0: unlimited).
pub const STREAM_DURATION: &str = "spark.connect.execute.reattachable.senderMaxStreamDuration";

/// A location a Spark server reads itself (`hdfs://`, `s3a://`, …), rather than a folder of
/// this machine.
fn is_uri(location: &str) -> bool {
    location.contains("://") && !location.starts_with("file://")
}

impl SparkEngine {
    /// Connects to `remote` and names the tables of the exports at `data` (checked first: a
    /// manifest each, this schema version, one key).
    pub fn connect(
        remote: &str,
        data: &[String],
        province: Option<&str>,
    ) -> Result<SparkEngine, EngineError> {
        let shown = shown_remote(remote);
        if !remote.starts_with("sc://") {
            return Err(EngineError::Engine(format!(
                "--remote {shown}: 请写成 sc://主机:端口 (write the Spark Connect address as sc://HOST:PORT)"
            )));
        }
        // A folder of this machine is given to Spark as an absolute path (the server does
        // not share our working directory); the manifest is checked here before connecting.
        let mut locations = Vec::with_capacity(data.len());
        for location in data {
            if is_uri(location) {
                locations.push(location.trim_end_matches('/').to_string());
                continue;
            }
            let path = Path::new(location.strip_prefix("file://").unwrap_or(location));
            let absolute = std::fs::canonicalize(path).map_err(|e| {
                EngineError::Engine(format!("--data {location}: {e} (folder not found)"))
            })?;
            locations.push(absolute.display().to_string());
        }
        let local_only: Vec<String> = locations.iter().filter(|l| !is_uri(l)).cloned().collect();
        if !local_only.is_empty() {
            Dataset::open_local(&local_only).map_err(|e| EngineError::Engine(e.to_string()))?;
        }
        let unreachable = |e: &dyn std::fmt::Display| {
            EngineError::Engine(format!(
                "无法连接 Spark Connect 服务器 {shown} (cannot reach the Spark Connect server): {}",
                one_line(&e.to_string())
            ))
        };
        // The client retries an unreachable server for minutes before it gives up: a plain
        // TCP connection first says at once that nothing listens there.
        preflight(remote).map_err(|e| unreachable(&e))?;
        let session = SparkSession::builder()
            .remote(remote)
            .get_or_create()
            .map_err(|e| unreachable(&spark_message(&e)))?;
        // The first call reaches the server: an address with no server fails here.
        session
            .version()
            .map_err(|e| unreachable(&spark_message(&e)))?;
        let constraint_propagation = session
            .sql(&format!("SET {CONSTRAINT_PROPAGATION}"))
            .and_then(|df| df.collect())
            .ok()
            .and_then(|rows| {
                let value = rows.first()?.get(1)?.as_str()?.to_string();
                Some(value)
            })
            .filter(|v| v == "true" || v == "false")
            .unwrap_or_else(|| "true".to_string());
        let engine = SparkEngine {
            session,
            local: Connection::open_in_memory()?,
            constraint_propagation,
            views: Default::default(),
        };
        let mut dataset = Dataset::open_with(&locations, |location| {
            if is_uri(location) {
                engine.read_text(&format!("{location}/{MANIFEST_FILE}"))
            } else {
                match std::fs::read_to_string(Path::new(location).join(MANIFEST_FILE)) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e.to_string()),
                }
            }
        })
        .map_err(|e| EngineError::Engine(e.to_string()))?;
        dataset.province = province.map(str::to_string);
        engine.run(
            "vbrief (the exported tables)",
            &dataset.register_sql(Dialect::Spark),
        )?;
        Ok(engine)
    }

    /// A small text file the server can read (a manifest at a URI), None when it is missing.
    fn read_text(&self, uri: &str) -> Result<Option<String>, String> {
        let sql = format!("SELECT value FROM text.`{}`", uri.replace('`', "``"));
        let rows = match self.session.sql(&sql).and_then(|df| df.collect()) {
            Ok(rows) => rows,
            Err(e) => {
                let message = e.to_string();
                if message.contains("PATH_NOT_FOUND") || message.contains("does not exist") {
                    return Ok(None);
                }
                return Err(spark_message(&e));
            }
        };
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                r.get(0)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        Ok(Some(lines.join("\n")))
    }

    /// Runs one statement to completion.
    fn execute(&self, statement: &str) -> Result<(), spark_connect::SparkError> {
        self.session.sql(statement)?.collect()?;
        Ok(())
    }

    /// Runs `statement`: a kept table is computed now, checkpointed on the server, and named
    /// by a temporary view over the checkpoint.
    fn run_statement(&self, statement: &Statement) -> Result<(), spark_connect::SparkError> {
        match statement {
            Statement::Sql(sql) => {
                if let Some(name) = view_made_by(sql) {
                    self.views.borrow_mut().insert(name);
                }
                self.execute(sql)
            }
            Statement::Keep { name, query } => {
                self.views.borrow_mut().insert(name.clone());
                // A checkpoint keeps the constraints its query had, rewritten onto its columns;
                // some name columns it did not keep, and a UNION over such checkpoints fails
                // while rewriting them in turn ("key not found: person_key#…", Spark 4.2,
                // screening/90_summary.sql). Made without constraint propagation, it keeps
                // none. Not for the whole session: without constraints, the sample's report
                // took 3.5 times as long (55 s against 16 s).
                self.execute(&format!("SET {CONSTRAINT_PROPAGATION} = false"))?;
                let kept = self.session.sql(query).and_then(|df| df.local_checkpoint());
                self.execute(&format!(
                    "SET {CONSTRAINT_PROPAGATION} = {}",
                    self.constraint_propagation
                ))?;
                kept?.create_or_replace_temp_view(name)
            }
        }
    }

    /// Brings `table` over into the local DuckDB under the same name.
    fn fetch_table(&self, table: &str) -> Result<(), EngineError> {
        // One row more, all NULL, marks an empty table: Arrow carries no schema without a
        // batch, and the local table needs its columns.
        let sql = format!(
            "SELECT x.* FROM (SELECT 1 AS vbrief_one) o
             LEFT JOIN (SELECT *, true AS vbrief_present FROM {table}) x ON true"
        );
        let ipc = self
            .session
            .sql(&sql)
            .and_then(|df| df.to_arrow())
            .map_err(|e| EngineError::Statement {
                file: format!("vbrief (reading {table} back)"),
                statement: 1,
                message: spark_message(&e),
            })?;
        let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(ipc), None)
            .map_err(|e| EngineError::Engine(format!("{table}: Arrow IPC: {e}")))?;
        let schema = reader.schema();
        let (columns, local_schema) =
            local_columns(&schema).map_err(|e| EngineError::Engine(format!("{table}: {e}")))?;
        self.local.execute_batch(&format!(
            "DROP TABLE IF EXISTS vbrief_incoming; CREATE TABLE vbrief_incoming ({});",
            columns.join(", ")
        ))?;
        {
            let mut appender = self.local.appender("vbrief_incoming")?;
            for batch in reader {
                let batch =
                    batch.map_err(|e| EngineError::Engine(format!("{table}: Arrow IPC: {e}")))?;
                appender.append_record_batch(to_local(&batch, &local_schema)?)?;
            }
            appender.flush()?;
        }
        self.local.execute_batch(&format!(
            "CREATE OR REPLACE TABLE \"{table}\" AS
                 SELECT * EXCLUDE (vbrief_present) FROM vbrief_incoming WHERE vbrief_present;
             DROP TABLE vbrief_incoming;"
        ))?;
        Ok(())
    }
}

/// The view a statement makes (`CREATE OR REPLACE TEMP VIEW v AS …`).
fn view_made_by(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().take(6).collect();
    // CREATE OR REPLACE TEMP[ORARY] VIEW v AS … / USING parquet …
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    match upper.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["CREATE", "OR", "REPLACE", "TEMP" | "TEMPORARY", "VIEW", ..] => Some(words[5].to_string()),
        _ => None,
    }
}

impl Drop for SparkEngine {
    fn drop(&mut self) {
        // The views are the server's: drop what this run made before leaving; ending the
        // session releases the rows they kept.
        for view in self.views.borrow().iter() {
            let _ = self.execute(&format!("DROP VIEW IF EXISTS {view}"));
        }
        let _ = self.session.stop();
    }
}

impl Engine for SparkEngine {
    fn dialect(&self) -> Dialect {
        Dialect::Spark
    }

    fn run(&self, file: &str, sql: &str) -> Result<(), EngineError> {
        // Errors count the file's statements, not the rendered ones.
        for (i, source) in split_statements(sql).iter().enumerate() {
            let Some(statement) = render_statement(source, Dialect::Spark) else {
                continue;
            };
            let _t = tracing::info_span!("spark", file, statement = i + 1).entered();
            self.run_statement(&statement)
                .map_err(|e| EngineError::Statement {
                    file: file.to_string(),
                    statement: i + 1,
                    message: spark_message(&e),
                })?;
        }
        Ok(())
    }

    fn fetch(&self, tables: &[&str]) -> Result<&Connection, EngineError> {
        for table in tables {
            self.fetch_table(table)?;
        }
        Ok(&self.local)
    }
}

/// The local column of each Arrow field (name and DuckDB type), and the Arrow schema the
/// batches are cast to before they are appended.
fn local_columns(schema: &Schema) -> Result<(Vec<String>, Schema), String> {
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    for field in schema.fields() {
        let (sql, arrow) = match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
                ("VARCHAR".to_string(), DataType::Utf8)
            }
            DataType::Boolean => ("BOOLEAN".into(), DataType::Boolean),
            DataType::Int8 | DataType::Int16 | DataType::Int32 => {
                ("INTEGER".into(), DataType::Int32)
            }
            DataType::Int64 => ("BIGINT".into(), DataType::Int64),
            DataType::Float32 | DataType::Float64 => ("DOUBLE".into(), DataType::Float64),
            DataType::Date32 | DataType::Date64 => ("DATE".into(), DataType::Date32),
            DataType::Decimal128(p, s) => {
                (format!("DECIMAL({p}, {s})"), DataType::Decimal128(*p, *s))
            }
            DataType::Timestamp(_, _) => (
                "TIMESTAMP".into(),
                DataType::Timestamp(TimeUnit::Microsecond, None),
            ),
            other => return Err(format!("column {}: type {other} is not read", field.name())),
        };
        columns.push(format!("\"{}\" {sql}", field.name().replace('"', "\"\"")));
        fields.push(Field::new(field.name(), arrow, true));
    }
    Ok((columns, Schema::new(fields)))
}

fn to_local(batch: &RecordBatch, schema: &Schema) -> Result<RecordBatch, EngineError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| duckdb::arrow::compute::cast(column, field.data_type()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EngineError::Engine(format!("Arrow cast: {e}")))?;
    RecordBatch::try_new(std::sync::Arc::new(schema.clone()), columns)
        .map_err(|e| EngineError::Engine(format!("Arrow batch: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_remote_hides_its_token() {
        assert_eq!(
            shown_remote("sc://spark.dc:443/;use_ssl=true;token=s3cret;user_id=vbrief"),
            "sc://spark.dc:443/;use_ssl=true;token=***;user_id=vbrief"
        );
        assert_eq!(shown_remote("sc://127.0.0.1:15002"), "sc://127.0.0.1:15002");
        assert!(!shown_remote("sc://h/;TOKEN=abc").contains("abc"));
    }

    #[test]
    fn a_stream_ended_by_the_server_says_which_setting_to_change() {
        let e = spark_connect::SparkError::connect_msg(
            "checkpoint: server returned no CheckpointCommandResult",
        );
        assert!(spark_message(&e).contains(&format!("{STREAM_DURATION}=0")));
        let other = spark_connect::SparkError::connect_msg("something else");
        assert!(!spark_message(&other).contains(STREAM_DURATION));
    }
}
