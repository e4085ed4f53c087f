//! The DuckDB warehouse: schema, staging tables and the set-based merge that dedupes rows
//! against each other and against earlier runs (no per-row SQL).

use std::path::Path;

use duckdb::Connection;

use crate::kind::SourceKind;

pub const SCHEMA_SQL: &str = include_str!("../sql/schema.sql");

/// File name of the warehouse inside the working folder.
pub const WAREHOUSE_FILE: &str = "warehouse.duckdb";

/// Every quarantined row, written beside the warehouse after each ingest that changed it
/// ([`write_quarantine_csv`]).
pub const QUARANTINE_FILE: &str = "quarantine.csv";

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("仓库 {path} 正被另一个进程使用，请等它结束后重试 (warehouse is locked by another process): {detail}")]
    Locked { path: String, detail: String },
    #[error("无法打开仓库 {path} (cannot open the warehouse; is it read-only or not a DuckDB file?): {detail}")]
    Open { path: String, detail: String },
    #[error("warehouse query failed: {0}")]
    Db(#[from] duckdb::Error),
}

/// Opens (creating if needed) the warehouse with the schema in place.
pub fn open(path: &Path) -> Result<Connection, WarehouseError> {
    let _t = tracing::info_span!("warehouse.open").entered();
    let conn = Connection::open(path).map_err(|e| {
        let detail = e.to_string();
        if detail.contains("lock") {
            WarehouseError::Locked {
                path: path.display().to_string(),
                detail: first_line(&detail),
            }
        } else {
            WarehouseError::Open {
                path: path.display().to_string(),
                detail: first_line(&detail),
            }
        }
    })?;
    if let Some(limit) = memory_limit() {
        // Past the limit DuckDB spills to `<warehouse>.tmp` beside the file (its default).
        // Insertion order is given up only around the merge (`with_unordered_inserts`).
        apply_memory_limit(&conn, &limit).map_err(|e| WarehouseError::Open {
            path: format!("{MEMORY_LIMIT_ENV}={limit}"),
            detail: first_line(&e.to_string()),
        })?;
    }
    conn.execute_batch(SCHEMA_SQL)?;
    migrate_keys(&conn)?;
    normalize_community_names(&conn)?;
    Ok(conn)
}

/// Gives communities loaded before names were normalized their normalized name, keeping the
/// name as written in `written_as` (a few thousand rows at most; nothing to do once done).
fn normalize_community_names(conn: &Connection) -> Result<(), duckdb::Error> {
    let mut stmt =
        conn.prepare("SELECT community_id, community FROM communities WHERE written_as IS NULL")?;
    let rows: Vec<(i32, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Ok(());
    }
    conn.execute_batch("BEGIN")?;
    let result = (|| {
        let mut update = conn.prepare(
            "UPDATE communities SET community = ?, written_as = ? WHERE community_id = ?",
        )?;
        for (id, written) in &rows {
            update.execute(duckdb::params![
                domain::community::normalize_community(written),
                written,
                id
            ])?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            conn.execute_batch("ROLLBACK").ok();
            Err(e)
        }
    }
}

/// Converts the text keys of a warehouse made before keys were UUIDs, in one transaction:
/// person keys were 32 hex digits (the same UUID), a service record's k was the text that is
/// now hashed (`r:<number>` or `p:<md5>`, see [`key_service_records`]), so a record seen again
/// after the conversion meets its earlier self.
fn migrate_keys(conn: &Connection) -> Result<(), duckdb::Error> {
    const KEY_COLUMNS: [(&str, &str, &str); 4] = [
        ("volunteers", "k", "k::UUID"),
        ("service_records", "k", "md5(k)::UUID"),
        ("service_records", "person_key", "person_key::UUID"),
        ("quarantine", "person_key", "person_key::UUID"),
    ];
    let mut sql = String::new();
    for (table, column, using) in KEY_COLUMNS {
        let data_type: String = conn.query_row(
            "SELECT data_type FROM information_schema.columns
              WHERE table_catalog = current_database() AND table_schema = 'main'
                AND table_name = ?1 AND column_name = ?2",
            [table, column],
            |r| r.get(0),
        )?;
        if data_type == "VARCHAR" {
            sql.push_str(&format!(
                "ALTER TABLE {table} ALTER {column} TYPE UUID USING {using};\n"
            ));
        }
    }
    if !sql.is_empty() {
        conn.execute_batch(&format!("BEGIN;\n{sql}COMMIT;"))?;
    }
    Ok(())
}

/// The environment variable that caps DuckDB's memory (e.g. `4GB`); DuckDB's default is 80%
/// of the machine's memory. A province-size ingest runs in a few GB with it.
pub const MEMORY_LIMIT_ENV: &str = "VBRIEF_MEMORY_LIMIT";

fn memory_limit() -> Option<String> {
    std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|v| size_setting(&v))
}

/// What of a memory limit reaches the SQL: a size such as `4GB`, `512 MiB` or `80%` (of the
/// machine's memory, as DuckDB's own default), nothing else; `None` when empty.
fn size_setting(value: &str) -> Option<String> {
    let size: String = value
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ' ' | '%'))
        .collect();
    (!size.is_empty()).then_some(size)
}

