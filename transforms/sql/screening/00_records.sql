-- The records the screening looks at: the effective records served in the period by the
-- registered persons of a community — exactly the records every figure counts (01_scope.sql
-- runs first and leaves `persons`) — with what an inspector looks at: project and team, start
-- and end (when the export gives them), the day the record was entered (录入日期), the
-- person's registration date, and where it came from (file_id, source_row: its identity here).
-- Thresholds are in `scr_settings`, written by vbrief from vbrief.toml [screening].

CREATE OR REPLACE TEMP TABLE scr_records AS
SELECT r.file_id, r.source_row, r.record_no, r.person_key, ps.community_id, r.served_on, r.hours,
       r.project, r.organization, r.start_at, r.end_at, r.entered_on, ps.registered_on
FROM service_records r
JOIN persons ps ON ps.person_key = r.person_key, period p
WHERE r.served_on BETWEEN p.start_date AND p.end_date
  AND (r.status IS NULL OR r.status IN @effective_status);

-- Each person's effective hours and records per day (long days, streaks, overlaps).
CREATE OR REPLACE TEMP TABLE scr_days AS
SELECT person_key, served_on, sum(hours) AS day_hours, count(*) AS records
FROM scr_records
GROUP BY person_key, served_on;
