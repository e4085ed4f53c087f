//! `vbrief gen --nation F`: a national-shaped data set at a fraction of the nation, written
//! directly as Parquet exports, one per province (`<out>/NN_<省>/`, each with its manifest),
//! as the provinces' offices would send them to a data centre. No xlsx or csv step: at 1/100 of
//! the nation (240 万 volunteers, 5,360 万 records) those would take longer to read than to
//! report on.
//!
//! The shape (communities, their residents, volunteers, records and teams) is
//! `sample_gen::nation`; the rows are made here by SQL in a scratch DuckDB, every value a hash
//! of the row's number and `seed`, so the same arguments write the same rows. Each province's
//! export is the export writer's (`export::write_tables`) over views of that province's rows.
//! The records and volunteers are never stored: each view makes them as the writer reads.
//!
//! What the rows look like (so that the SQL has the work it would have with real exports):
//! - 1% of volunteers registered again, later, in another province (they moved): the
//!   combination keeps the first registration;
//! - 3% of volunteers cancelled or disabled, 4% not (yet) real-name verified;
//! - records from 2019 to 2025, more each year; 96% 已生效; about 45% of a community's
//!   volunteers serve; 0.5 to 2 hours a record (one record per hour of the nation's total);
//! - teams, stations (85% of communities), activities, needs and trainings per community.

use std::path::{Path, PathBuf};

use duckdb::{params, Connection};
use sample_gen::nation::{self, NationCommunity, PROVINCES};

use crate::export::{refuse_non_empty, write_manifest, write_tables, Region};
use crate::{Result, WorkdirError};

/// What `generate` wrote: one export per province.
pub struct NationOutcome {
    pub exports: Vec<PathBuf>,
    pub communities: usize,
    pub volunteers: u64,
    pub records: u64,
    pub bytes: u64,
}

/// The key fingerprint the generated exports carry: they share it, so they combine. (The
/// persons' keys are hashes of their numbers, not of any ID: the data is synthetic.)
fn fingerprint(seed: u64) -> String {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(b"nation!!");
    ingest::identity::PseudonymKey::from_bytes(bytes).fingerprint()
}

/// Writes the national-shaped exports at `fraction` of the nation under `out` (a new or empty
/// folder).
pub fn generate(out: &Path, fraction: f64, seed: u64) -> Result<NationOutcome> {
    let write_error = |detail: String| WorkdirError::Write {
        path: out.display().to_string(),
        detail,
    };
    refuse_non_empty(out)?;
    std::fs::create_dir_all(out).map_err(|e| write_error(e.to_string()))?;
    let communities = nation::communities(fraction, seed);
    let scratch = out.join(".vbrief-gen.duckdb");
    let result = write_all(&scratch, out, &communities, seed);
    let _ = std::fs::remove_file(&scratch);
    let _ = std::fs::remove_file(out.join(".vbrief-gen.duckdb.wal"));
    let (exports, bytes) = result?;
    Ok(NationOutcome {
        exports,
        communities: communities.len(),
        volunteers: communities.iter().map(|c| c.volunteers).sum(),
        records: communities.iter().map(|c| c.records).sum(),
        bytes,
    })
}

