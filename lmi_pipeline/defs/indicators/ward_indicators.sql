-- Ward indicators in long format with their benchmarks, change on a year earlier and rank in the district.
-- Benchmarks are the ones the ward's district really has (districts): county for shire districts,
-- combined authority for metropolitan districts, region in England, and the country (England or Wales);
-- a column is NULL where the structure has no such area or the upstream publishes no figure for it.
-- Every row keeps its ward boundary vintage; the change is against the same ward on the same boundaries
-- (NULL where there is no figure a year earlier, e.g. the single Census 2021 snapshot), with the range
-- the two months' rounding allows, so a change smaller than its rounding is not read as a movement.
CREATE OR REPLACE TABLE ward_indicators AS
WITH ward_figures AS (
    SELECT w.ward_code, w.ward_name, a.ward_vintage, w.lad_code, w.lad_name, d.county_code,
           CASE WHEN d.kind = 'metropolitan district' THEN d.combined_authority_code END AS combined_authority_code,
           d.region_code, d.country_code, w.is_focus, a.*
    FROM area_indicators a
    JOIN ward_lookup w ON w.ward_code = a.area_code AND w.ward_vintage = a.ward_vintage
    JOIN districts d ON d.lad_code = w.lad_code
    WHERE a.area_level = 'ward'
),
benchmarks AS (
    SELECT area_code, area_level, indicator, period, value FROM area_indicators WHERE area_level <> 'ward'
)
SELECT
    f.ward_code, f.ward_name, f.ward_vintage, f.lad_code, f.lad_name, f.is_focus,
    f.indicator, f.period, f.value, f.numerator, f.denominator, f.unit, f.lower, f.upper,
    f.status, f.small_number, f.rounding_base, f.obs_status,
    lad.value  AS lad_value,
    cty.value  AS county_value,
    ca.value   AS combined_authority_value,
    rgn.value  AS region_value,
    ctry.value AS country_value,
    f.value - prev.value AS change_12m,
    -- The change both months' ranges allow (rounding to 5, or a survey CI): from the lowest this month
    -- less the highest a year earlier, to the reverse. NULL where either month has no range.
    f.lower - prev.upper AS change_12m_lower,
    f.upper - prev.lower AS change_12m_upper,
    -- A change whose range reaches 0 could be no change at all: not evidence of a rise or fall.
    -- Inclusive, as a range ending at 0 allows no change; NULL where there is no range to judge by.
    CASE WHEN f.lower - prev.upper IS NOT NULL AND f.upper - prev.lower IS NOT NULL
         THEN f.lower - prev.upper <= 0 AND f.upper - prev.lower >= 0 END AS change_12m_within_rounding,
    -- Ranks compare wards of one boundary vintage only: a district with old and new wards (Maidstone
    -- 2023 and 2024) has two rankings, never one that mixes boundaries.
    CASE WHEN f.value IS NOT NULL
         THEN rank() OVER (PARTITION BY f.lad_code, f.ward_vintage, f.indicator, f.period
                           ORDER BY f.value DESC NULLS LAST) END AS rank_in_lad,
    count(f.value) OVER (PARTITION BY f.lad_code, f.ward_vintage, f.indicator, f.period) AS n_wards_in_lad,
    f.denominator_year,
    f.source_dataset, f.source_query_id, f.denominator_query_id, f.release, f.retrieved_at, f.data_label
FROM ward_figures f
LEFT JOIN benchmarks lad  ON lad.area_code  = f.lad_code     AND lad.area_level = 'lad'
                         AND lad.indicator  = f.indicator    AND lad.period = f.period
LEFT JOIN benchmarks cty  ON cty.area_code  = f.county_code  AND cty.area_level = 'county'
                         AND cty.indicator  = f.indicator    AND cty.period = f.period
LEFT JOIN benchmarks ca   ON ca.area_code   = f.combined_authority_code AND ca.area_level = 'combined_authority'
                         AND ca.indicator   = f.indicator    AND ca.period = f.period
LEFT JOIN benchmarks rgn  ON rgn.area_code  = f.region_code  AND rgn.area_level = 'region'
                         AND rgn.indicator  = f.indicator    AND rgn.period = f.period
LEFT JOIN benchmarks ctry ON ctry.area_code = f.country_code AND ctry.area_level = 'country'
                         AND ctry.indicator = f.indicator    AND ctry.period = f.period
LEFT JOIN area_indicators prev
       ON prev.area_code = f.ward_code AND prev.area_level = 'ward' AND prev.ward_vintage = f.ward_vintage
      AND prev.indicator = f.indicator AND prev.period = f.period - INTERVAL 12 MONTH;
