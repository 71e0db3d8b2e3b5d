-- Census 2021 qualifications (TS067), industry (TS060) and occupation (TS063), tidy: one row per area x table x
-- category, every category Nomis served, with the count of usual residents as published. Ward rows are ONS's own
-- 2022-ward aggregation of output areas (as in TS066) and keep their vintage; districts and above as published.
-- Counts are whole numbers perturbed by ONS (statistical disclosure control); suppressed cells stay NULL.
--
-- TS060's detailed categories are labelled with their SIC 2007 division number(s) ("47 Retail trade, ..."):
-- `sic_division` is the first of them and `sic_section` its section (SIC 2007: 45-47 are G, 55-56 I, ...). A
-- label that starts with a section letter and a colon ("G: Wholesale and retail trade; ...", as in the Nomis
-- Census bulk files' column names, "Industry (current): G: ...") is a section aggregate. No real API body of TS060
-- was available to check: a label of neither form is kept as 'unclassified' (and left out of section sums).
CREATE OR REPLACE TABLE census_skills_work AS
WITH served AS (
    SELECT r.GEOGRAPHY_CODE, r.GEOGRAPHY_NAME, r.GEOGRAPHY_TYPE, r.DATE, 'qualification' AS topic,
           c.name AS category, r.C2021_HIQUAL_8 AS category_code, r.C2021_HIQUAL_8_NAME AS category_label,
           r.OBS_VALUE, r.OBS_STATUS, 'NM_2084_1' AS source_dataset, r.query_id
    FROM raw_census_qualifications AS r
    LEFT JOIN label_names('NM_2084_1', (SELECT list(DISTINCT C2021_HIQUAL_8_NAME) FROM raw_census_qualifications)) AS c
           ON c.label = r.C2021_HIQUAL_8_NAME
    UNION ALL
    SELECT r.GEOGRAPHY_CODE, r.GEOGRAPHY_NAME, r.GEOGRAPHY_TYPE, r.DATE, 'occupation', c.name, r.C2021_OCC_10,
           r.C2021_OCC_10_NAME, r.OBS_VALUE, r.OBS_STATUS, 'NM_2080_1', r.query_id
    FROM raw_census_occupation AS r
    LEFT JOIN label_names('NM_2080_1', (SELECT list(DISTINCT C2021_OCC_10_NAME) FROM raw_census_occupation)) AS c
           ON c.label = r.C2021_OCC_10_NAME
    UNION ALL
    SELECT r.GEOGRAPHY_CODE, r.GEOGRAPHY_NAME, r.GEOGRAPHY_TYPE, r.DATE, 'industry',
           CASE WHEN regexp_matches(label_text(r.C2021_IND_88_NAME), '(?i)^total') THEN 'total'
                WHEN nullif(trim(r.C2021_IND_88), '') IS NOT NULL THEN 'ind_' || trim(r.C2021_IND_88) END,
           r.C2021_IND_88, r.C2021_IND_88_NAME, r.OBS_VALUE, r.OBS_STATUS, 'NM_2077_1', r.query_id
    FROM raw_census_industry AS r
),
typed AS (
    SELECT s.GEOGRAPHY_CODE AS area_code, s.GEOGRAPHY_NAME AS area_name, level_of_code(s.GEOGRAPHY_CODE) AS area_level,
           vintage_of_type(s.GEOGRAPHY_TYPE) AS type_vintage, s.DATE, s.topic, s.category, s.category_code,
           s.category_label, label_text(s.category_label) AS label,
           TRY_CAST(NULLIF(s.OBS_VALUE, '') AS DOUBLE) AS value, s.OBS_STATUS AS obs_status, s.source_dataset,
           s.query_id AS source_query_id
    FROM served AS s
),
industry AS (  -- TS060's labels say where each category sits in SIC 2007
    SELECT *, TRY_CAST(nullif(regexp_extract(label, '^([0-9]{2})\b', 1), '') AS INTEGER) AS division,
           nullif(regexp_extract(label, '^([A-U]):?\s', 1), '') AS section_letter
    FROM typed
),
sections AS (
    SELECT *, CASE WHEN topic = 'industry' AND category <> 'total' THEN coalesce(section_letter, CASE
            WHEN division BETWEEN 1 AND 3 THEN 'A' WHEN division BETWEEN 5 AND 9 THEN 'B'
            WHEN division BETWEEN 10 AND 33 THEN 'C' WHEN division = 35 THEN 'D'
            WHEN division BETWEEN 36 AND 39 THEN 'E' WHEN division BETWEEN 41 AND 43 THEN 'F'
            WHEN division BETWEEN 45 AND 47 THEN 'G' WHEN division BETWEEN 49 AND 53 THEN 'H'
            WHEN division BETWEEN 55 AND 56 THEN 'I' WHEN division BETWEEN 58 AND 63 THEN 'J'
            WHEN division BETWEEN 64 AND 66 THEN 'K' WHEN division = 68 THEN 'L'
            WHEN division BETWEEN 69 AND 75 THEN 'M' WHEN division BETWEEN 77 AND 82 THEN 'N'
            WHEN division = 84 THEN 'O' WHEN division = 85 THEN 'P'
            WHEN division BETWEEN 86 AND 88 THEN 'Q' WHEN division BETWEEN 90 AND 93 THEN 'R'
            WHEN division BETWEEN 94 AND 96 THEN 'S' WHEN division BETWEEN 97 AND 98 THEN 'T'
            WHEN division = 99 THEN 'U' END) END AS sic_section
    FROM industry
)
SELECT DISTINCT t.area_code, t.area_name, t.area_level,
       CASE WHEN t.area_level = 'ward' THEN t.type_vintage END AS ward_vintage,
       make_date(CAST(t.DATE AS INTEGER), 3, 1) AS period,  -- Census day: 21 March 2021
       t.topic, t.category, t.category_code, t.category_label,
       CASE WHEN t.category = 'total' THEN 'total'
            WHEN t.topic <> 'industry' THEN 'category'
            WHEN t.section_letter IS NOT NULL THEN 'section'
            WHEN t.sic_section IS NOT NULL THEN 'division'
            ELSE 'unclassified' END AS category_kind,
       t.sic_section, CASE WHEN t.section_letter IS NULL AND t.sic_section IS NOT NULL THEN t.division END AS sic_division,
       t.value, t.obs_status, coalesce(s.is_suppressed, false) AS is_suppressed, t.source_dataset, t.source_query_id
FROM sections AS t
LEFT JOIN nomis_status AS s ON s.code = t.obs_status
ORDER BY t.topic, t.area_level, t.area_code, t.category;
