-- registered: number of persons of the community (see 01_scope.sql).
-- hours: sum of effective hours served in the period by persons of the community.
-- active_volunteers: persons of the community with at least one effective record in the period.

CREATE OR REPLACE TEMP TABLE m_volunteers AS
SELECT h.community_id,
       (SELECT count(*) FROM persons ps WHERE ps.community_id = h.community_id) AS registered,
       coalesce((SELECT sum(hours) FROM effective_records e WHERE e.community_id = h.community_id), 0) AS hours,
       (SELECT count(DISTINCT person_key) FROM effective_records e WHERE e.community_id = h.community_id) AS active_volunteers
FROM hierarchy h;
