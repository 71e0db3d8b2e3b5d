-- BRES open access, tidy: one row per area x ward vintage x year x industry (total or broad industry group),
-- employee jobs (MEASURE Count) beside Nomis's industry percentage (MEASURE Industry percentage), as served.
-- Counts are ONS-rounded (open access: base 5 below 50 jobs, up to 1,000 from 5,000; doubled for disclosive
-- cells: nomisweb.co.uk/articles/1103.aspx), so no rounding_base is claimed per cell. NULL stays NULL.
-- Identical copies of a cell (a unitary served under two LA types; Nomis repeating a row) are one; copies that
-- differ stay two rows, which the key check refuses. A row whose labels matched none of ours has industry NULL.
CREATE OR REPLACE TABLE bres_employees AS
WITH cells AS (
    SELECT DISTINCT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name,
           level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           CASE WHEN level_of_code(r.GEOGRAPHY_CODE) = 'ward'
                THEN vintage_of_type(r.GEOGRAPHY_TYPE) END AS ward_vintage,
           CAST(r.DATE AS INTEGER) AS year, i.name AS industry, r.INDUSTRY_NAME AS industry_label,
           e.name AS employment_status, m.name AS measure,
           TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value, r.OBS_STATUS AS obs_status, r.query_id
    FROM raw_bres_employees AS r
    LEFT JOIN label_names('industry', (SELECT list(DISTINCT INDUSTRY_NAME) FROM raw_bres_employees)) AS i
           ON i.label = r.INDUSTRY_NAME
    LEFT JOIN label_names('employment_status', (SELECT list(DISTINCT EMPLOYMENT_STATUS_NAME) FROM raw_bres_employees)) AS e
           ON e.label = r.EMPLOYMENT_STATUS_NAME
    LEFT JOIN label_names('measure', (SELECT list(DISTINCT MEASURE_NAME) FROM raw_bres_employees)) AS m
           ON m.label = r.MEASURE_NAME
),
counts AS (SELECT * FROM cells WHERE measure = 'count' AND employment_status IS NOT NULL AND industry IS NOT NULL),
shares AS (SELECT * FROM cells WHERE measure = 'industry_share' AND employment_status IS NOT NULL),
unknown AS (  -- rows whose labels matched none of ours: one per area and year, industry NULL, for build to refuse
    SELECT area_code, any_value(area_name) AS area_name, area_level, ward_vintage, year,
           string_agg(DISTINCT industry_label, '; ') AS industry_label, any_value(query_id) AS query_id
    FROM cells WHERE industry IS NULL OR measure IS NULL OR employment_status IS NULL
    GROUP BY area_code, area_level, ward_vintage, year
)
SELECT * FROM (
    SELECT c.area_code, c.area_name, c.area_level, c.ward_vintage, c.year,
           make_date(c.year, 1, 1) AS period,  -- the BRES year (its reference point within the year: unverified)
           c.industry, c.industry_label, c.employment_status,
           c.value AS employees, s.value AS industry_share,
           c.obs_status, coalesce(st.is_suppressed, false) AS is_suppressed, s.obs_status AS share_obs_status,
           'NM_189_1' AS source_dataset, c.query_id AS source_query_id
    FROM counts AS c
    LEFT JOIN shares AS s
      ON s.area_code = c.area_code AND s.area_level = c.area_level
     AND s.ward_vintage IS NOT DISTINCT FROM c.ward_vintage AND s.year = c.year AND s.industry = c.industry
     AND s.employment_status = c.employment_status
    LEFT JOIN nomis_status AS st ON st.code = c.obs_status
    UNION ALL BY NAME
    SELECT area_code, area_name, area_level, ward_vintage, year, make_date(year, 1, 1) AS period,
           NULL AS industry, industry_label, NULL AS employment_status, NULL::DOUBLE AS employees,
           NULL::DOUBLE AS industry_share, NULL AS obs_status, false AS is_suppressed, NULL AS share_obs_status,
           'NM_189_1' AS source_dataset, query_id AS source_query_id
    FROM unknown
)
ORDER BY area_level, area_code, ward_vintage, year, industry;
