-- Monthly trend for the briefing: effective hours and active volunteers per month of the
-- period, for the city (district = '') and each district, from the same scope as the figures
-- (01_scope.sql: persons of each community at the period's end, effective records in it).

CREATE OR REPLACE TEMP TABLE monthly AS
SELECT coalesce(h.district, '') AS district,
       date_trunc('month', e.served_on) AS month,
       sum(e.hours) AS hours,
       count(DISTINCT e.person_key) AS active_volunteers
FROM effective_records e JOIN hierarchy h USING (community_id)
GROUP BY GROUPING SETS ((h.district, date_trunc('month', e.served_on)), (date_trunc('month', e.served_on)));
