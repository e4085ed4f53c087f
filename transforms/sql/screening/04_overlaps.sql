-- overlaps: one person's records whose times overlap (start < the other's end and end > the
-- other's start), in different projects or teams: one person cannot serve in two places at
-- once. Only records with both 开始时间 and 结束时间, compared within the same day served.
-- Each record of such a pair is listed once; measure = how many records it overlaps.

-- Only days on which the person has more than one record can hold an overlap.
CREATE OR REPLACE TEMP TABLE scr_timed AS
SELECT r.file_id, r.source_row, r.community_id, r.person_key, r.served_on, r.start_at, r.end_at,
       coalesce(r.project, '') AS project, coalesce(r.organization, '') AS organization
FROM scr_records r
JOIN scr_days d ON d.person_key = r.person_key AND d.served_on = r.served_on
WHERE d.records > 1
  AND r.start_at IS NOT NULL AND r.end_at IS NOT NULL AND r.end_at > r.start_at;

CREATE OR REPLACE TEMP TABLE scr_rule_overlaps AS
SELECT 'overlaps' AS rule, a.file_id, a.source_row, max(a.community_id) AS community_id,
       max(a.person_key) AS person_key, CAST(count(*) AS DOUBLE) AS measure
FROM scr_timed a
JOIN scr_timed b ON b.person_key = a.person_key AND b.served_on = a.served_on
WHERE NOT (a.file_id = b.file_id AND a.source_row = b.source_row)
  AND a.start_at < b.end_at AND b.start_at < a.end_at
  AND (a.project <> b.project OR a.organization <> b.organization)
GROUP BY a.file_id, a.source_row;
