-- Census 2021 figures for wards (2022 boundaries), districts, counties, regions and England.
-- Output columns are the standard figure columns listed in area_indicators.py (FIGURE_COLUMNS).
-- Rates are computed from ONS's published counts; Census counts are perturbed by ONS, so no range is given.
WITH wide AS (
    SELECT area_code, any_value(area_name) AS area_name, area_level, ward_vintage, period, age_band, geography_method,
           max(value) FILTER (WHERE status = 'all_residents')               AS residents,
           max(value) FILTER (WHERE status = 'active_excl_students')        AS active,
           max(value) FILTER (WHERE status = 'employed_excl_students')      AS employed,
           max(value) FILTER (WHERE status = 'unemployed_excl_students')    AS unemployed,
           max(value) FILTER (WHERE status = 'inactive_excl_students')      AS inactive_excl_students,
           max(obs_status) FILTER (WHERE status = 'unemployed_excl_students') AS unemployed_status,
           any_value(source_dataset) AS source_dataset, any_value(source_query_id) AS source_query_id,
           any_value(lsoas) AS lsoas
    FROM census_economic_activity
    WHERE area_level <> 'lsoa'
    GROUP BY area_code, area_level, ward_vintage, period, age_band, geography_method
),
inactive AS (  -- the five reasons for economic inactivity, each a % of all residents aged 16+
    SELECT c.area_code, c.area_name, c.area_level, c.ward_vintage, c.period,
           'census_' || c.status AS indicator, c.value, w.residents, c.obs_status, c.source_query_id
    FROM census_economic_activity AS c
    JOIN wide AS w ON w.area_code = c.area_code AND w.area_level = c.area_level
                  AND w.ward_vintage IS NOT DISTINCT FROM c.ward_vintage AND w.age_band = '16+'
    WHERE c.age_band = '16+' AND c.status LIKE 'inactive_%' AND c.area_level <> 'lsoa'
),
youth AS (
    SELECT *, coalesce(employed, 0) + unemployed AS active_16_24,
           geography_method = 'lsoa_best_fit' AS best_fit,
           CASE WHEN geography_method = 'lsoa_best_fit'
                THEN source_dataset || ' (2021 LSOAs aggregated to ' || ward_vintage || ' wards by LSOA21 best fit)'
                ELSE source_dataset END AS dataset_label
    FROM wide WHERE age_band = '16-24'
)
    -- Unemployment rate, 16+: unemployed / economically active, both excluding full-time students (TS066 7 / 1001).
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_unemployment_rate' AS indicator,
           round(100 * unemployed / active, 1) AS value, unemployed AS numerator, active AS denominator, '%' AS unit,
           NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, 'official' AS status, NULL::INTEGER AS rounding_base,
           unemployed_status AS obs_status, source_dataset, source_query_id,
           source_query_id AS denominator_query_id, 2021 AS denominator_year
    FROM wide WHERE age_band = '16+'
    UNION ALL
    -- Economic inactivity by reason, % of all usual residents aged 16+.
    SELECT area_code, area_name, area_level, ward_vintage, period, indicator,
           round(100 * value / residents, 1), value, residents, '%', NULL, NULL, 'official', NULL, obs_status,
           'NM_2083_1', source_query_id, source_query_id, 2021
    FROM inactive
    UNION ALL
    -- Unemployment rate, 16-24 (RM024), defined as the 16+ one. Derived where wards are LSOA best-fit sums.
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_unemployment_rate_16_24',
           round(100 * unemployed / active_16_24, 1), unemployed, active_16_24, '%', NULL, NULL,
           CASE WHEN best_fit THEN 'derived' ELSE 'official' END, NULL, unemployed_status,
           dataset_label, source_query_id, source_query_id, 2021
    FROM youth
    UNION ALL
    -- NEET proxy, 16-24: neither in work nor a full-time student (unemployed or inactive, both excluding
    -- students), % of all residents aged 16-24. A proxy: official NEET is 16-17 and county level only.
    SELECT area_code, area_name, area_level, ward_vintage, period, 'census_neet_proxy_16_24',
           round(100 * (unemployed + inactive_excl_students) / residents, 1), unemployed + inactive_excl_students,
           residents, '%', NULL, NULL, 'proxy', NULL, unemployed_status, dataset_label, source_query_id,
           source_query_id, 2021
    FROM youth
