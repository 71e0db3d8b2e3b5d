-- How wards of one boundary vintage relate to wards of a later one, by the 2021 LSOAs they share (each
-- LSOA sits in one ward per vintage, by ONS best fit). Shares count LSOAs, which hold similar numbers
-- of residents (about 1,500), so they approximate population shares. One row per overlapping pair.
CREATE OR REPLACE TABLE ward_vintage_bridge AS
WITH sizes AS (
    SELECT ward_code, ward_vintage, count(*) AS lsoas FROM lsoa_ward_lookup GROUP BY ALL
),
pairs AS (
    SELECT a.lad_code, a.ward_code AS from_ward_code, any_value(a.ward_name) AS from_ward_name,
           a.ward_vintage AS from_vintage, b.ward_code AS to_ward_code, any_value(b.ward_name) AS to_ward_name,
           b.ward_vintage AS to_vintage, count(*) AS shared_lsoas
    FROM lsoa_ward_lookup a
    JOIN lsoa_ward_lookup b ON b.lsoa_code = a.lsoa_code AND b.ward_vintage > a.ward_vintage
    GROUP BY a.lad_code, a.ward_code, a.ward_vintage, b.ward_code, b.ward_vintage
)
SELECT p.lad_code, p.from_ward_code, p.from_ward_name, p.from_vintage, p.to_ward_code, p.to_ward_name, p.to_vintage,
       p.shared_lsoas, f.lsoas AS from_lsoas, t.lsoas AS to_lsoas,
       round(p.shared_lsoas / f.lsoas, 4) AS share_of_from,
       round(p.shared_lsoas / t.lsoas, 4) AS share_of_to,
       CASE WHEN p.from_ward_code = p.to_ward_code THEN 'unchanged'
            WHEN p.shared_lsoas = f.lsoas AND p.shared_lsoas = t.lsoas THEN 'recoded'
            WHEN p.shared_lsoas = f.lsoas THEN 'merged into'
            ELSE 'part of' END AS relationship,
       'LSOA21 best fit' AS method
FROM pairs p
JOIN sizes f ON f.ward_code = p.from_ward_code AND f.ward_vintage = p.from_vintage
JOIN sizes t ON t.ward_code = p.to_ward_code AND t.ward_vintage = p.to_vintage
ORDER BY p.lad_code, p.from_vintage, p.to_vintage, p.from_ward_code, p.shared_lsoas DESC;
