-- id_number: rows whose 证件号码 is invalid (length, birth date, GB 11643 check digit, digits
-- lost to Excel's scientific notation) or missing with no 志愿者编号 either. Such rows are
-- quarantined at ingest; checked = rows of volunteer registrations and service records.

INSERT INTO qc_checked
SELECT 'id_number', coalesce(sum(n), 0) FROM qc_rows WHERE kind IN ('volunteers', 'service_records');

INSERT INTO qc_failing
SELECT 'id_number', owner_id, owner_text, file_id, source_row, column_name, detail, masked_name
FROM qc_quarantine
WHERE reason IN ('invalid_id', 'missing_id') AND kind <> 'communities';
