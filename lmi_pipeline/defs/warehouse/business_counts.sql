-- UK Business Counts, tidy: one row per area x ward vintage x year, every local unit (all industries, all
-- employment size bands, all legal statuses), as served. Counts are rounded (every count in the real Nomis
-- UBC body is a multiple of 5: rounding_base 5; ONS's own rounding rule for this table is unverified here).
-- Identical copies of a cell (a unitary served under two LA types) are one; differing copies are refused.
CREATE OR REPLACE TABLE business_counts AS
WITH cells AS (
    SELECT DISTINCT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name,
           level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           CASE WHEN level_of_code(r.GEOGRAPHY_CODE) = 'ward'
                THEN vintage_of_type(r.GEOGRAPHY_TYPE) END AS ward_vintage,
           CAST(r.DATE AS INTEGER) AS year,
           CASE WHEN z.name IS NOT NULL AND l.name IS NOT NULL THEN i.name END AS industry,
           z.name AS employment_sizeband, l.name AS legal_status,
           TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value, r.OBS_STATUS AS obs_status, r.query_id
    FROM raw_business_counts AS r
    LEFT JOIN label_names('industry', (SELECT list(DISTINCT INDUSTRY_NAME) FROM raw_business_counts)) AS i
           ON i.label = r.INDUSTRY_NAME
    LEFT JOIN label_names('employment_sizeband', (SELECT list(DISTINCT EMPLOYMENT_SIZEBAND_NAME) FROM raw_business_counts)) AS z
           ON z.label = r.EMPLOYMENT_SIZEBAND_NAME
    LEFT JOIN label_names('legal_status', (SELECT list(DISTINCT LEGAL_STATUS_NAME) FROM raw_business_counts)) AS l
           ON l.label = r.LEGAL_STATUS_NAME
)
SELECT c.area_code, c.area_name, c.area_level, c.ward_vintage, c.year,
       make_date(c.year, 3, 1) AS period,  -- the IDBR snapshot is taken in March of the year
       c.industry, c.employment_sizeband, c.legal_status,
       c.value AS local_units, 5 AS rounding_base,
       c.obs_status, coalesce(st.is_suppressed, false) AS is_suppressed,
       'NM_141_1' AS source_dataset, c.query_id AS source_query_id
FROM cells AS c
LEFT JOIN nomis_status AS st ON st.code = c.obs_status
WHERE c.industry IS NOT NULL
UNION ALL  -- rows whose labels matched none of ours: one per area and year, industry NULL, for build to refuse
SELECT area_code, any_value(area_name), area_level, ward_vintage, year, make_date(year, 3, 1), NULL, NULL, NULL,
       NULL::DOUBLE, 5, NULL, false, 'NM_141_1', any_value(query_id)
FROM cells WHERE industry IS NULL
GROUP BY area_code, area_level, ward_vintage, year
ORDER BY area_level, area_code, ward_vintage, year;
