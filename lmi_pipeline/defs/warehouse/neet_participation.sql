-- DfE NEET 16-17, tidy: one row per area x year x age x characteristic x measure, for the upper-tier
-- local authorities covering the configured districts (counties, or the unitary itself), their regions,
-- England and the configured benchmarks. Symbols (c suppressed, z not applicable, ...) become NULL
-- values with the symbol kept in `symbol`; a suppressed figure is never a zero. neet_normalised (neet.py)
-- gives every layout our column names: a measure the layout lacks is NULL there, and UNPIVOT (which drops
-- NULLs; a served cell is never NULL, an empty one is '') gives it no rows. A layout without characteristics
-- (the dashboard extract) has characteristic_grouping = characteristic = 'Total'.
CREATE OR REPLACE TABLE neet_participation AS
WITH wanted AS (
    SELECT county_code AS code FROM ward_lookup WHERE county_code IS NOT NULL
    UNION SELECT lad_code FROM ward_lookup
    UNION SELECT region_code FROM ward_lookup
    UNION SELECT country_code FROM ward_lookup
    UNION SELECT unnest(benchmarks) FROM areas_config
),
located AS (
    SELECT CASE lower(geographic_level) WHEN 'national' THEN country_code WHEN 'regional' THEN region_code
                WHEN 'local authority' THEN new_la_code END AS area_code,
           CASE lower(geographic_level) WHEN 'national' THEN country_name WHEN 'regional' THEN region_name
                WHEN 'local authority' THEN la_name END AS area_name,
           *
    FROM neet_normalised
),
long AS (
    UNPIVOT (SELECT * FROM located WHERE area_code IN (SELECT code FROM wanted))
    ON avg_cohort_count, avg_neet_nk_count, avg_neet_count, avg_nk_count, neet_nk_percent, neet_percent,
       nk_percent, annual_change_neet_nk_percent
    INTO NAME measure VALUE raw_value
)
SELECT area_code, area_name, level_of_code(area_code) AS area_level,
       CAST(left(time_period, 4) AS INTEGER) + CASE WHEN length(time_period) = 6 THEN 1 ELSE 0 END AS year,
       -- The figure averages end-December, January and February: January of that window.
       make_date(CAST(left(time_period, 4) AS INTEGER) + CASE WHEN length(time_period) = 6 THEN 1 ELSE 0 END, 1, 1)
                                                                    AS period,
       time_period, time_identifier,
       CASE WHEN regexp_matches(trim(age), '^16\s*(-|to)\s*17$') THEN '16-17' ELSE trim(age) END AS age,
       characteristic_grouping, characteristic, measure,
       TRY_CAST(raw_value AS DOUBLE)                                    AS value,
       CASE WHEN TRY_CAST(raw_value AS DOUBLE) IS NULL THEN trim(raw_value) END AS symbol,
       coalesce(trim(raw_value) = 'c', false)                           AS is_suppressed,
       -- DfE rounds national and regional counts to 10 in the EES files; the dashboard extract does not say
       -- (its 2023 cohorts are not rounded), so no rounding is claimed for it.
       CASE WHEN measure LIKE '%count' AND level_of_code(area_code) IN ('region', 'country')
                 AND schema_version <> 'dashboard' THEN 10 END          AS rounding_base,
       schema_version, query_id AS source_query_id
FROM long
ORDER BY area_level, area_code, year, age, characteristic_grouping, characteristic, measure;
