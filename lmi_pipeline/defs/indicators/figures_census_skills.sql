-- Census 2021 qualifications (TS067), occupation (TS063) and industry (TS060): shares of the table's total, for
-- 2022 wards (ONS's own ward aggregation), districts, counties, regions and England. Output columns are the
-- standard figure columns listed in area_indicators.py (FIGURE_COLUMNS).
-- A single published category as a % of its table's total, to 1 dp, is what ONS and Nomis publish (the Nomis
-- 'Percent' measure): status 'official'. A sum of published categories (SOC major groups 1-3; an industry section
-- added up from its detailed categories when Nomis serves no section aggregate) is ours: status 'computed'.
-- Any suppressed (NULL) input makes the share NULL: no input is ever filled with 0. Perturbed counts: no range.
WITH rows AS (
    SELECT c.*, CASE WHEN c.area_level = 'ward'
                     THEN c.source_dataset || ' (ONS ' || c.ward_vintage || ' ward figures: output areas by best fit)'
                     ELSE c.source_dataset END AS dataset_label
    FROM census_skills_work AS c
    WHERE c.area_level <> 'lsoa'
),
totals AS (
    SELECT area_code, area_level, ward_vintage, topic, max(value) FILTER (WHERE category = 'total') AS total,
           count(*) FILTER (WHERE category_kind = 'unclassified') AS unclassified
    FROM rows WHERE category = 'total' OR category_kind = 'unclassified'
    GROUP BY area_code, area_level, ward_vintage, topic
),
wanted(indicator, topic, categories, section) AS (VALUES
    ('census_no_qualifications_pct', 'qualification', ['no_qualifications'], NULL),
    ('census_level4_plus_pct', 'qualification', ['level_4_plus'], NULL),
    ('census_apprenticeship_pct', 'qualification', ['apprenticeship'], NULL),
    ('census_elementary_occupations_pct', 'occupation', ['soc_9'], NULL),
    ('census_managers_professional_pct', 'occupation', ['soc_1', 'soc_2', 'soc_3'], NULL),
    ('census_industry_retail_pct', 'industry', NULL, 'G'),
    ('census_industry_accommodation_food_pct', 'industry', NULL, 'I'),
    ('census_industry_health_social_pct', 'industry', NULL, 'Q'),
    ('census_industry_construction_pct', 'industry', NULL, 'F')
),
categories AS (  -- qualifications and occupations: named categories
    SELECT w.indicator, r.area_code, any_value(r.area_name) AS area_name, r.area_level, r.ward_vintage, r.period,
           CASE WHEN count(r.value) = len(w.categories) THEN sum(r.value) END AS numerator,
           count(*) = len(w.categories) AS complete,
           coalesce(max(r.obs_status) FILTER (WHERE r.obs_status <> 'A'), max(r.obs_status)) AS obs_status,
           CASE WHEN len(w.categories) = 1 THEN 'official' ELSE 'computed' END AS status,
           any_value(r.dataset_label) AS dataset_label, any_value(r.source_query_id) AS source_query_id, w.topic
    FROM wanted AS w
    JOIN rows AS r ON r.topic = w.topic AND list_contains(w.categories, r.category)
    WHERE w.categories IS NOT NULL
    GROUP BY w.indicator, w.topic, w.categories, r.area_code, r.area_level, r.ward_vintage, r.period
),
published_sections AS (  -- a section aggregate Nomis serves (label "G: ..."), as published
    SELECT w.indicator, r.area_code, r.area_level, r.ward_vintage, r.value, r.obs_status
    FROM wanted AS w JOIN rows AS r ON r.topic = 'industry' AND r.category_kind = 'section' AND r.sic_section = w.section
),
summed_sections AS (  -- otherwise the section's detailed categories added up (none unclassified, none suppressed)
    SELECT w.indicator, r.area_code, any_value(r.area_name) AS area_name, r.area_level, r.ward_vintage, r.period,
           CASE WHEN count(r.value) FILTER (WHERE r.sic_section = w.section AND r.category_kind = 'division')
                     = count(*) FILTER (WHERE r.sic_section = w.section AND r.category_kind = 'division')
                THEN sum(r.value) FILTER (WHERE r.sic_section = w.section AND r.category_kind = 'division') END AS summed,
           count(*) FILTER (WHERE r.sic_section = w.section AND r.category_kind = 'division') AS divisions,
           coalesce(max(r.obs_status) FILTER (WHERE r.sic_section = w.section AND r.obs_status <> 'A'),
                    max(r.obs_status)) AS obs_status,
           any_value(r.dataset_label) AS dataset_label, any_value(r.source_query_id) AS source_query_id
    FROM wanted AS w JOIN rows AS r ON r.topic = 'industry'
    WHERE w.section IS NOT NULL
    GROUP BY w.indicator, r.area_code, r.area_level, r.ward_vintage, r.period
),
sections AS (
    SELECT s.indicator, s.area_code, s.area_name, s.area_level, s.ward_vintage, s.period,
           CASE WHEN p.indicator IS NOT NULL THEN p.value
                WHEN s.divisions > 0 AND coalesce(t.unclassified, 0) = 0 THEN s.summed END AS numerator,
           true AS complete, coalesce(p.obs_status, s.obs_status) AS obs_status,
           CASE WHEN p.indicator IS NOT NULL THEN 'official' ELSE 'computed' END AS status,
           s.dataset_label, s.source_query_id, 'industry' AS topic
    FROM summed_sections AS s
    LEFT JOIN published_sections AS p ON p.indicator = s.indicator AND p.area_code = s.area_code
         AND p.area_level = s.area_level AND p.ward_vintage IS NOT DISTINCT FROM s.ward_vintage
    LEFT JOIN (SELECT area_code, area_level, ward_vintage, sum(unclassified) AS unclassified FROM totals
               WHERE topic = 'industry' GROUP BY ALL) AS t
         ON t.area_code = s.area_code AND t.area_level = s.area_level AND t.ward_vintage IS NOT DISTINCT FROM s.ward_vintage
),
shares AS (
    SELECT * FROM categories WHERE complete UNION ALL BY NAME SELECT * FROM sections
)
SELECT s.area_code, s.area_name, s.area_level, s.ward_vintage, s.period, s.indicator,
       round(100 * s.numerator / nullif(t.total, 0), 1) AS value, s.numerator, t.total AS denominator, '%' AS unit,
       NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, s.status, NULL::INTEGER AS rounding_base, s.obs_status,
       s.dataset_label AS source_dataset, s.source_query_id, s.source_query_id AS denominator_query_id,
       2021 AS denominator_year
FROM shares AS s
JOIN (SELECT area_code, area_level, ward_vintage, topic, max(total) AS total FROM totals GROUP BY ALL) AS t
  ON t.area_code = s.area_code AND t.area_level = s.area_level AND t.ward_vintage IS NOT DISTINCT FROM s.ward_vintage
 AND t.topic = s.topic
