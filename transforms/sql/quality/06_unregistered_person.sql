-- unregistered_person: accepted service records of a person who is not in the volunteer
-- registry (志愿者注册信息): no registration with that ID number or 志愿者编号. Their hours
-- count for no community until the person's registration is ingested. The community is not
-- known, so these rows are listed together, with the organization that recorded them.
-- checked = service records.

INSERT INTO qc_checked SELECT 'unregistered_person', count(*) FROM service_records;

INSERT INTO qc_failing
SELECT 'unregistered_person', NULL, NULL, file_id, source_row, '证件号码',
       '志愿者注册信息中没有此人 (person not in the volunteer registry)'
           || CASE WHEN organization IS NOT NULL THEN '; 服务团体 organization: ' || organization ELSE '' END,
       NULL
FROM service_records r
WHERE NOT EXISTS (SELECT 1 FROM volunteers v WHERE v.k = r.person_key);
