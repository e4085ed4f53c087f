-- population: communities of the ledger with no usable 常住人口 for the period: no figure dated
-- on or before the period's end (a later figure is then used and flagged), or a figure of 0
-- (no registration rate can be computed); and ledger rows quarantined at ingest (e.g. an empty
-- or non-numeric 常住人口). checked = communities in the ledger plus quarantined ledger rows.

CREATE OR REPLACE TEMP TABLE qc_population AS
SELECT c.community_id,
       arg_max(p.population, coalesce(p.as_of, DATE '1900-01-01'))
           FILTER (WHERE coalesce(p.as_of, DATE '1900-01-01') <= s.end_date) AS population,
       count(p.population) AS figures
FROM communities c LEFT JOIN population p USING (community_id), qc_settings s
GROUP BY c.community_id;

INSERT INTO qc_checked
SELECT 'population', (SELECT count(*) FROM qc_population)
     + (SELECT count(*) FROM qc_quarantine WHERE kind = 'communities');

INSERT INTO qc_failing
SELECT 'population', community_id, NULL, NULL, NULL, '常住人口',
       CASE WHEN population IS NULL
            THEN '期末（' || CAST(s.end_date AS VARCHAR) || '）前没有常住人口数字 (no population figure dated on or before the period end)'
            ELSE '常住人口为0，无法计算注册率 (population is 0: no registration rate)' END,
       NULL
FROM qc_population, qc_settings s
WHERE population IS NULL OR population = 0;

INSERT INTO qc_failing
SELECT 'population', owner_id, owner_text, file_id, source_row, column_name, detail, NULL
FROM qc_quarantine WHERE kind = 'communities';
DROP TABLE qc_population;
