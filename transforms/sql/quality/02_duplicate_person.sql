-- duplicate_person: the same person (same ID number, so the same person key) registered more
-- than once. The earliest registration is kept; the others are quarantined as duplicates and
-- listed here with a pointer to the row kept. checked = volunteer registration rows.

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'duplicate_person' AS check_id, coalesce(sum(n), 0) AS checked
FROM qc_rows WHERE kind = 'volunteers';

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'duplicate_person' AS check_id, owner_id, owner_text, file_id, source_row, column_name,
       detail || '; ' || candidates AS detail, masked_name
FROM qc_quarantine
WHERE reason = 'duplicate' AND kind = 'volunteers';
