-- Jobs density: jobs located in the area per resident aged 16-64, districts and above (never wards). The
-- numerator is the total jobs Nomis publishes with it; its denominator (residents 16-64) is not published here.
SELECT area_code, area_name, area_level, NULL::INTEGER AS ward_vintage, period,
       'jobs_density' AS indicator, jobs_density AS value, total_jobs AS numerator, NULL::DOUBLE AS denominator,
       'jobs per resident 16-64' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, 'official' AS status,
       NULL::INTEGER AS rounding_base, obs_status, source_dataset, source_query_id,
       NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM jobs_density
WHERE item = 'jobs_density'
