-- One row per configured district: its kind and every larger area it is compared with. County codes
-- are read with the macros of lmi_pipeline/geography/county_codes.sql, the one place that knows ONS's
-- conventions. Benchmarks, in order: county (shire districts), combined authority (metropolitan
-- districts), Inner/Outer London (London boroughs, where a lookup names it), region (England), country.
-- A county, combined authority or Inner/Outer London is a benchmark only where Nomis publishes it.
CREATE OR REPLACE TABLE districts AS
WITH newest AS (  -- each district's newest lookup row decides its name, county and region
    SELECT * FROM ons_ward_lookup
    QUALIFY row_number() OVER (PARTITION BY lad_code ORDER BY ward_vintage DESC, ward_code) = 1
),
london AS (  -- only the 2022 lookups name Inner/Outer London
    SELECT lad_code, any_value(county_code) AS code, any_value(county_name) AS name FROM ons_ward_lookup
    WHERE london_part_of(lad_code, county_code) IS NOT NULL GROUP BY lad_code
),
config AS (SELECT unnest(lad_codes) AS lad_code, covered_because FROM areas_config),
published AS (SELECT DISTINCT gss_code FROM nomis_geographies),
d AS (
    SELECT n.lad_code, n.lad_name, district_kind(n.lad_code) AS kind,
           county_of(n.lad_code, n.county_code) AS county_code,
           CASE WHEN county_of(n.lad_code, n.county_code) IS NOT NULL THEN n.county_name END AS county_name,
           ca.combined_authority_code, ca.combined_authority_name,
           l.code AS london_part_code, l.name AS london_part_name,
           nullif(trim(n.region_code), '') AS region_code, nullif(trim(n.region_name), '') AS region_name,
           country_of(n.lad_code) AS country_code, country_name_of(n.lad_code) AS country_name,
           json_extract_string(c.covered_because, '$."' || n.lad_code || '"') AS covered_because
    FROM newest n
    JOIN config c ON c.lad_code = n.lad_code
    LEFT JOIN ons_combined_authorities ca ON ca.lad_code = n.lad_code
    LEFT JOIN london l ON l.lad_code = n.lad_code
)
SELECT *,
       list_filter([
           CASE WHEN county_code IN (SELECT gss_code FROM published)
                THEN {'level': 'county', 'code': county_code, 'name': county_name} END,
           CASE WHEN kind = 'metropolitan district' AND combined_authority_code IN (SELECT gss_code FROM published)
                THEN {'level': 'combined_authority', 'code': combined_authority_code, 'name': combined_authority_name} END,
           CASE WHEN london_part_code IN (SELECT gss_code FROM published)
                THEN {'level': 'london_part', 'code': london_part_code, 'name': london_part_name} END,
           CASE WHEN region_code IS NOT NULL THEN {'level': 'region', 'code': region_code, 'name': region_name} END,
           {'level': 'country', 'code': country_code, 'name': country_name}
       ], lambda b: b IS NOT NULL) AS benchmarks
FROM d
ORDER BY lad_code;
