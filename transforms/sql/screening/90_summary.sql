-- What the screening found, per community and per rule, and the records an inspector would
-- question (`scr_flagged`: every rule but late_entry, which is a community's share).
-- A record flagged by several rules counts once in a community's flagged records and hours.
--
-- per_capita_hours: the figure's own (hours of the screened records / registered persons);
-- per_capita_hours_unflagged: the same without the flagged records' hours.

CREATE OR REPLACE TEMP TABLE scr_listed AS
SELECT * FROM scr_rule_long_days
UNION ALL SELECT * FROM scr_rule_streaks
UNION ALL SELECT * FROM scr_rule_before_registration
UNION ALL SELECT * FROM scr_rule_overlaps
UNION ALL SELECT * FROM scr_rule_identical_batches
UNION ALL SELECT * FROM scr_rule_late_entry
UNION ALL SELECT * FROM scr_rule_spikes
UNION ALL SELECT * FROM scr_rule_round_repeats;

CREATE OR REPLACE TEMP TABLE scr_flagged AS
SELECT DISTINCT file_id, source_row FROM scr_listed WHERE rule <> 'late_entry';

CREATE OR REPLACE TEMP TABLE scr_rule_counts AS
SELECT l.community_id, l.rule, count(*) AS records, sum(r.hours) AS hours
FROM scr_listed l
JOIN scr_records r ON r.file_id = l.file_id AND r.source_row = l.source_row
GROUP BY l.community_id, l.rule;

CREATE OR REPLACE TEMP TABLE scr_summary AS
WITH screened AS (
    SELECT r.community_id, count(*) AS records, sum(r.hours) AS hours,
           count(f.file_id) AS flagged_records,
           sum(CASE WHEN f.file_id IS NOT NULL THEN r.hours ELSE 0 END) AS flagged_hours
    FROM scr_records r
    LEFT JOIN scr_flagged f ON f.file_id = r.file_id AND f.source_row = r.source_row
    GROUP BY r.community_id
), late AS (
    SELECT l.community_id, sum(r.hours) AS late_hours
    FROM scr_rule_late_entry l
    JOIN scr_records r ON r.file_id = l.file_id AND r.source_row = l.source_row
    GROUP BY l.community_id
), registered AS (
    SELECT community_id, count(*) AS registered FROM persons GROUP BY community_id
)
SELECT h.community_id, h.district, h.street, h.community,
       coalesce(g.registered, 0) AS registered,
       coalesce(s.records, 0) AS records,
       coalesce(s.hours, 0) AS hours,
       coalesce(s.flagged_records, 0) AS flagged_records,
       coalesce(s.flagged_hours, 0) AS flagged_hours,
       coalesce(s.flagged_hours, 0) / nullif(s.hours, 0) AS flagged_share,
       coalesce(l.late_hours, 0) AS late_hours,
       coalesce(l.late_hours, 0) / nullif(s.hours, 0) AS late_share,
       coalesce(s.hours, 0) / nullif(CAST(g.registered AS DOUBLE), 0) AS per_capita_hours,
       (coalesce(s.hours, 0) - coalesce(s.flagged_hours, 0))
           / nullif(CAST(g.registered AS DOUBLE), 0) AS per_capita_hours_unflagged
FROM hierarchy h
LEFT JOIN screened s ON s.community_id = h.community_id
LEFT JOIN late l ON l.community_id = h.community_id
LEFT JOIN registered g ON g.community_id = h.community_id;

-- Every record listed by a rule, with what the listing shows: the file, sheet and row, the
-- person (masked name, 志愿者编号; never an ID number), the day, project, team and hours.
CREATE OR REPLACE TEMP TABLE scr_listing AS
SELECT l.rule, l.community_id, l.measure, r.file_id, r.source_row, coalesce(r.record_no, '') AS record_no,
       coalesce(f.path, '') AS file, coalesce(f.sheet, '') AS sheet,
       coalesce(v.name_masked, '') AS masked_name, coalesce(v.volunteer_no, '') AS volunteer_no,
       r.served_on, r.registered_on, r.entered_on, r.start_at, r.end_at,
       coalesce(r.project, '') AS project, coalesce(r.organization, '') AS organization, r.hours
FROM scr_listed l
JOIN scr_records r ON r.file_id = l.file_id AND r.source_row = l.source_row
LEFT JOIN files f ON f.file_id = r.file_id
LEFT JOIN volunteers v ON v.k = r.person_key;
