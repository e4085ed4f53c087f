-- The vbrief warehouse. One row per accepted input row, each with the file (and sheet) and the
-- row number it came from, so every figure can be traced back to the export.
-- `k` is each table's identity key: the same k from a later export is the same thing seen again.
-- No raw ID or phone number is stored anywhere: persons are keyed by a keyed hash (person key).

CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);

CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER, started_at TIMESTAMP, finished_at TIMESTAMP, vbrief_version VARCHAR,
    files_loaded INTEGER, files_failed INTEGER);

-- One row per ingested sheet (a csv is one sheet named '').
CREATE TABLE IF NOT EXISTS files (
    file_id INTEGER, run_id INTEGER, content_hash VARCHAR, path VARCHAR, sheet VARCHAR,
    kind VARCHAR, encoding VARCHAR, rows_read BIGINT, accepted BIGINT, quarantined BIGINT,
    skipped_blank BIGINT, skipped_title BIGINT, skipped_header BIGINT, skipped_total BIGINT,
    skipped_known BIGINT);

-- 人口台账: the communities, and their population over time.
CREATE TABLE IF NOT EXISTS communities (
    community_id INTEGER, district VARCHAR, street VARCHAR, community VARCHAR,
    file_id INTEGER, source_row BIGINT);
CREATE TABLE IF NOT EXISTS population (
    k VARCHAR, community_id INTEGER, as_of DATE, population BIGINT,
    file_id INTEGER, source_row BIGINT);

-- Person keys (volunteers.k, service_records.person_key, quarantine.person_key) and service
-- records' k are 128-bit hashes stored as UUID (warehouses from before keep text keys until
-- `warehouse::migrate_keys` converts them when the warehouse is opened).

-- 志愿者: k is the person key. Duplicates keep the earliest registration.
CREATE TABLE IF NOT EXISTS volunteers (
    k UUID, volunteer_no VARCHAR, name_masked VARCHAR, gender VARCHAR, birth_year INTEGER,
    registered_on DATE, community_id INTEGER, status VARCHAR, reported_hours DOUBLE,
    file_id INTEGER, source_row BIGINT);

-- 服务时长记录: k is md5('r:' || record_no), else md5('p:' || a hash of person + date + project
-- + hours) (see `warehouse::key_service_records`).
-- status NULL means the export had no status column (the record counts as effective).
-- record_no is stored uncompressed: numbers unique to each record gain little from DuckDB's
-- dictionary and FSST compression, which cost a sixth of the merge's insert (a city: the
-- insert 2.0–2.1 → 1.6–1.7 s, the warehouse 250 → 292 MB; bench/RESULTS.md, issue 28).
-- Warehouses made before keep the column as they made it.
CREATE TABLE IF NOT EXISTS service_records (
    k UUID, record_no VARCHAR USING COMPRESSION uncompressed, person_key UUID,
    person_from_no BOOLEAN, volunteer_no VARCHAR, project VARCHAR, served_on DATE,
    hours DOUBLE, status VARCHAR, organization VARCHAR, file_id INTEGER, source_row BIGINT);

CREATE TABLE IF NOT EXISTS organizations (
    k VARCHAR, name VARCHAR, community_id INTEGER, founded_on DATE, members INTEGER,
    status VARCHAR, file_id INTEGER, source_row BIGINT);

-- category is the standard category (NULL when the ledger's text maps to none).
CREATE TABLE IF NOT EXISTS activities (
    k VARCHAR, name VARCHAR, held_on DATE, community_id INTEGER, category VARCHAR,
    category_raw VARCHAR, target_group VARCHAR, participants INTEGER, hours DOUBLE,
    file_id INTEGER, source_row BIGINT);

CREATE TABLE IF NOT EXISTS stations (
    k VARCHAR, community_id INTEGER, name VARCHAR, established_on DATE,
    file_id INTEGER, source_row BIGINT);

CREATE TABLE IF NOT EXISTS needs (
    k VARCHAR, community_id INTEGER, content VARCHAR, target_group VARCHAR, collected_on DATE,
    status VARCHAR, resolved_on DATE, file_id INTEGER, source_row BIGINT);

CREATE TABLE IF NOT EXISTS trainings (
    k VARCHAR, name VARCHAR, held_on DATE, community_id INTEGER, participants INTEGER,
    file_id INTEGER, source_row BIGINT);

-- Rows not accepted, with why. `reason` is a stable code; `detail` explains it in words.
-- community_id / community_text / person_key say whose row it is (when the row lets us tell),
-- so the quality report can send each community its own list of rows to fix.
CREATE TABLE IF NOT EXISTS quarantine (
    file_id INTEGER, source_row BIGINT, kind VARCHAR, column_name VARCHAR, reason VARCHAR,
    detail VARCHAR, candidates VARCHAR, masked_name VARCHAR);
-- Added after the first release: warehouses made before it get the columns here.
ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS community_id INTEGER;
ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS community_text VARCHAR;
ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS person_key UUID;
-- 认证状态 of a volunteer (2.0 lists); NULL when the export has no such column.
ALTER TABLE volunteers ADD COLUMN IF NOT EXISTS verification VARCHAR;
-- A community's name as the ledger wrote it (`春园社区居委会`), for lineage; `community` holds
-- the normalized name every output uses (`春园社区`). Filled for older warehouses when opened.
ALTER TABLE communities ADD COLUMN IF NOT EXISTS written_as VARCHAR;
-- The province and city a community is in. NULL in a city's warehouse (its ledger names
-- districts, streets and communities); a Parquet export fills them from vbrief.toml [city],
-- and a national combination reads them for the levels above the city.
ALTER TABLE communities ADD COLUMN IF NOT EXISTS province VARCHAR;
ALTER TABLE communities ADD COLUMN IF NOT EXISTS city VARCHAR;
-- When a service record was served and typed in, as the export gives them (NULL when it does
-- not): 开始时间/结束时间, and 录入日期 (the day it was entered, not served). Read by the
-- screening of padded hours (transforms/sql/screening/), never by a figure.
ALTER TABLE service_records ADD COLUMN IF NOT EXISTS start_at TIMESTAMP;
ALTER TABLE service_records ADD COLUMN IF NOT EXISTS end_at TIMESTAMP;
ALTER TABLE service_records ADD COLUMN IF NOT EXISTS entered_on DATE;

-- For a volunteer registered with a document other than the ID card (passport, 通行证 …): the
-- keyed hash of the document's normalized number alone (never the number), so that an hour
-- record giving only the number (no 证件类型) finds the person (docs/CONTRACT.md §3).
ALTER TABLE volunteers ADD COLUMN IF NOT EXISTS document_key UUID;

-- Hour records that name a document number nobody registered holds (yet), or several persons
-- do: quarantined (unknown_document, ambiguous_document, or invalid_id when the number looks
-- like a mistyped ID number) and kept here, keyed, until a volunteer list registers the
-- number; then the next ingest counts them. The columns of service_records, and the lookup key.
CREATE TABLE IF NOT EXISTS held_records (
    k UUID, record_no VARCHAR, person_key UUID, person_from_no BOOLEAN,
    volunteer_no VARCHAR, project VARCHAR, served_on DATE, hours DOUBLE, status VARCHAR,
    organization VARCHAR, file_id INTEGER, source_row BIGINT, start_at TIMESTAMP,
    end_at TIMESTAMP, entered_on DATE, document_key UUID);
