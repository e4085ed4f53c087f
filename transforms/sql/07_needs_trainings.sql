-- needs_collected: needs (需求台账) collected on or before E (or undated).
-- needs_resolved: of those, the ones with status 已解决 resolved on or before E (or undated).
-- trainings / training_participants: trainings held in the period, and their 参训人数.

CREATE OR REPLACE TEMP TABLE m_needs_trainings AS
SELECT h.community_id,
       (SELECT count(*) FROM needs n
         WHERE n.community_id = h.community_id
           AND coalesce(n.collected_on, DATE '1900-01-01') <= (SELECT end_date FROM period)) AS needs_collected,
       (SELECT count(*) FROM needs n
         WHERE n.community_id = h.community_id
           AND coalesce(n.collected_on, DATE '1900-01-01') <= (SELECT end_date FROM period)
           AND n.status = '已解决'
           AND coalesce(n.resolved_on, DATE '1900-01-01') <= (SELECT end_date FROM period)) AS needs_resolved,
       (SELECT count(*) FROM trainings t, period p
         WHERE t.community_id = h.community_id AND t.held_on BETWEEN p.start_date AND p.end_date) AS trainings,
       (SELECT coalesce(sum(participants), 0) FROM trainings t, period p
         WHERE t.community_id = h.community_id AND t.held_on BETWEEN p.start_date AND p.end_date) AS training_participants
FROM hierarchy h;
