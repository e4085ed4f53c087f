-- streaks: a person served at least [screening] streak_daily_hours (default 8) on each of at
-- least streak_days (default 10) consecutive days: full-time service day after day is rare,
-- and what back-filled or invented hours look like. Every record of the streak is listed;
-- measure = the streak's length in days.
--
-- Days meeting the daily hours are numbered into runs (a run starts where the previous such
-- day is not the day before), then runs are measured.

CREATE OR REPLACE TEMP TABLE scr_heavy_days AS
SELECT d.person_key, d.served_on,
       CASE WHEN lag(d.served_on) OVER (PARTITION BY d.person_key ORDER BY d.served_on NULLS LAST)
                 = d.served_on - 1
            THEN 0 ELSE 1 END AS starts_run
FROM scr_days d, scr_settings s
WHERE d.day_hours >= s.streak_daily_hours;

CREATE OR REPLACE TEMP TABLE scr_runs AS
SELECT person_key, served_on,
       sum(starts_run) OVER (PARTITION BY person_key ORDER BY served_on NULLS LAST
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
FROM scr_heavy_days;

CREATE OR REPLACE TEMP TABLE scr_rule_streaks AS
WITH lengths AS (
    SELECT person_key, run, count(*) AS days FROM scr_runs GROUP BY person_key, run
)
SELECT 'streaks' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       CAST(l.days AS DOUBLE) AS measure
FROM scr_records r
JOIN scr_runs u ON u.person_key = r.person_key AND u.served_on = r.served_on
JOIN lengths l ON l.person_key = u.person_key AND l.run = u.run, scr_settings s
WHERE l.days >= s.streak_days;
