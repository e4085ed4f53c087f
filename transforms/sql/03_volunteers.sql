-- registered: number of persons of the community (see 01_scope.sql).
-- hours: sum of effective hours served in the period by persons of the community.
-- active_volunteers: persons of the community with at least one effective record in the period.

CREATE OR REPLACE TEMP VIEW m_volunteers AS
WITH registered AS (
    SELECT community_id, count(*) AS registered FROM persons GROUP BY community_id
), served AS (
    SELECT community_id, sum(hours) AS hours, count(DISTINCT person_key) AS active_volunteers
    FROM effective_records GROUP BY community_id
)
SELECT h.community_id,
       coalesce(r.registered, 0) AS registered,
       coalesce(s.hours, 0) AS hours,
       coalesce(s.active_volunteers, 0) AS active_volunteers
FROM hierarchy h
LEFT JOIN registered r ON r.community_id = h.community_id
LEFT JOIN served s ON s.community_id = h.community_id;
