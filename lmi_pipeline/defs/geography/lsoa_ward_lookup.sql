-- One row per 2021 LSOA x ward boundary vintage: the ward the LSOA best-fits (ONS lookup, as fetched).
CREATE OR REPLACE TABLE lsoa_ward_lookup AS
SELECT lsoa_code, lsoa_name, ward_code, ward_name, ward_vintage, lad_code, lad_name, source_service,
       query_id AS source_query_id
FROM ons_lsoa_ward_lookup
ORDER BY lad_code, ward_vintage, ward_code, lsoa_code;
