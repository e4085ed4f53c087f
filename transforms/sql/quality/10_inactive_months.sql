-- inactive_months: months of the period in which a community had neither an activity in its
-- 活动台账 nor an effective service record by one of its registered volunteers (the same
-- test as the indicator active_months: regular, 常态化 service means every month).
-- checked = communities × months of the period.

CREATE OR REPLACE TEMP TABLE qc_months AS
SELECT CAST(unnest(generate_series(CAST(date_trunc('month', start_date) AS TIMESTAMP),
                                   CAST(end_date AS TIMESTAMP), INTERVAL 1 MONTH)) AS DATE) AS month
FROM qc_settings;

CREATE OR REPLACE TEMP TABLE qc_active AS
SELECT community_id, CAST(date_trunc('month', held_on) AS DATE) AS month FROM activities, qc_settings s
WHERE held_on BETWEEN s.start_date AND s.end_date
UNION
SELECT v.community_id, CAST(date_trunc('month', r.served_on) AS DATE) FROM service_records r
JOIN volunteers v ON v.k = r.person_key, qc_settings s
WHERE r.served_on BETWEEN s.start_date AND s.end_date
  AND v.registered_on <= s.end_date AND coalesce(v.status, '') NOT IN @excluded_volunteer_status
  AND coalesce(v.verification, '') NOT IN @excluded_verification_status
  AND (r.status IS NULL OR r.status IN @effective_status);

INSERT INTO qc_checked
SELECT 'inactive_months', (SELECT count(*) FROM communities) * (SELECT count(*) FROM qc_months);

INSERT INTO qc_failing
SELECT 'inactive_months', c.community_id, NULL, NULL, NULL, NULL,
       strftime(m.month, '%Y-%m') || ' 没有活动，也没有有效服务记录 (no activity and no effective service record in the month)',
       NULL
FROM communities c CROSS JOIN qc_months m
WHERE NOT EXISTS (SELECT 1 FROM qc_active a WHERE a.community_id = c.community_id AND a.month = m.month);
DROP TABLE qc_months;
DROP TABLE qc_active;
