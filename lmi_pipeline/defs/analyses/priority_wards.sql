-- Priority wards: for each configured district, its wards ranked by a weighted composite of standardised
-- components (method in docs/report.md). Needs the temporary table `priority_weight_config(component, weight)`,
-- registered by the asset from lmi.toml [priority_weights].
--
-- 1. Wards: those of the latest claimant month, on the boundary vintage that month was published on.
-- 2. Components: each ward's latest figure for the component's indicator. A figure on other boundaries is
--    used only where the ward has the same GSS code (same area) or the vintage bridge says it was only
--    recoded; otherwise the component is missing for that ward, never moved across boundaries.
-- 3. Standardise within the district: z = (value - district mean of its wards) / standard deviation.
-- 4. Score = sum(weight x z) / sum(weight), over the components available for the ward, so a component
--    with no figures (e.g. the Census before it is loaded) drops out and the others are renormalised;
--    `components_used` and `components_missing` say which. Rank 1 = highest score = most in need.
CREATE OR REPLACE TABLE priority_wards AS
WITH components(component, indicator, measure, position, label) AS (
    VALUES ('youth_claimant_rate',      'claimant_rate_16_24',      'value',      1, 'youth claimant rate (16-24)'),
           ('claimant_rate',            'claimant_rate',            'value',      2, 'claimant rate (16+)'),
           ('claimant_rate_change_12m', 'claimant_rate',            'change_12m', 3, 'change in the claimant rate on a year earlier'),
           ('census_unemployment_rate', 'census_unemployment_rate', 'value',      4, 'Census unemployment rate')
),
weights AS (
    SELECT c.*, coalesce(w.weight, 0) AS weight FROM components c LEFT JOIN priority_weight_config w USING (component)
),
latest AS (
    SELECT max(period) AS period FROM ward_indicators WHERE indicator = 'claimant_rate' AND value IS NOT NULL
),
wards AS (
    SELECT w.lad_code, w.lad_name, w.ward_code, w.ward_name, w.ward_vintage, w.is_focus, w.period AS claimant_period
    FROM ward_indicators w JOIN latest l ON w.period = l.period
    WHERE w.indicator = 'claimant_rate'
),
indicator_latest AS (  -- each indicator's latest period with a ward figure
    SELECT indicator, max(period) AS period FROM ward_indicators WHERE value IS NOT NULL GROUP BY indicator
),
same_area AS (  -- the codes a ward's area had on other boundary vintages: its own, or one it was recoded from
    SELECT ward_code, ward_vintage, ward_code AS figure_code FROM wards
    UNION
    SELECT w.ward_code, w.ward_vintage, b.from_ward_code
    FROM wards w JOIN ward_vintage_bridge b
      ON b.to_ward_code = w.ward_code AND b.to_vintage = w.ward_vintage AND b.relationship = 'recoded'
),
figures AS (
    SELECT s.ward_code, c.component, c.measure,
           CASE c.measure WHEN 'value' THEN f.value ELSE f.change_12m END AS value,
           CASE c.measure WHEN 'value' THEN f.lad_value ELSE f.lad_value - lad_prev.value END AS lad_value,
           f.period, f.small_number, f.status, f.source_query_id, f.denominator_query_id, f.data_label
    FROM same_area s
    CROSS JOIN components c
    JOIN indicator_latest il ON il.indicator = c.indicator
    JOIN ward_indicators f ON f.ward_code = s.figure_code AND f.indicator = c.indicator AND f.period = il.period
    LEFT JOIN area_indicators lad_prev
           ON c.measure = 'change_12m' AND lad_prev.area_code = f.lad_code AND lad_prev.area_level = 'lad'
          AND lad_prev.indicator = c.indicator AND lad_prev.period = f.period - INTERVAL 12 MONTH
    -- Prefer the ward's own boundaries, then its latest other vintage.
    QUALIFY row_number() OVER (PARTITION BY s.ward_code, c.component
                               ORDER BY f.ward_vintage = s.ward_vintage DESC, f.ward_code = s.ward_code DESC,
                                        f.ward_vintage DESC) = 1
),
long AS (
    SELECT w.*, c.component, c.position, c.label, c.weight, f.value, f.lad_value, f.period, f.small_number,
           f.status, f.source_query_id, f.denominator_query_id, f.data_label
    FROM wards w CROSS JOIN weights c
    LEFT JOIN figures f ON f.ward_code = w.ward_code AND f.component = c.component
),
scored AS (
    SELECT *,
           CASE WHEN stddev_pop(value) OVER d > 0
                THEN (value - avg(value) OVER d) / stddev_pop(value) OVER d END AS z,
           CASE WHEN value IS NOT NULL THEN rank() OVER (PARTITION BY lad_code, component
                                                         ORDER BY value DESC NULLS LAST) END AS component_rank,
           count(value) OVER d AS n_with_value
    FROM long
    WINDOW d AS (PARTITION BY lad_code, component)
),
used AS (
    SELECT *, z IS NOT NULL AND weight > 0 AS is_used FROM scored
),
per_ward AS (
    SELECT lad_code, any_value(lad_name) AS lad_name, ward_code, any_value(ward_name) AS ward_name,
           any_value(ward_vintage) AS ward_vintage, any_value(is_focus) AS is_focus,
           any_value(claimant_period) AS claimant_period,
           sum(weight * z) FILTER (WHERE is_used) / nullif(sum(weight) FILTER (WHERE is_used), 0) AS score,
           max(value) FILTER (WHERE component = 'youth_claimant_rate')      AS youth_claimant_rate,
           max(lad_value) FILTER (WHERE component = 'youth_claimant_rate')  AS lad_youth_claimant_rate,
           round(max(z) FILTER (WHERE component = 'youth_claimant_rate'), 3)          AS youth_claimant_rate_z,
           max(component_rank) FILTER (WHERE component = 'youth_claimant_rate') AS youth_claimant_rate_rank,
           max(value) FILTER (WHERE component = 'claimant_rate')            AS claimant_rate,
           max(lad_value) FILTER (WHERE component = 'claimant_rate')        AS lad_claimant_rate,
           round(max(z) FILTER (WHERE component = 'claimant_rate'), 3)                AS claimant_rate_z,
           max(component_rank) FILTER (WHERE component = 'claimant_rate')  AS claimant_rate_rank,
           max(value) FILTER (WHERE component = 'claimant_rate_change_12m')     AS claimant_rate_change_12m,
           max(lad_value) FILTER (WHERE component = 'claimant_rate_change_12m') AS lad_claimant_rate_change_12m,
           round(max(z) FILTER (WHERE component = 'claimant_rate_change_12m'), 3)         AS claimant_rate_change_12m_z,
           max(component_rank) FILTER (WHERE component = 'claimant_rate_change_12m') AS claimant_rate_change_12m_rank,
           max(value) FILTER (WHERE component = 'census_unemployment_rate')     AS census_unemployment_rate,
           max(lad_value) FILTER (WHERE component = 'census_unemployment_rate') AS lad_census_unemployment_rate,
           round(max(z) FILTER (WHERE component = 'census_unemployment_rate'), 3)         AS census_unemployment_rate_z,
           max(component_rank) FILTER (WHERE component = 'census_unemployment_rate') AS census_unemployment_rate_rank,
           max(period) FILTER (WHERE component = 'census_unemployment_rate')    AS census_period,
           string_agg(component || '=' || weight, ', ' ORDER BY position) AS weights,
           string_agg(component, ', ' ORDER BY position) FILTER (WHERE is_used) AS components_used,
           string_agg(component || CASE WHEN weight = 0 THEN ' (weight 0)'
                                        WHEN value IS NULL AND n_with_value = 0 THEN ' (no figures)'
                                        WHEN value IS NULL THEN ' (no figure for this ward)'
                                        ELSE ' (no variation between wards)' END, ', ' ORDER BY position)
               FILTER (WHERE NOT is_used) AS components_missing,
           -- The reasons: each component used, largest contribution first, against the district.
           string_agg(label || ' ' || CASE WHEN component = 'claimant_rate_change_12m'
                                           THEN printf('%+.1f pts (district %+.1f)', value, lad_value)
                                           ELSE printf('%.1f%% (district %.1f%%)', value, lad_value) END
                      || CASE WHEN period <> claimant_period THEN ' in ' || strftime(period, '%B %Y') ELSE '' END
                      || ', ranked ' || component_rank || ' of ' || n_with_value || ' wards',
                      '; ' ORDER BY weight * z DESC) FILTER (WHERE is_used) AS reasons,
           string_agg(component, ', ' ORDER BY position) FILTER (WHERE is_used AND small_number) AS small_number_components,
           string_agg(DISTINCT source_query_id, ', ') AS source_query_ids,
           string_agg(DISTINCT denominator_query_id, ', ') AS denominator_query_ids,
           string_agg(DISTINCT status, '/' ORDER BY status) FILTER (WHERE is_used) AS statuses,
           string_agg(DISTINCT data_label, ', ') AS data_label
    FROM used
    GROUP BY lad_code, ward_code
)
-- Ranked on the score as published (3 dp), so equal scores tie rather than split on floating-point noise.
SELECT lad_code, lad_name, ward_code, ward_name, ward_vintage, is_focus, claimant_period,
       CASE WHEN score IS NOT NULL THEN rank() OVER (PARTITION BY lad_code ORDER BY round(score, 3) DESC NULLS LAST) END
           AS priority_rank,
       count(*) OVER (PARTITION BY lad_code) AS n_wards,
       coalesce(rank() OVER (PARTITION BY lad_code ORDER BY round(score, 3) DESC NULLS LAST) = 1
                AND score IS NOT NULL, false) AS is_top_priority,
       round(score, 3) AS priority_score,
       * EXCLUDE (lad_code, lad_name, ward_code, ward_name, ward_vintage, is_focus, claimant_period, score)
FROM per_ward
ORDER BY lad_code, priority_rank NULLS LAST, ward_name;
