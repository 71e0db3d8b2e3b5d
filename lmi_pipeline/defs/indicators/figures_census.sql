-- Census 2021 figures for wards (2022 boundaries), districts, counties, regions and England.
-- Output columns are the standard figure columns listed in area_indicators.py (FIGURE_COLUMNS).
-- Rates are computed here from ONS's published counts (status 'computed'), or 'derived' where the ward counts
-- are our own LSOA best-fit sums; Census counts are perturbed by ONS, so no range is given.
-- Headline unemployment rates follow the ONS definition (Census 2021 dictionary): economically active
-- full-time students are in the labour force, so unemployed = unemployed non-students + unemployed students
-- and active = active non-students + active students. The students-excluded rates are kept as *_excl_students.
-- Any suppressed (NULL) input makes the rate NULL: no input is ever filled with 0.
WITH wide AS (
    SELECT area_code, any_value(area_name) AS area_name, area_level, ward_vintage, period, age_band, geography_method,
           max(value) FILTER (WHERE status = 'all_residents')               AS residents,
           max(value) FILTER (WHERE status = 'active_excl_students')        AS active,
           max(value) FILTER (WHERE status = 'employed_excl_students')      AS employed,
           max(value) FILTER (WHERE status = 'unemployed_excl_students')    AS unemployed,
           max(value) FILTER (WHERE status = 'active_students')             AS active_students,
           max(value) FILTER (WHERE status = 'employed_students')           AS employed_students,
           max(value) FILTER (WHERE status = 'unemployed_students')         AS unemployed_students,
           max(value) FILTER (WHERE status = 'inactive_excl_students')      AS inactive_excl_students,
           max(obs_status) FILTER (WHERE status = 'unemployed_excl_students') AS unemployed_status,
           -- The ONS numerator has two parts: flag it with whichever part is not a normal value.
           coalesce(max(obs_status) FILTER (WHERE status IN ('unemployed_excl_students', 'unemployed_students')
                                            AND obs_status <> 'A'),
                    max(obs_status) FILTER (WHERE status = 'unemployed_excl_students')) AS all_unemployed_status,
           any_value(source_dataset) AS source_dataset, any_value(source_query_id) AS source_query_id,
           any_value(lsoas) AS lsoas
    FROM census_economic_activity
    WHERE area_level <> 'lsoa'
    GROUP BY area_code, area_level, ward_vintage, period, age_band, geography_method
),
labelled AS (  -- every ward row names its footprint: ONS's output-area aggregation, or our LSOA best fit
    SELECT *, geography_method = 'lsoa_best_fit' AS best_fit,
           CASE WHEN geography_method = 'lsoa_best_fit'
                THEN source_dataset || ' (2021 LSOAs aggregated to ' || ward_vintage || ' wards by LSOA21 best fit)'
                WHEN area_level = 'ward'
                THEN source_dataset || ' (ONS ' || ward_vintage || ' ward figures: output areas by best fit)'
                ELSE source_dataset END AS dataset_label
    FROM wide
),
inactive AS (  -- the five reasons for economic inactivity, each a % of all residents aged 16+
    SELECT c.area_code, c.area_name, c.area_level, c.ward_vintage, c.period,
           'census_' || c.status AS indicator, c.value, w.residents, c.obs_status, w.dataset_label, c.source_query_id
    FROM census_economic_activity AS c
    JOIN labelled AS w ON w.area_code = c.area_code AND w.area_level = c.area_level
                      AND w.ward_vintage IS NOT DISTINCT FROM c.ward_vintage AND w.age_band = '16+'
    WHERE c.age_band = '16+' AND c.status LIKE 'inactive_%' AND c.area_level <> 'lsoa'
),
adults AS (
    SELECT *, unemployed + unemployed_students AS all_unemployed, active + active_students AS all_active
    FROM labelled WHERE age_band = '16+'
),
youth AS (
    SELECT *, employed + unemployed AS active_excl_16_24,
           unemployed + unemployed_students AS all_unemployed,
           employed + unemployed + employed_students + unemployed_students AS all_active,
           CASE WHEN best_fit THEN 'derived' ELSE 'computed' END AS rate_status
    FROM labelled WHERE age_band = '16-24'
)
    -- Unemployment rate, 16+, ONS definition: (TS066 7 + 14) / (1001 + 1006).
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_unemployment_rate' AS indicator,
           round(100 * all_unemployed / nullif(all_active, 0), 1) AS value, all_unemployed AS numerator,
           all_active AS denominator, '%' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper,
           'computed' AS status, NULL::INTEGER AS rounding_base, all_unemployed_status AS obs_status,
           dataset_label AS source_dataset, source_query_id, source_query_id AS denominator_query_id,
           2021 AS denominator_year
    FROM adults
    UNION ALL
    -- Unemployment rate, 16+, excluding full-time students from both sides: TS066 7 / 1001.
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_unemployment_rate_excl_students',
           round(100 * unemployed / nullif(active, 0), 1), unemployed, active, '%', NULL, NULL, 'computed', NULL,
           unemployed_status, dataset_label, source_query_id, source_query_id, 2021
    FROM adults
    UNION ALL
    -- Economic inactivity by reason, % of all usual residents aged 16+.
    SELECT area_code, area_name, area_level, ward_vintage, period, indicator,
           round(100 * value / nullif(residents, 0), 1), value, residents, '%', NULL, NULL, 'computed', NULL,
           obs_status, dataset_label, source_query_id, source_query_id, 2021
    FROM inactive
    UNION ALL
    -- Unemployment rate, 16-24 (RM024), ONS definition: (2 + 4) / (1 + 2 + 3 + 4).
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_unemployment_rate_16_24',
           round(100 * all_unemployed / nullif(all_active, 0), 1), all_unemployed, all_active, '%', NULL, NULL,
           rate_status, NULL, all_unemployed_status, dataset_label, source_query_id, source_query_id, 2021
    FROM youth
    UNION ALL
    -- Unemployment rate, 16-24, excluding full-time students: RM024 2 / (1 + 2).
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_unemployment_rate_16_24_excl_students',
           round(100 * unemployed / nullif(active_excl_16_24, 0), 1), unemployed, active_excl_16_24, '%', NULL, NULL,
           rate_status, NULL, unemployed_status, dataset_label, source_query_id, source_query_id, 2021
    FROM youth
    UNION ALL
    -- NEET proxy, 16-24: neither in work nor a full-time student (unemployed or inactive, both excluding
    -- students), % of all residents aged 16-24. A proxy: official NEET is 16-17 and county level only.
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_neet_proxy_16_24',
           round(100 * (unemployed + inactive_excl_students) / nullif(residents, 0), 1),
           unemployed + inactive_excl_students, residents, '%', NULL, NULL, 'proxy', NULL, unemployed_status,
           dataset_label, source_query_id, source_query_id, 2021
    FROM youth
