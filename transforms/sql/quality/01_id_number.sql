-- id_number: rows whose 证件号码 is invalid (length, birth date, GB 11643 check digit, digits
-- lost to Excel's scientific notation) or missing with no 志愿者编号 either, and hour records
-- (exported without 证件类型) whose number is no valid ID number and no registered volunteer's
-- other document (unknown_document), or several volunteers' (ambiguous_document). Such rows
-- are quarantined at ingest; checked = rows of volunteer registrations and service records.

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'id_number' AS check_id, coalesce(sum(n), 0) AS checked
FROM qc_rows WHERE kind IN ('volunteers', 'service_records');

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'id_number' AS check_id, owner_id, owner_text, file_id, source_row, column_name, detail, masked_name
FROM qc_quarantine
WHERE reason IN ('invalid_id', 'missing_id', 'unknown_document', 'ambiguous_document')
  AND kind <> 'communities';
