-- Monthly trend for the briefing: effective hours and active volunteers per month of the
-- period, for the city (district = '') and each district, from the same scope as the figures
-- (01_scope.sql: persons of each community at the period's end, effective records in it).

-- A person belongs to one community, hence one district: counting each person-month once
-- per district counts distinct active volunteers both per district and for the city.
CREATE OR REPLACE TEMP TABLE monthly AS
WITH person_months AS (
    SELECT h.district, make_date(year(e.served_on), month(e.served_on), 1) AS month, e.person_key,
           sum(e.hours) AS hours
    FROM effective_records e JOIN hierarchy h ON h.community_id = e.community_id
    GROUP BY h.district, make_date(year(e.served_on), month(e.served_on), 1), e.person_key
)
SELECT coalesce(district, '') AS district,
       month,
       sum(hours) AS hours,
       count(*) AS active_volunteers
FROM person_months
GROUP BY GROUPING SETS ((district, month), (month));
