//! The warehouse exported as Parquet (`vbrief export --format parquet`), read by an engine:
//! its `manifest.json`, the checks before anything is computed, and the SQL that names each
//! exported table (one export, or several combined) as the table the indicator SQL reads.
//!
//! Combining exports (one per city or province) is what a national rollup does. It is refused
//! unless every export was pseudonymized with the same key (the same person has the same key
//! everywhere, so a person counts once), and the same export schema. In the combination:
//! - a community is one per (province, city, district, street, community) path, whichever
//!   exports carry it (an export names its province and city: vbrief.toml `[city]`);
//! - a row with a key (`k`: a person, a record, a ledger row) is kept once: for a person the
//!   earliest registration, else the first export's;
//! - file ids are made distinct per export (`file_id + export × 2^24`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::Dialect;

/// The version of the export's layout (tables, columns, types). An engine refuses an export of
/// another version: export again with the same vbrief.
/// Version 2: `communities` has `province` and `city` (the levels above the city).
pub const SCHEMA_VERSION: u32 = 2;
pub const MANIFEST_FILE: &str = "manifest.json";
/// What `format` says in every manifest.
pub const FORMAT: &str = "vbrief-warehouse-parquet";

/// File ids of export i are offset by i × this in a combination.
const FILE_ID_STRIDE: i64 = 1 << 24;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub schema_version: u32,
    pub vbrief_version: String,
    pub exported_at: String,
    /// [`ingest`'s `PseudonymKey::fingerprint`]: equal for equal keys, never the key.
    pub key_fingerprint: String,
    pub tables: Vec<TableManifest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableManifest {
    pub name: String,
    pub rows: u64,
    /// Hive partition columns (`served_year=2025/`), not stored in the files.
    pub partitioned_by: Vec<String>,
    pub columns: Vec<ColumnManifest>,
    pub files: Vec<FileManifest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnManifest {
    pub name: String,
    #[serde(rename = "type")]
    pub sql_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileManifest {
    /// Relative to the export folder, with `/`.
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
    pub blake3: String,
}

/// The tables every export holds, which the SQL reads.
pub const TABLES: [&str; 13] = [
    "meta",
    "runs",
    "files",
    "communities",
    "population",
    "volunteers",
    "service_records",
    "organizations",
    "activities",
    "stations",
    "needs",
    "trainings",
    "quarantine",
];

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{location}: 没有 {MANIFEST_FILE}，这不是 vbrief 导出的 Parquet 目录 (no {MANIFEST_FILE}: not a folder written by `vbrief export --format parquet`)")]
    NoManifest { location: String },
    #[error("{location}/{MANIFEST_FILE}: 无法读取 (unreadable): {detail}")]
    BadManifest { location: String, detail: String },
    #[error("{location}: 导出格式版本为 {found}，本程序读取版本 {SCHEMA_VERSION} (export schema version {found}, this vbrief reads {SCHEMA_VERSION}): 请用本版本 vbrief 重新导出 (export again with this vbrief)")]
    SchemaVersion { location: String, found: u32 },
    #[error("{location}: 缺少表 {table} (table {table} missing from the manifest)")]
    MissingTable { location: String, table: String },
    #[error("不能合并：{first} 与 {other} 的假名化密钥不同（指纹 {first_fp} ≠ {other_fp}），同一人在两处的编号不同，会被重复计算 (refusing to combine: the exports were pseudonymized with different keys, so one person would count twice; give every office the same VBRIEF_KEY and export again)")]
    KeyMismatch {
        first: String,
        other: String,
        first_fp: String,
        other_fp: String,
    },
    #[error("没有给出数据目录 (no --data folder given)")]
    Empty,
}

/// One or several exports, checked and ready to be named to an engine.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub exports: Vec<(String, Manifest)>,
    /// Only this province's communities, and what belongs to them (`--province`): the
    /// province's own briefing from a national combination.
    pub province: Option<String>,
}

