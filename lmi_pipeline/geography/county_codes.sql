-- How ONS lookups' county columns are read: the one place that knows their conventions.
-- A lookup's county column (CTY22CD, CTYUA24CD, ...) holds, by kind of district:
--   shire district (E07)        its county (E10)
--   unitary (E06)               blank in WD22; itself in CTYUA24; E99999999 in older lookups
--   metropolitan district (E08) the former metropolitan county (E11) in WD22; itself in CTYUA24
--   London borough (E09)        Inner or Outer London (E13) in WD22; itself in CTYUA24
--   Welsh principal area (W06)  blank in WD22; itself in CTYUA24
-- Only a shire district has a county council above it, so only an E10 code is a county benchmark.
-- Metropolitan districts are compared with their combined authority instead (E47, from the LAD -> CAUTH
-- lookup), London boroughs with London; Inner/Outer London is kept where a lookup names it.
CREATE OR REPLACE TEMP MACRO district_kind(lad_code) AS CASE left(lad_code, 3)
    WHEN 'E06' THEN 'unitary' WHEN 'E07' THEN 'shire district' WHEN 'E08' THEN 'metropolitan district'
    WHEN 'E09' THEN 'London borough' WHEN 'W06' THEN 'Welsh principal area' END;
CREATE OR REPLACE TEMP MACRO county_of(lad_code, county_code) AS
    CASE WHEN left(lad_code, 3) = 'E07' AND left(county_code, 3) = 'E10' THEN county_code END;
CREATE OR REPLACE TEMP MACRO london_part_of(lad_code, county_code) AS
    CASE WHEN left(lad_code, 3) = 'E09' AND left(county_code, 3) = 'E13' THEN county_code END;
-- Region columns are blank outside England; the country follows from the district code.
CREATE OR REPLACE TEMP MACRO country_of(lad_code) AS CASE WHEN left(lad_code, 1) = 'W' THEN 'W92000004' ELSE 'E92000001' END;
CREATE OR REPLACE TEMP MACRO country_name_of(lad_code) AS CASE WHEN left(lad_code, 1) = 'W' THEN 'Wales' ELSE 'England' END;
