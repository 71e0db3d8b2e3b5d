-- Young residents: ONS mid-year population estimates (Nomis NM_2014_1, small-area based) aged 16-24 and 18-24,
-- for every ward (each boundary vintage Nomis publishes), district and benchmark, as published (official).
-- period: 30 June of the estimate's year (mid-year).
SELECT area_code, area_name, area_level, ward_vintage, make_date(year, 6, 30) AS period,
       'population_' || replace(age_band, '-', '_') AS indicator, value, value AS numerator,
       NULL::DOUBLE AS denominator, 'residents' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper,
       'official' AS status, NULL::INTEGER AS rounding_base, obs_status, source_dataset, source_query_id,
       NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM population
WHERE age_band IN ('16-24', '18-24')
