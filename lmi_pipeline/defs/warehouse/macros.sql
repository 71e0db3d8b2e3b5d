-- Area level from a GSS code's entity prefix, and a ward vintage from a Nomis geography type name
-- ("2023 wards" -> 2023). Derived from each raw row itself, so rows fetched before a Nomis vintage
-- switch keep their meaning after the switch.
CREATE OR REPLACE MACRO gss_level(code) AS CASE
    WHEN regexp_matches(code, '^[EW]05')                 THEN 'ward'
    WHEN regexp_matches(code, '^(E06|E07|E08|E09|W06)')  THEN 'lad'
    WHEN regexp_matches(code, '^(E10|E11)')              THEN 'county'
    WHEN regexp_matches(code, '^E47')                    THEN 'combined_authority'
    WHEN regexp_matches(code, '^E13')                    THEN 'london_part'
    WHEN regexp_matches(code, '^E12')                    THEN 'region'
    WHEN regexp_matches(code, '^(E92|W92|K02|K03|K04)')  THEN 'country'
END;
CREATE OR REPLACE MACRO type_vintage(type_name) AS
    TRY_CAST(nullif(regexp_extract(type_name, '((19|20)[0-9]{2})', 1), '') AS INTEGER);
-- A label as matched: Nomis serves some with stray spaces ("Unemployment rate - aged 16-64 ", "in last  4 wks").
CREATE OR REPLACE MACRO label_text(label) AS regexp_replace(trim(label), '\s+', ' ', 'g');
