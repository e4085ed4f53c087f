-- spikes: a community's hours crowd into the days before a deadline: the last
-- [screening] month_end_days (default 5) days of a month, or the inspection_days (default 14)
-- days before inspection_date when one is set. A window is listed when its share of the hours
-- is at least spike_ratio (default 3) times the community's usual share, and it holds at least
-- spike_min_hours (default 50) hours:
-- - a month's end against the month ends of the community's other months in the period (a
--   community whose month ends are always busy is not listed), or, in a one-month period,
--   against the days of the month (the month end's share of the days);
-- - the inspection window's hours per day against the community's hours per day before the
--   window in the period.
-- Every record in a listed window is listed; measure = the window's share of its hours
-- against the usual share (the ratio).

CREATE OR REPLACE TEMP TABLE scr_month_windows AS
WITH tagged AS (
    SELECT r.community_id, make_date(year(r.served_on), month(r.served_on), 1) AS month,
           r.hours, r.served_on > last_day(r.served_on) - s.month_end_days AS at_end
    FROM scr_records r, scr_settings s
), months AS (
    SELECT community_id, month, sum(hours) AS hours,
           sum(CASE WHEN at_end THEN hours ELSE 0 END) AS end_hours
    FROM tagged GROUP BY community_id, month
), totals AS (
    SELECT community_id, sum(hours) AS hours, sum(end_hours) AS end_hours, count(*) AS months
    FROM months GROUP BY community_id
)
SELECT m.community_id, m.month, m.hours, m.end_hours,
       m.end_hours / nullif(m.hours, 0) AS share,
       CASE WHEN t.months > 1 THEN (t.end_hours - m.end_hours) / nullif(t.hours - m.hours, 0)
            ELSE CAST(s.month_end_days AS DOUBLE) / day(last_day(m.month)) END AS usual_share
FROM months m
JOIN totals t ON t.community_id = m.community_id, scr_settings s;

CREATE OR REPLACE TEMP TABLE scr_inspection_window AS
WITH tagged AS (
    SELECT r.community_id, r.hours,
           r.served_on >= s.inspection_date - s.inspection_days
               AND r.served_on < s.inspection_date AS in_window,
           r.served_on < s.inspection_date - s.inspection_days AS before_window
    FROM scr_records r, scr_settings s
    WHERE s.inspection_date IS NOT NULL
), sums AS (
    SELECT community_id,
           sum(CASE WHEN in_window THEN hours ELSE 0 END) AS window_hours,
           sum(CASE WHEN before_window THEN hours ELSE 0 END) AS before_hours
    FROM tagged GROUP BY community_id
)
SELECT u.community_id, u.window_hours, u.before_hours,
       (u.window_hours / s.inspection_days)
           / nullif(u.before_hours / nullif(CAST(s.days_before_window AS DOUBLE), 0), 0) AS ratio
FROM sums u, scr_settings s;

CREATE OR REPLACE TEMP TABLE scr_rule_spikes AS
WITH month_hits AS (
    SELECT r.file_id, r.source_row,
           coalesce(w.share / nullif(w.usual_share, 0), CAST(999 AS DOUBLE)) AS ratio
    FROM scr_records r
    JOIN scr_month_windows w
      ON w.community_id = r.community_id
     AND w.month = make_date(year(r.served_on), month(r.served_on), 1), scr_settings s
    WHERE r.served_on > last_day(r.served_on) - s.month_end_days
      AND w.end_hours >= s.spike_min_hours
      AND w.share >= s.spike_ratio * w.usual_share
), inspection_hits AS (
    SELECT r.file_id, r.source_row, coalesce(i.ratio, CAST(999 AS DOUBLE)) AS ratio
    FROM scr_records r
    JOIN scr_inspection_window i ON i.community_id = r.community_id, scr_settings s
    WHERE r.served_on >= s.inspection_date - s.inspection_days
      AND r.served_on < s.inspection_date
      AND i.window_hours >= s.spike_min_hours
      AND (i.ratio IS NULL OR i.ratio >= s.spike_ratio)
), hits AS (
    -- A record in two listed windows is listed once, with the larger ratio.
    SELECT file_id, source_row, max(ratio) AS ratio
    FROM (SELECT * FROM month_hits UNION ALL SELECT * FROM inspection_hits) u
    GROUP BY file_id, source_row
)
SELECT 'spikes' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       h.ratio AS measure
FROM hits h
JOIN scr_records r ON r.file_id = h.file_id AND r.source_row = h.source_row;
