-- Typed mid-year population estimates: one row per area x year x age band.
-- Age bands are named by the patterns raw_population picked the codes with (`labels`, group NM_2014_1).
-- A row served twice (one area in two of the query's geography lists) is kept once by tidy.build (drop_repeats).
CREATE OR REPLACE TABLE population AS
-- Each distinct label is matched once: a pattern read from a column is compiled for every row it meets.
WITH age_bands AS (
    SELECT l.label, a.name
    FROM (SELECT DISTINCT C_AGE_NAME AS label FROM raw_population) AS l
    JOIN labels AS a ON a.grp = 'NM_2014_1' AND regexp_matches(label_text(l.label), a.pattern)
)
SELECT
    r.GEOGRAPHY_CODE                                            AS area_code,
    r.GEOGRAPHY_NAME                                            AS area_name,
    level_of_code(r.GEOGRAPHY_CODE)                             AS area_level,
    CASE WHEN level_of_code(r.GEOGRAPHY_CODE) = 'ward' THEN vintage_of_type(r.GEOGRAPHY_TYPE) END AS ward_vintage,
    CAST(r.DATE AS INTEGER)                                     AS year,
    a.name                                                      AS age_band,
    TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE)                 AS value,
    r.OBS_STATUS                                                AS obs_status,
    'NM_2014_1'                                                 AS source_dataset,
    r.query_id                                                  AS source_query_id
FROM raw_population AS r
LEFT JOIN age_bands AS a
  ON a.label = r.C_AGE_NAME;
