-- inactive_months: months of the period in which a community had neither an activity in its
-- 活动台账 nor an effective service record by one of its registered volunteers (the same
-- test as the indicator active_months: regular, 常态化 service means every month).
-- checked = communities × months of the period.

CREATE OR REPLACE TEMP TABLE qc_active AS
SELECT community_id, make_date(year(held_on), month(held_on), 1) AS month FROM activities, qc_settings s
WHERE held_on BETWEEN s.start_date AND s.end_date
UNION
SELECT v.community_id, make_date(year(r.served_on), month(r.served_on), 1) FROM service_records r
JOIN volunteers v ON v.k = r.person_key, qc_settings s
WHERE r.served_on BETWEEN s.start_date AND s.end_date
  AND v.registered_on <= s.end_date AND coalesce(v.status, '') NOT IN @excluded_volunteer_status
  AND coalesce(v.verification, '') NOT IN @excluded_verification_status
  AND (r.status IS NULL OR r.status IN @effective_status);

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'inactive_months' AS check_id,
       (SELECT count(*) FROM communities) * (SELECT count(*) FROM qc_months) AS checked;

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'inactive_months' AS check_id, c.community_id AS owner_id, CAST(NULL AS STRING) AS owner_text,
       CAST(NULL AS INTEGER) AS file_id, CAST(NULL AS BIGINT) AS source_row,
       CAST(NULL AS STRING) AS column_name,
       substr(CAST(m.month AS STRING), 1, 7) || ' 没有活动，也没有有效服务记录 (no activity and no effective service record in the month)'
           AS detail,
       CAST(NULL AS STRING) AS masked_name
FROM communities c CROSS JOIN qc_months m
WHERE NOT EXISTS (SELECT 1 FROM qc_active a WHERE a.community_id = c.community_id AND a.month = m.month);
DROP TABLE qc_active;
