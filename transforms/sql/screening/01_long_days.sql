-- long_days: a person's effective hours on one day add up to more than
-- [screening] long_day_hours (default 12: two full shifts; the data check only stops at 24).
-- Every record of such a day is listed; measure = the day's total hours.

CREATE OR REPLACE TEMP TABLE scr_rule_long_days AS
SELECT 'long_days' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       d.day_hours AS measure
FROM scr_records r
JOIN scr_days d ON d.person_key = r.person_key AND d.served_on = r.served_on, scr_settings s
WHERE d.day_hours > s.long_day_hours;
