-- star_list (星级认定名单): every registered person of each community eligible for a star
-- level at the end of the period E, the same persons 04_stars.sql counts (run after
-- 01_scope.sql and 04_stars.sql, on their tables: vbrief runs it right after the report's
-- own pass of the indicator SQL). For each: the level their cumulative effective hours up to
-- E reach, those hours, and whether that level is newly reached in the period (the
-- cumulative hours before the period's start, 04_stars.sql's hours_before, were below its
-- threshold).
-- Nothing personal but the masked name and the 志愿者编号 the export carried.

CREATE OR REPLACE TEMP TABLE star_list AS
WITH levels AS (
    SELECT c.person_key, c.community_id, c.hours,
           CASE WHEN c.hours >= s.star5 THEN 5 WHEN c.hours >= s.star4 THEN 4
                WHEN c.hours >= s.star3 THEN 3 WHEN c.hours >= s.star2 THEN 2
                WHEN c.hours >= s.star1 THEN 1 ELSE 0 END AS level,
           CASE WHEN c.hours_before >= s.star5 THEN 5 WHEN c.hours_before >= s.star4 THEN 4
                WHEN c.hours_before >= s.star3 THEN 3 WHEN c.hours_before >= s.star2 THEN 2
                WHEN c.hours_before >= s.star1 THEN 1 ELSE 0 END AS level_before
    FROM person_cumulative_hours c, settings s
)
SELECT h.district, h.street, h.community, v.volunteer_no, v.name_masked, l.level, l.hours,
       l.level > l.level_before AS new_in_period
FROM levels l
JOIN hierarchy h USING (community_id)
JOIN volunteers v ON v.k = l.person_key
WHERE l.level > 0;
