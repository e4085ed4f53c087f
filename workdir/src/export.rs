//! `vbrief export --format parquet`: the warehouse as Hive-partitioned Parquet with a
//! `manifest.json`, for engines other than this machine's DuckDB (Spark, for a national
//! rollup; see `transforms::dataset` for how an export is read and combined).
//!
//! - Fact tables are partitioned by year (`service_records/served_year=2025/`,
//!   `activities/held_year=…`, `trainings/held_year=…`); the data carries no region code
//!   (districts are names, matched per warehouse), so there is no region partition. The rest
//!   are one folder of files each.
//! - Only types Spark reads: the UUID keys are written as their text, and no column is HUGEINT
//!   or unsigned. zstd; DuckDB starts a new file every ~256 MB.
//! - The manifest lists every table with its columns and rows, every file with its size, rows
//!   and BLAKE3 checksum, the export schema version, and the key's fingerprint (never the key).
//! - Written into a temporary folder beside `out` and renamed at the end: a failed export
//!   leaves nothing behind.

use std::path::{Path, PathBuf};

use transforms::dataset::{
    ColumnManifest, FileManifest, Manifest, TableManifest, FORMAT, MANIFEST_FILE, SCHEMA_VERSION,
    TABLES,
};

use crate::workspace::Workspace;
use crate::{Result, WorkdirError};

/// What an export wrote.
pub struct ExportOutcome {
    pub out: PathBuf,
    pub manifest: Manifest,
    pub bytes: u64,
}

/// The year column a fact table is partitioned by, and the date it is the year of.
fn partition_of(table: &str) -> Option<(&'static str, &'static str)> {
    match table {
        "service_records" => Some(("served_year", "served_on")),
        "activities" => Some(("held_year", "held_on")),
        "trainings" => Some(("held_year", "held_on")),
        _ => None,
    }
}

fn sql_text(path: &Path) -> String {
    path.display().to_string().replace('\'', "''")
}

/// Writes the warehouse of `ws` to `out` (which must not exist, or be an empty folder).
pub fn export_parquet(ws: &Workspace, out: &Path) -> Result<ExportOutcome> {
    let write_error = |detail: String| WorkdirError::Write {
        path: out.display().to_string(),
        detail,
    };
    refuse_non_empty(out)?;
    let conn = ws.warehouse()?;
    let fingerprint = ws.key()?.fingerprint();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| write_error(e.to_string()))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into()),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| write_error(e.to_string()))?;
    let region = Region {
        province: ws.config().city.province.clone(),
        city: ws.config().city.name.clone(),
    };
    let result = write_tables(conn, "main", &region, &tmp, &fingerprint);
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let finish = write_manifest(&tmp, &manifest).and_then(|_| {
        if out.exists() {
            std::fs::remove_dir(out)?;
        }
        std::fs::rename(&tmp, out)
    });
    if let Err(e) = finish {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(write_error(e.to_string()));
    }
    let bytes = manifest
        .tables
        .iter()
        .flat_map(|t| &t.files)
        .map(|f| f.bytes)
        .sum();
    Ok(ExportOutcome {
        out: out.to_path_buf(),
        manifest,
        bytes,
    })
}

/// An export is written only into a new or empty folder.
pub(crate) fn refuse_non_empty(out: &Path) -> Result<()> {
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(WorkdirError::ExportExists(out.display().to_string()));
    }
    Ok(())
}

/// Where a warehouse's communities are, for the levels above the city in a combination
/// (`communities.province`, `communities.city` of the export): from vbrief.toml `[city]`, for
/// the tables that do not carry them (a city's warehouse does not).
pub struct Region {
    pub province: String,
    pub city: String,
}

pub(crate) fn write_manifest(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(manifest).expect("a manifest serializes");
    std::fs::write(dir.join(MANIFEST_FILE), text + "\n")
}