/// Runs `f` with DuckDB free to insert rows in any order when a memory limit is set
/// ([`MEMORY_LIMIT_ENV`]): keeping insertion order, a province's INSERT … SELECT of 100 M
/// staged rows buffers what it cannot spill and fails (bench/RESULTS.md). Only around
/// statements that write tables: with `preserve_insertion_order = false` DuckDB 2.0.0 also
/// returned ORDER BY results of a few hundred thousand rows as two sorted runs (the
/// province's quarantine.csv and star list), so every other statement keeps the default.
pub fn with_unordered_inserts<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, duckdb::Error>,
) -> Result<T, duckdb::Error> {
    unordered_inserts_if(memory_limit().is_some(), conn, f)
}

fn apply_memory_limit(conn: &Connection, limit: &str) -> Result<(), duckdb::Error> {
    conn.execute_batch(&format!("SET memory_limit = '{limit}';"))
}

fn unordered_inserts_if<T>(
    limited: bool,
    conn: &Connection,
    f: impl FnOnce() -> Result<T, duckdb::Error>,
) -> Result<T, duckdb::Error> {
    if !limited {
        return f();
    }
    conn.execute_batch("SET preserve_insertion_order = false;")?;
    let result = f();
    let restored = conn.execute_batch("SET preserve_insertion_order = true;");
    let value = result?;
    restored?;
    Ok(value)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// The table an accepted row of `kind` lands in.
pub fn table_of(kind: SourceKind) -> &'static str {
    match kind {
        // The ledger's rows are population figures; its communities get a table of their own.
        SourceKind::Communities => "population",
        other => other.name(),
    }
}

/// How rows of one table are deduplicated and updated.
struct MergeRule {
    kind: SourceKind,
    /// Which of two rows with the same key is kept: smallest first (then warehouse before new,
    /// then file and row order).
    order: &'static str,
    /// Columns that must be equal for a repeated key from another file to count as the same
    /// row seen again (an overlapping export) rather than a conflicting duplicate.
    identity: &'static [&'static str],
    /// Columns a later export may update on a row seen again (e.g. a status that changed).
    mutable: &'static [&'static str],
    masked_name: &'static str,
    /// The columns that say whose a row is (for the quality report), or `NULL`.
    community: &'static str,
    person: &'static str,
    /// Whether a staged row's person is linked by its 志愿者编号 as it is merged
    /// (`PERSON_LINK`; see [`key_service_records`]).
    person_link: bool,
    /// Columns of the staging table that are not stored (see `create_staging`).
    staging_only: &'static [&'static str],
}

/// `alias.column`, or `NULL` when the table has no such column.
fn column_of(alias: &str, column: &str) -> String {
    if column == "NULL" {
        "NULL".to_string()
    } else {
        format!("{alias}.{column}")
    }
}

const RULES: [MergeRule; 8] = [
    MergeRule {
        kind: SourceKind::Communities,
        order: "NULL",
        identity: &[],
        mutable: &["population"],
        masked_name: "NULL",
        community: "community_id",
        person: "NULL",
        person_link: false,
        staging_only: &[],
    },
    MergeRule {
        kind: SourceKind::Volunteers,
        order: "registered_on",
        identity: &["volunteer_no", "registered_on"],
        mutable: &["status", "community_id", "reported_hours"],
        masked_name: "name_masked",
        community: "community_id",
        person: "k",
        person_link: false,
        staging_only: &[],
    },
    MergeRule {
        kind: SourceKind::ServiceRecords,
        order: "NULL",
        identity: &[],
        mutable: &["status"],
        masked_name: "NULL",
        community: "NULL",
        person: "person_key",
        person_link: true,
        staging_only: &["document_key"],
    },
    MergeRule {
        kind: SourceKind::Organizations,
        order: "NULL",
        identity: &[],
        mutable: &["status", "members"],
        masked_name: "NULL",
        community: "community_id",
        person: "NULL",
        person_link: false,
        staging_only: &[],
    },
    MergeRule {
        kind: SourceKind::Activities,
        order: "NULL",
        identity: &[],
        mutable: &[],
        masked_name: "NULL",
        community: "community_id",
        person: "NULL",
        person_link: false,
        staging_only: &[],
    },
    MergeRule {
        kind: SourceKind::Stations,
        order: "NULL",
        identity: &[],
        mutable: &[],
        masked_name: "NULL",
        community: "community_id",
        person: "NULL",
        person_link: false,
        staging_only: &[],
    },
    MergeRule {
        kind: SourceKind::Needs,
        order: "NULL",
        identity: &[],
        mutable: &["status", "resolved_on"],
        masked_name: "NULL",
        community: "community_id",
        person: "NULL",
        person_link: false,
        staging_only: &[],
    },
    MergeRule {
        kind: SourceKind::Trainings,
        order: "NULL",
        identity: &[],
        mutable: &[],
        masked_name: "NULL",
        community: "community_id",
        person: "NULL",
        person_link: false,
        staging_only: &[],
    },
];

