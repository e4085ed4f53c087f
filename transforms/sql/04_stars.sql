-- star1 … star5: persons of the community by the highest star level they are eligible for,
-- from their cumulative effective hours up to E (not only inside the period). Thresholds come
-- from vbrief.toml ([stars], default 100/300/600/1000/1500 h). Certification is a separate act:
-- these are eligible counts.

-- Records are summed per person first, then matched to the persons: summing after the join
-- would join every record of the warehouse. hours_before (the same sum, up to the day before
-- the period's start) is for star_list.sql's 本期新达到, summed in the same scan.
CREATE OR REPLACE TEMP TABLE person_cumulative_hours AS
WITH hours_per_person AS (
    SELECT r.person_key, sum(r.hours) AS hours,
           sum(r.hours) FILTER (WHERE r.served_on < p.start_date) AS hours_before
    FROM service_records r, period p
    WHERE r.served_on <= p.end_date
      AND (r.status IS NULL OR r.status IN @effective_status)
    GROUP BY r.person_key
)
SELECT ps.person_key, ps.community_id, coalesce(h.hours, 0) AS hours,
       coalesce(h.hours_before, 0) AS hours_before
FROM persons ps
LEFT JOIN hours_per_person h USING (person_key);

CREATE OR REPLACE TEMP VIEW m_stars AS
SELECT h.community_id,
       count(c.person_key) FILTER (WHERE c.hours >= s.star1 AND c.hours < s.star2) AS star1,
       count(c.person_key) FILTER (WHERE c.hours >= s.star2 AND c.hours < s.star3) AS star2,
       count(c.person_key) FILTER (WHERE c.hours >= s.star3 AND c.hours < s.star4) AS star3,
       count(c.person_key) FILTER (WHERE c.hours >= s.star4 AND c.hours < s.star5) AS star4,
       count(c.person_key) FILTER (WHERE c.hours >= s.star5) AS star5
FROM hierarchy h
LEFT JOIN person_cumulative_hours c USING (community_id), settings s
GROUP BY h.community_id;
