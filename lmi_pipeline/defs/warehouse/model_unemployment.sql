-- Model-based unemployment (ONS), tidy: one row per area x 12-month period, with the 95% confidence
-- half-width and interval. Suppressed cells stay NULL.
CREATE OR REPLACE TABLE model_unemployment AS
WITH cells AS (
    SELECT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name, level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           r.DATE, r.DATE_NAME, i.name AS item, r.ITEM_NAME AS item_label, m.name AS measure,
           TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value, r.OBS_STATUS AS obs_status, r.query_id
    FROM raw_model_unemployment AS r
    LEFT JOIN label_names('item', (SELECT list(DISTINCT ITEM_NAME) FROM raw_model_unemployment)) AS i
           ON i.label = r.ITEM_NAME
    LEFT JOIN label_names('measures', (SELECT list(DISTINCT MEASURES_NAME) FROM raw_model_unemployment)) AS m
           ON m.label = r.MEASURES_NAME
),
wide AS (
    SELECT area_code, any_value(area_name) AS area_name, area_level, CAST(DATE || '-01' AS DATE) AS period,
           any_value(DATE_NAME) AS period_name, item, any_value(item_label) AS item_label,
           max(value) FILTER (WHERE measure = 'value')      AS value,
           max(value) FILTER (WHERE measure = 'confidence') AS confidence,
           max(obs_status) FILTER (WHERE measure = 'value') AS obs_status,
           count(*) FILTER (WHERE measure IS NULL)          AS unrecognised_measures,
           any_value(query_id)                              AS source_query_id
    FROM cells
    GROUP BY area_code, area_level, DATE, item
)
SELECT w.area_code, w.area_name, w.area_level, w.period, w.period_name,
       CASE WHEN w.unrecognised_measures = 0 THEN w.item END AS item, w.item_label,
       w.value, w.confidence,
       CASE WHEN w.value IS NOT NULL AND w.confidence IS NOT NULL THEN round(greatest(w.value - w.confidence, 0), 2) END AS lower,
       CASE WHEN w.value IS NOT NULL AND w.confidence IS NOT NULL THEN round(least(w.value + w.confidence, 100), 2) END AS upper,
       w.obs_status, coalesce(s.is_suppressed, false) AS is_suppressed,
       'NM_127_1' AS source_dataset, w.source_query_id
FROM wide AS w
LEFT JOIN nomis_status AS s ON s.code = w.obs_status
ORDER BY w.area_level, w.area_code, w.period;