/// Creates empty staging copies of every table for this run.
///
/// They are temporary tables: they live in memory (spilling to the temp directory past the
/// memory limit) and are never written into the warehouse file, so the commit writes each
/// accepted row once. Call this *before* the run's transaction begins: with DuckDB 2.0.0, rows
/// appended through the appender to a table created in the same transaction are lost past the
/// first row group (122,880 rows): the row count says they are there, but scans, UPDATE and
/// DELETE see none.
pub fn create_staging(conn: &Connection) -> Result<(), duckdb::Error> {
    let mut sql = String::new();
    for rule in &RULES {
        let t = table_of(rule.kind);
        sql.push_str(&format!(
            "CREATE OR REPLACE TEMP TABLE stg_{t} AS SELECT * FROM {t} LIMIT 0;\n"
        ));
    }
    // Staging only: the lookup key of a document number a record names without its type
    // (resolved by `resolve_document_records`, never stored with the record).
    sql.push_str("ALTER TABLE stg_service_records ADD COLUMN document_key UUID;\n");
    sql.push_str(
        "CREATE OR REPLACE TEMP TABLE stg_quarantine AS SELECT * FROM quarantine LIMIT 0;\n",
    );
    sql.push_str("CREATE OR REPLACE TEMP TABLE stg_known (file_id INTEGER, n BIGINT);\n");
    conn.execute_batch(&sql)?;
    crate::staged_scan::register(conn)
}

/// Removes what a file put in staging (the file failed part-way).
pub fn discard_staged(conn: &Connection, file_ids: &[i32]) -> Result<(), duckdb::Error> {
    for id in file_ids {
        let mut sql = String::new();
        for rule in &RULES {
            sql.push_str(&format!(
                "DELETE FROM stg_{} WHERE file_id = {id};\n",
                table_of(rule.kind)
            ));
        }
        sql.push_str(&format!(
            "DELETE FROM stg_quarantine WHERE file_id = {id};\n"
        ));
        conn.execute_batch(&sql)?;
    }
    Ok(())
}

/// Before records are merged, after the volunteers: the records that name a document number
/// without its type (`rows::RecordPerson::Lookup`) join the one registered person holding that
/// number; those whose number nobody or several hold keep their quarantine entry (made when
/// they were staged; several holders make it `ambiguous_document`) and wait in `held_records`.
/// Records held by earlier runs whose number a volunteer now holds alone come back into
/// staging and are merged like the run's own; their earlier quarantine entries go. Returns the
/// files whose rows came back (their counts are settled again after the merge).
pub fn resolve_document_records(conn: &Connection) -> Result<Vec<i32>, duckdb::Error> {
    let staged: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM stg_service_records WHERE document_key IS NOT NULL)",
        [],
        |r| r.get(0),
    )?;
    let held: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM held_records)", [], |r| {
        r.get(0)
    })?;
    if !staged && !held {
        return Ok(Vec::new());
    }
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE document_holders AS
         SELECT document_key, count(DISTINCT k) AS persons, min(k) AS k
           FROM volunteers WHERE document_key IS NOT NULL GROUP BY document_key;",
    )?;
    // Held records whose number several persons now hold say so.
    conn.execute(
        "UPDATE quarantine SET reason = 'ambiguous_document', detail = ?
           FROM (SELECT h.file_id, h.source_row FROM held_records h
                   JOIN document_holders d ON d.document_key = h.document_key AND d.persons > 1) a
          WHERE quarantine.file_id = a.file_id AND quarantine.source_row = a.source_row
            AND quarantine.reason <> 'ambiguous_document'",
        [crate::rows::AMBIGUOUS_DOCUMENT],
    )?;
    conn.execute_batch(
        "
         -- Held records whose number one registered person now holds: back into staging.
         CREATE OR REPLACE TEMP TABLE rescued AS
         SELECT h.* FROM held_records h
           JOIN document_holders d ON d.document_key = h.document_key AND d.persons = 1;
         INSERT INTO stg_service_records BY NAME SELECT * FROM rescued;
         DELETE FROM held_records USING rescued r
          WHERE held_records.file_id = r.file_id AND held_records.source_row = r.source_row;
         DELETE FROM quarantine USING rescued r
          WHERE quarantine.file_id = r.file_id AND quarantine.source_row = r.source_row;

         CREATE OR REPLACE TEMP TABLE document_fate AS
         SELECT s.file_id, s.source_row, coalesce(d.persons, 0) AS persons, d.k
           FROM stg_service_records s
           LEFT JOIN document_holders d ON d.document_key = s.document_key
          WHERE s.document_key IS NOT NULL;

         -- Held by one person: the record is theirs, and its quarantine entry goes.
         UPDATE stg_service_records SET person_key = f.k, document_key = NULL
           FROM document_fate f
          WHERE f.persons = 1 AND stg_service_records.file_id = f.file_id
            AND stg_service_records.source_row = f.source_row;
         DELETE FROM stg_quarantine USING document_fate f
          WHERE f.persons = 1 AND stg_quarantine.file_id = f.file_id
            AND stg_quarantine.source_row = f.source_row;",
    )?;
    conn.execute(
        "UPDATE stg_quarantine SET reason = 'ambiguous_document', detail = ?
           FROM document_fate f
          WHERE f.persons > 1 AND stg_quarantine.file_id = f.file_id
            AND stg_quarantine.source_row = f.source_row",
        [crate::rows::AMBIGUOUS_DOCUMENT],
    )?;
    conn.execute_batch(
        "-- Held by nobody or by several: kept for a later volunteer list, not merged.
         INSERT INTO held_records BY NAME
         SELECT s.* FROM stg_service_records s
           JOIN document_fate f ON f.persons <> 1 AND s.file_id = f.file_id
                               AND s.source_row = f.source_row;
         DELETE FROM stg_service_records USING document_fate f
          WHERE f.persons <> 1 AND stg_service_records.file_id = f.file_id
            AND stg_service_records.source_row = f.source_row;",
    )?;
    let mut stmt = conn.prepare("SELECT DISTINCT file_id FROM rescued ORDER BY 1")?;
    let files = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<i32>, _>>()?;
    conn.execute_batch(
        "DROP TABLE document_holders; DROP TABLE rescued; DROP TABLE document_fate;",
    )?;
    Ok(files)
}

