-- unregistered_person: accepted service records of a person who is not in the volunteer
-- registry (志愿者注册信息): no registration with that ID number or 志愿者编号. Their hours
-- count for no community until the person's registration is ingested. The community is not
-- known, so these rows are listed together, with the organization that recorded them.
-- checked = service records.

CREATE OR REPLACE TEMP VIEW qc_checked AS
SELECT 'unregistered_person' AS check_id, count(*) AS checked FROM service_records;

CREATE OR REPLACE TEMP VIEW qc_failing AS
SELECT 'unregistered_person' AS check_id, CAST(NULL AS INTEGER) AS owner_id,
       CAST(NULL AS STRING) AS owner_text, file_id, source_row, '证件号码' AS column_name,
       '志愿者注册信息中没有此人 (person not in the volunteer registry)'
           || CASE WHEN organization IS NOT NULL THEN '; 服务团体 organization: ' || organization ELSE '' END
           AS detail,
       CAST(NULL AS STRING) AS masked_name
FROM service_records r
WHERE NOT EXISTS (SELECT 1 FROM volunteers v WHERE v.k = r.person_key);
