-- The LMI gap matrix: one row per place (each focus ward, each configured district) x catalogue indicator.
-- For each, the lowest level a figure exists at for that place: the place itself, else its district, county,
-- region or country (matched on GSS codes up the place's own hierarchy). A focus ward on new boundaries is
-- first looked for as the same focus ward on its other boundary vintages (ward_lookup.focus_name, e.g. Park
-- Wood on 2022 wards for Park Wood & Mangravet on 2024 ones): the Census is published for that ward, not only
-- for the district, though for a differently drawn area. Driven only by indicator_catalogue,
-- area_indicators and ward_lookup, so a new source's indicators appear here with no change to this file.
-- Parameters: $as_of (the date ages and staleness are measured at), $dated_months (older than this = dated).
CREATE OR REPLACE TABLE lmi_gaps AS
WITH places AS (  -- focus wards and the configured districts, each on its latest boundary vintage
    SELECT 'ward' AS place_level, ward_code AS place_code, ward_name AS place_name, lad_code, lad_name,
           county_code, county_name, region_code, region_name, country_code, country_name, focus_name
    FROM ward_lookup WHERE is_focus
    QUALIFY row_number() OVER (PARTITION BY ward_code ORDER BY ward_vintage DESC) = 1
    UNION ALL
    SELECT 'lad', lad_code, lad_name, lad_code, lad_name, county_code, county_name, region_code, region_name,
           country_code, country_name, NULL
    FROM ward_lookup
    QUALIFY row_number() OVER (PARTITION BY lad_code ORDER BY ward_vintage DESC, ward_code) = 1
),
other_boundaries AS (  -- the same focus ward (same name in lmi.toml, same district) under other GSS codes
    SELECT DISTINCT p.place_code, w.ward_code, w.ward_name
    FROM places p
    JOIN ward_lookup w ON w.is_focus AND w.focus_name = p.focus_name AND w.lad_code = p.lad_code
                      AND w.ward_code <> p.place_code
    WHERE p.place_level = 'ward'
),
ladder AS (  -- where to look for each place, lowest first (a unitary district has no county)
    SELECT *, 1 AS step, 'ward' AS level, place_code AS code, place_name AS name FROM places WHERE place_level = 'ward'
    UNION ALL SELECT p.*, 2, 'ward_other_boundaries', o.ward_code, o.ward_name
              FROM places p JOIN other_boundaries o USING (place_code)
    UNION ALL SELECT *, 3, 'lad', lad_code, lad_name FROM places
    UNION ALL SELECT *, 4, 'county', county_code, county_name FROM places WHERE county_code IS NOT NULL
    UNION ALL SELECT *, 5, 'region', region_code, region_name FROM places WHERE region_code IS NOT NULL
    UNION ALL SELECT *, 6, 'country', country_code, country_name FROM places WHERE country_code IS NOT NULL
),
held AS (  -- per area and indicator: the series as held, and its latest figure with a value
    SELECT area_code, indicator,
           count(*) AS figures,
           count(value) AS with_value,
           count(*) - count(value) AS without_value,  -- suppressed or unavailable upstream (never 0)
           max(rounding_base) AS rounding_base,
           bool_or(lower IS NOT NULL AND rounding_base IS NULL) AS has_interval,
           max(period) FILTER (WHERE value IS NOT NULL) AS latest_period,
           max(period) AS latest_period_held  -- may be later than latest_period when its figure is suppressed
    FROM area_indicators GROUP BY area_code, indicator
),
latest_figure AS (
    SELECT a.area_code, a.indicator, a.period, a.value, a.lower, a.upper, a.unit, a.status, a.small_number,
           a.ward_vintage, a.source_query_id, a.release, a.retrieved_at, a.data_label
    FROM area_indicators a
    JOIN held h ON h.area_code = a.area_code AND h.indicator = a.indicator AND h.latest_period = a.period
    WHERE a.value IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY a.area_code, a.indicator ORDER BY a.ward_vintage DESC NULLS LAST) = 1
),
found AS (  -- the lowest rung of each place's ladder holding a figure with a value
    SELECT l.place_level, l.place_code, h.indicator, l.step, l.level AS found_level, l.code AS found_code,
           l.name AS found_name, h.figures, h.without_value, h.rounding_base, h.has_interval, h.latest_period_held
    FROM ladder l
    JOIN held h ON h.area_code = l.code AND h.with_value > 0
    -- Two codes on other boundaries (a ward split): the one with the latest figure.
    QUALIFY row_number() OVER (PARTITION BY l.place_level, l.place_code, h.indicator
                               ORDER BY l.step, h.latest_period DESC, l.code) = 1
),
own_suppressed AS (  -- rows held for the place itself, every one without a value
    SELECT area_code, indicator FROM held WHERE with_value = 0
),
steps AS (
    SELECT *, CASE frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 WHEN 'annual' THEN 12
                             WHEN 'decennial' THEN 120 END AS step_months
    FROM indicator_catalogue
),
matrix AS (
    SELECT p.place_level, p.place_code, p.place_name, p.lad_code, p.lad_name,
           c.indicator, c.label, c.unit, c.status AS indicator_status, c.source_dataset, c.frequency, c.step_months,
           c.reference_months, c.release_lag_days, c.lowest_level, c.published_levels, c.caveats,
           c.source_outcome, c.source_problem,
           f.found_level, f.found_code, f.found_name, f.figures, f.without_value, f.rounding_base, f.has_interval,
           f.latest_period_held,
           o.area_code IS NOT NULL AS suppressed_at_place,
           v.period AS latest_period, v.value AS latest_value, v.lower AS latest_lower, v.upper AS latest_upper,
           v.status AS figure_status, v.small_number, v.ward_vintage, v.source_query_id, v.release, v.retrieved_at,
           v.data_label
    FROM places p
    CROSS JOIN steps c
    LEFT JOIN found f ON f.place_level = p.place_level AND f.place_code = p.place_code AND f.indicator = c.indicator
    LEFT JOIN latest_figure v ON v.area_code = f.found_code AND v.indicator = c.indicator
    LEFT JOIN own_suppressed o ON o.area_code = p.place_code AND o.indicator = c.indicator
),
dated AS (
    SELECT *,
           -- When the release after the latest one held was due (same guide as indicator_catalogue's
           -- expected_next_release, but for this place's own latest period).
           (latest_period_held + to_months(step_months + coalesce(reference_months, step_months)) - INTERVAL 1 DAY
            + to_days(release_lag_days))::DATE AS next_release_due,
           date_diff('month', latest_period, $as_of::DATE) AS age_months
    FROM matrix
)
SELECT
    place_level, place_code, place_name, lad_code, lad_name,
    indicator, label, unit, indicator_status, source_dataset, frequency,
    CASE WHEN found_level IS NULL AND source_outcome = 'unavailable' THEN 'not_available_this_run'
         WHEN found_level IS NULL THEN 'missing'
         WHEN found_level = place_level AND (indicator_status = 'proxy' OR figure_status = 'proxy') THEN 'proxy'
         WHEN found_level = place_level THEN 'available'
         WHEN found_level = 'ward_other_boundaries' THEN 'ward_other_boundaries'
         ELSE found_level || '_only' END AS coverage,
    -- Names the vintage, so 'ward, 2022 boundaries' is never mistaken for this ward's own figure.
    CASE WHEN found_level = 'ward_other_boundaries'
         THEN 'ward, ' || coalesce(ward_vintage::VARCHAR || ' boundaries', 'other boundaries')
         ELSE found_level END AS available_level,
    found_code AS available_area_code,
    found_name AS available_area_name,
    lowest_level, published_levels,
    figure_status,
    latest_period, latest_value, latest_lower, latest_upper, ward_vintage,
    latest_period_held,
    age_months,
    step_months AS release_interval_months,
    next_release_due,
    coalesce($as_of::DATE > next_release_due, false) AS is_stale,
    coalesce(age_months > $dated_months, false) AS is_dated,
    rounding_base,
    coalesce(small_number, false) AS small_number,
    coalesce(without_value, 0) AS suppressed_values,
    suppressed_at_place,
    nullif(concat_ws('; ',
        CASE WHEN rounding_base IS NOT NULL THEN 'counts rounded to the nearest ' || rounding_base
                                                || ' (lower/upper give the range)' END,
        CASE WHEN small_number THEN 'small number in the latest period: treat changes and ranks with care' END,
        CASE WHEN has_interval THEN 'survey or model estimate: lower/upper are the 95% confidence interval' END,
        CASE WHEN without_value > 0 THEN without_value || ' of ' || figures
                                         || ' figures suppressed or unavailable in the series' END,
        CASE WHEN latest_period_held > latest_period THEN 'the latest period held ('
             || strftime(latest_period_held, '%Y-%m') || ') is suppressed; the figure shown is for '
             || strftime(latest_period, '%Y-%m') END,
        CASE WHEN found_level = 'ward_other_boundaries' THEN 'held for this focus ward on its '
             || coalesce(ward_vintage::VARCHAR || ' ', 'other ') || 'boundaries (' || found_name
             || '), a differently drawn area: compare through ward_vintage_bridge' END,
        CASE WHEN suppressed_at_place THEN 'suppressed for this ' || place_level || ' in every period held' END,
        CASE WHEN figure_status = 'derived' THEN 'derived here, not an official statistic' END,
        CASE WHEN figure_status = 'computed' THEN 'a rate computed here from the publisher''s counts, not a published rate' END,
        CASE WHEN indicator_status = 'proxy' THEN 'a proxy, not the official measure' END,
        CASE WHEN source_outcome = 'stale' THEN 'not refreshed this run (its upstream failed): the figure is from '
             || 'the last good load, release ' || coalesce(release, 'unknown') END
    ), '') AS limits,
    coalesce(source_outcome, 'fresh') AS source_outcome,  -- this run: fresh | stale | unavailable
    source_problem,  -- why a source is stale or unavailable this run
    caveats,
    source_query_id, release, retrieved_at, data_label,
    $as_of::DATE AS as_of
FROM dated
ORDER BY lad_code, place_level DESC, place_name, indicator;
