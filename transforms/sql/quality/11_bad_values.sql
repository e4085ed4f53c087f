-- bad_values: every other quarantined row: a value that cannot be read (a date or hours in no
-- known form, a count that is not a whole number), an Excel error cell (#N/A, #VALUE!), or a
-- required value left empty; and repeated rows of ledgers and service records (duplicate
-- record numbers) that conflict with the row kept. checked = data rows of every kind but the
-- communities ledger (whose rows the population check lists).

INSERT INTO qc_checked
SELECT 'bad_values', coalesce(sum(n), 0) FROM qc_rows WHERE kind <> 'communities';

INSERT INTO qc_failing
SELECT 'bad_values', owner_id, owner_text, file_id, source_row, column_name,
       detail || CASE WHEN reason = 'duplicate' THEN '; ' || coalesce(candidates, '') ELSE '' END,
       masked_name
FROM qc_quarantine
WHERE kind <> 'communities'
  AND reason NOT IN ('invalid_id', 'missing_id', 'unknown_community', 'ambiguous_community',
                     'missing_community', 'hours_not_positive', 'hours_over_24')
  AND NOT (reason = 'duplicate' AND kind = 'volunteers');
