-- People on Universal Credit by conditionality regime, tidy: one row per area (wards, their districts and
-- countries) x month x regime. Ward rows carry the boundary vintage whose codes were asked for (the newest in
-- ward_lookup); the regime gets a stable id from its label (Stat-Xplore documents labels, not every code).
CREATE OR REPLACE TABLE uc_conditionality AS
WITH typed AS (
    SELECT r.area_code, r.area_name,
           CASE WHEN regexp_matches(r.area_code, '^[EW]05') THEN 'ward'
                WHEN regexp_matches(r.area_code, '^[EW]92') THEN 'country' ELSE 'lad' END AS area_level,
           make_date(CAST(left(r.period, 4) AS INTEGER), CAST(right(r.period, 2) AS INTEGER), 1) AS period,
           r.regime_code, r.regime, TRY_CAST(NULLIF(r.people, '') AS DOUBLE) AS people, r.query_id
    FROM raw_uc_conditionality AS r
    WHERE regexp_matches(r.period, '^[0-9]{4}-[0-9]{2}$')
),
newest AS (
    SELECT ward_code, max(ward_vintage) AS ward_vintage FROM ward_lookup
    WHERE ward_vintage = (SELECT max(ward_vintage) FROM ward_lookup) GROUP BY ward_code
)
SELECT t.area_code, t.area_name, t.area_level, n.ward_vintage, t.period,
       CASE WHEN t.regime_code = 'total' THEN 'total'
            WHEN regexp_matches(t.regime, '^searching for work', 'i') THEN 'searching_for_work'
            WHEN regexp_matches(t.regime, '^working.*with requirements', 'i') THEN 'working_with_requirements'
            WHEN regexp_matches(t.regime, '^working.*no requirements', 'i') THEN 'working_no_requirements'
            WHEN regexp_matches(t.regime, '^no work requirements', 'i') THEN 'no_work_requirements'
            WHEN regexp_matches(t.regime, '^planning for work', 'i') THEN 'planning_for_work'
            WHEN regexp_matches(t.regime, '^preparing for work', 'i') THEN 'preparing_for_work'
            ELSE 'other' END AS regime_id,
       t.regime_code, t.regime, t.people, 'Stat-Xplore UC_Monthly' AS source_dataset, t.query_id AS source_query_id
FROM typed AS t
LEFT JOIN newest AS n ON t.area_level = 'ward' AND n.ward_code = t.area_code
ORDER BY t.area_level, t.area_code, t.period, t.regime_code;
