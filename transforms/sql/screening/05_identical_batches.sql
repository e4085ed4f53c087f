-- identical_batches: at least [screening] batch_records (default 20) records of the same
-- project and team, on the same day, with the same start, end and hours, when those hours are
-- at least batch_hours (default 6). A whole-day service of many people at once is rare; this
-- is what bulk entry (团体录入) leaves behind. A group activity of 30 people for 2 hours is
-- not listed. Only records with start and end times. measure = the batch's size.

CREATE OR REPLACE TEMP TABLE scr_batches AS
SELECT project, organization, served_on, start_at, end_at, hours, count(*) AS records
FROM (SELECT coalesce(project, '') AS project, coalesce(organization, '') AS organization,
             served_on, start_at, end_at, hours
      FROM scr_records
      WHERE start_at IS NOT NULL AND end_at IS NOT NULL) t
GROUP BY project, organization, served_on, start_at, end_at, hours;

CREATE OR REPLACE TEMP TABLE scr_rule_identical_batches AS
SELECT 'identical_batches' AS rule, r.file_id, r.source_row, r.community_id, r.person_key,
       CAST(b.records AS DOUBLE) AS measure
FROM scr_records r
JOIN scr_batches b
  ON b.project = coalesce(r.project, '') AND b.organization = coalesce(r.organization, '')
 AND b.served_on = r.served_on AND b.start_at = r.start_at AND b.end_at = r.end_at
 AND b.hours = r.hours, scr_settings s
WHERE b.records >= s.batch_records AND b.hours >= s.batch_hours;
