-- population: the latest 常住人口 of the community with as_of on or before E. A ledger row
-- without a date counts as always valid. When every figure is dated after E, the earliest one
-- is used and the row is flagged (population_flagged = true).

CREATE OR REPLACE TEMP VIEW m_population AS
SELECT h.community_id,
       coalesce(
           max_by(p.population, coalesce(p.as_of, DATE '1900-01-01'))
               FILTER (WHERE coalesce(p.as_of, DATE '1900-01-01') <= e.end_date),
           min_by(p.population, p.as_of)) AS population,
       count(p.population) > 0
           AND count(*) FILTER (WHERE coalesce(p.as_of, DATE '1900-01-01') <= e.end_date) = 0
           AS population_flagged
FROM hierarchy h LEFT JOIN population p ON p.community_id = h.community_id, period e
GROUP BY h.community_id;
