-- The calendar years the service records cover, newest first: the years the web app offers
-- as report periods. Every record counts here, whatever its status (a year whose records are
-- all pending is still a year someone may want to report on).

CREATE OR REPLACE TEMP TABLE record_years AS
SELECT DISTINCT CAST(year(served_on) AS INTEGER) AS year
FROM service_records
WHERE served_on IS NOT NULL;
