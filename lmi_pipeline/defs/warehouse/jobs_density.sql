-- Jobs density, tidy: one row per area x year, total jobs and jobs density (jobs per resident aged 16-64).
CREATE OR REPLACE TABLE jobs_density AS
WITH cells AS (
    SELECT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name, level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           r.DATE, i.name AS item, m.name AS measure,
           TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value, r.OBS_STATUS AS obs_status, r.query_id
    FROM raw_jobs_density AS r
    LEFT JOIN label_names('item', (SELECT list(DISTINCT ITEM_NAME) FROM raw_jobs_density)) AS i
           ON i.label = r.ITEM_NAME
    LEFT JOIN label_names('measures', (SELECT list(DISTINCT MEASURES_NAME) FROM raw_jobs_density)) AS m
           ON m.label = r.MEASURES_NAME
    WHERE m.name = 'value' OR m.name IS NULL
),
wide AS (  -- a unitary authority can come back twice (county and district types): identical cells merge
    SELECT area_code, any_value(area_name) AS area_name, area_level, CAST(DATE AS INTEGER) AS year,
           max(value) FILTER (WHERE item = 'jobs_density')      AS jobs_density,
           max(value) FILTER (WHERE item = 'total_jobs')        AS total_jobs,
           max(obs_status) FILTER (WHERE item = 'jobs_density') AS obs_status,
           count(*) FILTER (WHERE item IS NULL OR measure IS NULL) AS unrecognised,
           any_value(query_id)                                  AS source_query_id
    FROM cells
    GROUP BY area_code, area_level, DATE
)
SELECT w.area_code, w.area_name, w.area_level, w.year, make_date(w.year, 1, 1) AS period,
       CASE WHEN w.unrecognised = 0 THEN 'jobs_density' END AS item,
       w.jobs_density, w.total_jobs, w.obs_status, coalesce(s.is_suppressed, false) AS is_suppressed,
       'NM_57_1' AS source_dataset, w.source_query_id
FROM wide AS w
LEFT JOIN nomis_status AS s ON s.code = w.obs_status
ORDER BY w.area_level, w.area_code, w.year;
