-- Employment deprivation (English Indices of Deprivation 2025, Employment domain, MHCLG) for wards of every
-- boundary vintage in lsoa_ward_lookup, for districts and for England. Output columns are the standard figure
-- columns listed in area_indicators.py (FIGURE_COLUMNS).
--
-- MHCLG publishes the score for 2021 LSOAs only (the % of the working-age population involuntarily excluded
-- from work; iod_employment holds it as a %). Every figure here is our own aggregation (status 'derived'):
-- - a ward: the mean of the scores of the LSOAs the ONS LSOA21 -> ward lookup best-fits to it (per vintage);
-- - a district: the mean over the district's LSOAs in lsoa_ward_lookup (LSOAs nest in districts);
-- - England: the mean over all 33,755 English LSOAs in the file.
-- SIMPLE (unweighted) MEAN, not population-weighted: the bundled file carries no population denominators
-- (MHCLG's File 7 does; the copy it came from kept ranks, deciles and scores only), and LSOAs are built to
-- similar sizes (1,000-3,000 residents, about 1,500), so each LSOA counting once approximates weighting by
-- population. MHCLG's own district summaries use population-weighted averages, so our district figures can
-- differ slightly from MHCLG's published "average score" and are not those.
-- A ward or district with no scored LSOA has no row: Welsh (W01) LSOAs are not in the English indices, so Wales
-- gets nothing (England only), as do the demo's made-up LSOAs. One with some LSOAs unscored (which a complete
-- English LSOA 2021 file never leaves) gets a NULL value, never the mean of part of its area.
-- period: 2022-01-01, the start of the 2022 reference year of the domain's data (the catalogue gives
-- reference_months = 12); the indices are published for one time point, so there is no change on a year earlier.
-- Rounded to 1 dp like the LSOA scores themselves; no numerator, denominator or range (a mean of rates).
WITH lsoas AS (
    SELECT lsoa_code, employment_score, source_query_id FROM iod_employment
),
wards AS (
    SELECT l.ward_code, any_value(l.ward_name) AS ward_name, l.ward_vintage,
           CASE WHEN count(i.lsoa_code) = count(*) THEN avg(i.employment_score) END AS score,
           any_value(i.source_query_id) AS source_query_id
    FROM lsoa_ward_lookup l
    LEFT JOIN lsoas i ON i.lsoa_code = l.lsoa_code
    GROUP BY l.ward_code, l.ward_vintage
    HAVING count(i.lsoa_code) > 0
),
district_lsoas AS (  -- one row per LSOA of a district, whatever the number of ward vintages held
    SELECT lsoa_code, lad_code, any_value(lad_name) AS lad_name FROM lsoa_ward_lookup GROUP BY lsoa_code, lad_code
),
districts AS (
    SELECT d.lad_code, any_value(d.lad_name) AS lad_name,
           CASE WHEN count(i.lsoa_code) = count(*) THEN avg(i.employment_score) END AS score,
           any_value(i.source_query_id) AS source_query_id
    FROM district_lsoas d
    LEFT JOIN lsoas i ON i.lsoa_code = d.lsoa_code
    GROUP BY d.lad_code
    HAVING count(i.lsoa_code) > 0
),
england AS (
    SELECT avg(employment_score) AS score, count(*) AS n, any_value(source_query_id) AS source_query_id
    FROM lsoas
    HAVING count(*) > 0
),
figures AS (
    SELECT ward_code AS area_code, ward_name AS area_name, 'ward' AS area_level, ward_vintage, score,
           'English Indices of Deprivation 2025, Employment domain (MHCLG), LSOA 2021, aggregated by LSOA best fit '
           || '(to ' || ward_vintage || ' wards; simple mean of LSOA scores)' AS source_dataset, source_query_id
    FROM wards
    UNION ALL
    SELECT lad_code, lad_name, 'lad', NULL::INTEGER, score,
           'English Indices of Deprivation 2025, Employment domain (MHCLG), LSOA 2021, aggregated to districts '
           || '(simple mean of LSOA scores; not MHCLG''s population-weighted district summary)', source_query_id
    FROM districts
    UNION ALL
    SELECT 'E92000001', 'England', 'country', NULL::INTEGER, score,
           'English Indices of Deprivation 2025, Employment domain (MHCLG), LSOA 2021, aggregated to England '
           || '(simple mean of ' || n || ' LSOA scores)', source_query_id
    FROM england
)
SELECT area_code, area_name, area_level, ward_vintage, DATE '2022-01-01' AS period,
       'iod_employment_deprivation' AS indicator, round(score, 1) AS value,
       NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, '%' AS unit,
       NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, 'derived' AS status, NULL::INTEGER AS rounding_base,
       NULL::VARCHAR AS obs_status, source_dataset, source_query_id, NULL::VARCHAR AS denominator_query_id,
       NULL::INTEGER AS denominator_year
FROM figures
