-- Typed, tidy claimant count: one row per area x month x age band x measure.
-- Counts are DWP-rounded to the nearest 5 (rounding_base = 5). Suppressed cells stay NULL, never 0.
-- Age bands are named by the patterns raw_claimant_count picked the codes with (`labels`, group NM_162_1).
-- A row served twice (one area in two of the query's geography lists) is kept once by tidy.build (drop_repeats).
CREATE OR REPLACE TABLE claimant_count AS
-- Each distinct label is matched once: a pattern read from a column is compiled for every row it meets.
WITH age_bands AS (
    SELECT l.label, a.name
    FROM (SELECT DISTINCT AGE_NAME AS label FROM raw_claimant_count) AS l
    JOIN labels AS a ON a.grp = 'NM_162_1' AND regexp_matches(label_text(l.label), a.pattern)
)
SELECT
    r.GEOGRAPHY_CODE                                            AS area_code,
    r.GEOGRAPHY_NAME                                            AS area_name,
    level_of_code(r.GEOGRAPHY_CODE)                             AS area_level,
    CASE WHEN level_of_code(r.GEOGRAPHY_CODE) = 'ward' THEN vintage_of_type(r.GEOGRAPHY_TYPE) END AS ward_vintage,
    CAST(r.DATE || '-01' AS DATE)                               AS period,
    'all'                                                       AS sex,
    a.name                                                      AS age_band,
    CASE r.MEASURE WHEN '1' THEN 'count' WHEN '2' THEN 'rate' END AS measure,
    r.MEASURE_NAME                                              AS measure_name,
    TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE)                 AS value,
    r.OBS_STATUS                                                AS obs_status,
    s.is_suppressed                                             AS is_suppressed,
    CASE r.MEASURE WHEN '1' THEN 5 END                          AS rounding_base,
    'NM_162_1'                                                  AS source_dataset,
    r.query_id                                                  AS source_query_id
FROM raw_claimant_count AS r
LEFT JOIN age_bands AS a
  ON a.label = r.AGE_NAME
LEFT JOIN nomis_status AS s
  ON s.code = r.OBS_STATUS;
