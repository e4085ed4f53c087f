-- late_entry: records entered (录入日期) more than [screening] late_entry_days (default 90)
-- days after the day served: hours recorded long after the fact are hard to verify. Reported
-- as each community's share of its hours (in the summary), not person by person; the records
-- are still listed. Only records whose export gives 录入日期. measure: none (the listing
-- shows both dates).

CREATE OR REPLACE TEMP TABLE scr_rule_late_entry AS
SELECT 'late_entry' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       CAST(NULL AS DOUBLE) AS measure
FROM scr_records r, scr_settings s
WHERE r.entered_on IS NOT NULL AND r.entered_on > r.served_on + s.late_entry_days;
