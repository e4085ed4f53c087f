-- The baseline vbrief is measured against (bench/run.sh) and checked against (tests/scale.rs):
-- registered volunteers, hours and hours per registered volunteer, per community, for 2025,
-- computed by plain DuckDB straight from the clean ground truth that `vbrief gen --truth DIR`
-- writes. Run it in DIR (the DuckDB CLI resolves the file names there):
--
--     cd DIR && duckdb -csv < bench/baseline.sql
--
-- The definitions are docs/CONTRACT.md's (§4): the persons of a community are its registered volunteers at
-- the period's end (registered on or before it, status not 注销); hours are the effective
-- (已生效) hours they served in the period.
WITH persons AS (
    SELECT volunteer_no, district, street, community
      FROM read_csv('volunteers.csv', header = true, columns = {
               'volunteer_no': 'VARCHAR', 'district': 'VARCHAR', 'street': 'VARCHAR',
               'community': 'VARCHAR', 'registered_on': 'DATE', 'status': 'VARCHAR'})
     WHERE status <> '注销' AND registered_on <= DATE '2025-12-31'
), hours AS (
    SELECT p.district, p.street, p.community, sum(r.hours) AS hours
      FROM read_csv('records.csv', header = true, columns = {
               'record_no': 'BIGINT', 'volunteer_no': 'VARCHAR', 'served_on': 'DATE',
               'hours': 'DOUBLE', 'status': 'VARCHAR'}) r
      JOIN persons p USING (volunteer_no)
     WHERE r.status = '已生效' AND r.served_on BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
     GROUP BY ALL
), registered AS (
    SELECT district, street, community, count(*) AS registered FROM persons GROUP BY ALL
), communities AS (
    SELECT DISTINCT district, street, community
      FROM read_csv('population.csv', header = true, all_varchar = true)
)
SELECT c.district, c.street, c.community,
       coalesce(r.registered, 0) AS registered,
       round(coalesce(h.hours, 0), 2) AS hours,
       round(coalesce(h.hours, 0) / nullif(r.registered, 0), 2) AS per_capita_hours
  FROM communities c
  LEFT JOIN registered r USING (district, street, community)
  LEFT JOIN hours h USING (district, street, community)
 ORDER BY c.district, c.street, c.community;
