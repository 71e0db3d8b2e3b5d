-- ASHE resident analysis: median gross weekly pay of full-time workers living in the area (£), districts and above
-- (ASHE is never published for wards). Suppressed estimates stay NULL with their OBS_STATUS; no interval is
-- claimed (Nomis's confidence measure is kept in ashe_earnings as served).
SELECT area_code, area_name, area_level, NULL::INTEGER AS ward_vintage, period,
       'ashe_median_weekly_pay_ft' AS indicator, value, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator,
       '£' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper, 'official' AS status,
       NULL::INTEGER AS rounding_base, obs_status, source_dataset, source_query_id,
       NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM ashe_earnings
WHERE item = 'median' AND sex = 'full_time' AND pay = 'weekly_pay_gross'
