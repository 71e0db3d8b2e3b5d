-- Ward indicators in long format with their benchmarks, change on a year earlier and rank in the district.
-- Benchmarks are the ones the ward's district really has (districts): county for shire districts,
-- combined authority for metropolitan districts, region in England, and the country (England or Wales);
-- a column is NULL where the structure has no such area or the upstream publishes no figure for it.
-- Every row keeps its ward boundary vintage; the change is against the same ward on the same boundaries
-- (NULL where there is no figure a year earlier, e.g. the single Census 2021 snapshot), with the range
-- the two months' rounding allows, so a change smaller than its rounding is not read as a movement.
-- Run once per batch of indicators ($indicators; ward_indicators.py), each batch's rows added: every join
-- and window is within one indicator, so a batch is whole, and a batch fits in memory where all of them at
-- once spilled 7.5 GB to disk under the 1 GB memory limit at national scale. The change and the rank are
-- worked out on narrow rows (the figure, its range and its keys) and joined back by the area_indicators row
-- they belong to, so the wide rows (provenance and all) are never sorted or hashed.
WITH ward_figures AS (
    SELECT a.rowid AS row_id, a.area_code AS ward_code, a.ward_vintage, w.lad_code, a.indicator, a.period,
           a.value, a.lower, a.upper
    FROM area_indicators a
    JOIN ward_lookup w ON w.ward_code = a.area_code AND w.ward_vintage = a.ward_vintage
    JOIN districts d ON d.lad_code = w.lad_code
    WHERE a.area_level = 'ward' AND a.indicator IN (SELECT unnest($indicators))
),
a_year_earlier AS (
    SELECT area_code, ward_vintage, indicator, period, value, lower, upper
    FROM area_indicators WHERE area_level = 'ward' AND indicator IN (SELECT unnest($indicators))
),
ward_stats AS (
    SELECT f.row_id,
           f.value - prev.value AS change_12m,
           -- The change both months' ranges allow (rounding to 5, or a survey CI): from the lowest this month
           -- less the highest a year earlier, to the reverse. NULL where either month has no range.
           f.lower - prev.upper AS change_12m_lower,
           f.upper - prev.lower AS change_12m_upper,
           -- Ranks compare wards of one boundary vintage only: a district with old and new wards (Maidstone
           -- 2023 and 2024) has two rankings, never one that mixes boundaries.
           CASE WHEN f.value IS NOT NULL
                THEN rank() OVER (PARTITION BY f.lad_code, f.ward_vintage, f.indicator, f.period
                                  ORDER BY f.value DESC NULLS LAST) END AS rank_in_lad,
           count(f.value) OVER (PARTITION BY f.lad_code, f.ward_vintage, f.indicator, f.period) AS n_wards_in_lad
    FROM ward_figures f
    LEFT JOIN a_year_earlier prev
           ON prev.area_code = f.ward_code AND prev.ward_vintage = f.ward_vintage
          AND prev.indicator = f.indicator AND prev.period = f.period - INTERVAL 12 MONTH
),
benchmarks AS (
    SELECT area_code, area_level, indicator, period, value FROM area_indicators
    WHERE area_level <> 'ward' AND indicator IN (SELECT unnest($indicators))
)
SELECT
    w.ward_code, w.ward_name, a.ward_vintage, w.lad_code, w.lad_name, w.is_focus,
    a.indicator, a.period, a.value, a.numerator, a.denominator, a.unit, a.lower, a.upper,
    a.status, a.small_number, a.rounding_base, a.obs_status,
    lad.value  AS lad_value,
    cty.value  AS county_value,
    ca.value   AS combined_authority_value,
    rgn.value  AS region_value,
    ctry.value AS country_value,
    s.change_12m, s.change_12m_lower, s.change_12m_upper,
    -- A change whose range reaches 0 could be no change at all: not evidence of a rise or fall.
    -- Inclusive, as a range ending at 0 allows no change; NULL where there is no range to judge by.
    CASE WHEN s.change_12m_lower IS NOT NULL AND s.change_12m_upper IS NOT NULL
         THEN s.change_12m_lower <= 0 AND s.change_12m_upper >= 0 END AS change_12m_within_rounding,
    s.rank_in_lad, s.n_wards_in_lad,
    a.denominator_year,
    a.source_dataset, a.source_query_id, a.denominator_query_id, a.release, a.retrieved_at, a.data_label
FROM (SELECT rowid AS row_id, * FROM area_indicators WHERE indicator IN (SELECT unnest($indicators))) AS a
JOIN ward_stats s ON s.row_id = a.row_id
JOIN ward_lookup w ON w.ward_code = a.area_code AND w.ward_vintage = a.ward_vintage
JOIN districts d ON d.lad_code = w.lad_code
LEFT JOIN benchmarks lad  ON lad.area_code  = w.lad_code     AND lad.area_level = 'lad'
                         AND lad.indicator  = a.indicator    AND lad.period = a.period
LEFT JOIN benchmarks cty  ON cty.area_code  = d.county_code  AND cty.area_level = 'county'
                         AND cty.indicator  = a.indicator    AND cty.period = a.period
LEFT JOIN benchmarks ca   ON ca.area_code   = CASE WHEN d.kind = 'metropolitan district' THEN d.combined_authority_code END
                         AND ca.area_level = 'combined_authority'
                         AND ca.indicator   = a.indicator    AND ca.period = a.period
LEFT JOIN benchmarks rgn  ON rgn.area_code  = d.region_code  AND rgn.area_level = 'region'
                         AND rgn.indicator  = a.indicator    AND rgn.period = a.period
LEFT JOIN benchmarks ctry ON ctry.area_code = d.country_code AND ctry.area_level = 'country'
                         AND ctry.indicator = a.indicator    AND ctry.period = a.period;
