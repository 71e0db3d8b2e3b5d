-- Census 2021 economic activity, tidy: one row per area x age band x status (usual residents, a count).
-- Statuses include the economically active full-time students (active, employed, unemployed): ONS counts
-- them in the labour force, so the rates built on this table need them as well as the non-students.
--
-- Footprints differ, so 16+ and 16-24 ward figures do NOT share boundaries exactly:
-- * 16+ (TS066, NM_2083_1) and any RM024 ward figures Nomis publishes are ONS's own ward aggregation:
--   output areas assigned to the wards by ONS's best fit (geography_method 'published').
-- * 16-24 (RM024, NM_2124_1) for wards when Nomis does not publish RM024 for wards: the sum of the ward's
--   2021 LSOAs by the ONS LSOA21 -> ward best-fit lookup, on TS066's ward vintage (geography_method
--   'lsoa_best_fit'). LSOAs are coarser than output areas, so an LSOA that straddles a ward boundary falls
--   wholly in one ward: the same ward's 16+ and 16-24 figures can cover slightly different populations.
-- Districts and above are as published by Nomis for both tables.
-- Census counts are whole numbers perturbed by ONS (statistical disclosure control), not exact.
CREATE OR REPLACE TABLE census_economic_activity AS
WITH ts066 AS (
    SELECT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name, level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           vintage_of_type(r.GEOGRAPHY_TYPE) AS type_vintage, r.DATE, '16+' AS age_band, c.name AS status,
           r.C2021_EASTAT_20_NAME AS status_label, TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value,
           r.OBS_STATUS AS obs_status, 'NM_2083_1' AS source_dataset, r.query_id AS source_query_id
    FROM raw_census_economic_activity AS r
    LEFT JOIN label_names('NM_2083_1', (SELECT list(DISTINCT C2021_EASTAT_20_NAME) FROM raw_census_economic_activity)) AS c
           ON c.label = r.C2021_EASTAT_20_NAME
),
rm024 AS (
    SELECT r.GEOGRAPHY_CODE AS area_code, r.GEOGRAPHY_NAME AS area_name, level_of_code(r.GEOGRAPHY_CODE) AS area_level,
           vintage_of_type(r.GEOGRAPHY_TYPE) AS type_vintage, r.DATE, '16-24' AS age_band, c.name AS status,
           r.C2021_EASTAT_7_NAME AS status_label, TRY_CAST(NULLIF(r.OBS_VALUE, '') AS DOUBLE) AS value,
           r.OBS_STATUS AS obs_status, 'NM_2124_1' AS source_dataset, r.query_id AS source_query_id
    FROM raw_census_age_activity AS r
    LEFT JOIN label_names('NM_2124_1', (SELECT list(DISTINCT C2021_EASTAT_7_NAME) FROM raw_census_age_activity)) AS c
           ON c.label = r.C2021_EASTAT_7_NAME
),
published AS (
    SELECT area_code, area_name, area_level, CASE WHEN area_level = 'ward' THEN type_vintage END AS ward_vintage,
           DATE, age_band, status, status_label, value, obs_status, 'published' AS geography_method,
           NULL::BIGINT AS lsoas, source_dataset, source_query_id, NULL::VARCHAR AS lookup_query_id
    FROM (SELECT * FROM ts066 UNION ALL SELECT * FROM rm024)
),
target AS (  -- the ward vintage LSOAs are aggregated to
    SELECT coalesce((SELECT max(ward_vintage) FROM published WHERE area_level = 'ward' AND age_band = '16+'),
                    (SELECT max(ward_vintage) FROM lsoa_ward_lookup)) AS vintage
),
best_fit AS (
    SELECT l.ward_code AS area_code, any_value(l.ward_name) AS area_name, 'ward' AS area_level,
           l.ward_vintage, any_value(r.DATE) AS DATE, r.age_band, r.status, any_value(r.status_label) AS status_label,
           CASE WHEN count(r.value) = count(*) THEN sum(r.value) END AS value,  -- one suppressed LSOA: no total
           coalesce(max(r.obs_status) FILTER (WHERE r.obs_status <> 'A'), 'A') AS obs_status,
           'lsoa_best_fit' AS geography_method, count(*) AS lsoas, 'NM_2124_1' AS source_dataset,
           any_value(r.source_query_id) AS source_query_id, any_value(l.source_query_id) AS lookup_query_id
    FROM rm024 AS r
    JOIN lsoa_ward_lookup AS l ON l.lsoa_code = r.area_code AND l.ward_vintage = (SELECT vintage FROM target)
    WHERE r.area_level = 'lsoa'
      AND NOT EXISTS (SELECT 1 FROM published p WHERE p.area_level = 'ward' AND p.age_band = '16-24')
    GROUP BY l.ward_code, l.ward_vintage, r.age_band, r.status
)
SELECT f.area_code, f.area_name, f.area_level, f.ward_vintage,
       make_date(CAST(f.DATE AS INTEGER), 3, 1) AS period,  -- Census day: 21 March 2021
       f.age_band, f.status, f.status_label, f.value, f.obs_status, coalesce(s.is_suppressed, false) AS is_suppressed,
       f.geography_method, f.lsoas, f.source_dataset, f.source_query_id, f.lookup_query_id
FROM (SELECT * FROM published UNION ALL BY NAME SELECT * FROM best_fit) AS f
LEFT JOIN nomis_status AS s ON s.code = f.obs_status
ORDER BY f.age_band, f.area_level, f.area_code, f.status;
