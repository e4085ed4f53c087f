-- community_match: rows whose community is not in the communities ledger (人口台账), is
-- ambiguous (the name exists in several districts and the row gives no district or street),
-- or is empty. Listed under the community as the row wrote it, with the closest candidates.
-- checked = rows of every kind that names a community.

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'community_match' AS check_id, coalesce(sum(n), 0) AS checked FROM qc_rows
WHERE kind NOT IN ('communities', 'service_records');

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'community_match' AS check_id, owner_id, owner_text, file_id, source_row, column_name,
       detail || CASE WHEN coalesce(candidates, '') <> '' THEN '; 候选 candidates: ' || candidates ELSE '' END
           AS detail,
       masked_name
FROM qc_quarantine
WHERE reason IN ('unknown_community', 'ambiguous_community', 'missing_community')
  AND kind <> 'communities';
