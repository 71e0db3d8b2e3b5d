-- ASHE resident analysis, tidy: one row per area x year x sex x pay x item (median gross weekly pay of full-time
-- workers), with Nomis's confidence measure as served. Suppressed cells stay NULL, never 0.
CREATE OR REPLACE TABLE ashe_earnings AS
WITH cells AS (
    SELECT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name, level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           r.DATE, s.name AS sex, p.name AS pay, i.name AS item,
           r.SEX_NAME AS sex_label, r.PAY_NAME AS pay_label, r.ITEM_NAME AS item_label, m.name AS measure,
           TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value, r.OBS_STATUS AS obs_status, r.query_id
    FROM raw_ashe_earnings AS r
    LEFT JOIN label_names('sex', (SELECT list(DISTINCT SEX_NAME) FROM raw_ashe_earnings)) AS s
           ON s.label = r.SEX_NAME
    LEFT JOIN label_names('pay', (SELECT list(DISTINCT PAY_NAME) FROM raw_ashe_earnings)) AS p
           ON p.label = r.PAY_NAME
    LEFT JOIN label_names('item', (SELECT list(DISTINCT ITEM_NAME) FROM raw_ashe_earnings)) AS i
           ON i.label = r.ITEM_NAME
    LEFT JOIN label_names('measures', (SELECT list(DISTINCT MEASURES_NAME) FROM raw_ashe_earnings)) AS m
           ON m.label = r.MEASURES_NAME
),
wide AS (  -- a unitary authority can come back twice (county and district types): identical cells merge
    SELECT area_code, any_value(area_name) AS area_name, area_level, CAST(DATE AS INTEGER) AS year,
           sex, pay, item, any_value(sex_label) AS sex_label, any_value(pay_label) AS pay_label,
           any_value(item_label) AS item_label,
           max(value) FILTER (WHERE measure = 'value')      AS value,
           max(value) FILTER (WHERE measure = 'confidence') AS confidence,
           max(obs_status) FILTER (WHERE measure = 'value') AS obs_status,
           count(*) FILTER (WHERE measure IS NULL)          AS unrecognised_measures,
           any_value(query_id)                              AS source_query_id
    FROM cells
    GROUP BY area_code, area_level, DATE, sex, pay, item
)
SELECT w.area_code, w.area_name, w.area_level, w.year,
       -- ASHE's reference date is in April of the year.
       make_date(w.year, 4, 1) AS period,
       CASE WHEN w.unrecognised_measures = 0 AND w.sex IS NOT NULL AND w.pay IS NOT NULL THEN w.item END AS item,
       w.sex, w.pay, w.sex_label, w.pay_label, w.item_label,
       w.value, w.confidence,
       w.obs_status, coalesce(s.is_suppressed, false) AS is_suppressed,
       w.obs_status = '*' AS is_unreliable,
       'NM_30_1' AS source_dataset, w.source_query_id
FROM wide AS w
LEFT JOIN nomis_status AS s ON s.code = w.obs_status
ORDER BY w.area_level, w.area_code, w.year;
