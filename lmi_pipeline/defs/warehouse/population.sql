-- Typed mid-year population estimates: one row per area x year x age band.
CREATE OR REPLACE TABLE population AS
SELECT DISTINCT
    r.GEOGRAPHY_CODE                                            AS area_code,
    r.GEOGRAPHY_NAME                                            AS area_name,
    gss_level(r.GEOGRAPHY_CODE)                                 AS area_level,
    CASE WHEN gss_level(r.GEOGRAPHY_CODE) = 'ward' THEN type_vintage(r.GEOGRAPHY_TYPE) END AS ward_vintage,
    CAST(r.DATE AS INTEGER)                                     AS year,
    CASE
        WHEN regexp_matches(label_text(r.C_AGE_NAME), '(?i)^all ages')      THEN 'all'
        WHEN regexp_matches(label_text(r.C_AGE_NAME), '(?i)16\s*-\s*64$')   THEN '16-64'
        WHEN regexp_matches(label_text(r.C_AGE_NAME), '(?i)16\s*-\s*24$')   THEN '16-24'
        WHEN regexp_matches(label_text(r.C_AGE_NAME), '(?i)18\s*-\s*24$')   THEN '18-24'
    END                                                         AS age_band,
    TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE)                 AS value,
    r.OBS_STATUS                                                AS obs_status,
    'NM_2014_1'                                                 AS source_dataset,
    r.query_id                                                  AS source_query_id
FROM raw_population AS r
;
