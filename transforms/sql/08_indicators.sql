-- Every indicator at every level. Communities first; streets, districts, the city (and, for
-- a combination of several cities, each province and the nation) are computed from the
-- underlying rows: counts are summed and every rate is a ratio of sums,
-- never an average of community rates.
--
-- registration_rate = registered / population            target: settings.registration_target
-- registration_gap  = max(0, ceil(target × population) − registered)   (volunteers still needed)
-- per_capita_hours  = hours / registered                  target: 25 h a year × days(P) / 365
-- annualized_per_capita_hours = per_capita_hours × 365 / days(P)
-- hours_gap         = max(0, per_capita_target × registered − hours)   (hours still needed)
-- participation_rate = active_volunteers / registered
-- need_resolution_rate = needs_resolved / needs_collected
-- A ratio whose denominator is 0 or unknown is NULL (an empty cell), never NaN; a target
-- that cannot be judged is not met.

CREATE OR REPLACE TEMP TABLE community_facts AS
SELECT h.province, h.city, h.district, h.street, h.community_id, h.community,
       p.population, p.population_flagged,
       v.registered, v.hours, v.active_volunteers,
       s.star1, s.star2, s.star3, s.star4, s.star5,
       o.organizations, o.has_station,
       n.needs_collected, n.needs_resolved, n.trainings, n.training_participants
FROM hierarchy h
JOIN m_population p USING (community_id)
JOIN m_volunteers v USING (community_id)
JOIN m_stars s USING (community_id)
JOIN m_organizations_stations o USING (community_id)
JOIN m_needs_trainings n USING (community_id);

-- The scope's top level: the city (one city: a city's warehouse, or one export), the province
-- (several cities of one province) or the nation (several provinces).
CREATE OR REPLACE TEMP VIEW scope_top AS
SELECT CASE WHEN count(DISTINCT province) > 1 THEN 'nation'
            WHEN count(DISTINCT city) > 1 THEN 'province'
            ELSE 'city' END AS top_level
FROM hierarchy;

-- Additive measures, rolled up. level: community / street / district / city / province /
-- nation. A unit is named by its whole path (two cities may both have a 鼓楼区).
CREATE OR REPLACE TEMP TABLE unit_sums AS
SELECT CASE grouping_id(province, city, district, street, community_id)
           WHEN 0 THEN 'community' WHEN 1 THEN 'street' WHEN 3 THEN 'district'
           WHEN 7 THEN 'city' WHEN 15 THEN 'province' ELSE 'nation' END AS level,
       coalesce(province, '') AS province, coalesce(city, '') AS city,
       coalesce(district, '') AS district, coalesce(street, '') AS street,
       coalesce(community_id, -1) AS community_id,
       CASE WHEN grouping_id(province, city, district, street, community_id) = 0 THEN max(community) END AS community,
       count(*) AS communities,
       sum(population) AS population,
       bool_or(population_flagged) AS population_flagged,
       count(population) AS communities_with_population,
       sum(registered) AS registered,
       -- Registered persons of communities whose population is known: the numerator that
       -- goes with sum(population) in a rolled-up registration rate.
       sum(registered) FILTER (WHERE population > 0) AS registered_with_population,
       sum(hours) AS hours, sum(active_volunteers) AS active_volunteers,
       sum(star1) AS star1, sum(star2) AS star2, sum(star3) AS star3, sum(star4) AS star4, sum(star5) AS star5,
       sum(organizations) AS organizations,
       count(*) FILTER (WHERE has_station) AS stations,
       sum(needs_collected) AS needs_collected, sum(needs_resolved) AS needs_resolved,
       sum(trainings) AS trainings, sum(training_participants) AS training_participants
FROM community_facts
GROUP BY GROUPING SETS ((province, city, district, street, community_id), (province, city, district, street),
                      (province, city, district), (province, city), (province), ());

-- Distinct measures, from the facts.
CREATE OR REPLACE TEMP VIEW unit_distinct AS
WITH a AS (
    SELECT h.province, h.city, h.district, h.street, h.community_id, f.category
    FROM activity_facts f JOIN hierarchy h USING (community_id)
), m AS (
    SELECT h.province, h.city, h.district, h.street, h.community_id, f.month
    FROM month_facts f JOIN hierarchy h USING (community_id)
), acts AS (
    SELECT CASE grouping_id(province, city, district, street, community_id)
               WHEN 0 THEN 'community' WHEN 1 THEN 'street' WHEN 3 THEN 'district'
               WHEN 7 THEN 'city' WHEN 15 THEN 'province' ELSE 'nation' END AS level,
           coalesce(province, '') AS province, coalesce(city, '') AS city,
           coalesce(district, '') AS district, coalesce(street, '') AS street,
           coalesce(community_id, -1) AS community_id,
           count(*) AS activities,
           count(DISTINCT category) AS categories
    FROM a GROUP BY GROUPING SETS ((province, city, district, street, community_id), (province, city, district, street),
                      (province, city, district), (province, city), (province), ())
), months AS (
    SELECT CASE grouping_id(province, city, district, street, community_id)
               WHEN 0 THEN 'community' WHEN 1 THEN 'street' WHEN 3 THEN 'district'
               WHEN 7 THEN 'city' WHEN 15 THEN 'province' ELSE 'nation' END AS level,
           coalesce(province, '') AS province, coalesce(city, '') AS city,
           coalesce(district, '') AS district, coalesce(street, '') AS street,
           coalesce(community_id, -1) AS community_id,
           count(DISTINCT month) AS active_months
    FROM m GROUP BY GROUPING SETS ((province, city, district, street, community_id), (province, city, district, street),
                      (province, city, district), (province, city), (province), ())
)
SELECT u.level, u.province, u.city, u.district, u.street, u.community_id,
       coalesce(acts.activities, 0) AS activities,
       coalesce(acts.categories, 0) AS categories,
       coalesce(months.active_months, 0) AS active_months
