-- Priority wards: the wards of each district's ranking set (ward_boundary_sets) ranked by the configured
-- composite (priority_scores.sql, scheme 'configured'), with the 95% interval of the rank that rounding alone
-- allows (`priority_rank_intervals`, registered by the asset) and a count-based view beside the rate-based
-- one. Reads the temporary tables priority_component_scores, priority_ward_scores and priority_rank_intervals.
CREATE OR REPLACE TABLE priority_wards AS
WITH c AS (
    SELECT * FROM priority_component_scores WHERE scheme = 'configured'
),
per_ward AS (
    SELECT lad_code, any_value(lad_name) AS lad_name, ward_code, ward_vintage, any_value(ward_name) AS ward_name,
           any_value(is_focus) AS is_focus, any_value(claimant_period) AS claimant_period,
           max(value) FILTER (WHERE component = 'youth_claimant_rate')          AS youth_claimant_rate,
           max(lower) FILTER (WHERE component = 'youth_claimant_rate')          AS youth_claimant_rate_lower,
           max(upper) FILTER (WHERE component = 'youth_claimant_rate')          AS youth_claimant_rate_upper,
           max(lad_value) FILTER (WHERE component = 'youth_claimant_rate')      AS lad_youth_claimant_rate,
           round(max(z) FILTER (WHERE component = 'youth_claimant_rate'), 1)    AS youth_claimant_rate_z,
           max(component_rank) FILTER (WHERE component = 'youth_claimant_rate') AS youth_claimant_rate_rank,
           max(value) FILTER (WHERE component = 'claimant_rate')                AS claimant_rate,
           max(lower) FILTER (WHERE component = 'claimant_rate')                AS claimant_rate_lower,
           max(upper) FILTER (WHERE component = 'claimant_rate')                AS claimant_rate_upper,
           max(lad_value) FILTER (WHERE component = 'claimant_rate')            AS lad_claimant_rate,
           round(max(z) FILTER (WHERE component = 'claimant_rate'), 1)          AS claimant_rate_z,
           max(component_rank) FILTER (WHERE component = 'claimant_rate')       AS claimant_rate_rank,
           max(value) FILTER (WHERE component = 'claimant_rate_change_12m')     AS claimant_rate_change_12m,
           max(lower) FILTER (WHERE component = 'claimant_rate_change_12m')     AS claimant_rate_change_12m_lower,
           max(upper) FILTER (WHERE component = 'claimant_rate_change_12m')     AS claimant_rate_change_12m_upper,
           max(lad_value) FILTER (WHERE component = 'claimant_rate_change_12m') AS lad_claimant_rate_change_12m,
           round(max(z) FILTER (WHERE component = 'claimant_rate_change_12m'), 1) AS claimant_rate_change_12m_z,
           max(component_rank) FILTER (WHERE component = 'claimant_rate_change_12m') AS claimant_rate_change_12m_rank,
           max(value) FILTER (WHERE component = 'census_unemployment_rate')     AS census_unemployment_rate,
           max(lad_value) FILTER (WHERE component = 'census_unemployment_rate') AS lad_census_unemployment_rate,
           round(max(z) FILTER (WHERE component = 'census_unemployment_rate'), 1) AS census_unemployment_rate_z,
           max(component_rank) FILTER (WHERE component = 'census_unemployment_rate') AS census_unemployment_rate_rank,
           max(period) FILTER (WHERE component = 'census_unemployment_rate')    AS census_period,
           max(value) FILTER (WHERE component = 'employment_deprivation')       AS employment_deprivation,
           max(lad_value) FILTER (WHERE component = 'employment_deprivation')   AS lad_employment_deprivation,
           round(max(z) FILTER (WHERE component = 'employment_deprivation'), 1) AS employment_deprivation_z,
           max(component_rank) FILTER (WHERE component = 'employment_deprivation') AS employment_deprivation_rank,
           string_agg(component || '=' || weight, ', ' ORDER BY position) AS weights,
           string_agg(component || CASE WHEN weight = 0 THEN ' (weight 0)'
                                        WHEN n_with_value = 0 THEN ' (no figures)'
                                        WHEN n_with_value < n
                                        THEN ' (' || (n - n_with_value) || ' of ' || n
                                             || ' wards without a figure, so left out for every ward)'
                                        ELSE ' (no variation between wards)' END, ', ' ORDER BY position)
               FILTER (WHERE NOT is_used) AS components_missing,
           -- Why a ward scores as it does: the components that raise its score (largest contribution first),
           -- and apart from them those that lower it, each against the district. A component below the
           -- district's average argues against priority, so it is never given as a reason for it.
           string_agg(label || ' ' || CASE WHEN measure = 'change_12m'
                                           THEN printf('%+.1f pts', value) || coalesce(printf(' (district %+.1f)', lad_value), '')
                                           ELSE printf('%.1f%%', value) || coalesce(printf(' (district %.1f%%)', lad_value), '') END
                      || CASE WHEN period <> claimant_period THEN ' in ' || strftime(period, '%B %Y') ELSE '' END
                      || ', ranked ' || component_rank || ' of ' || n || ' wards', '; ' ORDER BY weight * z DESC) FILTER (WHERE is_used AND weight * z > 0) AS reasons,
           string_agg(label || ' ' || CASE WHEN measure = 'change_12m'
                                           THEN printf('%+.1f pts', value) || coalesce(printf(' (district %+.1f)', lad_value), '')
                                           ELSE printf('%.1f%%', value) || coalesce(printf(' (district %.1f%%)', lad_value), '') END
                      || CASE WHEN period <> claimant_period THEN ' in ' || strftime(period, '%B %Y') ELSE '' END
                      || ', ranked ' || component_rank || ' of ' || n || ' wards', '; ' ORDER BY weight * z) FILTER (WHERE is_used AND weight * z < 0) AS held_back_by,
           string_agg(component, ', ' ORDER BY position) FILTER (WHERE is_used AND small_number) AS small_number_components,
           string_agg(DISTINCT source_query_id, ', ' ORDER BY source_query_id) AS source_query_ids,
           string_agg(DISTINCT denominator_query_id, ', ' ORDER BY denominator_query_id) AS denominator_query_ids,
           string_agg(DISTINCT status, '/' ORDER BY status) FILTER (WHERE is_used) AS statuses,
           string_agg(DISTINCT data_label, ', ' ORDER BY data_label) AS data_label
    FROM c
    GROUP BY lad_code, ward_code, ward_vintage
),
counts AS (  -- where most people are affected: the claimant counts themselves, same ward, same month
    SELECT w.ward_code, w.ward_vintage,
           max(w.value) FILTER (WHERE w.indicator = 'claimant_count') AS claimant_count,
           max(w.value) FILTER (WHERE w.indicator = $youth_count_indicator) AS youth_claimant_count
    FROM ward_indicators w
    JOIN per_ward p ON p.ward_code = w.ward_code AND p.ward_vintage = w.ward_vintage AND p.claimant_period = w.period
    WHERE w.indicator IN ('claimant_count', $youth_count_indicator)
    GROUP BY w.ward_code, w.ward_vintage
),
ranked AS (
    SELECT p.*, s.score, s.score_rank, s.n_wards, s.components_used, b.boundary_note,
           i.rank_low, i.rank_high, i.share_top, i.draws,
           k.claimant_count, k.youth_claimant_count,
           rank() OVER (PARTITION BY p.lad_code ORDER BY k.claimant_count DESC NULLS LAST) AS claimant_count_rank,
           rank() OVER (PARTITION BY p.lad_code ORDER BY k.youth_claimant_count DESC NULLS LAST) AS youth_claimant_count_rank
    FROM per_ward p
    JOIN priority_ward_scores s ON s.scheme = 'configured' AND s.lad_code = p.lad_code AND s.ward_code = p.ward_code
                               AND s.ward_vintage = p.ward_vintage
    JOIN ward_boundary_sets b ON b.lad_code = p.lad_code AND b.ward_vintage = p.ward_vintage
    LEFT JOIN priority_rank_intervals i ON i.lad_code = p.lad_code AND i.ward_code = p.ward_code
                                       AND i.ward_vintage = p.ward_vintage
    LEFT JOIN counts k ON k.ward_code = p.ward_code AND k.ward_vintage = p.ward_vintage
)
SELECT lad_code, lad_name, ward_code, ward_name, ward_vintage, is_focus, claimant_period,
       score_rank AS priority_rank, n_wards,
       coalesce(score_rank = 1, false) AS is_top_priority,
       -- Shown to 1 dp: rounding alone moves a score by 0.03 to 0.15.
       round(score, 1) AS priority_score,
       rank_low AS priority_rank_low, rank_high AS priority_rank_high, share_top AS priority_share_top,
       draws AS simulation_draws,
       -- Clear only if rounding could not have put another ward first in 95% of draws or more.
       coalesce(score_rank = 1 AND share_top >= 0.95, false) AS is_clear_top,
       claimant_count, claimant_count_rank, youth_claimant_count, youth_claimant_count_rank,
       coalesce(claimant_count_rank = 1, false) AS is_top_by_count,
       components_used,
       * EXCLUDE (lad_code, lad_name, ward_code, ward_name, ward_vintage, is_focus, claimant_period, score, score_rank,
                  n_wards, rank_low, rank_high, share_top, draws, claimant_count, claimant_count_rank,
                  youth_claimant_count, youth_claimant_count_rank, components_used)
FROM ranked
ORDER BY lad_code, priority_rank NULLS LAST, ward_name;
