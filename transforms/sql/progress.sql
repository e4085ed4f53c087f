-- Progress toward the year's targets (进度预警), for a period that is part of a calendar year
-- and ends before 31 December. vbrief first runs the indicator SQL for the year to date
-- (`period` = 1 January .. E, the period's end), then this file over what that run left.
--
-- elapsed         = share of the year passed at E, in months: the whole months before E's
--                   month plus the part of E's month up to E, over 12
--                   (30 June → 6/12 = 0.5; 15 March → (2 + 15/31) / 12)
-- remaining_months = 12 × (1 − elapsed)
-- per_capita_hours_ytd        = year-to-date hours / registered at E   (08_indicators.sql)
-- projected_per_capita_hours  = per_capita_hours_ytd / elapsed: the year's per-capita hours
--                               if the rest of the year keeps the pace so far
--                               (10 h by 30 June → 20 h at year end)
-- hours_needed_per_month      = max(0, year target − per_capita_hours_ytd) / remaining_months:
--                               hours per registered person in each remaining month to reach
--                               the year's target (10 h by 30 June, 25 h target → 2.5 h)
-- registered_at_start         = persons counted at E who registered before 1 January
-- projected_registration_rate = (registered_at_start + (registered − registered_at_start)
--                               / elapsed) / population: this year's new registrations go
--                               on at the same pace (counted over communities whose
--                               population is known, like registration_rate)
-- registrations_needed        = registration_gap at E (08_indicators.sql); per month: over
--                               remaining_months
-- misses_per_capita_hours / misses_registration: the projection falls short of the year's
--   target. NULL (not judged, not listed) where the projection has no denominator: nobody
--   registered, or no population figure.

CREATE OR REPLACE TEMP TABLE progress_start AS
WITH registered_before AS (
    SELECT ps.community_id, count(*) AS registered
    FROM persons ps, period p
    WHERE ps.registered_on < p.start_date
    GROUP BY ps.community_id
)
SELECT f.province, f.city, f.district, f.street, f.community_id, f.population,
       coalesce(b.registered, 0) AS registered_at_start
FROM community_facts f
LEFT JOIN registered_before b ON b.community_id = f.community_id;

CREATE OR REPLACE TEMP TABLE progress AS
WITH elapsed AS (
    SELECT (month(p.end_date) - 1 + CAST(day(p.end_date) AS DOUBLE) / day(last_day(p.end_date))) / CAST(12 AS DOUBLE)
               AS elapsed
    FROM period p
), start_sums AS (
    SELECT CASE grouping_id(province, city, district, street, community_id)
               WHEN 0 THEN 'community' WHEN 1 THEN 'street' WHEN 3 THEN 'district'
               WHEN 7 THEN 'city' WHEN 15 THEN 'province' ELSE 'nation' END AS level,
           coalesce(province, '') AS province, coalesce(city, '') AS city,
           coalesce(district, '') AS district, coalesce(street, '') AS street,
           coalesce(community_id, -1) AS community_id,
           CAST(sum(registered_at_start) AS BIGINT) AS registered_at_start,
           CAST(sum(registered_at_start) FILTER (WHERE population > 0) AS BIGINT)
               AS registered_at_start_with_population
    FROM progress_start
    GROUP BY GROUPING SETS ((province, city, district, street, community_id), (province, city, district, street),
                      (province, city, district), (province, city), (province), ())
), projected AS (
    SELECT i.level, i.province, i.city, i.district, i.street, i.community_id, i.community,
           e.elapsed,
           12 * (1 - e.elapsed) AS remaining_months,
           i.population, i.registered, st.registered_at_start,
           i.registration_rate, i.registration_target,
           (coalesce(st.registered_at_start_with_population, 0)
              + (coalesce(u.registered_with_population, 0) - coalesce(st.registered_at_start_with_population, 0))
                / nullif(e.elapsed, 0))
             / nullif(i.population, 0) AS projected_registration_rate,
           i.registration_gap AS registrations_needed,
           i.hours,
           i.per_capita_hours AS per_capita_hours_ytd,
           s.per_capita_target_year,
           i.per_capita_hours / nullif(e.elapsed, 0) AS projected_per_capita_hours,
           CASE WHEN i.registered > 0
                THEN greatest(0, s.per_capita_target_year - i.per_capita_hours) / nullif(12 * (1 - e.elapsed), 0) END
               AS hours_needed_per_month
    FROM indicators i
    JOIN unit_sums u USING (level, province, city, district, street, community_id)
    JOIN start_sums st USING (level, province, city, district, street, community_id),
         elapsed e, settings s
)
SELECT *,
       CAST(registrations_needed AS DOUBLE) / nullif(remaining_months, 0) AS registrations_needed_per_month,
       projected_registration_rate < registration_target - 1e-9 AS misses_registration,
       projected_per_capita_hours < per_capita_target_year - 1e-9 AS misses_per_capita_hours
FROM projected;
