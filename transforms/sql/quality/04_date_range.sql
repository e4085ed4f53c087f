-- date_range: accepted rows with a date after today (the day the check runs) or before
-- 2000-01-01 (qc_settings.earliest): registration, service, activity, founding, station,
-- need and training dates. They were read correctly but are almost certainly typed wrong.
-- checked = dates looked at.

-- Service dates are taken from service_records without the volunteer join: only the few
-- out-of-range ones are joined to their volunteer, for the community and name.
CREATE OR REPLACE TEMP VIEW qc_dates AS
SELECT '注册时间' AS what, community_id AS owner_id, v.k AS person_key, file_id, source_row, registered_on AS d, name_masked FROM volunteers v
UNION ALL SELECT '服务日期', CAST(NULL AS INTEGER), person_key, file_id, source_row, served_on, CAST(NULL AS STRING) FROM service_records
UNION ALL SELECT '活动日期', community_id, NULL, file_id, source_row, held_on, NULL FROM activities
UNION ALL SELECT '成立日期', community_id, NULL, file_id, source_row, founded_on, NULL FROM organizations
UNION ALL SELECT '建站日期', community_id, NULL, file_id, source_row, established_on, NULL FROM stations
UNION ALL SELECT '登记日期', community_id, NULL, file_id, source_row, collected_on, NULL FROM needs
UNION ALL SELECT '解决日期', community_id, NULL, file_id, source_row, resolved_on, NULL FROM needs
UNION ALL SELECT '培训日期', community_id, NULL, file_id, source_row, held_on, NULL FROM trainings;

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'date_range' AS check_id, count(d) AS checked FROM qc_dates;

-- A registration date's person is the volunteer row itself (no join needed); a service
-- date's is looked up.
CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'date_range' AS check_id, coalesce(q.owner_id, v.community_id) AS owner_id,
       CAST(NULL AS STRING) AS owner_text, q.file_id, q.source_row, q.what AS column_name,
       q.what || ' ' || CAST(q.d AS STRING) || CASE WHEN q.d > q.today
           THEN ' 晚于今天 (date is in the future)'
           ELSE ' 早于' || CAST(year(q.earliest) AS STRING) || '年 (date is implausibly early)' END
           AS detail,
       coalesce(q.name_masked, v.name_masked) AS masked_name
FROM (SELECT qd.*, s.today, s.earliest FROM qc_dates qd, qc_settings s
      WHERE qd.d > s.today OR qd.d < s.earliest) q
LEFT JOIN volunteers v ON v.k = q.person_key AND q.what = '服务日期';
DROP VIEW qc_dates;
