-- Claimant count figures for every area held (wards, districts, counties, regions, countries).
-- Output columns are the standard figure columns listed in area_indicators.py (FIGURE_COLUMNS).
WITH counts AS (
    SELECT * FROM claimant_count WHERE measure = 'count'
),
rates AS (
    SELECT * FROM claimant_count WHERE measure = 'rate'
),
latest_pop AS (
    SELECT max(year) AS year FROM population
),
-- The mid-year estimate for the period's year, or the latest one for months after it. A ward's estimate is taken
-- from the same ward type where Nomis publishes it there, else from the other type holding its code (one code is
-- one area); the key is the count's own, ward type included.
denominators AS (
    SELECT c.area_code, c.area_level, c.ward_vintage, c.period, c.age_band, p.value AS population,
           p.year AS denominator_year, p.age_band AS denominator_band, p.source_query_id AS denominator_query_id
    -- The year and band wanted are columns before the join, so the join matches on them: a condition on the
    -- latest year's subquery was applied after joining every year of the area's estimates.
    FROM (SELECT *, least(year(period), (SELECT year FROM latest_pop)) AS wanted_year,
                 CASE age_band WHEN '16+' THEN '16-64' ELSE age_band END AS wanted_band
          FROM counts) AS c
    JOIN population p
      ON p.area_code = c.area_code AND p.area_level = c.area_level
     AND p.age_band = c.wanted_band AND p.year = c.wanted_year
    QUALIFY row_number() OVER (PARTITION BY c.area_code, c.area_level, c.ward_vintage, c.period, c.age_band
                               ORDER BY p.ward_vintage IS NOT DISTINCT FROM c.ward_vintage DESC,
                                        p.ward_vintage DESC NULLS LAST) = 1
)

    -- Claimant counts: official, rounded to 5, so a published 5 means 3 to 7.
    SELECT c.area_code, c.area_name, c.area_level, c.ward_vintage, c.period,
           CASE c.age_band WHEN '16+' THEN 'claimant_count'
                           WHEN '16-24' THEN 'claimant_count_16_24'
                           ELSE 'claimant_count_18_24' END      AS indicator,
           c.value, c.value AS numerator, NULL::DOUBLE AS denominator, 'claimants' AS unit,
           -- greatest() skips NULLs, so a suppressed count would otherwise get lower = 0 and no upper.
           CASE WHEN c.value IS NOT NULL THEN greatest(c.value - 2, 0) END AS lower, c.value + 2 AS upper,
           'official' AS status, c.rounding_base, c.obs_status,
           c.source_dataset, c.source_query_id, NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
    FROM counts c
    UNION ALL
    -- Claimant rate, 16+: Nomis's own figure (measure 2, % of residents aged 16-64). Official.
    -- Its range is the count's +-2 over our denominator, widened by the 0.05 points the published 1 dp
    -- rounding hides; and never narrower than value +- 0.05, because Nomis divides by its own mid-year
    -- estimate, which can be another year's than ours (denominator_year) or revised, so the count's range
    -- over our denominator alone can miss the published value. A range must always contain its value.
    SELECT r.area_code, r.area_name, r.area_level, r.ward_vintage, r.period, 'claimant_rate',
           r.value, c.value, d.population, '%',
           -- No range without a count and our denominator: value +- 0.05 alone would hide the count's rounding.
           CASE WHEN c.value IS NOT NULL AND d.population > 0
                THEN greatest(least(100 * greatest(c.value - 2, 0) / d.population - 0.05, r.value - 0.05), 0) END,
           CASE WHEN c.value IS NOT NULL AND d.population > 0
                THEN greatest(100 * (c.value + 2) / d.population + 0.05, r.value + 0.05) END,
           'official', c.rounding_base, r.obs_status,
           'NM_162_1', r.source_query_id, d.denominator_query_id, d.denominator_year
    FROM rates r
    JOIN counts c ON c.area_code = r.area_code AND c.area_level = r.area_level AND c.period = r.period
                 AND c.age_band = r.age_band AND c.ward_vintage IS NOT DISTINCT FROM r.ward_vintage
    LEFT JOIN denominators d ON d.area_code = c.area_code AND d.area_level = c.area_level AND d.period = c.period
                            AND d.age_band = c.age_band AND d.ward_vintage IS NOT DISTINCT FROM c.ward_vintage
    WHERE r.age_band = '16+'
    UNION ALL
    -- Youth claimant rates: claimants of the band over residents of the band. Nomis does not publish
    -- them for wards, so they are DERIVED here, the same way at every level so benchmarks compare.
    -- The value is rounded to 1 dp like Nomis's rates, so its range is widened by that rounding's 0.05
    -- points: the denominator is ours, so this alone keeps the value inside.
    SELECT c.area_code, c.area_name, c.area_level, c.ward_vintage, c.period,
           CASE c.age_band WHEN '16-24' THEN 'claimant_rate_16_24' ELSE 'claimant_rate_18_24' END,
           round(100 * c.value / d.population, 1), c.value, d.population, '%',
           CASE WHEN c.value IS NOT NULL AND d.population > 0
                THEN greatest(100 * greatest(c.value - 2, 0) / d.population - 0.05, 0) END,
           CASE WHEN c.value IS NOT NULL AND d.population > 0 THEN 100 * (c.value + 2) / d.population + 0.05 END,
           'derived', c.rounding_base, c.obs_status,
           'NM_162_1 / NM_2014_1', c.source_query_id, d.denominator_query_id, d.denominator_year
    FROM counts c
    LEFT JOIN denominators d ON d.area_code = c.area_code AND d.area_level = c.area_level AND d.period = c.period
                            AND d.age_band = c.age_band AND d.ward_vintage IS NOT DISTINCT FROM c.ward_vintage
    WHERE c.age_band IN ('16-24', '18-24')
