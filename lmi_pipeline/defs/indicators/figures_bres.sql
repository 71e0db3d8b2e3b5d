-- BRES open access: employee jobs located in the area (workplace jobs: labour demand, not residents in work),
-- for wards where Nomis publishes BRES for wards (each on its own boundary vintage) and for districts and
-- above; and two broad industry groups' shares of them, as Nomis publishes them (its industry percentage, not
-- our division of two rounded counts). Counts are ONS-rounded with a base that grows with the count, so no
-- rounding range is claimed; a NULL stays NULL with its OBS_STATUS.
SELECT area_code, area_name, area_level, ward_vintage, period,
       'bres_employees_total' AS indicator, employees AS value, NULL::DOUBLE AS numerator,
       NULL::DOUBLE AS denominator, 'employee jobs' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper,
       'official' AS status, NULL::INTEGER AS rounding_base, obs_status, source_dataset, source_query_id,
       NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM bres_employees
WHERE industry = 'total' AND employment_status = 'employees'
UNION ALL
SELECT area_code, area_name, area_level, ward_vintage, period,
       'bres_share_' || industry AS indicator, industry_share AS value, employees AS numerator,
       NULL::DOUBLE AS denominator, '%' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper,
       'official' AS status, NULL::INTEGER AS rounding_base, share_obs_status AS obs_status, source_dataset,
       source_query_id, NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM bres_employees
WHERE industry IN ('retail', 'accommodation_food') AND employment_status = 'employees'