/// The rows of earlier files that `resolve_document_records` brought back: how many of them
/// are now accepted records. Their files' counts are settled again from what the warehouse
/// holds (read = accepted + quarantined + skipped still holds for each).
pub fn settle_rescued(conn: &Connection, files: &[i32]) -> Result<u64, duckdb::Error> {
    let mut rescued = 0;
    for file_id in files {
        let (accepted_before, accepted, quarantined): (i64, i64, i64) = conn.query_row(
            "SELECT (SELECT accepted FROM files WHERE file_id = ?1),
                    (SELECT count(*) FROM service_records WHERE file_id = ?1),
                    (SELECT count(*) FROM quarantine WHERE file_id = ?1)",
            [file_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        conn.execute(
            "UPDATE files SET accepted = ?, quarantined = ? WHERE file_id = ?",
            duckdb::params![accepted, quarantined, file_id],
        )?;
        rescued += (accepted - accepted_before).max(0) as u64;
    }
    Ok(rescued)
}

/// Before records are merged: `volunteer_keys`, the person key of each registered
/// 志愿者编号, and the identity key of the staged records without a record number (those with
/// one got `identity::record_key` when staged).
///
/// A record that names only a 志愿者编号 belongs to the registered volunteer with that number
/// (`PERSON_LINK`). A record with a record number is linked as it is inserted ([`merge`]): a
/// province's 100 M staged records are neither rewritten (47–80 s of its run, and the dropped
/// copy held until the commit) nor updated just to set their person. Only a record without a
/// record number needs its person now, for its key; when any is staged, every staged record is
/// linked and keyed here as before (linking again as it is inserted gives the same person).
/// An UPDATE keeps the old values in memory until the commit, which DuckDB cannot spill: under
/// a memory limit ([`MEMORY_LIMIT_ENV`]) the staging table is rewritten instead; without one
/// the UPDATE is cheaper than a copy.
pub fn key_service_records(conn: &Connection) -> Result<(), duckdb::Error> {
    // The person key enters as its 32 hex digits (without the UUID's dashes) and the result is
    // hashed once more with its `p:` tag: the text key such records had before keys were
    // UUIDs was `'p:' || md5(...)`, and `migrate_keys` hashes those the same way.
    const RECORD_KEY: &str = "md5('p:' || md5(concat_ws('|', replace(person_key::VARCHAR, '-', ''),
                                                        served_on, coalesce(project, ''),
                                                        printf('%.4f', hours))))::UUID";
    conn.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE {VOLUNTEER_KEYS};"))?;
    let keyless: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM stg_service_records WHERE k IS NULL)",
        [],
        |r| r.get(0),
    )?;
    if !keyless {
        return Ok(());
    }
    if memory_limit().is_none() {
        return conn.execute_batch(&format!(
            "UPDATE stg_service_records s SET person_key = pv.k FROM volunteer_keys pv
              WHERE s.person_from_no AND pv.volunteer_no = s.volunteer_no;
             UPDATE stg_service_records SET k = {RECORD_KEY} WHERE k IS NULL;"
        ));
    }
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE stg_service_records_keyed AS
         WITH linked AS (
             SELECT s.* REPLACE ({PERSON_LINK} AS person_key)
               FROM stg_service_records s {PERSON_LINK_JOIN}
         )
         SELECT * REPLACE (coalesce(k, {RECORD_KEY}) AS k) FROM linked;
         DROP TABLE stg_service_records;
         ALTER TABLE stg_service_records_keyed RENAME TO stg_service_records;"
    ))
}

