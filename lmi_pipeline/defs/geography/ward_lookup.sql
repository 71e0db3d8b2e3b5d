-- One row per ward x boundary vintage, with the district's hierarchy from `districts`.
-- A focus ward named in lmi.toml (registered as `focus_wards`, its resolved codes) is a focus ward in
-- every vintage: as named; by the same name in its district; or, where the name went with the boundary
-- change (Park Wood -> Park Wood & Mangravet), as the ward holding most of its 2021 LSOAs (ONS best fit).
CREATE OR REPLACE TABLE ward_lookup AS
WITH named AS (
    SELECT o.ward_code, o.ward_vintage, o.lad_code, o.ward_name AS focus_name
    FROM ons_ward_lookup o WHERE o.ward_code IN (SELECT ward_code FROM focus_wards)
),
same_name AS (
    SELECT o.ward_code, o.ward_vintage, n.focus_name
    FROM ons_ward_lookup o JOIN named n ON n.lad_code = o.lad_code AND lower(o.ward_name) = lower(n.focus_name)
    WHERE o.ward_vintage <> n.ward_vintage
),
successor AS (
    SELECT b.ward_code, b.ward_vintage, n.focus_name
    FROM named n
    JOIN ons_lsoa_ward_lookup a ON a.ward_code = n.ward_code AND a.ward_vintage = n.ward_vintage
    JOIN ons_lsoa_ward_lookup b ON b.lsoa_code = a.lsoa_code AND b.ward_vintage <> a.ward_vintage
    WHERE NOT EXISTS (SELECT 1 FROM same_name s WHERE s.focus_name = n.focus_name AND s.ward_vintage = b.ward_vintage)
    GROUP BY b.ward_code, b.ward_vintage, n.focus_name
    QUALIFY row_number() OVER (PARTITION BY n.focus_name, b.ward_vintage ORDER BY count(*) DESC, b.ward_code) = 1
),
focus AS (
    SELECT ward_code, ward_vintage, focus_name, 'as named' AS focus_match FROM named
    UNION ALL SELECT ward_code, ward_vintage, focus_name, 'same name' FROM same_name
    UNION ALL SELECT ward_code, ward_vintage, focus_name, 'most of its LSOAs (best fit)' FROM successor
)
SELECT
    l.ward_code, l.ward_name, l.ward_vintage,
    l.lad_code, d.lad_name, d.kind AS lad_kind,
    d.county_code, d.county_name,
    d.combined_authority_code, d.combined_authority_name,
    d.region_code, d.region_name,
    d.country_code, d.country_name,
    f.ward_code IS NOT NULL AS is_focus,
    f.focus_name,
    f.focus_match,
    l.source_service
FROM ons_ward_lookup AS l
JOIN districts AS d USING (lad_code)
LEFT JOIN (SELECT * FROM focus QUALIFY row_number() OVER (PARTITION BY ward_code, ward_vintage ORDER BY focus_match) = 1) f
       ON f.ward_code = l.ward_code AND f.ward_vintage = l.ward_vintage
ORDER BY l.lad_code, l.ward_name, l.ward_vintage;
