-- needs_collected: needs (需求台账) collected on or before E (or undated).
-- needs_resolved: of those, the ones with status 已解决 resolved on or before E (or undated).
-- trainings / training_participants: trainings held in the period, and their 参训人数.

CREATE OR REPLACE TEMP VIEW m_needs_trainings AS
WITH collected AS (
    SELECT n.community_id, count(*) AS needs_collected,
           count(*) FILTER (WHERE n.status = '已解决'
                              AND coalesce(n.resolved_on, DATE '1900-01-01') <= p.end_date) AS needs_resolved
    FROM needs n, period p
    WHERE coalesce(n.collected_on, DATE '1900-01-01') <= p.end_date
    GROUP BY n.community_id
), held AS (
    SELECT t.community_id, count(*) AS trainings, sum(t.participants) AS training_participants
    FROM trainings t, period p
    WHERE t.held_on BETWEEN p.start_date AND p.end_date
    GROUP BY t.community_id
)
SELECT h.community_id,
       coalesce(c.needs_collected, 0) AS needs_collected,
       coalesce(c.needs_resolved, 0) AS needs_resolved,
       coalesce(t.trainings, 0) AS trainings,
       coalesce(t.training_participants, 0) AS training_participants
FROM hierarchy h
LEFT JOIN collected c ON c.community_id = h.community_id
LEFT JOIN held t ON t.community_id = h.community_id;