/// `volunteer_keys AS …`: each registered 志愿者编号 with its person (the first by key when
/// several registrations share a number).
const VOLUNTEER_KEYS: &str = "volunteer_keys AS
    SELECT volunteer_no, min(k) AS k FROM volunteers
     WHERE volunteer_no IS NOT NULL GROUP BY volunteer_no";

/// The person of a staged record `s`: the registered volunteer with its 志愿者编号 when the
/// record names only that number (joined by [`PERSON_LINK_JOIN`]), else the staged person key.
/// Linking again a record already linked gives the same person.
const PERSON_LINK: &str =
    "CASE WHEN s.person_from_no AND pv.k IS NOT NULL THEN pv.k ELSE s.person_key END";
const PERSON_LINK_JOIN: &str =
    " LEFT JOIN volunteer_keys pv ON s.person_from_no AND pv.volunteer_no = s.volunteer_no";

/// Merges one kind's staging table into its table: keeps the first of each key, counts rows
/// seen again in another export as known (updating what may change), and quarantines
/// conflicting duplicates with a pointer to the row kept.
pub fn merge(conn: &Connection, kind: SourceKind) -> Result<(), duckdb::Error> {
    let rule = RULES
        .iter()
        .find(|r| r.kind == kind)
        .expect("every kind has a rule");
    let t = table_of(kind);
    let identity_cols: String = rule.identity.iter().map(|c| format!(", {c}")).collect();
    let identity_equal: String = if rule.identity.is_empty() {
        "TRUE".into()
    } else {
        rule.identity
            .iter()
            .map(|c| format!("r.{c} IS NOT DISTINCT FROM r.kept_{c}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let order = rule.order;
    let kind_name = kind.name();
    let masked = rule.masked_name;
    let kept_identity: String = rule
        .identity
        .iter()
        .map(|c| format!(", first_value({c}) OVER w AS kept_{c}"))
        .collect();
    // Only keys that occur more than once need ranking; every other staged row is kept as it
    // is. First the contested keys: staged keys that occur twice, and staged keys already in
    // the table (a GROUP BY and a semi join, which DuckDB spills past its memory limit: a
    // province's 100 M records fit in a few GB). Then only their rows are ranked, so `fate`
    // stays small however large the load. (Searching in slices by a hash of the key, as the
    // merge once did, scanned the staged rows once per slice: 4× slower at 40 M rows.)
    let mut sql = String::new();
    if rule.person_link {
        // Made by `key_service_records` just before; made here if it was not.
        sql.push_str(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS {VOLUNTEER_KEYS};\n"
        ));
    }
    sql.push_str(&format!(
        "{CONTESTED}
         SELECT k FROM stg_{t} GROUP BY k HAVING count(*) > 1
         UNION
         SELECT k FROM {t} WHERE k IN (SELECT k FROM stg_{t});

         CREATE OR REPLACE TEMP TABLE fate AS
         WITH cand AS (
             SELECT k, file_id, source_row{identity_cols}, {order} AS ord, 0 AS staged
               FROM {t} SEMI JOIN contested USING (k)
             UNION ALL
             SELECT k, file_id, source_row{identity_cols}, {order} AS ord, 1 AS staged
               FROM stg_{t} SEMI JOIN contested USING (k)
         ), ranked AS (
             SELECT *, row_number() OVER w AS rn,
                    first_value(file_id) OVER w AS kept_file_id,
                    first_value(source_row) OVER w AS kept_row{kept_identity}
               FROM cand
             WINDOW w AS (PARTITION BY k ORDER BY ord NULLS LAST, staged, file_id, source_row)
         )
         SELECT r.k, r.file_id, r.source_row, r.staged,
                r.kept_file_id, r.kept_row,
                CASE WHEN r.rn = 1 THEN 'keep'
                     WHEN r.file_id <> r.kept_file_id AND {identity_equal} THEN 'known'
                     ELSE 'duplicate' END AS fate
           FROM ranked r;

         DROP TABLE contested;\n"
    ));
    let seen_again = seen_again_sql(rule, t);
    sql.push_str(&seen_again.create);
    let mut replaced = seen_again.replace;
    let mut join = seen_again.join;
    if rule.person_link {
        replaced.push(format!("{PERSON_LINK} AS person_key"));
        join.push_str(PERSON_LINK_JOIN);
    }
    sql.push_str(&format!(
        "         INSERT INTO {t} SELECT s.*{exclude}{replace} FROM stg_{t} s ANTI JOIN fate f
             ON f.staged = 1 AND f.fate <> 'keep' AND f.file_id = s.file_id AND f.source_row = s.source_row{join};

         -- Every row that lost to another with the same key, whether staged now or (when a new
         -- row registered earlier) already in the warehouse, goes to quarantine with a pointer.
         INSERT INTO stg_quarantine (file_id, source_row, kind, column_name, reason, detail,
                                     candidates, masked_name, community_id, person_key)
         SELECT f.file_id, f.source_row, '{kind_name}', NULL, 'duplicate',
                '重复，已保留较早的一条 (duplicate; the earlier row is kept)',
                'kept: ' || kf.path || CASE WHEN kf.sheet <> '' THEN ' [' || kf.sheet || ']' ELSE '' END
                    || ' row ' || f.kept_row,
                coalesce({masked_from_t}, {masked_from_s}),
                coalesce({community_from_t}, {community_from_s}),
                coalesce({person_from_t}, {person_from_s})
           FROM fate f
           JOIN files kf ON kf.file_id = f.kept_file_id
           LEFT JOIN {t} x ON f.staged = 0 AND x.k = f.k AND x.file_id = f.file_id AND x.source_row = f.source_row
           LEFT JOIN stg_{t} s ON f.staged = 1 AND s.file_id = f.file_id AND s.source_row = f.source_row{person_join}
          WHERE f.fate = 'duplicate';

         DELETE FROM {t} USING fate f
          WHERE {t}.k = f.k AND {t}.file_id = f.file_id AND {t}.source_row = f.source_row
            AND f.staged = 0 AND f.fate = 'duplicate';

         INSERT INTO stg_known SELECT file_id, count(*) FROM fate
          WHERE staged = 1 AND fate = 'known' GROUP BY file_id;
        ",
        masked_from_t = column_of("x", masked),
        masked_from_s = column_of("s", masked),
        community_from_t = column_of("x", rule.community),
        community_from_s = column_of("s", rule.community),
        person_from_t = column_of("x", rule.person),
        person_from_s = if rule.person_link {
            PERSON_LINK.to_string()
        } else {
            column_of("s", rule.person)
        },
        person_join = if rule.person_link { PERSON_LINK_JOIN } else { "" },
        replace = if replaced.is_empty() {
            String::new()
        } else {
            format!(" REPLACE ({})", replaced.join(", "))
        },
        exclude = if rule.staging_only.is_empty() {
            String::new()
        } else {
            format!(" EXCLUDE ({})", rule.staging_only.join(", "))
        },
    ));
    sql.push_str(&seen_again.update_earlier);
    sql.push_str("DROP TABLE fate;");
    if rule.person_link {
        sql.push_str("\nDROP TABLE volunteer_keys;");
    }
    // One statement at a time, so that VBRIEF_TIMINGS can say which one is slow.
    let mut contested_statements = 0;
    for (i, statement) in sql.split(";\n").enumerate() {
        let _t =
            tracing::info_span!("ingest.merge", part = %format_args!("{kind_name}.{i}")).entered();
        if statement.trim_start().starts_with(CONTESTED) {
            contested_statements += 1;
            under_lowered_limit(conn, memory_limit(), || conn.execute_batch(statement))?;
        } else {
            conn.execute_batch(statement)?;
        }
    }
    // Found by its opening words: the tests see it if the composed SQL ever hides them.
    debug_assert_eq!(
        contested_statements, 1,
        "the contested-keys statement of {kind_name}"
    );
    Ok(())
}

/// The statement that finds the contested keys (see [`merge`]). It runs under two thirds of the
/// memory limit: as its GROUP BY starts on a province's 100 M staged keys, DuckDB goes past its
/// limit for a few seconds, and under the whole limit that set the run's peak (bench/RESULTS.md,
/// "The duplicate search under a lowered limit").
const CONTESTED: &str = "CREATE OR REPLACE TEMP TABLE contested AS";

/// Runs `f` under two thirds of `limit` (a DuckDB size such as `3GB`), then sets `limit` again;
/// without a limit, or when DuckDB refuses the lower one, `f` runs as it is. When `f` fails
/// inside a transaction DuckDB refuses every SET until the rollback, so the lower limit stays:
/// the ingest then closes the connection.
fn under_lowered_limit(
    conn: &Connection,
    limit: Option<String>,
    f: impl FnOnce() -> Result<(), duckdb::Error>,
) -> Result<(), duckdb::Error> {
    let Some((limit, lowered)) = limit.and_then(|l| scaled_size(&l, 2.0 / 3.0).map(|s| (l, s)))
    else {
        return f();
    };
    let lowered = apply_memory_limit(conn, &lowered).is_ok();
    let result = f();
    let restored = if lowered {
        apply_memory_limit(conn, &limit)
    } else {
        Ok(())
    };
    result?;
    restored
}

/// A size such as `3GB` or `512 MiB` times `factor`, in its own unit (`2.000GB`); `None` when
/// it does not start with a number.
fn scaled_size(size: &str, factor: f64) -> Option<String> {
    let size = size.trim();
    let digits = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let number: f64 = size[..digits].parse().ok()?;
    Some(format!("{:.3}{}", number * factor, size[digits..].trim()))
}

/// The parts of a merge that carry the mutable columns of rows seen again (all empty when the
/// table has none).
#[derive(Default)]
struct SeenAgainSql {
    /// `seen_again`: the latest staged row of each key seen again, with whether the row kept
    /// for that key is staged now (`kept_staged = 1`) or from an earlier run.
    create: String,
    /// Replaces, in the INSERT of new rows, the mutable values by `seen_again`'s (the items
    /// of a `REPLACE (…)`).
    replace: Vec<String>,
    join: String,
    /// Updates the rows of earlier runs.
    update_earlier: String,
}

/// A row seen again in a later export may bring new values of the mutable columns; the latest
/// such row of each key wins. They are written into a new row as it is inserted and by UPDATE
/// only into rows of earlier runs: an UPDATE of rows inserted in this transaction makes DuckDB
/// rewrite them at the commit (measured: +2.3 s for the city's 5 M records).
fn seen_again_sql(rule: &MergeRule, t: &str) -> SeenAgainSql {
    if rule.mutable.is_empty() {
        return SeenAgainSql::default();
    }
    let join_columns = |f: &dyn Fn(&str) -> String| -> String {
        rule.mutable
            .iter()
            .map(|c| f(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    SeenAgainSql {
        create: format!(
            "CREATE OR REPLACE TEMP TABLE seen_again AS
             SELECT DISTINCT ON (s.k) s.k, keep.staged AS kept_staged, {columns}
               FROM stg_{t} s
               JOIN fate f ON f.staged = 1 AND f.fate = 'known' AND f.file_id = s.file_id
                          AND f.source_row = s.source_row
               JOIN fate keep ON keep.k = s.k AND keep.fate = 'keep'
              ORDER BY s.k, s.file_id DESC, s.source_row DESC;\n",
            columns = join_columns(&|c| format!("s.{c}")),
        ),
        // `u.k` is never NULL in `seen_again` (it met `keep.k`): NULL means no match.
        replace: rule
            .mutable
            .iter()
            .map(|c| format!("CASE WHEN u.k IS NULL THEN s.{c} ELSE u.{c} END AS {c}"))
            .collect(),
        join: " LEFT JOIN seen_again u ON u.kept_staged = 1 AND u.k = s.k".to_string(),
        update_earlier: format!(
            "UPDATE {t} SET {sets} FROM seen_again u WHERE u.kept_staged = 0 AND {t}.k = u.k;
             DROP TABLE seen_again;\n",
            sets = join_columns(&|c| format!("{c} = u.{c}")),
        ),
    }
}

/// Moves row-level quarantine into the table.
pub fn finish_staging(conn: &Connection) -> Result<(), duckdb::Error> {
    conn.execute_batch("INSERT INTO quarantine SELECT * FROM stg_quarantine;")
}

/// Drops the staging tables (after the run's transaction has ended, either way).
pub fn drop_staging(conn: &Connection) -> Result<(), duckdb::Error> {
    let mut sql = String::new();
    for rule in &RULES {
        sql.push_str(&format!(
            "DROP TABLE IF EXISTS stg_{};\n",
            table_of(rule.kind)
        ));
    }
    sql.push_str("DROP TABLE IF EXISTS stg_quarantine;\nDROP TABLE IF EXISTS stg_known;\n");
    conn.execute_batch(&sql)
}

/// Accepted, quarantined and known (seen-again) counts of one ingested sheet.
pub fn outcome_counts(
    conn: &Connection,
    file_id: i32,
    kind: SourceKind,
) -> Result<(u64, u64, u64), duckdb::Error> {
    let t = table_of(kind);
    conn.query_row(
        &format!(
            "SELECT (SELECT count(*) FROM {t} WHERE file_id = ?1),
                    (SELECT count(*) FROM quarantine WHERE file_id = ?1),
                    (SELECT coalesce(sum(n), 0) FROM stg_known WHERE file_id = ?1)"
        ),
        [file_id],
        |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        },
    )
}

/// The columns of quarantine.csv.
pub const QUARANTINE_COLUMNS: [&str; 9] = [
    "file",
    "sheet",
    "row",
    "kind",
    "column",
    "reason",
    "detail",
    "candidates",
    "masked_name",
];

/// The rows of quarantine.csv, in its order (a file ingested again under the same path after
/// a change keeps its earlier rows: the file's id orders them).
pub const QUARANTINE_CSV_SQL: &str =
    "SELECT f.path, f.sheet, q.source_row, q.kind, coalesce(q.column_name, ''), q.reason,
            coalesce(q.detail, ''), coalesce(q.candidates, ''), coalesce(q.masked_name, '')
       FROM quarantine q JOIN files f USING (file_id)
      ORDER BY f.path, f.sheet, q.source_row, q.reason, f.file_id, q.column_name, q.detail";

/// Writes the whole quarantine table as CSV (UTF-8 with BOM so Excel shows the Chinese).
pub fn write_quarantine_csv(
    conn: &Connection,
    path: &Path,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut stmt = conn.prepare(QUARANTINE_CSV_SQL)?;
    let tmp = path.with_extension("csv.tmp");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    std::io::Write::write_all(&mut file, "\u{FEFF}".as_bytes())?;
    let mut out = csv::Writer::from_writer(file);
    out.write_record(QUARANTINE_COLUMNS)?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let row: i64 = r.get(2)?;
        let mut fields: Vec<String> = Vec::with_capacity(9);
        for i in 0..9 {
            fields.push(if i == 2 {
                row.to_string()
            } else {
                r.get::<_, String>(i)?
            });
        }
        out.write_record(fields.iter().map(|f| domain::text::csv_safe(f.as_bytes())))?;
        n += 1;
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&tmp, path)?;
    Ok(n)
}

pub use domain::quality::{FileSummary, QualitySummary};

/// Reads the summary of every ingested sheet and of the quarantine.
pub fn quality_summary(conn: &Connection) -> Result<QualitySummary, duckdb::Error> {
    let mut stmt = conn.prepare(
        "SELECT path, sheet, kind, rows_read, accepted, quarantined,
                skipped_blank + skipped_title + skipped_header + skipped_total + skipped_known
           FROM files ORDER BY file_id",
    )?;
    let files = stmt
        .query_map([], |r| {
            Ok(FileSummary {
                path: r.get(0)?,
                sheet: r.get(1)?,
                kind: r.get(2)?,
                rows_read: r.get(3)?,
                accepted: r.get(4)?,
                quarantined: r.get(5)?,
                skipped: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt =
        conn.prepare("SELECT reason, count(*) FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1")?;
    let quarantine_by_reason = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let quarantined = quarantine_by_reason.iter().map(|(_, n)| n).sum();
    Ok(QualitySummary {
        files,
        quarantine_by_reason,
        quarantined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeps_order(conn: &Connection) -> bool {
        conn.query_row(
            "SELECT current_setting('preserve_insertion_order')",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    fn memory_setting(conn: &Connection) -> String {
        conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .unwrap()
    }

    /// A percentage is a size DuckDB takes, whole or scaled; quotes and semicolons never
    /// reach the SQL.
    #[test]
    fn a_memory_limit_may_be_a_share_of_the_machine() {
        assert_eq!(size_setting(" 80% ").as_deref(), Some("80%"));
        assert_eq!(size_setting("3GB';--").as_deref(), Some("3GB"));
        assert_eq!(size_setting("  "), None);
        let conn = Connection::open_in_memory().unwrap();
        apply_memory_limit(&conn, "80%").unwrap();
        let lowered = scaled_size("80%", 2.0 / 3.0).unwrap();
        assert_eq!(lowered, "53.333%");
        apply_memory_limit(&conn, &lowered).unwrap();
    }

    #[test]
    fn sizes_scale_in_their_own_unit() {
        assert_eq!(scaled_size("3GB", 2.0 / 3.0).as_deref(), Some("2.000GB"));
        assert_eq!(scaled_size(" 512 MiB", 0.5).as_deref(), Some("256.000MiB"));
        assert_eq!(scaled_size("1.5GB", 2.0).as_deref(), Some("3.000GB"));
        assert_eq!(scaled_size("GB", 0.5), None);
    }

    /// The contested keys are found under two thirds of the limit, which is then restored,
    /// whether the statement succeeds or fails (outside a transaction); without a limit
    /// nothing is set.
    #[test]
    fn a_statement_runs_under_a_lowered_limit_and_the_limit_comes_back() {
        let conn = Connection::open_in_memory().unwrap();
        apply_memory_limit(&conn, "3GB").unwrap();
        let whole = memory_setting(&conn);
        let mut during = String::new();
        under_lowered_limit(&conn, Some("3GB".into()), || {
            during = memory_setting(&conn);
            Ok(())
        })
        .unwrap();
        assert_eq!(memory_setting(&conn), whole);
        apply_memory_limit(&conn, "2GB").unwrap();
        assert_eq!(during, memory_setting(&conn));
        apply_memory_limit(&conn, "3GB").unwrap();

        let failed = under_lowered_limit(&conn, Some("3GB".into()), || {
            conn.execute_batch("SELECT * FROM no_such_table")
        });
        assert!(failed.is_err());
        assert_eq!(memory_setting(&conn), whole);

        under_lowered_limit(&conn, None, || {
            during = memory_setting(&conn);
            Ok(())
        })
        .unwrap();
        assert_eq!(during, whole);
        assert_eq!(memory_setting(&conn), whole);
    }

    /// A memory limit alone leaves insertion order kept: with it given up, DuckDB 2.0.0
    /// returned a province's ORDER BY results in two sorted runs.
    #[test]
    fn a_memory_limit_keeps_results_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        apply_memory_limit(&conn, "1GB").unwrap();
        assert!(keeps_order(&conn));
    }

    /// Under a limit, order is given up for the merge's inserts only, and kept again after
    /// them, whether they succeed or fail.
    #[test]
    fn order_is_given_up_only_around_the_inserts() {
        let conn = Connection::open_in_memory().unwrap();
        let inside = unordered_inserts_if(true, &conn, || Ok(keeps_order(&conn))).unwrap();
        assert!(!inside);
        assert!(keeps_order(&conn));
        let failed = unordered_inserts_if(true, &conn, || {
            conn.execute_batch("SELECT * FROM no_such_table")
        });
        assert!(failed.is_err());
        assert!(keeps_order(&conn));
        let unlimited = unordered_inserts_if(false, &conn, || Ok(keeps_order(&conn))).unwrap();
        assert!(unlimited, "without a limit nothing changes");
    }
}
