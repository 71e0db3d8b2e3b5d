-- Annual Population Survey figures for districts and above (the APS is never published for wards).
-- `lower`/`upper` are the 95% confidence interval; suppressed estimates stay NULL with their OBS_STATUS.
SELECT area_code, area_name, area_level, NULL::INTEGER AS ward_vintage, period,
       CASE variable WHEN 'unemployment_rate_16_plus' THEN 'aps_unemployment_rate'
                     WHEN 'unemployment_rate_16_64'   THEN 'aps_unemployment_rate_16_64'
                     WHEN 'employment_rate_16_64'     THEN 'aps_employment_rate'
                     WHEN 'inactivity_rate_16_64'     THEN 'aps_inactivity_rate' END AS indicator,
       value, numerator, denominator, '%' AS unit, lower, upper, 'official' AS status,
       NULL::INTEGER AS rounding_base, obs_status, source_dataset, source_query_id,
       source_query_id AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM aps_estimates
