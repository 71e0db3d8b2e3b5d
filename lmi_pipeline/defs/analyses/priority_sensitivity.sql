-- Priority sensitivity: for each district, the top ward under each documented alternative weighting
-- (`priority_schemes` and their weights `priority_scheme_weights`, registered by the asset, scored by
-- priority_scores.sql), and where the configured top ward ranks under it. A top ward that changes with the
-- weights is a judgement, not a finding.
CREATE OR REPLACE TABLE priority_sensitivity AS
WITH stated_weights AS (  -- "youth_claimant_rate=0.4, claimant_rate=0.25, ...": the weights that are not 0
    SELECT scheme, string_agg(component || '=' || printf('%g', weight), ', ' ORDER BY position) AS weights
    FROM priority_scheme_weights WHERE weight <> 0 GROUP BY scheme
),
configured_top AS (
    SELECT lad_code, string_agg(ward_code, ', ' ORDER BY ward_code) AS ward_codes
    FROM priority_ward_scores WHERE scheme = 'configured' AND score_rank = 1 GROUP BY lad_code
),
per_scheme AS (
    SELECT s.scheme, s.lad_code,
           string_agg(w.ward_name || ' (' || s.ward_code || ')', ', ' ORDER BY s.ward_code)
               FILTER (WHERE s.score_rank = 1) AS top_wards,
           round(max(s.score) FILTER (WHERE s.score_rank = 1), 1) AS top_score,
           min(s.score_rank) FILTER (WHERE list_contains(string_split(t.ward_codes, ', '), s.ward_code))
               AS configured_top_rank,
           any_value(s.components_used) FILTER (WHERE s.score_rank = 1) AS components_used,
           any_value(s.n_wards) AS n_wards
    FROM priority_ward_scores s
    JOIN (SELECT DISTINCT lad_code, ward_code, ward_vintage, ward_name FROM priority_component_scores) w
      USING (lad_code, ward_code, ward_vintage)
    LEFT JOIN configured_top t USING (lad_code)
    GROUP BY s.scheme, s.lad_code
)
SELECT p.lad_code, b.lad_name, b.ward_vintage, m.position, p.scheme, m.description,
       coalesce(sw.weights, '') AS weights,
       p.top_wards, p.top_score, p.configured_top_rank, p.n_wards,
       coalesce(p.configured_top_rank = 1, false) AS same_top_as_configured, p.components_used
FROM per_scheme p
JOIN priority_schemes m USING (scheme)
LEFT JOIN stated_weights sw USING (scheme)
JOIN ward_boundary_sets b ON b.lad_code = p.lad_code AND b.is_ranking_set
ORDER BY p.lad_code, m.position;
