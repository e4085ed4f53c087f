-- before_registration: service dated before the person's registration date (注册日期): a
-- record cannot precede the volunteer. measure: none (the listing shows both dates).

CREATE OR REPLACE TEMP TABLE scr_rule_before_registration AS
SELECT 'before_registration' AS rule, file_id, source_row, community_id, person_key,
       CAST(NULL AS DOUBLE) AS measure
FROM scr_records
WHERE served_on < registered_on;