/// `--data` folders as exports: a local folder without a manifest whose subfolders are
/// exports (as `vbrief gen --nation` writes one per province) stands for those subfolders, in
/// name order. Anything else (an export, a URI) is kept as it is.
pub fn expand_folders(locations: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for location in locations {
        let path = Path::new(location);
        if path.join(MANIFEST_FILE).exists() || !path.is_dir() {
            out.push(location.clone());
            continue;
        }
        let mut inner: Vec<String> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join(MANIFEST_FILE).exists())
            .map(|p| p.display().to_string())
            .collect();
        inner.sort();
        if inner.is_empty() {
            out.push(location.clone());
        } else {
            out.extend(inner);
        }
    }
    out
}

impl Dataset {
    /// Reads and checks the manifests of local export folders.
    pub fn open_local(locations: &[String]) -> Result<Dataset, DatasetError> {
        Dataset::open_with(locations, |location| {
            let path = Path::new(location).join(MANIFEST_FILE);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    /// Reads the manifests with `read` (the manifest's text, None when there is none) and
    /// checks them: format, schema version, tables, and one key for all.
    pub fn open_with(
        locations: &[String],
        mut read: impl FnMut(&str) -> Result<Option<String>, String>,
    ) -> Result<Dataset, DatasetError> {
        if locations.is_empty() {
            return Err(DatasetError::Empty);
        }
        let mut exports: Vec<(String, Manifest)> = Vec::new();
        for location in locations {
            let location = location.trim_end_matches('/').to_string();
            let text = read(&location)
                .map_err(|detail| DatasetError::BadManifest {
                    location: location.clone(),
                    detail,
                })?
                .ok_or_else(|| DatasetError::NoManifest {
                    location: location.clone(),
                })?;
            let manifest = parse_manifest(&location, &text)?;
            if let Some((first, m)) = exports.first() {
                if m.key_fingerprint != manifest.key_fingerprint {
                    return Err(DatasetError::KeyMismatch {
                        first: first.clone(),
                        other: location,
                        first_fp: short(&m.key_fingerprint),
                        other_fp: short(&manifest.key_fingerprint),
                    });
                }
            }
            exports.push((location, manifest));
        }
        Ok(Dataset {
            exports,
            province: None,
        })
    }

    /// The statements that name every table for the SQL (views over the Parquet files; for a
    /// combination, the combined tables), in the shared SQL, for `dialect`'s file reader.
    pub fn register_sql(&self, dialect: Dialect) -> String {
        let mut sql = match dialect {
            Dialect::DuckDb => String::new(),
            Dialect::Spark => spark_sources(&self.exports),
        };
        // With a province, every table is first named `vbrief_all_<table>`, then the table
        // itself is the province's part of it (see `scope_sql`).
        let target = |name: &str| match &self.province {
            Some(_) => format!("vbrief_all_{name}"),
            None => name.to_string(),
        };
        if self.exports.len() == 1 {
            let (location, manifest) = &self.exports[0];
            let i = 0;
            for table in &manifest.tables {
                sql.push_str(&format!(
                    "CREATE OR REPLACE TEMP VIEW {} AS SELECT {} FROM {};\n",
                    target(&table.name),
                    column_list(table, None),
                    scan(dialect, i, location, table)
                ));
            }
            sql.push_str(&self.scope_sql());
            return sql;
        }
        // Each export's tables as they are, with the export's number.
        for (i, (location, manifest)) in self.exports.iter().enumerate() {
            for table in &manifest.tables {
                sql.push_str(&format!(
                    "CREATE OR REPLACE TEMP VIEW vbrief_x{i}_{} AS SELECT {i} AS vbrief_export, {} FROM {};\n",
                    table.name,
                    column_list(table, Some(i)),
                    scan(dialect, i, location, table)
                ));
            }
        }
        let union = |name: &str| -> String {
            (0..self.exports.len())
                .map(|i| format!("SELECT * FROM vbrief_x{i}_{name}"))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        };
        // One community per path: the first export's id (so one export alone keeps its ids),
        // and each export's ids mapped to it.
        sql.push_str(&format!(
            "CREATE OR REPLACE TEMP TABLE vbrief_community_map AS
             WITH all_communities AS ({}),
             kept AS (
                 SELECT province, city, district, street, community,
                        min(community_id + vbrief_export * {FILE_ID_STRIDE}) AS community_id
                 FROM all_communities GROUP BY province, city, district, street, community)
             SELECT a.vbrief_export, a.community_id AS old_id, CAST(k.community_id AS INTEGER) AS community_id
             FROM all_communities a
             JOIN kept k ON k.province = a.province AND k.city = a.city AND k.district = a.district
                        AND k.street = a.street AND k.community = a.community;\n",
            union("communities")
        ));
        let first = &self.exports[0].1;
        let volunteers_by_no = format!(
            "LEFT JOIN (SELECT volunteer_no, min(k) AS k FROM {}
                        WHERE volunteer_no IS NOT NULL GROUP BY volunteer_no) n
               ON t.person_from_no AND n.volunteer_no = t.volunteer_no",
            target("volunteers")
        );
        // In TABLES' order: service_records is linked through the combined volunteers.
        for name in TABLES {
            let Some(table) = first.tables.iter().find(|t| t.name == name) else {
                continue;
            };
            let has = |c: &str| table.columns.iter().any(|x| x.name == c);
            let columns: Vec<String> = table
                .columns
                .iter()
                .map(|c| {
                    if c.name == "community_id" {
                        "m.community_id AS community_id".to_string()
                    } else if name == "service_records" && c.name == "person_key" {
                        // A record that names only a 志愿者编号 is linked, as at ingest, to the
                        // volunteer with that number: in the combination, who may be in
                        // another export than the record (an export without that volunteer
                        // kept the record unlinked).
                        "CASE WHEN t.person_from_no AND n.k IS NOT NULL THEN n.k ELSE t.person_key END \
                         AS person_key"
                            .to_string()
                    } else {
                        format!("t.{}", c.name)
                    }
                })
                .collect();
            let join = if has("community_id") {
                "LEFT JOIN vbrief_community_map m
                   ON m.vbrief_export = t.vbrief_export AND m.old_id = t.community_id"
            } else if name == "service_records" {
                // `volunteers` is the combined one (made before, in the manifest's order).
                &volunteers_by_no
            } else {
                ""
            };
            let body = if name == "communities" {
                // The kept row of each path.
                format!(
                    "SELECT {} FROM ({}) t
                     JOIN vbrief_community_map m
                       ON m.vbrief_export = t.vbrief_export AND m.old_id = t.community_id
                     WHERE t.community_id + t.vbrief_export * {FILE_ID_STRIDE} = m.community_id",
                    columns.join(", "),
                    union(name)
                )
            } else if has("k") {
                let order = if name == "volunteers" {
                    "registered_on NULLS LAST, vbrief_export, file_id, source_row"
                } else {
                    "vbrief_export, file_id, source_row"
                };
                format!(
                    "SELECT {} FROM (
                         SELECT u.*, row_number() OVER (PARTITION BY k ORDER BY {order}) AS vbrief_rank
                         FROM ({}) u) t
                     {join}
                     WHERE t.vbrief_rank = 1",
                    columns.join(", "),
                    union(name)
                )
            } else {
                format!(
                    "SELECT {} FROM ({}) t {join}",
                    columns.join(", "),
                    union(name)
                )
            };
            sql.push_str(&format!(
                "CREATE OR REPLACE TEMP TABLE {} AS {body};\n",
                target(name)
            ));
        }
        sql.push_str(&self.scope_sql());
        sql
    }

    /// With a province: each table as the province's part of `vbrief_all_<table>`. Its
    /// communities; the rows of those communities; the service records of their volunteers
    /// (a record belongs to its volunteer's community). Runs, files and meta as they are.
    fn scope_sql(&self) -> String {
        let Some(province) = &self.province else {
            return String::new();
        };
        let first = &self.exports[0].1;
        let mut sql = String::new();
        for name in TABLES {
            let Some(table) = first.tables.iter().find(|t| t.name == name) else {
                continue;
            };
            let filter = if name == "communities" {
                format!("WHERE province = '{}'", province.replace('\'', "''"))
            } else if table.columns.iter().any(|c| c.name == "community_id") {
                "WHERE community_id IN (SELECT community_id FROM communities)".to_string()
            } else if name == "service_records" {
                "WHERE person_key IN (SELECT k FROM volunteers)".to_string()
            } else {
                String::new()
            };
            sql.push_str(&format!(
                "CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM vbrief_all_{name} {filter};\n"
            ));
        }
        sql
    }
}

fn short(fingerprint: &str) -> String {
    fingerprint.chars().take(12).collect()
}

fn parse_manifest(location: &str, text: &str) -> Result<Manifest, DatasetError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| DatasetError::BadManifest {
            location: location.to_string(),
            detail: e.to_string(),
        })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(DatasetError::BadManifest {
            location: location.to_string(),
            detail: format!("format is not {FORMAT}"),
        });
    }
    // The version first: another version's manifest may not have this one's fields.
    let found = value
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as u32;
    if found != SCHEMA_VERSION {
        return Err(DatasetError::SchemaVersion {
            location: location.to_string(),
            found,
        });
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| DatasetError::BadManifest {
            location: location.to_string(),
            detail: e.to_string(),
        })?;
    for table in TABLES {
        if !manifest.tables.iter().any(|t| t.name == table) {
            return Err(DatasetError::MissingTable {
                location: location.to_string(),
                table: table.to_string(),
            });
        }
    }
    Ok(manifest)
}

