-- The status words the service records carry (状态/时长状态), each with how many records
-- carry it and which [status] list of vbrief.toml it is in: `effective` (counts),
-- `not_effective` (known not to count) or `unknown` (does not count, and nobody has said
-- whether it should). The web app's settings page offers to file the unknown ones.

CREATE OR REPLACE TEMP TABLE status_words AS
SELECT status AS word,
       count(*) AS records,
       CASE WHEN status IN @effective_status THEN 'effective'
            WHEN status IN @known_pending_status THEN 'not_effective'
            ELSE 'unknown' END AS list
FROM service_records
WHERE status IS NOT NULL AND status <> ''
GROUP BY status;
