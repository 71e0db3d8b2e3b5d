-- The English Indices of Deprivation 2025 (MHCLG, File 7: iod_lsoa) for wards of every boundary vintage in
-- lsoa_ward_lookup, for districts and for England. Output columns are the standard figure columns listed in
-- area_indicators.py (FIGURE_COLUMNS).
--
-- MHCLG publishes the indices for 2021 LSOAs only. Every figure here is our own aggregation (status 'derived'):
-- - a ward: over the LSOAs the ONS LSOA21 -> ward lookup best-fits to it (per ward vintage);
-- - a district: over the district's LSOAs in lsoa_ward_lookup (LSOAs nest in districts);
-- - England: over every LSOA in the file (33,755 in the real one).
-- Four indicators:
-- - iod_employment_deprivation: the Employment score is a rate (the share of the working-age population
--   involuntarily excluded from work), so an area's is the mean of its LSOAs' rates WEIGHTED BY the working-age
--   denominator File 7 publishes with them ("Working age population 18-66 ...: mid 2022"): the area's own rate,
--   sum(rate x denominator) / sum(denominator), as a %. `denominator` = that population (mid-2022).
-- - iod_income_deprivation: likewise, the Income score (the share of the population in income deprivation)
--   weighted by the total population ("Total population: mid 2022").
-- - imd_average_score: the overall IMD score is a combined score, not a rate; weighted by total population, as
--   MHCLG's own local-authority "average score" summary is (ours are not MHCLG's figures and can differ).
-- - imd_share_lsoas_most_deprived_decile: the % of the area's LSOAs in England's most deprived 10% on the
--   overall IMD (decile 1), each LSOA counting once (not weighted: a count of neighbourhoods).
-- The scores are published rounded (rates to 3 dp), so a weighted rate is good to about 0.05 points: no
-- numerator (an implied count would look more exact than it is), and values are rounded to 1 dp.
-- A ward or district with no LSOA in the file has no row: Welsh (W01) LSOAs are not in the English indices, so
-- Wales gets nothing (England only). One with some LSOAs missing (which a complete File 7 never leaves) gets a
-- NULL value, never the figure of part of its area.
-- period: 2022-01-01, the start of the 2022 reference year of the domains' data (the catalogue gives
-- reference_months = 12); the indices are published for one time point, so there is no change on a year earlier.
WITH lsoas AS (  -- one row per LSOA and indicator: its value and the weight it carries
    SELECT lsoa_code, lad_code, 'iod_employment_deprivation' AS indicator, 100 * employment_score AS value,
           population_working_age AS weight, source_query_id FROM iod_lsoa
    UNION ALL
    SELECT lsoa_code, lad_code, 'iod_income_deprivation', 100 * income_score, population_total, source_query_id
    FROM iod_lsoa
    UNION ALL
    SELECT lsoa_code, lad_code, 'imd_average_score', imd_score, population_total, source_query_id FROM iod_lsoa
    UNION ALL
    SELECT lsoa_code, lad_code, 'imd_share_lsoas_most_deprived_decile',
           CASE WHEN imd_decile = 1 THEN 100.0 ELSE 0.0 END, 1, source_query_id FROM iod_lsoa
),
indicators AS (
    SELECT * FROM (VALUES
        ('iod_employment_deprivation', '%', 'Employment domain',
         'mean of LSOA rates weighted by working-age population (mid 2022)', true),
        ('iod_income_deprivation', '%', 'Income domain',
         'mean of LSOA rates weighted by total population (mid 2022)', true),
        ('imd_average_score', 'score', 'Index of Multiple Deprivation',
         'mean of LSOA scores weighted by total population (mid 2022)', true),
        ('imd_share_lsoas_most_deprived_decile', '%', 'Index of Multiple Deprivation',
         'share of LSOAs in England''s most deprived 10%', false)
    ) AS t(indicator, unit, domain, method, weighted)
    WHERE EXISTS (SELECT 1 FROM iod_lsoa)
),
wards AS (
    SELECT l.ward_code, any_value(l.ward_name) AS ward_name, l.ward_vintage, k.indicator,
           CASE WHEN count(i.lsoa_code) = count(*) THEN sum(i.value * i.weight) / sum(i.weight) END AS value,
           CASE WHEN count(i.lsoa_code) = count(*) THEN sum(i.weight) END AS weight,
           any_value(i.source_query_id) AS source_query_id
    FROM lsoa_ward_lookup l
    CROSS JOIN indicators k
    LEFT JOIN lsoas i ON i.lsoa_code = l.lsoa_code AND i.indicator = k.indicator
    GROUP BY l.ward_code, l.ward_vintage, k.indicator
    HAVING count(i.lsoa_code) > 0
),
district_lsoas AS (  -- one row per LSOA of a district, whatever the number of ward vintages held
    SELECT lsoa_code, lad_code, any_value(lad_name) AS lad_name FROM lsoa_ward_lookup GROUP BY lsoa_code, lad_code
),
districts AS (
    SELECT d.lad_code, any_value(d.lad_name) AS lad_name, k.indicator,
           CASE WHEN count(i.lsoa_code) = count(*) THEN sum(i.value * i.weight) / sum(i.weight) END AS value,
           CASE WHEN count(i.lsoa_code) = count(*) THEN sum(i.weight) END AS weight,
           any_value(i.source_query_id) AS source_query_id
    FROM district_lsoas d
    CROSS JOIN indicators k
    LEFT JOIN lsoas i ON i.lsoa_code = d.lsoa_code AND i.indicator = k.indicator
    GROUP BY d.lad_code, k.indicator
    HAVING count(i.lsoa_code) > 0
),
-- The configured districts' county and region benchmarks: every LSOA File 7 places in a district of it
-- (district_parents: the bundled ONS reference, registered by area_indicators).
larger_areas AS (
    SELECT lad_code, county_code AS area_code, county_name AS area_name, 'county' AS area_level
    FROM district_parents WHERE county_code IS NOT NULL
    UNION ALL
    SELECT lad_code, region_code, region_name, 'region' FROM district_parents WHERE region_code IS NOT NULL
),
larger AS (
    SELECT a.area_code, any_value(a.area_name) AS area_name, a.area_level, i.indicator,
           sum(i.value * i.weight) / sum(i.weight) AS value, sum(i.weight) AS weight, count(*) AS n,
           any_value(i.source_query_id) AS source_query_id
    FROM lsoas i JOIN larger_areas a ON a.lad_code = i.lad_code
    WHERE a.area_code IN (SELECT DISTINCT (unnest(benchmarks)).code FROM main.districts)  -- the table, not the CTE
    GROUP BY a.area_code, a.area_level, i.indicator
),
england AS (
    SELECT indicator, sum(value * weight) / sum(weight) AS value, sum(weight) AS weight, count(*) AS n,
           any_value(source_query_id) AS source_query_id
    FROM lsoas
    GROUP BY indicator
),
figures AS (
    SELECT ward_code AS area_code, ward_name AS area_name, 'ward' AS area_level, ward_vintage, indicator, value,
           weight, '(to ' || ward_vintage || ' wards by LSOA best fit; ' AS how, source_query_id
    FROM wards
    UNION ALL
    SELECT lad_code, lad_name, 'lad', NULL::INTEGER, indicator, value, weight,
           '(to districts; not MHCLG''s own district summary; ', source_query_id
    FROM districts
    UNION ALL
    SELECT area_code, area_name, area_level, NULL::INTEGER, indicator, value, weight,
           '(to the ' || area_level || ', ' || n || ' LSOAs; ', source_query_id
    FROM larger
    UNION ALL
    SELECT 'E92000001', 'England', 'country', NULL::INTEGER, indicator, value, weight,
           '(to England, ' || n || ' LSOAs; ', source_query_id
    FROM england
)
SELECT f.area_code, f.area_name, f.area_level, f.ward_vintage, DATE '2022-01-01' AS period,
       f.indicator, round(f.value, 1) AS value,
       NULL::DOUBLE AS numerator, CASE WHEN k.weighted THEN f.weight END::DOUBLE AS denominator, k.unit,
       NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, 'derived' AS status, NULL::INTEGER AS rounding_base,
       NULL::VARCHAR AS obs_status,
       'English Indices of Deprivation 2025 (MHCLG File 7), ' || k.domain || ', LSOA 2021, aggregated ' || f.how
       || k.method || ')' AS source_dataset,
       f.source_query_id,
       CASE WHEN k.weighted THEN f.source_query_id END AS denominator_query_id,
       CASE WHEN k.weighted THEN 2022 END AS denominator_year
FROM figures f
JOIN indicators k USING (indicator)
