-- activities: activities of the community (活动台账) held in the period.
-- category_coverage: distinct standard service categories among those activities, divided by
--   the number of standard categories (vbrief.toml [categories]; other names map through its
--   aliases, unmapped ones do not count).
-- active_months: months of the period with at least one activity or effective service record
--   in the community (regularity, 常态化); months_in_period counts the months the period touches.
-- These are distinct counts, so streets, districts and the city are computed from the facts
-- below, not by adding up communities.

CREATE OR REPLACE TEMP TABLE activity_facts AS
SELECT a.community_id, a.category, make_date(year(a.held_on), month(a.held_on), 1) AS month
FROM activities a, period p
WHERE a.held_on BETWEEN p.start_date AND p.end_date;

CREATE OR REPLACE TEMP TABLE month_facts AS
SELECT community_id, month FROM activity_facts
UNION
SELECT community_id, make_date(year(served_on), month(served_on), 1) FROM effective_records;
