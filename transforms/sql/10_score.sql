-- The composite score (综合得分) and the rank within the district: a LOCAL CONVENTION, not an
-- official index (the briefing says so). Weights are vbrief.toml [score.weights]; a component
-- without a weight counts 0.
--
-- Each component is how far a unit has come toward its target, capped to 0..1, read from the
-- figures as they are published (rates to 4 decimals, hours to 2):
--   registration_rate    registration_rate / registration target        (undefined rate: 0)
--   per_capita_hours     annualized per-capita hours / 25 h a year       (undefined: 0)
--   participation_rate   participation_rate                              (undefined: 0)
--   category_coverage    category_coverage
--   need_resolution_rate need_resolution_rate                            (undefined: 0)
--   organizations        organizations per community / the aim (2)
-- score = Σ weight × component / Σ weight × 100, to one decimal, for every unit.
-- rank_in_district: communities only, by score (as printed) within their district, highest
-- first; equal scores share a rank (1, 1, 3).
--
-- The score is rounded here, not when it is formatted, because the rank is taken on the score
-- as printed: two communities shown with the same score have the same rank.
-- Rounding is written round(x * 10^n) / 10^n, as the Rust side rounds what it prints: the same
-- double on both engines. round(x, n) differs between them at a tie: Spark rounds the
-- double's exact value (46.149999... to 46.1), DuckDB rounds x * 10 (461.5, to 46.2); one
-- community of 6,000 at 1/100 of the nation scored 46.1 on Spark and 46.2 on DuckDB.

CREATE OR REPLACE TEMP VIEW score_components AS
SELECT i.level, i.province, i.city, i.district, i.street, i.community_id, i.community,
       coalesce(least(greatest(round(i.registration_rate * 10000) / 10000 / s.registration_target, 0), 1), 0)
           AS c_registration_rate,
       coalesce(least(greatest(round(i.annualized_per_capita_hours * 100) / 100 / s.per_capita_target_year, 0), 1), 0)
           AS c_per_capita_hours,
       coalesce(least(greatest(round(i.participation_rate * 10000) / 10000, 0), 1), 0) AS c_participation_rate,
       coalesce(least(greatest(round(i.category_coverage * 10000) / 10000, 0), 1), 0) AS c_category_coverage,
       coalesce(least(greatest(round(i.need_resolution_rate * 10000) / 10000, 0), 1), 0) AS c_need_resolution_rate,
       coalesce(least(greatest(round(i.organizations_per_community * 100) / 100 / s.organizations_aim, 0), 1), 0)
           AS c_organizations,
       s.weight_category_coverage, s.weight_need_resolution_rate, s.weight_organizations,
       s.weight_participation_rate, s.weight_per_capita_hours, s.weight_registration_rate
FROM indicators i, settings s;

-- The sums run in the order of the components' names, as the weights are listed.
CREATE OR REPLACE TEMP TABLE score AS
WITH weighted AS (
    SELECT level, province, city, district, street, community_id, community,
           c_registration_rate, c_per_capita_hours, c_participation_rate, c_category_coverage,
           c_need_resolution_rate, c_organizations,
           weight_category_coverage * c_category_coverage
             + weight_need_resolution_rate * c_need_resolution_rate
             + weight_organizations * c_organizations
             + weight_participation_rate * c_participation_rate
             + weight_per_capita_hours * c_per_capita_hours
             + weight_registration_rate * c_registration_rate AS weighted_sum,
           weight_category_coverage + weight_need_resolution_rate + weight_organizations
             + weight_participation_rate + weight_per_capita_hours + weight_registration_rate
             AS weight_total
    FROM score_components
), scored AS (
    SELECT *,
           CASE WHEN weight_total > 0 THEN round(weighted_sum / weight_total * 100 * 10) / 10
                ELSE CAST(0 AS DOUBLE) END AS score
    FROM weighted
)
SELECT level, province, city, district, street, community_id,
       c_registration_rate, c_per_capita_hours, c_participation_rate, c_category_coverage,
       c_need_resolution_rate, c_organizations,
       score,
       CASE WHEN level = 'community'
            THEN rank() OVER (PARTITION BY level, province, city, district ORDER BY score DESC NULLS LAST) END
           AS rank_in_district
FROM scored;
