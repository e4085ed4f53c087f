-- The counts behind one community's volunteer figures, with what was left out and why: what
-- `vbrief explain` prints under 输入 inputs and the web app's community page shows. One query on
-- the folder's warehouse (DuckDB only, never on an export), with ?1 the community, ?2 and ?3
-- the period's first and last day. The rules are 01_scope.sql's, in its order: an excluded
-- account status first (by default 注销, 停用), then an excluded 认证状态 (审核中, 认证未通过,
-- 未认证, 认证失败), then a registration after the period's end; a record counts when it is
-- effective (已生效, or from an export without a status column) and its person counts. The
-- words are vbrief.toml [status]'s, written in by transforms/src/status.rs.
--
-- In the order of the columns (transforms/src/explain.rs, `Breakdown`):
--  1 the community's volunteers (after deduplication at ingest)
--  2 of them, excluded by their account status
--  3 of them, not excluded by status or 认证状态 but registered after the period's end
--  4 records in the period of the community's volunteers
--  5 of them, counted (their person counts, the record is effective)
--  6 of them, left out as not effective (their person counts)
--  7 of them, left out as their person does not count
--  8 records outside the period of the persons who count
--  9 city-wide: records in the period whose person is not in the registry at all
-- 10 the community's volunteers left out for their 认证状态 only
WITH v AS (
    SELECT *,
           coalesce(status, '') IN @excluded_volunteer_status AS status_excluded,
           coalesce(verification, '') IN @excluded_verification_status AS unverified
    FROM volunteers WHERE community_id = ?1
), counted AS (
    SELECT k FROM v
    WHERE registered_on <= CAST(?3 AS DATE) AND NOT status_excluded AND NOT unverified
), r AS (
    SELECT r.*, r.person_key IN (SELECT k FROM counted) AS of_counted,
           (r.status IS NULL OR r.status IN @effective_status) AS effective,
           r.served_on BETWEEN CAST(?2 AS DATE) AND CAST(?3 AS DATE) AS in_period
    FROM service_records r WHERE r.person_key IN (SELECT k FROM v)
)
SELECT (SELECT count(*) FROM v),
       (SELECT count(*) FROM v WHERE status_excluded),
       (SELECT count(*) FROM v WHERE NOT status_excluded AND NOT unverified AND registered_on > CAST(?3 AS DATE)),
       (SELECT count(*) FROM r WHERE in_period),
       (SELECT count(*) FROM r WHERE in_period AND of_counted AND effective),
       (SELECT count(*) FROM r WHERE in_period AND of_counted AND NOT effective),
       (SELECT count(*) FROM r WHERE in_period AND NOT of_counted),
       (SELECT count(*) FROM r WHERE NOT in_period AND of_counted),
       (SELECT count(*) FROM service_records x
         WHERE x.served_on BETWEEN CAST(?2 AS DATE) AND CAST(?3 AS DATE)
           AND x.person_key NOT IN (SELECT k FROM volunteers)),
       (SELECT count(*) FROM v WHERE NOT status_excluded AND unverified)
