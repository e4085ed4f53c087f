-- reported_hours: volunteers whose exported cumulative 服务时长 (the registry's own total) differs
-- from the sum of their effective service records in the warehouse by more than the tolerance
-- (vbrief.toml [quality] reported_hours_tolerance, hours). A gap usually means record exports
-- are missing (an earlier year, another platform) or records were changed in the system.
-- checked = volunteers whose export carries a cumulative hours column.

CREATE OR REPLACE TEMP TABLE qc_reported AS
SELECT v.community_id, v.file_id, v.source_row, v.name_masked, v.reported_hours,
       coalesce(sum(r.hours) FILTER (WHERE r.status IS NULL OR r.status IN @effective_status), 0) AS recorded
FROM volunteers v LEFT JOIN service_records r ON r.person_key = v.k
WHERE v.reported_hours IS NOT NULL
GROUP BY v.community_id, v.file_id, v.source_row, v.name_masked, v.reported_hours;

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'reported_hours' AS check_id, count(*) AS checked FROM qc_reported;

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'reported_hours' AS check_id, community_id AS owner_id, CAST(NULL AS STRING) AS owner_text,
       file_id, source_row, '服务时长' AS column_name,
       '导出累计时长 ' || printf('%.2f', reported_hours) || ' 小时，服务记录合计 ' || printf('%.2f', recorded)
           || ' 小时 (exported cumulative hours differ from the sum of service records)' AS detail,
       name_masked AS masked_name
FROM qc_reported, qc_settings s
WHERE abs(reported_hours - recorded) > s.reported_hours_tolerance;
DROP TABLE qc_reported;