/// The table's columns; in a combination, file ids made distinct per export.
fn column_list(table: &TableManifest, export: Option<usize>) -> String {
    table
        .columns
        .iter()
        .map(|c| match export {
            Some(i) if c.name == "file_id" && i > 0 => format!(
                "CAST(file_id + {} AS INTEGER) AS file_id",
                i as i64 * FILE_ID_STRIDE
            ),
            _ => c.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The engine's reader of a table's Parquet files (the only dialect difference here).
fn scan(dialect: Dialect, export: usize, location: &str, table: &TableManifest) -> String {
    match dialect {
        Dialect::DuckDb => {
            let files: Vec<String> = table
                .files
                .iter()
                .map(|f| format!("'{}'", format!("{location}/{}", f.path).replace('\'', "''")))
                .collect();
            format!("read_parquet([{}])", files.join(", "))
        }
        // A data-source view (see `spark_sources`), made for this table of this export.
        Dialect::Spark => spark_source_name(export, table),
    }
}

/// On Spark, one data-source view per table and export, read from its folder. Spark keeps
/// such a view resolved (its files listed and its schema read once), whereas a plain view
/// over ``parquet.`dir` `` is read again, files listed and footers read by a job, each time a
/// statement names it, and the shared SQL names the tables hundreds of times.
fn spark_sources(exports: &[(String, Manifest)]) -> String {
    let mut sql = String::new();
    for (i, (location, manifest)) in exports.iter().enumerate() {
        for table in &manifest.tables {
            sql.push_str(&format!(
                "CREATE OR REPLACE TEMPORARY VIEW {} USING parquet OPTIONS (path '{}');\n",
                spark_source_name(i, table),
                format!("{location}/{}", table.name)
                    .replace('\\', "\\\\")
                    .replace('\'', "\\'")
            ));
        }
    }
    sql
}

fn spark_source_name(export: usize, table: &TableManifest) -> String {
    format!("vbrief_src{export}_{}", table.name)
}

/// The provinces the communities of a registered dataset name (before `--province` keeps
/// one), in name order: what an unknown `--province` is told to choose from.
pub fn provinces(
    engine: &dyn crate::Engine,
    scoped: bool,
) -> Result<Vec<String>, crate::EngineError> {
    let table = if scoped {
        "vbrief_all_communities"
    } else {
        "communities"
    };
    engine.run(
        "vbrief (provinces)",
        &format!(
            "CREATE OR REPLACE TEMP TABLE vbrief_provinces AS
             SELECT DISTINCT coalesce(province, '') AS province FROM {table}"
        ),
    )?;
    let conn = engine.fetch(&["vbrief_provinces"])?;
    let mut stmt = conn.prepare("SELECT province FROM vbrief_provinces ORDER BY province")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// An in-memory DuckDB over the exported tables: the DuckDB engine for `--data`.
pub fn open_duckdb(dataset: &Dataset) -> Result<duckdb::Connection, crate::EngineError> {
    use crate::Engine;
    let conn = duckdb::Connection::open_in_memory()?;
    conn.run(
        "vbrief (the exported tables)",
        &dataset.register_sql(Dialect::DuckDb),
    )?;
    Ok(conn)
}
