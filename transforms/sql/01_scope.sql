-- Who and what counts for the period (tables `period` and `settings` are set by vbrief).
--
-- persons: the registered persons of each community at the end of the period E: after
--   deduplication (done at ingest) their community is c, they registered on or before E,
--   and their status is not 注销 (cancelled).
-- effective_records: service records dated inside the period whose status is 已生效, or that
--   came from an export without a status column, and that belong to one of those persons.
--   Records of anyone else (unknown person, 注销, registered after E) are left out here and
--   counted by `vbrief explain`.

CREATE OR REPLACE TEMP TABLE hierarchy AS
SELECT community_id, district, street, community FROM communities;

CREATE OR REPLACE TEMP TABLE persons AS
SELECT v.k AS person_key, v.community_id, v.registered_on
FROM volunteers v, period p
WHERE v.registered_on <= p.end_date
  AND coalesce(v.status, '') <> '注销';

CREATE OR REPLACE TEMP TABLE effective_records AS
SELECT r.person_key, ps.community_id, r.served_on, r.hours
FROM service_records r
JOIN persons ps ON ps.person_key = r.person_key, period p
WHERE r.served_on BETWEEN p.start_date AND p.end_date
  AND (r.status IS NULL OR r.status = '已生效');
