-- The English Indices of Deprivation 2025 for every 2021 LSOA in File 7, typed: scores as MHCLG publishes them
-- (the Income and Employment scores are rates, a proportion 0-1; the IMD score is a combined score, not a
-- rate), ranks (1 = most deprived of England's 33,755 LSOAs), deciles (1 = most deprived 10%) and the mid-2022
-- population denominators MHCLG publishes with them. raw_iod was validated as it was loaded (clients/mhclg.py).
CREATE OR REPLACE TABLE iod_lsoa AS
SELECT lsoa_code, lsoa_name, lad_code,
       CAST(imd_score AS DOUBLE) AS imd_score, CAST(imd_rank AS INTEGER) AS imd_rank,
       CAST(imd_decile AS INTEGER) AS imd_decile,
       CAST(income_score AS DOUBLE) AS income_score, CAST(income_rank AS INTEGER) AS income_rank,
       CAST(income_decile AS INTEGER) AS income_decile,
       CAST(employment_score AS DOUBLE) AS employment_score, CAST(employment_rank AS INTEGER) AS employment_rank,
       CAST(employment_decile AS INTEGER) AS employment_decile,
       CAST(population_total AS INTEGER) AS population_total,
       CAST(population_0_15 AS INTEGER) AS population_0_15,
       CAST(population_60_plus AS INTEGER) AS population_60_plus,
       CAST(population_working_age AS INTEGER) AS population_working_age,
       'IoD 2025' AS vintage,
       2021 AS lsoa_vintage,
       query_id AS source_query_id
FROM raw_iod
ORDER BY lsoa_code;