FROM unit_sums u
LEFT JOIN acts USING (level, province, city, district, street, community_id)
LEFT JOIN months USING (level, province, city, district, street, community_id);

-- Community-level judgements, counted per unit.
CREATE OR REPLACE TEMP TABLE community_judgements AS
SELECT f.province, f.city, f.district, f.street, f.community_id,
       f.population > 0 AND f.registered >= ceil(s.registration_target * f.population - 1e-9) AS meets_registration,
       f.registered > 0
           AND f.hours / nullif(f.registered, 0) >= s.per_capita_target_year * p.days / CAST(365 AS DOUBLE) - 1e-9
           AS meets_per_capita_hours,
       f.organizations >= s.organizations_min AS meets_organizations_min,
       f.organizations >= s.organizations_aim AS meets_organizations_aim,
       f.has_station AS meets_station
FROM community_facts f, settings s, period p;

CREATE OR REPLACE TEMP VIEW unit_judgements AS
SELECT CASE grouping_id(province, city, district, street, community_id)
           WHEN 0 THEN 'community' WHEN 1 THEN 'street' WHEN 3 THEN 'district'
           WHEN 7 THEN 'city' WHEN 15 THEN 'province' ELSE 'nation' END AS level,
       coalesce(province, '') AS province, coalesce(city, '') AS city,
       coalesce(district, '') AS district, coalesce(street, '') AS street,
       coalesce(community_id, -1) AS community_id,
       count(*) FILTER (WHERE meets_registration) AS communities_meeting_registration,
       count(*) FILTER (WHERE meets_per_capita_hours) AS communities_meeting_per_capita_hours,
       count(*) FILTER (WHERE meets_organizations_min) AS communities_meeting_organizations_min,
       count(*) FILTER (WHERE meets_organizations_aim) AS communities_meeting_organizations_aim,
       count(*) FILTER (WHERE meets_station) AS communities_meeting_station
FROM community_judgements
GROUP BY GROUPING SETS ((province, city, district, street, community_id), (province, city, district, street),
                      (province, city, district), (province, city), (province), ());

CREATE OR REPLACE TEMP TABLE indicators AS
SELECT u.level, u.province, u.city, u.district, u.street, u.community_id, coalesce(u.community, '') AS community,
       u.communities, u.population, u.population_flagged,
       u.registered,
       CAST(u.registered_with_population AS DOUBLE) / nullif(u.population, 0) AS registration_rate,
       s.registration_target,
       CASE WHEN u.population > 0
            THEN CAST(greatest(0, ceil(s.registration_target * u.population - 1e-9) - u.registered_with_population) AS DOUBLE) END
           AS registration_gap,
       u.hours,
       u.hours / nullif(u.registered, 0) AS per_capita_hours,
       s.per_capita_target_year * p.days / CAST(365 AS DOUBLE) AS per_capita_target,
       u.hours / nullif(u.registered, 0) * 365 / nullif(CAST(p.days AS DOUBLE), 0) AS annualized_per_capita_hours,
       greatest(0, s.per_capita_target_year * p.days / CAST(365 AS DOUBLE) * u.registered - u.hours) AS hours_gap,
       u.active_volunteers,
       CAST(u.active_volunteers AS DOUBLE) / nullif(u.registered, 0) AS participation_rate,
       d.activities,
       CAST(d.categories AS DOUBLE) / nullif(s.standard_categories, 0) AS category_coverage,
       d.active_months,
       p.months AS months_in_period,
       u.organizations,
       CAST(u.organizations AS DOUBLE) / nullif(u.communities, 0) AS organizations_per_community,
       u.stations,
       CAST(u.stations AS DOUBLE) / nullif(u.communities, 0) AS station_coverage,
       u.needs_collected, u.needs_resolved,
       CAST(u.needs_resolved AS DOUBLE) / nullif(u.needs_collected, 0) AS need_resolution_rate,
       u.trainings, u.training_participants,
       u.star1, u.star2, u.star3, u.star4, u.star5,
       j.communities_meeting_registration, j.communities_meeting_per_capita_hours,
       j.communities_meeting_organizations_min, j.communities_meeting_organizations_aim,
       j.communities_meeting_station,
       -- The community's own judgements (NULL above community level, where the counts above
       -- say more): the same judgements the counts are made of.
       cj.meets_registration, cj.meets_per_capita_hours,
       cj.meets_organizations_min, cj.meets_organizations_aim
FROM unit_sums u
JOIN unit_distinct d USING (level, province, city, district, street, community_id)
JOIN unit_judgements j USING (level, province, city, district, street, community_id)
LEFT JOIN community_judgements cj ON u.level = 'community' AND cj.community_id = u.community_id,
     settings s, period p, scope_top t
-- The levels up to the scope's top: above it a row would repeat the top one.
WHERE CASE u.level WHEN 'nation' THEN t.top_level = 'nation'
                   WHEN 'province' THEN t.top_level <> 'city'
                   ELSE true END;
