-- daily_hours: service hours that cannot be right. A single record of 0 hours or less, or of
-- more than 24 hours, is quarantined at ingest; and effective records of one person that add up
-- to more than 24 hours on one day are listed here (every record of that person-day), since
-- no one serves more than a day in a day. checked = service record rows.

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'daily_hours' AS check_id, coalesce(sum(n), 0) AS checked
FROM qc_rows WHERE kind = 'service_records';

-- The person-days are summed on service_records alone; only their records are then joined
-- to the volunteer for the community and name.
CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'daily_hours' AS check_id, owner_id, owner_text, file_id, source_row, column_name, detail, masked_name
FROM qc_quarantine
WHERE reason IN ('hours_not_positive', 'hours_over_24') AND kind <> 'communities'
UNION ALL
SELECT 'daily_hours', r.owner_id, NULL, r.file_id, r.source_row, '服务时长',
       '同一人 ' || CAST(r.served_on AS STRING) || ' 当天有效时长合计 ' || printf('%.2f', d.total)
           || ' 小时，超过24小时 (more than 24 effective hours in one day for one person)',
       r.name_masked
FROM qc_records r
JOIN (SELECT person_key, served_on, sum(hours) AS total FROM service_records
      WHERE status IS NULL OR status IN @effective_status
      GROUP BY person_key, served_on HAVING sum(hours) > 24) d
  ON d.person_key = r.person_key AND d.served_on = r.served_on
WHERE r.status IS NULL OR r.status IN @effective_status;
