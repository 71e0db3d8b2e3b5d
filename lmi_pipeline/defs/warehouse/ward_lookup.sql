-- One row per ward x boundary vintage. The ONS pseudo-county E99999999 (unitary authorities) becomes NULL.
CREATE OR REPLACE TABLE ward_lookup AS
SELECT
    l.ward_code,
    l.ward_name,
    l.ward_vintage,
    l.lad_code,
    l.lad_name,
    NULLIF(l.county_code, 'E99999999')                              AS county_code,
    CASE WHEN l.county_code = 'E99999999' THEN NULL ELSE l.county_name END AS county_name,
    NULLIF(l.region_code, '')                                       AS region_code,
    NULLIF(l.region_name, '')                                       AS region_name,
    CASE WHEN l.lad_code LIKE 'W%' THEN 'W92000004' ELSE 'E92000001' END AS country_code,
    CASE WHEN l.lad_code LIKE 'W%' THEN 'Wales' ELSE 'England' END      AS country_name,
    -- A focus ward stays a focus ward in every boundary vintage that has a ward of its name in its district
    -- (Park Wood on 2023 and on 2024 boundaries); the vintages' figures are still never mixed.
    l.ward_code IN (SELECT ward_code FROM focus_wards)
      OR (l.lad_code, lower(l.ward_name)) IN (SELECT (f.lad_code, lower(f.ward_name)) FROM ons_ward_lookup f
                                              WHERE f.ward_code IN (SELECT ward_code FROM focus_wards))
                                                                    AS is_focus,
    l.source_service
FROM ons_ward_lookup AS l
WHERE l.lad_code IN (SELECT unnest(lad_codes) FROM areas_config)
ORDER BY l.lad_code, l.ward_name, l.ward_vintage;
