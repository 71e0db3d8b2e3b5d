-- Priority scores (two temporary tables: per ward x component, and per ward) of the wards of each district's ranking set, under one or more weighting schemes (the
-- temporary table `priority_scheme_weights(scheme, component, weight)`). Method (docs/report.md):
-- 1. Only the district's ranking set (ward_boundary_sets) is scored: wards of two boundary sets never mix.
-- 2. A component counts only if every ward of the set has a figure for it and the figures vary, so every
--    ward in one ranking is scored on the same components.
-- 3. z = (value - mean of the set's wards) / population standard deviation, within the district.
-- 4. Score = sum(weight x z) / sum(weight) over the components that count. Rank 1 = highest score.
CREATE OR REPLACE TEMP TABLE priority_component_scores AS
WITH ranked_set AS (
    SELECT i.*, s.scheme, s.weight
    FROM priority_inputs i
    JOIN ward_boundary_sets b ON b.lad_code = i.lad_code AND b.ward_vintage = i.ward_vintage AND b.is_ranking_set
    JOIN priority_scheme_weights s ON s.component = i.component
),
component_state AS (
    SELECT scheme, lad_code, component, count(value) AS n_with_value, count(*) AS n,
           coalesce(stddev_pop(value) > 0, false) AS varies
    FROM ranked_set GROUP BY scheme, lad_code, component
),
standardised AS (
    SELECT r.*, c.n_with_value, c.n, c.varies,
           r.weight > 0 AND c.n_with_value = c.n AND c.varies AS is_used,
           CASE WHEN c.varies THEN (r.value - avg(r.value) OVER d) / stddev_pop(r.value) OVER d END AS z,
           CASE WHEN r.value IS NOT NULL
                THEN rank() OVER (PARTITION BY r.scheme, r.lad_code, r.component ORDER BY r.value DESC) END
               AS component_rank
    FROM ranked_set r JOIN component_state c USING (scheme, lad_code, component)
    WINDOW d AS (PARTITION BY r.scheme, r.lad_code, r.component)
),
scored AS (
    SELECT *,
           sum(CASE WHEN is_used THEN weight * z END) OVER w / nullif(sum(CASE WHEN is_used THEN weight END) OVER w, 0)
               AS score
    FROM standardised
    WINDOW w AS (PARTITION BY scheme, lad_code, ward_code)
)
SELECT * FROM scored;

-- One row per scheme x ward: its score and rank (1 = highest; equal scores share a rank).
CREATE OR REPLACE TEMP TABLE priority_ward_scores AS
SELECT *,
       -- Ranked on the score to 9 dp so floating-point noise does not split equal scores.
       CASE WHEN score IS NOT NULL
            THEN rank() OVER (PARTITION BY scheme, lad_code ORDER BY round(score, 9) DESC NULLS LAST) END AS score_rank,
       count(*) OVER (PARTITION BY scheme, lad_code) AS n_wards
FROM (SELECT scheme, lad_code, ward_code, ward_vintage, any_value(score) AS score,
             string_agg(component, ', ' ORDER BY position) FILTER (WHERE is_used) AS components_used
      FROM priority_component_scores GROUP BY scheme, lad_code, ward_code, ward_vintage);
