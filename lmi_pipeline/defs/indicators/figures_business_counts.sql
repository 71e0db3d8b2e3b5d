-- UK Business Counts: VAT- and/or PAYE-registered local units (business sites) in the area, all sizes, on the
-- March IDBR snapshot; wards where Nomis publishes them for wards (each on its own boundary vintage), districts
-- and above. Counts as published (multiples of 5); a NULL stays NULL with its OBS_STATUS.
SELECT area_code, area_name, area_level, ward_vintage, period,
       'business_local_units' AS indicator, local_units AS value, NULL::DOUBLE AS numerator,
       NULL::DOUBLE AS denominator, 'local units' AS unit, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper,
       'official' AS status, rounding_base, obs_status, source_dataset, source_query_id,
       NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM business_counts
WHERE industry = 'total' AND employment_sizeband = 'total' AND legal_status = 'total'
