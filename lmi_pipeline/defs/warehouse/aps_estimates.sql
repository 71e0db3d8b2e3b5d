-- APS estimates, tidy: one row per area x 12-month period x variable, with the estimate, its 95%
-- confidence half-width and interval, numerator and denominator. Suppressed cells stay NULL, never 0.
CREATE OR REPLACE TABLE aps_estimates AS
WITH cells AS (
    SELECT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name, level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           r.DATE, r.DATE_NAME, v.name AS variable, r.VARIABLE_NAME AS variable_label, m.name AS measure,
           TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value, r.OBS_STATUS AS obs_status, r.query_id
    FROM raw_aps AS r
    LEFT JOIN label_names('variable', (SELECT list(DISTINCT VARIABLE_NAME) FROM raw_aps)) AS v
           ON v.label = r.VARIABLE_NAME
    LEFT JOIN label_names('measures', (SELECT list(DISTINCT MEASURES_NAME) FROM raw_aps)) AS m
           ON m.label = r.MEASURES_NAME
),
wide AS (  -- a unitary authority can come back twice (county and district types): identical cells merge
    SELECT area_code, any_value(area_name) AS area_name, area_level, CAST(DATE || '-01' AS DATE) AS period,
           any_value(DATE_NAME) AS period_name, variable, any_value(variable_label) AS variable_label,
           max(value) FILTER (WHERE measure = 'value')       AS value,
           max(value) FILTER (WHERE measure = 'confidence')  AS confidence,
           max(value) FILTER (WHERE measure = 'numerator')   AS numerator,
           max(value) FILTER (WHERE measure = 'denominator') AS denominator,
           max(obs_status) FILTER (WHERE measure = 'value')  AS obs_status,
           count(*) FILTER (WHERE measure IS NULL)           AS unrecognised_measures,
           any_value(query_id)                               AS source_query_id
    FROM cells
    GROUP BY area_code, area_level, DATE, variable
)
SELECT w.area_code, w.area_name, w.area_level, w.period, w.period_name,
       CASE WHEN w.unrecognised_measures = 0 THEN w.variable END AS variable, w.variable_label,
       w.value, w.confidence,
       -- The 95% confidence interval (greatest/least skip NULLs, so guard: no estimate, no interval).
       CASE WHEN w.value IS NOT NULL AND w.confidence IS NOT NULL THEN round(greatest(w.value - w.confidence, 0), 2) END AS lower,
       CASE WHEN w.value IS NOT NULL AND w.confidence IS NOT NULL THEN round(least(w.value + w.confidence, 100), 2) END AS upper,
       w.numerator, w.denominator, w.obs_status,
       coalesce(s.is_suppressed, false)     AS is_suppressed,
       w.obs_status = '*'                   AS is_unreliable,
       'NM_17_5' AS source_dataset, w.source_query_id
FROM wide AS w
LEFT JOIN nomis_status AS s ON s.code = w.obs_status
ORDER BY w.variable, w.area_level, w.area_code, w.period;
