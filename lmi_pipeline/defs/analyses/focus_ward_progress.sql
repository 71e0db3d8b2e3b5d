-- Progress since the baseline month (lmi.toml [analysis] baseline_month) for each focus ward: every monthly
-- indicator in the catalogue, baseline vs the latest month, on the ward's current boundaries (Nomis
-- rebuilds small-area claimant series back to 2013 on each new ward set, so both months are comparable).
-- The change's range combines both months' rounding ranges: a change whose range spans 0 is "within
-- rounding", never reported as a rise or a fall. Parameter: $baseline (DATE, first day of the month).
CREATE OR REPLACE TABLE focus_ward_progress AS
WITH monthly AS (
    SELECT indicator, label FROM indicator_catalogue WHERE frequency = 'monthly'
),
latest AS (
    SELECT w.*, m.label
    FROM ward_indicators w JOIN monthly m USING (indicator)
    WHERE w.is_focus AND w.value IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY w.ward_code, w.indicator ORDER BY w.period DESC, w.ward_vintage DESC) = 1
),
joined AS (
    SELECT l.ward_code, l.ward_name, l.ward_vintage, l.lad_code, l.lad_name, l.indicator, l.label, l.unit, l.status,
           b.period AS baseline_period, b.value AS baseline_value, b.lower AS baseline_lower, b.upper AS baseline_upper,
           b.numerator AS baseline_numerator, b.small_number AS baseline_small_number,
           l.period AS latest_period, l.value AS latest_value, l.lower AS latest_lower, l.upper AS latest_upper,
           l.numerator AS latest_numerator, l.small_number AS latest_small_number,
           b.lad_value AS lad_baseline_value, l.lad_value AS lad_latest_value,
           b.country_value AS country_baseline_value, l.country_value AS country_latest_value,
           b.denominator_year AS baseline_denominator_year, l.denominator_year AS latest_denominator_year,
           l.rounding_base, l.source_query_id, b.source_query_id AS baseline_source_query_id,
           l.denominator_query_id, l.data_label
    FROM latest l
    LEFT JOIN ward_indicators b
           ON b.ward_code = l.ward_code AND b.ward_vintage = l.ward_vintage AND b.indicator = l.indicator
          AND b.period = $baseline::DATE
)
SELECT ward_code, ward_name, ward_vintage, lad_code, lad_name, indicator, label, unit, status,
       baseline_period, baseline_value, baseline_lower, baseline_upper,
       latest_period, latest_value, latest_lower, latest_upper,
       latest_value - baseline_value AS change,
       -- The change the two rounding ranges allow (NULL when the figure has no range).
       latest_lower - baseline_upper AS change_lower,
       latest_upper - baseline_lower AS change_upper,
       CASE WHEN baseline_value IS NULL THEN 'no baseline figure'
            WHEN latest_lower - baseline_upper > 0 THEN 'rose'
            WHEN latest_upper - baseline_lower < 0 THEN 'fell'
            WHEN latest_lower IS NULL AND latest_value > baseline_value THEN 'rose'
            WHEN latest_lower IS NULL AND latest_value < baseline_value THEN 'fell'
            WHEN latest_value = baseline_value THEN 'no change'
            ELSE 'within rounding' END AS direction,
       lad_baseline_value, lad_latest_value, lad_latest_value - lad_baseline_value AS lad_change,
       country_baseline_value, country_latest_value, country_latest_value - country_baseline_value AS country_change,
       -- Rates only (counts of a ward and its district do not compare): positive means the ward's rate rose
       -- by more, or fell by less, than its district's.
       CASE WHEN unit = '%' THEN (latest_value - baseline_value) - (lad_latest_value - lad_baseline_value) END
           AS change_vs_lad,
       coalesce(baseline_small_number OR latest_small_number, false) AS small_number,
       nullif(concat_ws('; ',
           CASE WHEN baseline_value IS NULL THEN 'no figure for ' || strftime($baseline::DATE, '%B %Y')
                                                 || ' on these ward boundaries' END,
           CASE WHEN rounding_base IS NOT NULL AND baseline_value IS NOT NULL
                THEN 'counts rounded to the nearest ' || rounding_base || ', so the change could be anywhere from '
                     || CASE WHEN unit = '%'
                             THEN printf('%+.1f to %+.1f percentage points', latest_lower - baseline_upper,
                                         latest_upper - baseline_lower)
                             ELSE printf('%+.0f to %+.0f', latest_lower - baseline_upper,
                                         latest_upper - baseline_lower) END END,
           CASE WHEN baseline_small_number OR latest_small_number
                THEN 'small numbers: fewer than the small-number threshold in one of the months' END,
           CASE WHEN status = 'derived' THEN 'derived rate, not an official statistic' END,
           CASE WHEN baseline_denominator_year <> latest_denominator_year
                THEN 'denominators are mid-' || baseline_denominator_year || ' and mid-' || latest_denominator_year
                     || ' population estimates' END
       ), '') AS caveats,
       source_query_id, baseline_source_query_id, denominator_query_id, data_label
FROM joined
ORDER BY lad_code, ward_name, indicator;