fn write_all(
    scratch: &Path,
    out: &Path,
    communities: &[NationCommunity],
    seed: u64,
) -> Result<(Vec<PathBuf>, u64)> {
    let conn = Connection::open(scratch)?;
    conn.execute_batch(
        "CREATE TABLE gen_communities (
             community_id INTEGER, province_no INTEGER, province VARCHAR, city VARCHAR,
             district VARCHAR, street VARCHAR, community VARCHAR, population BIGINT,
             volunteers BIGINT, records BIGINT, teams BIGINT, first_person BIGINT,
             first_record BIGINT);",
    )?;
    {
        let mut app = conn.appender("gen_communities")?;
        for (i, c) in communities.iter().enumerate() {
            app.append_row(params![
                i as i32 + 1,
                c.province_no as i32,
                c.province,
                c.city,
                c.district,
                c.street,
                c.community,
                c.population as i64,
                c.volunteers as i64,
                c.records as i64,
                c.teams as i64,
                c.first_person as i64,
                c.first_record as i64
            ])?;
        }
    }
    conn.execute_batch(&PEOPLE_SQL.replace("@seed", &seed.to_string()))?;
    let mut exports = Vec::new();
    let mut bytes = 0;
    let fingerprint = fingerprint(seed);
    for (province_no, (province, _, _)) in PROVINCES.iter().enumerate() {
        if !communities.iter().any(|c| c.province_no == province_no) {
            continue;
        }
        let _t = tracing::info_span!("gen.nation", province).entered();
        conn.execute_batch(&export_views(province_no))?;
        let dir = out.join(format!("{:02}_{province}", province_no + 1));
        std::fs::create_dir_all(&dir).map_err(|e| WorkdirError::Write {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
        // Every community carries its own province and city.
        let region = Region {
            province: province.to_string(),
            city: String::new(),
        };
        let manifest = write_tables(&conn, "export", &region, &dir, &fingerprint)?;
        write_manifest(&dir, &manifest).map_err(|e| WorkdirError::Write {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
        bytes += manifest
            .tables
            .iter()
            .flat_map(|t| &t.files)
            .map(|f| f.bytes)
            .sum::<u64>();
        exports.push(dir);
    }
    Ok((exports, bytes))
}

/// The persons of every community (their number, community, and whether and where they
/// registered again), made once: the records of a province pick their persons from here.
/// `h(x)` is a hash of x and the seed (written in for `@seed`) in 0 … 2^32.
const PEOPLE_SQL: &str = "
CREATE MACRO h(x) AS CAST(hash(x || '|@seed') % 4294967296 AS BIGINT);
CREATE MACRO u(x) AS h(x) / 4294967296.0;
CREATE TABLE gen_people AS
SELECT c.community_id, c.province_no, p.i AS person,
       -- Registered between 2012 and 2025, more in later years.
       DATE '2012-01-01' + CAST(floor(sqrt(u('reg' || p.i)) * 5113) AS INTEGER) AS registered_on,
       CASE WHEN h('move' || p.i) % 100 = 0
            THEN CAST(1 + h('to' || p.i) % (SELECT count(*) FROM gen_communities) AS INTEGER) END
           AS moved_to
FROM gen_communities c, LATERAL (SELECT unnest(range(c.first_person, c.first_person + c.volunteers)) AS i) p;
";

/// Views named as the export's tables, of province `p`'s rows, in schema `export`.
fn export_views(p: usize) -> String {
    format!(
        "CREATE SCHEMA IF NOT EXISTS export;
CREATE OR REPLACE VIEW export.meta AS
SELECT 'generated_by' AS key, 'vbrief gen --nation' AS value;
CREATE OR REPLACE VIEW export.runs AS
SELECT 1 AS run_id, TIMESTAMP '2026-01-01 00:00:00' AS started_at,
       TIMESTAMP '2026-01-01 00:00:00' AS finished_at, 'gen' AS vbrief_version,
       9 AS files_loaded, 0 AS files_failed;
CREATE OR REPLACE VIEW export.communities AS
SELECT community_id, district, street, community, 1 AS file_id, CAST(community_id AS BIGINT) AS source_row,
       community AS written_as, province, city
FROM gen_communities WHERE province_no = {p};
CREATE OR REPLACE VIEW export.population AS
SELECT md5('pop' || community_id) AS k, community_id, DATE '2020-11-01' AS as_of, population,
       1 AS file_id, CAST(community_id AS BIGINT) AS source_row
FROM gen_communities WHERE province_no = {p};
CREATE OR REPLACE VIEW export.volunteers AS
WITH registrations AS (
    SELECT person, community_id, registered_on FROM gen_people WHERE province_no = {p}
    UNION ALL
    -- Registered again in this province, one to three years later (moved here).
    SELECT g.person, g.moved_to, g.registered_on + CAST(365 + h('later' || g.person) % 730 AS INTEGER)
    FROM gen_people g JOIN gen_communities c ON c.community_id = g.moved_to
    WHERE c.province_no = {p} AND g.province_no <> {p}
)
SELECT md5('person' || person)::UUID AS k, 'V' || person AS volunteer_no,
       ['张', '王', '李', '赵', '刘', '陈', '杨', '黄'][1 + h('name' || person) % 8] || '*' AS name_masked,
       CASE WHEN h('sex' || person) % 2 = 0 THEN '男' ELSE '女' END AS gender,
       CAST(1950 + h('born' || person) % 58 AS INTEGER) AS birth_year,
       registered_on, community_id,
       CASE h('status' || person) % 100 WHEN 0 THEN '注销' WHEN 1 THEN '注销' WHEN 2 THEN '停用' ELSE '正常' END AS status,
       CAST(NULL AS DOUBLE) AS reported_hours,
       2 AS file_id, person AS source_row,
       CASE h('verified' || person) % 100 WHEN 0 THEN '认证未通过' WHEN 1 THEN '审核中'
            WHEN 2 THEN '审核中' WHEN 3 THEN '审核中' ELSE '认证通过' END AS verification,
       CAST(NULL AS UUID) AS document_key
FROM registrations
-- One order, so that the same arguments write the same files.
ORDER BY person, registered_on;
CREATE OR REPLACE VIEW export.service_records AS
WITH r AS (
    SELECT c.community_id, c.first_person,
           -- About 45% of a community's volunteers serve.
           greatest(1, CAST(c.volunteers * 0.45 AS BIGINT)) AS serving, x.j
    FROM gen_communities c,
         LATERAL (SELECT unnest(range(c.first_record, c.first_record + c.records)) AS j) x
    WHERE c.province_no = {p}
), dated AS (
    SELECT r.*, r.first_person + h('who' || j) % serving AS person,
           -- 2019 … 2025, weights 6, 8, 11, 14, 17, 21, 23 (per cent).
           CASE WHEN h('year' || j) % 100 < 6 THEN 2019 WHEN h('year' || j) % 100 < 14 THEN 2020
                WHEN h('year' || j) % 100 < 25 THEN 2021 WHEN h('year' || j) % 100 < 39 THEN 2022
                WHEN h('year' || j) % 100 < 56 THEN 2023 WHEN h('year' || j) % 100 < 77 THEN 2024
                ELSE 2025 END AS year
    FROM r
)
SELECT md5('r:R' || j)::UUID AS k, 'R' || j AS record_no, md5('person' || person)::UUID AS person_key,
       false AS person_from_no, 'V' || person AS volunteer_no,
       '项目' || (h('project' || j) % 50) AS project,
       make_date(year, 1, 1) + CAST(h('day' || j) % 365 AS INTEGER) AS served_on,
       CAST([0.5, 1.0, 1.0, 1.0, 1.5, 2.0][1 + h('hours' || j) % 6] AS DOUBLE) AS hours,
       CASE h('state' || j) % 100 WHEN 0 THEN '申请中' WHEN 1 THEN '申请中' WHEN 2 THEN '已拒绝'
            WHEN 3 THEN '已拒绝' ELSE '已生效' END AS status,
       '队伍' || community_id || '-' || (h('team' || j) % 3) AS organization,
       3 AS file_id, j AS source_row,
       CAST(NULL AS TIMESTAMP) AS start_at, CAST(NULL AS TIMESTAMP) AS end_at,
       CAST(NULL AS DATE) AS entered_on
FROM dated;
CREATE OR REPLACE VIEW export.organizations AS
SELECT md5('team' || c.community_id || '-' || t.n) AS k, '队伍' || c.community_id || '-' || t.n AS name,
       c.community_id, DATE '2015-01-01' + CAST(h('founded' || c.community_id || t.n) % 3650 AS INTEGER) AS founded_on,
       CAST(5 + h('members' || c.community_id || t.n) % 80 AS INTEGER) AS members, '正常' AS status,
       4 AS file_id, CAST(c.community_id * 100 + t.n AS BIGINT) AS source_row
FROM gen_communities c, LATERAL (SELECT unnest(range(c.teams)) AS n) t
WHERE c.province_no = {p};
CREATE OR REPLACE VIEW export.activities AS
SELECT md5('act' || c.community_id || '-' || a.n) AS k, '活动' || a.n AS name,
       make_date(2024 + a.n % 2, 1, 1) + CAST(h('held' || c.community_id || a.n) % 365 AS INTEGER) AS held_on,
       c.community_id,
       ['家政服务', '文体活动', '心理疏导', '医疗保健', '法律服务', '教育培训', '文明劝导', '环境保护'][1 + h('cat' || c.community_id || a.n) % 8] AS category,
       NULL::VARCHAR AS category_raw, '老年人' AS target_group,
       CAST(5 + h('people' || c.community_id || a.n) % 40 AS INTEGER) AS participants,
       CAST(1 + h('ah' || c.community_id || a.n) % 4 AS DOUBLE) AS hours,
       5 AS file_id, CAST(c.community_id * 100 + a.n AS BIGINT) AS source_row
FROM gen_communities c, LATERAL (SELECT unnest(range(CAST(4 + h('acts' || c.community_id) % 20 AS BIGINT))) AS n) a
WHERE c.province_no = {p};
CREATE OR REPLACE VIEW export.stations AS
SELECT md5('station' || community_id) AS k, community_id, community || '志愿服务站' AS name,
       DATE '2018-01-01' + CAST(h('est' || community_id) % 2000 AS INTEGER) AS established_on,
       6 AS file_id, CAST(community_id AS BIGINT) AS source_row
FROM gen_communities WHERE province_no = {p} AND h('station' || community_id) % 100 < 85;
CREATE OR REPLACE VIEW export.needs AS
SELECT md5('need' || c.community_id || '-' || q.n) AS k, c.community_id, '需求' || q.n AS content,
       '老年人' AS target_group,
       make_date(2024 + q.n % 2, 1, 1) + CAST(h('asked' || c.community_id || q.n) % 300 AS INTEGER) AS collected_on,
       CASE WHEN h('solved' || c.community_id || q.n) % 100 < 70 THEN '已解决' ELSE '处理中' END AS status,
       CASE WHEN h('solved' || c.community_id || q.n) % 100 < 70
            THEN make_date(2024 + q.n % 2, 1, 1) + CAST(h('asked' || c.community_id || q.n) % 300 + 30 AS INTEGER) END AS resolved_on,
       7 AS file_id, CAST(c.community_id * 100 + q.n AS BIGINT) AS source_row
FROM gen_communities c, LATERAL (SELECT unnest(range(CAST(2 + h('needs' || c.community_id) % 14 AS BIGINT))) AS n) q
WHERE c.province_no = {p};
CREATE OR REPLACE VIEW export.trainings AS
SELECT md5('training' || c.community_id || '-' || t.n) AS k, '培训' || t.n AS name,
       make_date(2024 + t.n % 2, 1, 1) + CAST(h('trained' || c.community_id || t.n) % 365 AS INTEGER) AS held_on,
       c.community_id, CAST(10 + h('trainees' || c.community_id || t.n) % 50 AS INTEGER) AS participants,
       8 AS file_id, CAST(c.community_id * 100 + t.n AS BIGINT) AS source_row
FROM gen_communities c, LATERAL (SELECT unnest(range(CAST(1 + h('trainings' || c.community_id) % 8 AS BIGINT))) AS n) t
WHERE c.province_no = {p};
CREATE OR REPLACE VIEW export.quarantine AS
SELECT CAST(NULL AS INTEGER) AS file_id, CAST(NULL AS BIGINT) AS source_row, NULL::VARCHAR AS kind,
       NULL::VARCHAR AS column_name, NULL::VARCHAR AS reason, NULL::VARCHAR AS detail,
       NULL::VARCHAR AS candidates, NULL::VARCHAR AS masked_name, CAST(NULL AS INTEGER) AS community_id,
       NULL::VARCHAR AS community_text, CAST(NULL AS UUID) AS person_key
WHERE false;
CREATE OR REPLACE VIEW export.files AS
SELECT CAST(row_number() OVER (ORDER BY kind) AS INTEGER) AS file_id, 1 AS run_id,
       kind AS content_hash, kind || '.parquet' AS path, '' AS sheet, kind,
       'utf-8' AS encoding, rows AS rows_read, rows AS accepted, CAST(0 AS BIGINT) AS quarantined,
       CAST(0 AS BIGINT) AS skipped_blank, CAST(0 AS BIGINT) AS skipped_title,
       CAST(0 AS BIGINT) AS skipped_header, CAST(0 AS BIGINT) AS skipped_total,
       CAST(0 AS BIGINT) AS skipped_known
FROM (SELECT 'population' AS kind, (SELECT count(*) FROM gen_communities WHERE province_no = {p}) AS rows
      UNION ALL SELECT 'volunteers', (SELECT count(*) FROM export.volunteers)
      UNION ALL SELECT 'service_records', (SELECT sum(records) FROM gen_communities WHERE province_no = {p})::BIGINT
      UNION ALL SELECT 'organizations', (SELECT sum(teams) FROM gen_communities WHERE province_no = {p})::BIGINT);
"
    )
}
