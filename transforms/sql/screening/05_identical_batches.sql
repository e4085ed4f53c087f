-- identical_batches: at least [screening] batch_records (default 20) records of the same
-- project and team, on the same day, with the same start, end and hours, when those hours are
-- at least batch_hours (default 6). A whole-day service of many people at once is rare; this
-- is what bulk entry (团体录入) leaves behind. A group activity of 30 people for 2 hours is
-- not listed. Only records with start and end times. measure = the batch's size.
--
-- Records without a team form a batch only within their community: project names such as
-- 文明交通劝导 are common to a whole city, and records of one such project on one day in many
-- communities are not one entry.

CREATE OR REPLACE TEMP TABLE scr_batch_records AS
SELECT file_id, source_row, community_id, person_key, served_on, start_at, end_at, hours,
       coalesce(project, '') AS project,
       CASE WHEN coalesce(organization, '') = '' THEN 'community ' || CAST(community_id AS STRING)
            ELSE 'team ' || organization END AS batch_of
FROM scr_records, scr_settings s
-- Shorter records cannot be in a listed batch (all of a batch's records have its hours).
WHERE start_at IS NOT NULL AND end_at IS NOT NULL AND hours >= s.batch_hours;

CREATE OR REPLACE TEMP TABLE scr_batches AS
SELECT project, batch_of, served_on, start_at, end_at, hours, count(*) AS records
FROM scr_batch_records
GROUP BY project, batch_of, served_on, start_at, end_at, hours;

CREATE OR REPLACE TEMP TABLE scr_rule_identical_batches AS
SELECT 'identical_batches' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       CAST(b.records AS DOUBLE) AS measure
FROM scr_batch_records r
JOIN scr_batches b
  ON b.project = r.project AND b.batch_of = r.batch_of
 AND b.served_on = r.served_on AND b.start_at = r.start_at AND b.end_at = r.end_at
 AND b.hours = r.hours, scr_settings s
WHERE b.records >= s.batch_records;
