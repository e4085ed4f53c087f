-- pending_records: service records whose status does not count (vbrief.toml [status]
-- effective, default 已生效): 未生效, 待审核, 申请中, 未签退 … do not count toward hours until
-- approved in the system; listed so that communities can chase the approval. A status word
-- vbrief does not know (in neither [status] list) is listed with how many records carry it,
-- so that an office notices a new word and says whether it counts. Records from an export
-- without a status column count as effective and are not listed. checked = service records.

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'pending_records' AS check_id, count(*) AS checked FROM service_records;

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'pending_records' AS check_id, owner_id, CAST(NULL AS STRING) AS owner_text, file_id,
       source_row, '状态' AS column_name,
       CASE WHEN status = '' OR status IN @known_pending_status
            THEN '状态为“' || CASE WHEN status = '' THEN '(空)' ELSE status END
                 || '”，不计入服务时长 (status is not 已生效: the hours do not count)'
            ELSE '状态为“' || status || '”，vbrief 不认识这个状态词（共 '
                 || CAST(count(*) OVER (PARTITION BY status) AS STRING)
                 || ' 条），不计入服务时长；如它表示有效，请加入 vbrief.toml 的 [status] effective (unknown status word, not counted; add it to [status] effective if it means effective)'
       END AS detail,
       name_masked AS masked_name
FROM qc_records
WHERE status IS NOT NULL AND status NOT IN @effective_status;
