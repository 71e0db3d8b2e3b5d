-- ONS model-based unemployment rate for districts and above; `lower`/`upper` are the 95% confidence interval.
SELECT area_code, area_name, area_level, NULL::INTEGER AS ward_vintage, period,
       'model_unemployment_rate' AS indicator, value, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator,
       '%' AS unit, lower, upper, 'official' AS status, NULL::INTEGER AS rounding_base, obs_status,
       source_dataset, source_query_id, NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM model_unemployment
WHERE item = 'unemployment_rate'
