-- Who and what counts for the period (tables `period` and `settings` are set by vbrief; each
-- `@…_status` is a list of words from vbrief.toml [status] that vbrief writes in, e.g.
-- `@effective_status` → ('已生效'); see transforms/src/status.rs).
--
-- persons: the registered persons of each community at the end of the period E: after
--   deduplication (done at ingest) their community is c, they registered on or before E,
--   their status is not an excluded one (default 注销 cancelled, 停用 disabled) and their
--   认证状态, when the export has one, is not an excluded one (default 审核中, 认证未通过:
--   only real-name-verified volunteers count).
-- effective_records: service records dated inside the period whose status is an effective
--   word (default 已生效), or that came from an export without a status column, and that
--   belong to one of those persons.
--   Records of anyone else (unknown person, 注销, registered after E) are left out here and
--   counted by `vbrief explain`.

-- hierarchy: every community with its path. province and city are '' in a city's warehouse;
--   a Parquet export names them (vbrief.toml [city]), so a combination has levels above the
--   city (08_indicators.sql).
CREATE OR REPLACE TEMP TABLE hierarchy AS
SELECT community_id, coalesce(province, '') AS province, coalesce(city, '') AS city,
       district, street, community
FROM communities;

CREATE OR REPLACE TEMP TABLE persons AS
SELECT v.k AS person_key, v.community_id, v.registered_on
FROM volunteers v, period p
WHERE v.registered_on <= p.end_date
  AND coalesce(v.status, '') NOT IN @excluded_volunteer_status
  AND coalesce(v.verification, '') NOT IN @excluded_verification_status;

CREATE OR REPLACE TEMP TABLE effective_records AS
SELECT r.person_key, ps.community_id, r.served_on, r.hours
FROM service_records r
JOIN persons ps ON ps.person_key = r.person_key, period p
WHERE r.served_on BETWEEN p.start_date AND p.end_date
  AND (r.status IS NULL OR r.status IN @effective_status);
