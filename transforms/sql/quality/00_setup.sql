-- Data-quality checks (`vbrief check`, the briefing's annex, `vbrief ingest`'s summary).
-- vbrief sets `qc_settings` (the period, today's date, the earliest plausible date and the
-- tolerance for exported cumulative hours) and `qc_months` (the months of the period). Each
-- check file after this one leaves two views, which vbrief counts before the next check:
--   qc_checked (check_id, checked): how many rows (or units) the check looked at;
--   qc_failing (check_id, owner_id, owner_text, file_id, source_row, column_name, detail,
--     masked_name): one line per failing row, with the community that must fix it
--     (owner_id, from the ledger; else owner_text, the community as the row wrote it).
-- Every quarantined row belongs to exactly one check: the id, duplicate, community, hours and
-- population checks take theirs by reason, and `bad_values` takes the rest.

-- Quarantined rows with the community they belong to: the one the row names, else the
-- community of the person the row is about.
CREATE OR REPLACE TEMP VIEW qc_quarantine AS
SELECT q.file_id, q.source_row, q.kind, q.column_name, q.reason, q.detail, q.candidates,
       coalesce(q.masked_name, v.name_masked) AS masked_name,
       coalesce(q.community_id, v.community_id) AS owner_id,
       q.community_text AS owner_text
FROM quarantine q LEFT JOIN volunteers v ON v.k = q.person_key;

-- Data rows examined per kind, over every ingested sheet (accepted, quarantined, or seen again
-- in an overlapping export).
CREATE OR REPLACE TEMP TABLE qc_rows AS
SELECT kind, sum(accepted + quarantined + skipped_known) AS n FROM files GROUP BY kind;

-- Every service record with the person's community and masked name (NULL when the person is
-- not in the registry). A view, not a table: each check filters the records first (the
-- filter is pushed below the join), so only the rows a check reports are joined, and counts
-- are taken on service_records itself.
CREATE OR REPLACE TEMP VIEW qc_records AS
SELECT r.file_id, r.source_row, r.person_key, r.served_on, r.hours, r.status, r.organization,
       v.community_id AS owner_id, v.name_masked, v.k IS NOT NULL AS registered
FROM service_records r LEFT JOIN volunteers v ON v.k = r.person_key;
