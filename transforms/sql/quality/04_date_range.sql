-- date_range: accepted rows with a date after today (the day the check runs) or before
-- 2000-01-01 (qc_settings.earliest): registration, service, activity, founding, station,
-- need and training dates. They were read correctly but are almost certainly typed wrong.
-- checked = dates looked at.

-- Service dates are taken from service_records without the volunteer join: only the few
-- out-of-range ones are joined to their volunteer, for the community and name.
CREATE OR REPLACE TEMP VIEW qc_dates AS
SELECT '注册时间' AS what, community_id AS owner_id, NULL AS person_key, file_id, source_row, registered_on AS d, name_masked FROM volunteers
UNION ALL SELECT '服务日期', NULL, person_key, file_id, source_row, served_on, NULL FROM service_records
UNION ALL SELECT '活动日期', community_id, NULL, file_id, source_row, held_on, NULL FROM activities
UNION ALL SELECT '成立日期', community_id, NULL, file_id, source_row, founded_on, NULL FROM organizations
UNION ALL SELECT '建站日期', community_id, NULL, file_id, source_row, established_on, NULL FROM stations
UNION ALL SELECT '登记日期', community_id, NULL, file_id, source_row, collected_on, NULL FROM needs
UNION ALL SELECT '解决日期', community_id, NULL, file_id, source_row, resolved_on, NULL FROM needs
UNION ALL SELECT '培训日期', community_id, NULL, file_id, source_row, held_on, NULL FROM trainings;

INSERT INTO qc_checked SELECT 'date_range', count(d) FROM qc_dates;

INSERT INTO qc_failing
SELECT 'date_range', coalesce(q.owner_id, v.community_id), NULL, q.file_id, q.source_row, q.what,
       q.what || ' ' || CAST(q.d AS VARCHAR) || CASE WHEN q.d > q.today
           THEN ' 晚于今天 (date is in the future)'
           ELSE ' 早于' || CAST(year(q.earliest) AS VARCHAR) || '年 (date is implausibly early)' END,
       coalesce(q.name_masked, v.name_masked)
FROM (SELECT qd.*, s.today, s.earliest FROM qc_dates qd, qc_settings s
      WHERE qd.d > s.today OR qd.d < s.earliest) q
LEFT JOIN volunteers v ON v.k = q.person_key;
DROP VIEW qc_dates;
