-- population: communities of the ledger with no usable 常住人口 for the period: no figure dated
-- on or before the period's end (a later figure is then used and flagged), or a figure of 0
-- (no registration rate can be computed); and ledger rows quarantined at ingest (e.g. an empty
-- or non-numeric 常住人口). checked = communities in the ledger plus quarantined ledger rows.

CREATE OR REPLACE TEMP TABLE qc_population AS
SELECT c.community_id,
       max_by(p.population, coalesce(p.as_of, DATE '1900-01-01'))
           FILTER (WHERE coalesce(p.as_of, DATE '1900-01-01') <= s.end_date) AS population,
       count(p.population) AS figures
FROM communities c LEFT JOIN population p ON p.community_id = c.community_id, qc_settings s
GROUP BY c.community_id;

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'population' AS check_id,
       (SELECT count(*) FROM qc_population)
     + (SELECT count(*) FROM qc_quarantine WHERE kind = 'communities') AS checked;

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'population' AS check_id, community_id AS owner_id, CAST(NULL AS STRING) AS owner_text,
       CAST(NULL AS INTEGER) AS file_id, CAST(NULL AS BIGINT) AS source_row,
       '常住人口' AS column_name,
       CASE WHEN population IS NULL
            THEN '期末（' || CAST(s.end_date AS STRING) || '）前没有常住人口数字 (no population figure dated on or before the period end)'
            ELSE '常住人口为0，无法计算注册率 (population is 0: no registration rate)' END AS detail,
       CAST(NULL AS STRING) AS masked_name
FROM qc_population, qc_settings s
WHERE population IS NULL OR population = 0
UNION ALL
SELECT 'population', owner_id, owner_text, file_id, source_row, column_name, detail, NULL
FROM qc_quarantine WHERE kind = 'communities';
DROP TABLE qc_population;
