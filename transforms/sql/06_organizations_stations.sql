-- organizations: volunteer organizations of the community founded on or before E (or with no
--   founding date) and not ended (status 解散, 注销, 撤销, also written 已解散 …).
-- has_station: the community has a service station established on or before E (or with no date).

CREATE OR REPLACE TEMP TABLE m_organizations_stations AS
SELECT h.community_id,
       (SELECT count(*) FROM organizations o
         WHERE o.community_id = h.community_id
           AND coalesce(o.founded_on, DATE '1900-01-01') <= (SELECT end_date FROM period)
           AND coalesce(o.status, '') NOT IN ('解散', '注销', '已解散', '已注销', '撤销', '已撤销')) AS organizations,
       EXISTS (SELECT 1 FROM stations s
                WHERE s.community_id = h.community_id
                  AND coalesce(s.established_on, DATE '1900-01-01') <= (SELECT end_date FROM period)) AS has_station
FROM hierarchy h;