/// Writes the tables of `schema` (tables or views named as [`TABLES`]) as the export's
/// Parquet files under `dir`, and returns their manifest.
pub(crate) fn write_tables(
    conn: &duckdb::Connection,
    schema: &str,
    region: &Region,
    dir: &Path,
    fingerprint: &str,
) -> Result<Manifest> {
    let mut tables = Vec::new();
    for table in TABLES {
        let _t = tracing::info_span!("export", table).entered();
        let mut columns = columns_of(conn, schema, table)?;
        let mut select: Vec<String> = columns
            .iter()
            .map(|(name, ty)| {
                if ty == "UUID" {
                    format!("CAST({name} AS VARCHAR) AS {name}")
                } else {
                    name.clone()
                }
            })
            .collect();
        if table == "communities" {
            for (name, value) in [("province", &region.province), ("city", &region.city)] {
                let value = format!("'{}'", value.replace('\'', "''"));
                match columns.iter().position(|(c, _)| c == name) {
                    Some(i) => select[i] = format!("coalesce({name}, {value}) AS {name}"),
                    None => {
                        select.push(format!("{value} AS {name}"));
                        columns.push((name.to_string(), "VARCHAR".to_string()));
                    }
                }
            }
        }
        let table = format!("{schema}.{table}");
        let table = table.as_str();
        let rows: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        let name = table.rsplit('.').next().unwrap_or(table);
        let table_dir = dir.join(name);
        let (partitioned_by, query, options) = match partition_of(name) {
            // An empty table is still written (one file with its columns), unpartitioned, so
            // every engine finds its schema.
            Some((column, date)) if rows > 0 => (
                vec![column.to_string()],
                format!(
                    "SELECT {}, year({date}) AS {column} FROM {table}",
                    select.join(", ")
                ),
                format!("PARTITION_BY ({column}), "),
            ),
            _ => {
                std::fs::create_dir_all(&table_dir).map_err(|e| WorkdirError::Write {
                    path: table_dir.display().to_string(),
                    detail: e.to_string(),
                })?;
                (
                    Vec::new(),
                    format!("SELECT {} FROM {table}", select.join(", ")),
                    String::new(),
                )
            }
        };
        let target = if partitioned_by.is_empty() {
            table_dir.join("data_0.parquet")
        } else {
            table_dir.clone()
        };
        conn.execute_batch(&format!(
            "COPY ({query}) TO '{}' (FORMAT parquet, COMPRESSION zstd, {options}ROW_GROUP_SIZE 122880);",
            sql_text(&target)
        ))?;
        let files = file_manifests(conn, dir, &table_dir)?;
        tables.push(TableManifest {
            name: name.to_string(),
            rows: rows as u64,
            partitioned_by,
            columns: columns
                .into_iter()
                .map(|(name, ty)| ColumnManifest {
                    name,
                    sql_type: if ty == "UUID" { "VARCHAR".into() } else { ty },
                })
                .collect(),
            files,
        });
    }
    Ok(Manifest {
        format: FORMAT.to_string(),
        schema_version: SCHEMA_VERSION,
        vbrief_version: env!("CARGO_PKG_VERSION").to_string(),
        exported_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        key_fingerprint: fingerprint.to_string(),
        tables,
    })
}

/// The warehouse table's columns and types, in order.
fn columns_of(
    conn: &duckdb::Connection,
    schema: &str,
    table: &str,
) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM information_schema.columns
          WHERE table_name = ? AND table_schema = ? ORDER BY ordinal_position",
    )?;
    let columns = stmt
        .query_map([table, schema], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<Vec<(String, String)>, _>>()?;
    for (name, ty) in &columns {
        if ty.contains("HUGEINT") || ty.starts_with('U') && ty != "UUID" {
            return Err(WorkdirError::Write {
                path: format!("{table}.{name}"),
                detail: format!("type {ty} cannot be exported for Spark"),
            });
        }
    }
    Ok(columns)
}

/// Every Parquet file under `table_dir`, with its size, rows and checksum.
fn file_manifests(
    conn: &duckdb::Connection,
    root: &Path,
    table_dir: &Path,
) -> Result<Vec<FileManifest>> {
    let mut paths = Vec::new();
    collect_files(table_dir, &mut paths).map_err(|e| WorkdirError::Write {
        path: table_dir.display().to_string(),
        detail: e.to_string(),
    })?;
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let read_error = |e: std::io::Error| WorkdirError::Write {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let mut hasher = blake3::Hasher::new();
        let bytes = std::io::copy(
            &mut std::fs::File::open(&path).map_err(read_error)?,
            &mut hasher,
        )
        .map_err(read_error)?;
        let rows: i64 = conn.query_row(
            &format!(
                "SELECT coalesce(sum(num_rows), 0)::BIGINT FROM parquet_file_metadata('{}')",
                sql_text(&path)
            ),
            [],
            |r| r.get(0),
        )?;
        let relative = path
            .strip_prefix(root)
            .expect("under the export folder")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        files.push(FileManifest {
            path: relative,
            bytes,
            rows: rows as u64,
            blake3: hasher.finalize().to_hex().to_string(),
        });
    }
    Ok(files)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    Ok(())
}
