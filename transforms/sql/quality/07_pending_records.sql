-- pending_records: service records whose status is not 已生效 (e.g. 未生效, 待审核). They do not
-- count toward hours until approved in the system; listed so that communities can chase the
-- approval. Records from an export without a status column count as effective and are not
-- listed. checked = service records.

INSERT INTO qc_checked SELECT 'pending_records', count(*) FROM service_records;

INSERT INTO qc_failing
SELECT 'pending_records', owner_id, NULL, file_id, source_row, '状态',
       '状态为“' || CASE WHEN status = '' THEN '(空)' ELSE status END
           || '”，不计入服务时长 (status is not 已生效: the hours do not count)',
       name_masked
FROM qc_records
WHERE status IS NOT NULL AND status <> '已生效';
