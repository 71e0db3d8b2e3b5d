-- Claimant count figures for every area held (wards, districts, counties, regions, countries).
-- Output columns are the standard figure columns listed in area_indicators.py (FIGURE_COLUMNS).
WITH counts AS NOT MATERIALIZED (
    SELECT * FROM claimant_count WHERE measure = 'count'
),
rates AS NOT MATERIALIZED (
    SELECT * FROM claimant_count WHERE measure = 'rate'
),
latest_pop AS (
    SELECT max(year) AS year FROM population
),
-- The mid-year estimate for the period's year, or the latest one for months after it. A ward's estimate is taken
-- from the same ward type where Nomis publishes it there, else from the newest other type holding its code (one
-- code is one area); the key is the count's own, ward type included. Without a window: the estimate of the
-- count's own type, else the area's newest (population is unique per area, level, type, year and band).
wanted AS NOT MATERIALIZED (
    SELECT c.area_code, c.area_level, c.ward_vintage, c.period, c.age_band,
           least(year(c.period), (SELECT year FROM latest_pop)) AS year,
           CASE c.age_band WHEN '16+' THEN '16-64' ELSE c.age_band END AS band
    FROM counts c
),
newest_type AS (
    SELECT area_code, area_level, year, age_band,
           arg_max({'value': value, 'year': year, 'age_band': age_band, 'query_id': source_query_id},
                   coalesce(ward_vintage, -1)) AS p
    FROM population GROUP BY area_code, area_level, year, age_band
),
denominators AS NOT MATERIALIZED (
    SELECT w.area_code, w.area_level, w.ward_vintage, w.period, w.age_band,
           CASE WHEN same.area_code IS NOT NULL THEN same.value ELSE n.p.value END AS population,
           CASE WHEN same.area_code IS NOT NULL THEN same.year ELSE n.p.year END AS denominator_year,
           CASE WHEN same.area_code IS NOT NULL THEN same.age_band ELSE n.p.age_band END AS denominator_band,
           CASE WHEN same.area_code IS NOT NULL THEN same.source_query_id ELSE n.p.query_id END AS denominator_query_id
    FROM wanted w
    LEFT JOIN population same
           ON same.area_code = w.area_code AND same.area_level = w.area_level AND same.age_band = w.band
          AND same.year = w.year AND same.ward_vintage IS NOT DISTINCT FROM w.ward_vintage
    LEFT JOIN newest_type n
           ON n.area_code = w.area_code AND n.area_level = w.area_level AND n.age_band = w.band AND n.year = w.year
    WHERE same.area_code IS NOT NULL OR n.area_code IS NOT NULL
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
