-- Typed, tidy claimant count: one row per area x month x age band x measure.
-- Counts are DWP-rounded to the nearest 5 (rounding_base = 5). Suppressed cells stay NULL, never 0.
CREATE OR REPLACE TABLE claimant_count AS
SELECT DISTINCT
    r.GEOGRAPHY_CODE                                            AS area_code,
    r.GEOGRAPHY_NAME                                            AS area_name,
    gss_level(r.GEOGRAPHY_CODE)                                 AS area_level,
    CASE WHEN gss_level(r.GEOGRAPHY_CODE) = 'ward' THEN type_vintage(r.GEOGRAPHY_TYPE) END AS ward_vintage,
    CAST(r.DATE || '-01' AS DATE)                               AS period,
    'all'                                                       AS sex,
    CASE
        WHEN regexp_matches(label_text(r.AGE_NAME), '(?i)^all categories') THEN '16+'
        WHEN regexp_matches(label_text(r.AGE_NAME), '(?i)16\s*-\s*24$')    THEN '16-24'
        WHEN regexp_matches(label_text(r.AGE_NAME), '(?i)18\s*-\s*24$')    THEN '18-24'
    END                                                         AS age_band,
    CASE r.MEASURE WHEN '1' THEN 'count' WHEN '2' THEN 'rate' END AS measure,
    r.MEASURE_NAME                                              AS measure_name,
    TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE)                 AS value,
    r.OBS_STATUS                                                AS obs_status,
    s.is_suppressed                                             AS is_suppressed,
    CASE r.MEASURE WHEN '1' THEN 5 END                          AS rounding_base,
    'NM_162_1'                                                  AS source_dataset,
    r.query_id                                                  AS source_query_id
FROM raw_claimant_count AS r
LEFT JOIN obs_status_codes AS s
  ON s.code = r.OBS_STATUS;
