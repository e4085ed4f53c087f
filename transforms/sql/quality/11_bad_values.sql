-- bad_values: every other quarantined row: a value that cannot be read (a date or hours in no
-- known form, a count that is not a whole number), an Excel error cell (#N/A, #VALUE!), or a
-- required value left empty; and repeated rows of ledgers and service records (duplicate
-- record numbers) that conflict with the row kept. checked = data rows of every kind but the
-- communities ledger (whose rows the population check lists).

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'bad_values' AS check_id, coalesce(sum(n), 0) AS checked FROM qc_rows WHERE kind <> 'communities';

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'bad_values' AS check_id, owner_id, owner_text, file_id, source_row, column_name,
       detail || CASE WHEN reason = 'duplicate' THEN '; ' || coalesce(candidates, '') ELSE '' END AS detail,
       masked_name
FROM qc_quarantine
WHERE kind <> 'communities'
  AND reason NOT IN ('invalid_id', 'missing_id', 'unknown_document', 'ambiguous_document',
                     'unknown_community', 'ambiguous_community', 'missing_community',
                     'hours_not_positive', 'hours_over_24')
  AND NOT (reason = 'duplicate' AND kind = 'volunteers');
