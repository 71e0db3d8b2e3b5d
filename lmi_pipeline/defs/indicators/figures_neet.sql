-- DfE NEET 16-17 (headline: NEET or activity not known) for upper-tier local authorities, regions and
-- England. A `c` cell is a NULL value whose obs_status is the symbol.
WITH headline AS (
    SELECT area_code, any_value(area_name) AS area_name, area_level, period,
           max(value)  FILTER (WHERE measure = 'avg_cohort_count')  AS cohort,
           max(value)  FILTER (WHERE measure = 'avg_neet_nk_count') AS neet_nk,
           max(value)  FILTER (WHERE measure = 'avg_neet_count')    AS neet,
           max(value)  FILTER (WHERE measure = 'neet_nk_percent')   AS neet_nk_percent,
           max(value)  FILTER (WHERE measure = 'neet_percent')      AS neet_percent,
           max(symbol) FILTER (WHERE measure = 'neet_nk_percent')   AS neet_nk_symbol,
           max(symbol) FILTER (WHERE measure = 'neet_percent')      AS neet_symbol,
           max(rounding_base) AS rounding_base,  -- of the counts, as neet_participation knows it per file layout
           any_value(source_query_id) AS source_query_id
    FROM neet_participation
    WHERE age = '16-17' AND lower(characteristic_grouping) = 'total' AND lower(characteristic) = 'total'
    GROUP BY area_code, area_level, period
)
SELECT area_code, area_name, area_level, NULL::INTEGER AS ward_vintage, period, 'neet_nk_16_17' AS indicator,
       neet_nk_percent AS value, neet_nk AS numerator, cohort AS denominator, '%' AS unit,
       NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, 'official' AS status,
       rounding_base, neet_nk_symbol AS obs_status,
       'DfE NEET 16-17 (EES)' AS source_dataset, source_query_id, source_query_id AS denominator_query_id,
       NULL::INTEGER AS denominator_year
FROM headline
UNION ALL
SELECT area_code, area_name, area_level, NULL, period, 'neet_16_17', neet_percent, neet, cohort, '%', NULL, NULL,
       'official', rounding_base, neet_symbol,
       'DfE NEET 16-17 (EES)', source_query_id, source_query_id, NULL
FROM headline
