-- organizations: volunteer organizations of the community founded on or before E (or with no
--   founding date) and not ended (status 解散, 注销, 撤销, also written 已解散 …).
-- has_station: the community has a service station established on or before E (or with no date).

CREATE OR REPLACE TEMP VIEW m_organizations_stations AS
WITH existing_organizations AS (
    SELECT o.community_id, count(*) AS organizations
    FROM organizations o, period p
    WHERE coalesce(o.founded_on, DATE '1900-01-01') <= p.end_date
      AND coalesce(o.status, '') NOT IN ('解散', '注销', '已解散', '已注销', '撤销', '已撤销')
    GROUP BY o.community_id
), communities_with_station AS (
    SELECT DISTINCT s.community_id
    FROM stations s, period p
    WHERE coalesce(s.established_on, DATE '1900-01-01') <= p.end_date
)
SELECT h.community_id,
       coalesce(o.organizations, 0) AS organizations,
       s.community_id IS NOT NULL AS has_station
FROM hierarchy h
LEFT JOIN existing_organizations o ON o.community_id = h.community_id
LEFT JOIN communities_with_station s ON s.community_id = h.community_id;
