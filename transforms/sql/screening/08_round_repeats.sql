-- round_repeats: a person whose records in the period all have the same hours, with at least
-- [screening] round_repeat_records (default 30) records: real service varies; the same 4.00 h
-- every time is what a template leaves. Every record of that person is listed; measure = the
-- number of records.

CREATE OR REPLACE TEMP TABLE scr_rule_round_repeats AS
WITH people AS (
    SELECT person_key, count(*) AS records, count(DISTINCT hours) AS values_of_hours
    FROM scr_records GROUP BY person_key
)
SELECT 'round_repeats' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       CAST(p.records AS DOUBLE) AS measure
FROM scr_records r
JOIN people p ON p.person_key = r.person_key, scr_settings s
WHERE p.records >= s.round_repeat_records AND p.values_of_hours = 1;
