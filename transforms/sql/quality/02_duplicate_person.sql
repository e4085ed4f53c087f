-- duplicate_person: the same person (same ID number, so the same person key) registered more
-- than once. The earliest registration is kept; the others are quarantined as duplicates and
-- listed here with a pointer to the row kept. checked = volunteer registration rows.

INSERT INTO qc_checked
SELECT 'duplicate_person', coalesce(sum(n), 0) FROM qc_rows WHERE kind = 'volunteers';

INSERT INTO qc_failing
SELECT 'duplicate_person', owner_id, owner_text, file_id, source_row, column_name,
       detail || '; ' || candidates, masked_name
FROM qc_quarantine
WHERE reason = 'duplicate' AND kind = 'volunteers';
